//! The rules of polls: entities and value objects that can only be built valid.
//!
//! Nothing here performs I/O or knows about HTTP, PostgreSQL or Redis. Every rule of the
//! contract that concerns a single value is enforced once, in that value's constructor,
//! so code downstream of a constructor never re-checks it.
#![forbid(unsafe_code)]

mod date;
mod environment;
mod error;
mod ids;
mod page;
mod question;
mod results;
mod text;
mod token;
mod vote;

pub use date::PubDate;
pub use environment::{Environment, EnvironmentError, fnv1a64};
pub use error::{
    ChoiceListError, DateError, DomainError, IdError, PatchError, TextError, TokenError,
};
pub use ids::{ChoiceId, QuestionId};
pub use page::{Limit, PageRequest};
pub use question::{
    Choice, ChoiceList, MAX_CHOICES, NewQuestion, Question, QuestionDetail, QuestionPatch,
};
pub use results::{ChoiceTally, Results};
pub use text::{ChoiceText, MAX_TEXT_CHARS, QuestionText};
pub use token::{IdempotencyKey, VoterId};
pub use vote::{Vote, VoteOutcome, VoteReceipt};

/// Timestamps of the service (UTC).
pub type Timestamp = time::OffsetDateTime;
