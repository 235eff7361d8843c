use std::time::Duration;

use async_trait::async_trait;
use poll_domain::{
    Choice, ChoiceId, ChoiceText, IdempotencyKey, NewQuestion, Question, QuestionDetail,
    QuestionId, QuestionPatch, Timestamp, Vote, VoteOutcome,
};
use thiserror::Error;

/// What a store can answer besides success.
///
/// Each method's documentation lists the variants it MUST use for the situations it names;
/// anything else is `Unavailable` (the database cannot be reached in time: the caller may retry
/// later) or `Unexpected` (a bug or a broken invariant; never shown to API consumers).
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("question not found")]
    QuestionNotFound,
    #[error("choice not found")]
    ChoiceNotFound,
    #[error("the choice is not one of the question's")]
    ChoiceNotOfQuestion,
    #[error("the question already has this choice")]
    DuplicateChoice,
    #[error("the question already has the maximum number of choices")]
    TooManyChoices,
    #[error("this voter already voted on this question")]
    DuplicateVoter,
    #[error("the idempotency key was used with a different request")]
    IdempotencyConflict,
    #[error("the first request with this idempotency key is still in flight")]
    IdempotencyInFlight,
    #[error("the store is unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("unexpected store failure")]
    Unexpected(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// A vote to count, with what makes it idempotent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoteRequest {
    pub vote: Vote,
    /// The client's key: a second request with the same key (and question) is answered from the
    /// first one's receipt for `idempotency_ttl`, and counts nothing.
    pub idempotency_key: Option<IdempotencyKey>,
    pub idempotency_ttl: Duration,
    pub now: Timestamp,
}

/// The system of record for questions, choices, votes and idempotency keys.
///
/// When a method returns `Ok`, its change is durable (committed): it survives a crash of the
/// process or the host. When it returns `Err`, nothing of the change is stored. Reads reflect
/// every write that returned `Ok` before the read began.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait PollStore: Send + Sync {
    /// Stores a question and its choices atomically and returns it as stored: ids assigned
    /// (choices' ids in the order given), `created_at` as given, zero votes.
    async fn create_question(
        &self,
        new: &NewQuestion,
        created_at: Timestamp,
    ) -> Result<QuestionDetail, StoreError>;

    /// Questions with an id greater than `after`, by id ascending, at most `limit` of them.
    async fn list_questions(
        &self,
        after: Option<QuestionId>,
        limit: u32,
    ) -> Result<Vec<Question>, StoreError>;

    /// The question with its choices by id.
    ///
    /// # Errors
    /// `QuestionNotFound` when there is no such question.
    async fn get_question(&self, id: QuestionId) -> Result<QuestionDetail, StoreError>;

    /// The question's current `version` (see [`QuestionDetail::version`]): a cheap probe that lets
    /// a cache tell whether its copy is current.
    ///
    /// # Errors
    /// `QuestionNotFound` when there is no such question.
    async fn question_version(&self, id: QuestionId) -> Result<i64, StoreError>;

    /// Applies the fields the patch sets, bumps the version and returns the question with its
    /// choices.
    ///
    /// # Errors
    /// `QuestionNotFound` when there is no such question.
    async fn update_question(
        &self,
        id: QuestionId,
        patch: &QuestionPatch,
    ) -> Result<QuestionDetail, StoreError>;

    /// Deletes the question with its choices, votes and idempotency keys.
    ///
    /// # Errors
    /// `QuestionNotFound` when there is no such question.
    async fn delete_question(&self, id: QuestionId) -> Result<(), StoreError>;

    /// Adds a choice with zero votes and bumps the question's version.
    ///
    /// # Errors
    /// `QuestionNotFound`; `DuplicateChoice` when the question has a choice with the same text;
    /// `TooManyChoices` when it already has [`poll_domain::MAX_CHOICES`]. Both checks hold under
    /// concurrent calls.
    async fn add_choice(
        &self,
        question: QuestionId,
        text: &ChoiceText,
    ) -> Result<Choice, StoreError>;

    /// One choice of one question.
    ///
    /// # Errors
    /// `QuestionNotFound` when the question does not exist; `ChoiceNotFound` when the choice
    /// does not exist or belongs to another question.
    async fn get_choice(
        &self,
        question: QuestionId,
        choice: ChoiceId,
    ) -> Result<Choice, StoreError>;

    /// Counts a vote exactly once, atomically with its idempotency key and voter record.
    ///
    /// With a key seen (for this question, within the TTL) on an identical vote, answers that
    /// vote's receipt with `replayed: true` and counts nothing.
    ///
    /// # Errors
    /// `QuestionNotFound`; `ChoiceNotOfQuestion` when the choice is not one of this question's
    /// (whether or not it exists elsewhere); `DuplicateVoter` when `voter_id` already voted on this
    /// question; `IdempotencyConflict` when the key was used with a different choice or voter;
    /// `IdempotencyInFlight` when another request with the same key is being counted right now.
    /// On any error nothing is counted and the key is not remembered.
    async fn cast_vote(&self, request: &VoteRequest) -> Result<VoteOutcome, StoreError>;

    /// Forgets idempotency keys first used before `cutoff`; returns how many were removed.
    async fn purge_idempotency_keys(&self, cutoff: Timestamp) -> Result<u64, StoreError>;

    /// Checks that the store answers (for readiness probes).
    ///
    /// # Errors
    /// `Unavailable` when it does not.
    async fn ping(&self) -> Result<(), StoreError>;
}
