//! Choices on the wire.

use poll_domain::{Choice, ChoiceText};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::fields::{self, FieldReader};
use crate::body::RawFields;
use crate::problem::ApiError;

/// `POST /polls/questions/{id}/choices/`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateChoiceRequest {
    /// Trimmed, then 1 to 200 characters without control characters; unique within the question.
    #[schema(min_length = 1, max_length = 200, example = "Not much")]
    pub choice_text: String,
}

impl CreateChoiceRequest {
    const FIELDS: &[&str] = &["choice_text"];

    /// Validates a JSON body, listing every invalid field.
    pub fn try_into_domain(raw: RawFields) -> Result<ChoiceText, ApiError> {
        let mut reader = FieldReader::new(raw, Self::FIELDS);
        match reader.required("choice_text", fields::choice_text) {
            Some(text) if reader.is_valid() => Ok(text),
            _ => Err(reader.into_error()),
        }
    }
}

/// A choice with the votes it collected.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChoiceResponse {
    #[schema(example = 3, minimum = 1)]
    pub id: i64,
    #[schema(example = 7, minimum = 1)]
    pub question_id: i64,
    #[schema(example = "Not much")]
    pub choice_text: String,
    #[schema(example = 0, minimum = 0)]
    pub votes: i64,
}

impl From<Choice> for ChoiceResponse {
    fn from(choice: Choice) -> Self {
        Self {
            id: choice.id.get(),
            question_id: choice.question_id.get(),
            choice_text: choice.text.into_string(),
            votes: choice.votes,
        }
    }
}
