//! Poll results on the wire.

use poll_domain::{ChoiceTally, Results};
use serde::Serialize;
use utoipa::ToSchema;

/// One line of the results.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChoiceResult {
    #[schema(example = 3, minimum = 1)]
    pub id: i64,
    #[schema(example = "Not much")]
    pub choice_text: String,
    #[schema(example = 5, minimum = 0)]
    pub votes: i64,
}

impl From<ChoiceTally> for ChoiceResult {
    fn from(tally: ChoiceTally) -> Self {
        Self {
            id: tally.id.get(),
            choice_text: tally.text.into_string(),
            votes: tally.votes,
        }
    }
}

/// A poll's results: choices by votes descending, then by id.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResultsResponse {
    #[schema(example = 7, minimum = 1)]
    pub question_id: i64,
    #[schema(example = "What's up?")]
    pub question_text: String,
    #[schema(example = 5, minimum = 0)]
    pub total_votes: i64,
    pub choices: Vec<ChoiceResult>,
}

impl From<Results> for ResultsResponse {
    fn from(results: Results) -> Self {
        Self {
            question_id: results.question_id.get(),
            question_text: results.question_text.into_string(),
            total_votes: results.total_votes,
            choices: results
                .choices
                .into_iter()
                .map(ChoiceResult::from)
                .collect(),
        }
    }
}
