//! Request handlers, one module per resource. Each reads and validates its input, calls one
//! use case and shapes the answer; every failure is an [`ApiError`](crate::problem::ApiError).

pub mod choices;
pub mod ops;
pub mod questions;
pub mod results;
pub mod votes;

use poll_domain::{ChoiceId, QuestionId};

/// The canonical path of a question (with its trailing slash).
pub(crate) fn question_path(id: QuestionId) -> String {
    format!("/polls/questions/{id}/")
}

/// The canonical path of a choice (with its trailing slash).
pub(crate) fn choice_path(question: QuestionId, choice: ChoiceId) -> String {
    format!("/polls/questions/{question}/choices/{choice}/")
}
