use std::time::Duration;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Everything a call can fail with.
///
/// A `4xx`/`5xx` answer with an `application/problem+json` body is a [`ClientError::Problem`];
/// the helpers [`status`](Self::status), [`problem`](Self::problem) and the `is_*` predicates
/// spare matching on the variants for the common cases.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The service answered with an error status and an RFC 9457 problem body.
    #[error("the service answered {status}: {}", problem.summary())]
    Problem {
        /// The HTTP status of the answer.
        status: u16,
        /// The decoded problem body.
        problem: Problem,
    },
    /// The service (or something in between, such as a proxy) answered with an error status
    /// and a body that is not a problem document.
    #[error("the service answered {status} without a problem body")]
    UnexpectedStatus {
        status: u16,
        /// The start of the body, as text (at most 1 KiB).
        body: String,
    },
    /// The request could not be sent or the answer could not be read (connection refused or
    /// reset, DNS failure, ...).
    #[error("transport failure talking to the service")]
    Transport(#[source] reqwest::Error),
    /// A success answer whose body is not what the contract promises.
    #[error("the service's {status} answer could not be decoded")]
    Decode {
        status: u16,
        #[source]
        source: serde_json::Error,
    },
    /// No complete answer within the request timeout.
    #[error("no answer from the service within {after:?}")]
    Timeout {
        /// The timeout that elapsed (per attempt).
        after: Duration,
    },
    /// An argument the client refuses to send (a bad base URL, a header value that is not
    /// visible ASCII, an idempotency key of the wrong length, ...).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// An answer that breaks the contract in a way that is not a body (a malformed or foreign
    /// `Link` header, a pagination loop).
    #[error("invalid answer from the service: {0}")]
    InvalidResponse(String),
}

impl ClientError {
    /// The HTTP status of an error answer, if the service answered at all.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Problem { status, .. }
            | Self::UnexpectedStatus { status, .. }
            | Self::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The problem document of an error answer, if it had one.
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            Self::Problem { problem, .. } => Some(problem),
            _ => None,
        }
    }

    /// `true` for a 404: no question or choice at those ids.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// `true` for a 409: a duplicate choice or voter, too many choices, or an idempotency key
    /// reused with another body (or still in flight).
    pub fn is_conflict(&self) -> bool {
        self.status() == Some(409)
    }

    /// `true` for a 422: the body broke a rule; [`Problem::errors`] says which fields.
    pub fn is_validation(&self) -> bool {
        self.status() == Some(422)
    }

    /// `true` when the failure may go away by itself (timeouts, transport failures, 503).
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Timeout { .. } | Self::Transport(_)) || self.status() == Some(503)
    }
}

/// An RFC 9457 problem document, as the service sends it with every error.
///
/// Decoding is lenient: a missing `type` reads as `about:blank`, a missing `status` as the HTTP
/// status, missing texts as empty, a missing `errors` as no field errors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// A URI reference naming the kind of problem.
    pub r#type: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status the service gave.
    pub status: u16,
    /// What went wrong with this request.
    pub detail: String,
    /// On a 422: each invalid field and what is wrong with it.
    pub errors: Vec<FieldError>,
}

impl Problem {
    fn summary(&self) -> String {
        match (self.title.is_empty(), self.detail.is_empty()) {
            (false, false) => format!("{}: {}", self.title, self.detail),
            (false, true) => self.title.clone(),
            (true, false) => self.detail.clone(),
            (true, true) => self.r#type.clone(),
        }
    }
}

/// One invalid field of a request (`question_text`, `choices`, `choice_id`, `body`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// The wire form, every member optional.
#[derive(Deserialize)]
struct RawProblem {
    r#type: Option<String>,
    title: Option<String>,
    status: Option<u16>,
    detail: Option<String>,
    #[serde(default)]
    errors: Vec<FieldError>,
}

/// The error for an error answer: a problem when the body is one, otherwise the status and
/// the start of the body.
pub(crate) fn error_from_body(status: u16, body: &[u8]) -> ClientError {
    match serde_json::from_slice::<RawProblem>(body) {
        Ok(raw) if raw.r#type.is_some() || raw.title.is_some() || raw.status.is_some() => {
            ClientError::Problem {
                status,
                problem: Problem {
                    r#type: raw.r#type.unwrap_or_else(|| "about:blank".to_owned()),
                    title: raw.title.unwrap_or_default(),
                    status: raw.status.unwrap_or(status),
                    detail: raw.detail.unwrap_or_default(),
                    errors: raw.errors,
                },
            }
        }
        _ => ClientError::UnexpectedStatus {
            status,
            body: truncated_text(body, 1024),
        },
    }
}

fn truncated_text(body: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(body);
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_problem_body_is_decoded() {
        let body = br#"{"type":"https://poll-api/problems/validation","title":"Invalid request",
            "status":422,"detail":"question_text is empty",
            "errors":[{"field":"question_text","message":"must not be empty"}]}"#;
        let error = error_from_body(422, body);
        let problem = error.problem().expect("a problem");
        assert_eq!(problem.status, 422);
        assert_eq!(problem.errors[0].field, "question_text");
        assert!(error.is_validation());
        assert!(
            error
                .to_string()
                .contains("Invalid request: question_text is empty")
        );
    }

    #[test]
    fn missing_members_get_defaults() {
        let error = error_from_body(404, br#"{"title":"Not Found"}"#);
        let problem = error.problem().expect("a problem");
        assert_eq!(problem.r#type, "about:blank");
        assert_eq!(problem.status, 404);
        assert!(problem.errors.is_empty());
        assert!(error.is_not_found());
    }

    #[test]
    fn a_body_that_is_no_problem_is_kept_as_text() {
        let error = error_from_body(502, b"<html>Bad gateway</html>");
        assert!(matches!(
            &error,
            ClientError::UnexpectedStatus { status: 502, body } if body.contains("Bad gateway")
        ));
        assert_eq!(error.status(), Some(502));
        assert!(!error.is_transient());
    }

    #[test]
    fn a_json_body_without_problem_members_is_no_problem() {
        let error = error_from_body(503, br#"{"status_text":"unready"}"#);
        assert!(matches!(
            error,
            ClientError::UnexpectedStatus { status: 503, .. }
        ));
        assert!(error.is_transient());
    }

    #[test]
    fn long_bodies_are_cut_on_a_char_boundary() {
        let body = "é".repeat(2000);
        let text = truncated_text(body.as_bytes(), 1024);
        assert_eq!(text.chars().count(), 1025);
        assert!(text.ends_with('…'));
    }
}
