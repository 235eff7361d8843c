//! The one place where failures become HTTP answers: a status, its headers and an
//! `application/problem+json` body (RFC 9457).
//!
//! Client errors say what to fix; server errors (5xx) have an opaque body while the full
//! cause chain goes to the log.

mod chain;
mod types;

use std::error::Error as StdError;
use std::fmt;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use poll_app::AppError;

use chain::ErrorChain;
pub use chain::error_chain;
pub use types::{FieldError, Problem};

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Seconds a client should wait before retrying a 503 or an in-flight idempotency key.
const RETRY_AFTER_SECONDS: &str = "1";

/// Every way a request can fail, as the HTTP layer sees it.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    App(#[from] AppError),
    #[error("the request has {} invalid field(s)", .0.len())]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("no resource at this path")]
    RouteNotFound,
    #[error("this path does not take this method; it takes {allow}")]
    MethodNotAllowed { allow: String },
    #[error("a valid bearer token is required")]
    Unauthorized,
    #[error("internal error")]
    Internal(#[source] Box<dyn StdError + Send + Sync>),
}

impl ApiError {
    /// A 422 with a single invalid field.
    pub fn invalid_field(field: impl Into<String>, message: impl fmt::Display) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }

    /// The problem's type slug, title and detail.
    fn describe(&self) -> (&'static str, &'static str, String) {
        match self {
            Self::App(error) => describe_app(error),
            Self::Invalid(errors) => {
                let detail = match errors.len() {
                    1 => "The request has 1 invalid field.".to_owned(),
                    n => format!("The request has {n} invalid fields."),
                };
                ("validation", "Invalid request", detail)
            }
            Self::BadRequest(detail) => ("malformed-request", "Malformed request", detail.clone()),
            Self::UnsupportedMediaType(detail) => (
                "unsupported-media-type",
                "Unsupported media type",
                detail.clone(),
            ),
            Self::PayloadTooLarge { .. } => {
                ("payload-too-large", "Payload too large", self.to_string())
            }
            Self::RouteNotFound => (
                "not-found",
                "Not found",
                "No resource at this path.".to_owned(),
            ),
            Self::MethodNotAllowed { allow } => (
                "method-not-allowed",
                "Method not allowed",
                format!("This path takes {allow}."),
            ),
            Self::Unauthorized => (
                "unauthorized",
                "Unauthorized",
                "A valid `Authorization: Bearer <token>` header is required.".to_owned(),
            ),
            Self::Internal(_) => internal(),
        }
    }

    fn field_errors(&self) -> Option<Vec<FieldError>> {
        match self {
            Self::Invalid(errors) => Some(errors.clone()),
            Self::App(AppError::ChoiceNotOfQuestion) => Some(vec![FieldError::new(
                "choice_id",
                "is not a choice of this question",
            )]),
            _ => None,
        }
    }

    /// The problem+json body of this error.
    pub fn problem(&self) -> Problem {
        let (slug, title, detail) = self.describe();
        Problem {
            problem_type: format!("https://poll-api.internal/problems/{slug}"),
            title: title.to_owned(),
            status: self.status_code().as_u16(),
            detail,
            errors: self.field_errors(),
        }
    }

    fn log(&self, status: StatusCode) {
        if status.is_server_error() {
            self.log_failure(status);
        } else {
            self.log_refusal(status);
        }
    }

    fn log_failure(&self, status: StatusCode) {
        tracing::error!(error.chain = %ErrorChain(self), status = status.as_u16(), "request failed");
    }

    /// At debug: the access log already has one line per request, with its status.
    fn log_refusal(&self, status: StatusCode) {
        tracing::debug!(error = %self, status = status.as_u16(), "request refused");
    }
}

fn internal() -> (&'static str, &'static str, String) {
    (
        "internal",
        "Internal server error",
        "The server could not answer the request.".to_owned(),
    )
}

fn describe_app(error: &AppError) -> (&'static str, &'static str, String) {
    let detail = || format!("{}.", capitalize(&error.to_string()));
    match error {
        AppError::QuestionNotFound | AppError::ChoiceNotFound => {
            ("not-found", "Not found", detail())
        }
        AppError::ChoiceNotOfQuestion => ("validation", "Invalid request", detail()),
        AppError::DuplicateChoice => ("duplicate-choice", "Conflict", detail()),
        AppError::TooManyChoices => ("too-many-choices", "Conflict", detail()),
        AppError::DuplicateVoter => ("duplicate-voter", "Conflict", detail()),
        AppError::IdempotencyConflict => ("idempotency-key-reused", "Conflict", detail()),
        AppError::IdempotencyInFlight => ("idempotency-key-in-flight", "Conflict", detail()),
        AppError::Unavailable(_) => (
            "service-unavailable",
            "Service unavailable",
            "The service cannot reach its database right now; retry later.".to_owned(),
        ),
        AppError::Internal(_) => internal(),
    }
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::App(error) => match error {
                AppError::QuestionNotFound | AppError::ChoiceNotFound => StatusCode::NOT_FOUND,
                AppError::ChoiceNotOfQuestion => StatusCode::UNPROCESSABLE_ENTITY,
                AppError::DuplicateChoice
                | AppError::TooManyChoices
                | AppError::DuplicateVoter
                | AppError::IdempotencyConflict
                | AppError::IdempotencyInFlight => StatusCode::CONFLICT,
                AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
                AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RouteNotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        self.log(status);
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        match self {
            Self::MethodNotAllowed { allow } => {
                response.insert_header((header::ALLOW, allow.as_str()));
            }
            Self::Unauthorized => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            Self::App(AppError::Unavailable(_) | AppError::IdempotencyInFlight) => {
                response.insert_header((header::RETRY_AFTER, RETRY_AFTER_SECONDS));
            }
            _ => {}
        }
        // Serializing plain strings and integers cannot fail; an empty body would still carry
        // the status and content type.
        response.body(serde_json::to_vec(&self.problem()).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use poll_ports::StoreError;

    use super::*;

    #[test]
    fn server_errors_have_an_opaque_body() {
        let cause = std::io::Error::other("password=hunter2 at db:5432; SELECT * FROM secret");
        let error = ApiError::App(AppError::Internal(StoreError::Unexpected(Box::new(cause))));
        let body = serde_json::to_string(&error.problem()).expect("serializable");
        assert!(!body.contains("hunter2"), "{body}");
        assert!(!body.contains("SELECT"), "{body}");
        assert_eq!(error.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(
            error_chain(&error).contains("hunter2"),
            "the log keeps the cause"
        );
    }

    #[test]
    fn a_choice_of_another_question_names_the_field() {
        let problem = ApiError::App(AppError::ChoiceNotOfQuestion).problem();
        assert_eq!(problem.status, 422);
        let fields: Vec<_> = problem
            .errors
            .into_iter()
            .flatten()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["choice_id"]);
    }

    #[test]
    fn unavailable_asks_to_retry_later() {
        let error = ApiError::App(AppError::Unavailable(StoreError::Unavailable(
            "down".into(),
        )));
        let response = error.error_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            response
                .headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok()),
            Some("1")
        );
    }
}
