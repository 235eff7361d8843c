//! The client's own request and response types, in the wire form of poll API v1.
//!
//! Responses ignore members they do not know, so the service may add fields without breaking
//! consumers. Dates stay text: `pub_date` is `YYYY-MM-DD`, `created_at` RFC 3339 in UTC.

use serde::{Deserialize, Serialize};

/// A question id: a positive signed 64-bit integer.
pub type QuestionId = i64;
/// A choice id: a positive signed 64-bit integer.
pub type ChoiceId = i64;

/// A question as listed (without its choices).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub id: QuestionId,
    pub question_text: String,
    /// `YYYY-MM-DD`.
    pub pub_date: String,
    /// RFC 3339, UTC.
    pub created_at: String,
}

/// A question with its choices, by choice id (detail, create, update).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionDetail {
    pub id: QuestionId,
    pub question_text: String,
    /// `YYYY-MM-DD`.
    pub pub_date: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub choices: Vec<Choice>,
}

impl QuestionDetail {
    /// The question without its choices.
    pub fn question(&self) -> Question {
        Question {
            id: self.id,
            question_text: self.question_text.clone(),
            pub_date: self.pub_date.clone(),
            created_at: self.created_at.clone(),
        }
    }
}

/// A choice with the votes it collected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub id: ChoiceId,
    pub question_id: QuestionId,
    pub choice_text: String,
    pub votes: i64,
}

/// The body of `POST /polls/questions/`.
///
/// ```
/// use poll_client::NewQuestion;
///
/// let new = NewQuestion::new("What's up?", "2026-11-30").with_choices(["Not much", "The sky"]);
/// assert_eq!(new.choices.as_ref().map(Vec::len), Some(2));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewQuestion {
    /// 1 to 200 characters after trimming.
    pub question_text: String,
    /// `YYYY-MM-DD`, a real calendar date.
    pub pub_date: String,
    /// At most 20, no two the same; `None` sends no `choices` member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choices: Option<Vec<String>>,
}

impl NewQuestion {
    /// A question without choices.
    pub fn new(question_text: impl Into<String>, pub_date: impl Into<String>) -> Self {
        Self {
            question_text: question_text.into(),
            pub_date: pub_date.into(),
            choices: None,
        }
    }

    /// The same question with these choices.
    #[must_use]
    pub fn with_choices<I, S>(mut self, choices: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.choices = Some(choices.into_iter().map(Into::into).collect());
        self
    }
}

/// The body of `PATCH /polls/questions/{id}/`: at least one field must be set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question_text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pub_date: Option<String>,
}

/// The body of `POST /polls/questions/{id}/choices/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct NewChoice<'a> {
    pub(crate) choice_text: &'a str,
}

/// The body of `POST /polls/questions/{id}/votes/`.
///
/// ```
/// use poll_client::NewVote;
///
/// let anonymous = NewVote::new(2);
/// let named = NewVote::new(2).voter("voter-42");
/// assert_eq!(named.voter_id.as_deref(), Some("voter-42"));
/// # let _ = anonymous;
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewVote {
    pub choice_id: ChoiceId,
    /// 1 to 128 visible characters; a voter votes at most once per question.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voter_id: Option<String>,
}

impl NewVote {
    /// An anonymous vote for a choice.
    pub fn new(choice_id: ChoiceId) -> Self {
        Self {
            choice_id,
            voter_id: None,
        }
    }

    /// The same vote, cast by a named voter.
    #[must_use]
    pub fn voter(mut self, voter_id: impl Into<String>) -> Self {
        self.voter_id = Some(voter_id.into());
        self
    }
}

/// A counted vote, as the service acknowledged it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vote {
    pub question_id: QuestionId,
    pub choice_id: ChoiceId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voter_id: Option<String>,
}

/// The answer to a vote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoteReceipt {
    pub vote: Vote,
    /// `true` when the service answered from an earlier request with the same
    /// `Idempotency-Key` (`Idempotent-Replayed: true`): this answer counted nothing.
    pub replayed: bool,
}

/// `GET /polls/questions/{id}/results/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Results {
    pub question_id: QuestionId,
    pub question_text: String,
    pub total_votes: i64,
    /// By votes descending, then id.
    pub choices: Vec<ChoiceResult>,
}

/// One line of [`Results`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChoiceResult {
    pub id: ChoiceId,
    pub choice_text: String,
    pub votes: i64,
}

/// `GET /health/live`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Liveness {
    /// `ok`.
    pub status: String,
}

/// `GET /health/ready`, on a 200 and on a 503 alike.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Readiness {
    /// `ready`, `degraded` (works without its cache) or `unready`.
    pub status: String,
    pub checks: ReadinessChecks,
}

impl Readiness {
    /// `true` when the service takes traffic (`ready` or `degraded`).
    pub fn is_serving(&self) -> bool {
        matches!(self.status.as_str(), "ready" | "degraded")
    }
}

/// The dependencies' states in [`Readiness`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadinessChecks {
    /// `up` or `down`.
    pub postgres: String,
    /// `up`, `down` or `disabled`.
    pub redis: String,
}

/// `GET /version`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionInfo {
    pub version: String,
    pub commit: String,
    pub branch: String,
    pub environment: String,
}

/// Which page of `GET /polls/questions/` to read.
///
/// ```
/// use poll_client::ListQuestions;
///
/// let first = ListQuestions::default().limit(50);
/// let later = ListQuestions::default().limit(50).after_id(120);
/// # let _ = (first, later);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListQuestions {
    /// 1 to 1000; the service's default (100) when `None`.
    pub limit: Option<u32>,
    /// Only questions with a greater id.
    pub after_id: Option<QuestionId>,
}

impl ListQuestions {
    #[must_use]
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    #[must_use]
    pub fn after_id(mut self, after_id: QuestionId) -> Self {
        self.after_id = Some(after_id);
        self
    }
}

/// One page of a list, and where the next one is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The `Link: <...>; rel="next"` target, resolved against the request's URL; `None` on the
    /// last page.
    pub next: Option<reqwest::Url>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn optional_members_are_left_out() {
        let body = serde_json::to_value(NewQuestion::new("Q?", "2026-01-02")).unwrap_or_default();
        assert_eq!(
            body,
            json!({"question_text": "Q?", "pub_date": "2026-01-02"})
        );
        let vote = serde_json::to_value(NewVote::new(3)).unwrap_or_default();
        assert_eq!(vote, json!({"choice_id": 3}));
        let patch = serde_json::to_value(QuestionPatch {
            pub_date: Some("2026-01-03".into()),
            ..QuestionPatch::default()
        })
        .unwrap_or_default();
        assert_eq!(patch, json!({"pub_date": "2026-01-03"}));
    }

    #[test]
    fn unknown_response_members_are_ignored() {
        let choice: Choice = serde_json::from_value(json!({
            "id": 3, "question_id": 7, "choice_text": "Not much", "votes": 0, "colour": "red"
        }))
        .expect("a choice");
        assert_eq!(choice.id, 3);
    }
}
