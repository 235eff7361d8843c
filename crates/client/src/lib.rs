//! A typed async client of poll API v1, for the services that consume it.
//!
//! Every endpoint of the contract is a method of [`Client`]; answers are this crate's own serde
//! types (it depends on no other crate of the service). Errors are a [`ClientError`]: an error
//! answer with an RFC 9457 body is [`ClientError::Problem`], with the field errors of a 422.
//!
//! ```no_run
//! use poll_client::{Client, ClientError, ListQuestions};
//!
//! # async fn example() -> Result<(), ClientError> {
//! let client = Client::builder("http://poll-api.internal:8080")
//!     .bearer_token("token-from-the-environment")
//!     .build()?;
//!
//! // One page, then every question following `Link: rel="next"`.
//! let first = client.list_questions(ListQuestions::default().limit(20)).await?;
//! let everything = client.list_all_questions(Some(500)).await?;
//! println!("{} on the first page, {} in all", first.items.len(), everything.len());
//!
//! match client.get_question(999).await {
//!     Err(e) if e.is_not_found() => println!("no question 999"),
//!     Err(ClientError::Problem { status, problem }) => {
//!         println!("{status}: {} ({:?})", problem.title, problem.errors)
//!     }
//!     other => println!("{other:?}"),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Timeouts and retries
//! Each attempt may take [`DEFAULT_TIMEOUT`] (change it with [`ClientBuilder::timeout`] or, for
//! some calls, [`Client::with_timeout`]); past it the call fails with [`ClientError::Timeout`]
//! and is not retried. Calls that are safe to repeat (`GET`, `DELETE`, and votes with an
//! idempotency key) are retried on connection failures and on 503, as [`RetryPolicy`] says;
//! creates, patches, added choices and votes without a key are sent exactly once.
//!
//! # Features
//! `rustls`: HTTPS support (rustls with the ring crypto provider, installed as the process
//! default when none is). Without it the client speaks plain HTTP only, which is what services
//! on the internal network use.
//!
//! A build in which something else turns on reqwest's `rustls-no-provider` (the Pact crates
//! do) panics when a reqwest client is built before a rustls crypto provider is installed:
//! enable `rustls`, or install a provider first
//! (`rustls::crypto::ring::default_provider().install_default()`).
#![forbid(unsafe_code)]

mod builder;
mod client;
mod endpoints;
mod error;
mod link;
mod retry;
mod types;

pub use builder::ClientBuilder;
pub use client::{Client, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT};
pub use error::{ClientError, FieldError, Problem};
/// The URL type of [`Page::next`] and [`Client::base_url`].
pub use reqwest::Url;
pub use retry::RetryPolicy;
pub use types::{
    Choice, ChoiceId, ChoiceResult, ListQuestions, Liveness, NewQuestion, NewVote, Page, Question,
    QuestionDetail, QuestionId, QuestionPatch, Readiness, ReadinessChecks, Results, VersionInfo,
    Vote, VoteReceipt,
};
