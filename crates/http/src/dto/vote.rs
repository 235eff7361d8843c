//! Votes on the wire.

use poll_domain::{ChoiceId, QuestionId, Vote, VoteReceipt};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::fields::{self, FieldReader};
use crate::body::RawFields;
use crate::problem::ApiError;

/// `POST /polls/questions/{id}/votes/`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CastVoteRequest {
    /// One of the question's choices.
    #[schema(example = 3, minimum = 1)]
    pub choice_id: i64,
    /// Who votes: 1 to 128 visible ASCII characters; a voter votes at most once per question.
    /// `null` is the same as absent.
    #[schema(
        min_length = 1,
        max_length = 128,
        pattern = "^[\\x21-\\x7E]+$",
        example = "user-42"
    )]
    pub voter_id: Option<String>,
}

impl CastVoteRequest {
    const FIELDS: &[&str] = &["choice_id", "voter_id"];

    /// Validates a JSON body for the question in the path, listing every invalid field.
    pub fn try_into_domain(raw: RawFields, question_id: QuestionId) -> Result<Vote, ApiError> {
        let mut reader = FieldReader::new(raw, Self::FIELDS);
        let choice_id = reader.required("choice_id", |value| {
            fields::positive_id(&value)
                .and_then(|id| ChoiceId::new(id).map_err(|error| error.to_string()))
        });
        let voter_id = reader.optional("voter_id", fields::voter_id);
        match choice_id {
            Some(choice_id) if reader.is_valid() => Ok(Vote {
                question_id,
                choice_id,
                voter_id,
            }),
            _ => Err(reader.into_error()),
        }
    }
}

/// A counted vote.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VoteResponse {
    #[schema(example = 7, minimum = 1)]
    pub question_id: i64,
    #[schema(example = 3, minimum = 1)]
    pub choice_id: i64,
    /// Present only when the vote named its voter.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "user-42")]
    pub voter_id: Option<String>,
}

impl From<VoteReceipt> for VoteResponse {
    fn from(receipt: VoteReceipt) -> Self {
        Self {
            question_id: receipt.question_id.get(),
            choice_id: receipt.choice_id.get(),
            voter_id: receipt.voter_id.map(|v| v.as_str().to_owned()),
        }
    }
}
