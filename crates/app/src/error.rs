use poll_ports::StoreError;
use thiserror::Error;

/// What a use case can answer besides success.
///
/// The first variants are the consumer's to fix or to know about; `Unavailable` is a passing
/// failure of a dependency; `Internal` is a bug or a broken invariant, whose details belong in
/// the log only.
#[derive(Debug, Error)]
pub enum AppError {
    #[error("no question with this id")]
    QuestionNotFound,
    #[error("no choice with this id on this question")]
    ChoiceNotFound,
    #[error("the choice is not one of the question's choices")]
    ChoiceNotOfQuestion,
    #[error("the question already has a choice with this text")]
    DuplicateChoice,
    #[error("the question already has the maximum number of choices")]
    TooManyChoices,
    #[error("this voter already voted on this question")]
    DuplicateVoter,
    #[error("the idempotency key was already used with a different request")]
    IdempotencyConflict,
    #[error("a request with this idempotency key is still being processed")]
    IdempotencyInFlight,
    #[error("the database is unavailable")]
    Unavailable(#[source] StoreError),
    #[error("internal error")]
    Internal(#[source] StoreError),
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::QuestionNotFound => Self::QuestionNotFound,
            StoreError::ChoiceNotFound => Self::ChoiceNotFound,
            StoreError::ChoiceNotOfQuestion => Self::ChoiceNotOfQuestion,
            StoreError::DuplicateChoice => Self::DuplicateChoice,
            StoreError::TooManyChoices => Self::TooManyChoices,
            StoreError::DuplicateVoter => Self::DuplicateVoter,
            StoreError::IdempotencyConflict => Self::IdempotencyConflict,
            StoreError::IdempotencyInFlight => Self::IdempotencyInFlight,
            StoreError::Unavailable(_) => Self::Unavailable(error),
            StoreError::Unexpected(_) => Self::Internal(error),
        }
    }
}
