//! Questions on the wire.

use poll_domain::{
    ChoiceList, ChoiceText, NewQuestion, PatchError, Question, QuestionDetail, QuestionPatch,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::choice::ChoiceResponse;
use super::fields::{self, FieldReader};
use super::timestamp;
use crate::body::RawFields;
use crate::problem::ApiError;

/// `POST /polls/questions/` as JSON.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateQuestionRequest {
    /// Trimmed, then 1 to 200 characters without control characters.
    #[schema(min_length = 1, max_length = 200, example = "What's up?")]
    pub question_text: String,
    /// A calendar date, `YYYY-MM-DD`.
    #[schema(format = Date, example = "2019-10-20")]
    pub pub_date: String,
    /// At most 20 distinct choice texts (each like `choice_text`); `null` is the same as absent.
    #[schema(max_items = 20, example = json!(["Not much", "The sky"]))]
    pub choices: Option<Vec<String>>,
}

impl CreateQuestionRequest {
    const FIELDS: &[&str] = &["question_text", "pub_date", "choices"];

    /// Validates a JSON body, listing every invalid field.
    pub fn try_into_domain(raw: RawFields) -> Result<NewQuestion, ApiError> {
        new_question(FieldReader::new(raw, Self::FIELDS))
    }
}

/// `POST /polls/questions/` as `application/x-www-form-urlencoded` (the first consumers' form).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateQuestionForm {
    #[schema(min_length = 1, max_length = 200, example = "What's up?")]
    pub question_text: String,
    #[schema(format = Date, example = "2019-10-20")]
    pub pub_date: String,
}

impl CreateQuestionForm {
    const FIELDS: &[&str] = &["question_text", "pub_date"];

    /// Validates a form body, listing every invalid field.
    pub fn try_into_domain(raw: RawFields) -> Result<NewQuestion, ApiError> {
        new_question(FieldReader::new(raw, Self::FIELDS))
    }
}

fn new_question(mut reader: FieldReader) -> Result<NewQuestion, ApiError> {
    let text = reader.required("question_text", fields::question_text);
    let pub_date = reader.required("pub_date", fields::pub_date);
    let choices = match reader.optional("choices", choice_texts) {
        None => Some(ChoiceList::default()),
        Some(Ok(texts)) => ChoiceList::new(texts)
            .map_err(|error| reader.report("choices", error))
            .ok(),
        Some(Err(messages)) => {
            for message in messages {
                reader.report("choices", message);
            }
            None
        }
    };
    match (text, pub_date, choices) {
        (Some(text), Some(pub_date), Some(choices)) if reader.is_valid() => Ok(NewQuestion {
            text,
            pub_date,
            choices,
        }),
        _ => Err(reader.into_error()),
    }
}

/// The choice texts of a create; every bad element is reported (with its index).
fn choice_texts(value: Value) -> Result<Result<Vec<ChoiceText>, Vec<String>>, String> {
    let Value::Array(items) = value else {
        return Err("must be an array of strings".to_owned());
    };
    let mut texts = Vec::with_capacity(items.len());
    let mut messages = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        match fields::choice_text(item) {
            Ok(text) => texts.push(text),
            Err(message) => messages.push(format!("choice {index}: {message}")),
        }
    }
    Ok(if messages.is_empty() {
        Ok(texts)
    } else {
        Err(messages)
    })
}

/// `PATCH /polls/questions/{id}/`: at least one field.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateQuestionRequest {
    /// Like on create; `null` is refused (a text cannot be cleared).
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 200,
        example = "What's new?"
    )]
    pub question_text: Option<String>,
    /// Like on create; `null` is refused.
    #[schema(nullable = false, format = Date, example = "2020-01-01")]
    pub pub_date: Option<String>,
}

impl UpdateQuestionRequest {
    const FIELDS: &[&str] = &["question_text", "pub_date"];

    /// Validates a JSON body, listing every invalid field (`body` when it changes nothing).
    pub fn try_into_domain(raw: RawFields) -> Result<QuestionPatch, ApiError> {
        let mut reader = FieldReader::new(raw, Self::FIELDS);
        if !Self::FIELDS.iter().any(|name| reader.has(name)) {
            reader.report("body", PatchError::Empty);
        }
        let text = reader.optional_not_null("question_text", fields::question_text);
        let pub_date = reader.optional_not_null("pub_date", fields::pub_date);
        if !reader.is_valid() {
            return Err(reader.into_error());
        }
        QuestionPatch::new(text, pub_date).map_err(|error| ApiError::invalid_field("body", error))
    }
}

/// A question in a list (without its choices).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuestionSummary {
    #[schema(example = 7, minimum = 1)]
    pub id: i64,
    #[schema(example = "What's up?")]
    pub question_text: String,
    #[schema(format = Date, example = "2019-10-20")]
    pub pub_date: String,
    /// RFC 3339, UTC.
    #[schema(format = DateTime, example = "2026-11-30T10:00:00Z")]
    pub created_at: String,
}

impl From<&Question> for QuestionSummary {
    fn from(question: &Question) -> Self {
        Self {
            id: question.id.get(),
            question_text: question.text.as_str().to_owned(),
            pub_date: question.pub_date.to_string(),
            created_at: timestamp(question.created_at),
        }
    }
}

/// A question with its choices, by choice id.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuestionResponse {
    #[schema(example = 7, minimum = 1)]
    pub id: i64,
    #[schema(example = "What's up?")]
    pub question_text: String,
    #[schema(format = Date, example = "2019-10-20")]
    pub pub_date: String,
    #[schema(format = DateTime, example = "2026-11-30T10:00:00Z")]
    pub created_at: String,
    pub choices: Vec<ChoiceResponse>,
}

impl From<QuestionDetail> for QuestionResponse {
    fn from(detail: QuestionDetail) -> Self {
        let QuestionSummary {
            id,
            question_text,
            pub_date,
            created_at,
        } = QuestionSummary::from(&detail.question);
        Self {
            id,
            question_text,
            pub_date,
            created_at,
            choices: detail
                .choices
                .into_iter()
                .map(ChoiceResponse::from)
                .collect(),
        }
    }
}
