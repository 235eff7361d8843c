//! Request and response bodies.
//!
//! Request types document the body (OpenAPI schemas) and validate it field by field into domain
//! values with `try_into_domain`, which lists every invalid field at once. Response types are
//! built from domain values.

mod choice;
mod fields;
mod ops;
mod question;
mod results;
mod vote;

use std::fmt::Write as _;

use poll_domain::Timestamp;
use time::UtcOffset;

pub use choice::{ChoiceResponse, CreateChoiceRequest};
pub use ops::{LiveResponse, ReadyChecks, ReadyResponse, VersionResponse};
pub use question::{
    CreateQuestionForm, CreateQuestionRequest, QuestionResponse, QuestionSummary,
    UpdateQuestionRequest,
};
pub use results::{ChoiceResult, ResultsResponse};
pub use vote::{CastVoteRequest, VoteResponse};

/// RFC 3339 in UTC with a `Z`, with microseconds only when there are some.
pub(crate) fn timestamp(at: Timestamp) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    let date = at.date();
    let mut text = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        date.year(),
        u8::from(date.month()),
        date.day(),
        at.hour(),
        at.minute(),
        at.second()
    );
    let micros = at.microsecond();
    if micros != 0 {
        let _ = write!(text, ".{micros:06}");
    }
    text.push('Z');
    text
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::timestamp;

    #[test]
    fn timestamps_are_utc_with_z() {
        assert_eq!(
            timestamp(datetime!(2026-11-30 10:00:00 UTC)),
            "2026-11-30T10:00:00Z"
        );
        assert_eq!(
            timestamp(datetime!(2026-11-30 12:00:00.25 +02:00)),
            "2026-11-30T10:00:00.250000Z"
        );
    }
}
