use thiserror::Error;

/// Why a text (question or choice) was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TextError {
    #[error("must not be empty or only white space")]
    Empty,
    #[error("must be at most {max} characters, got {actual}")]
    TooLong { max: usize, actual: usize },
    #[error("must not contain control characters")]
    ControlCharacter,
}

/// Why an id was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdError {
    #[error("must be a positive integer between 1 and 9223372036854775807")]
    OutOfRange,
    #[error("must be a decimal integer")]
    NotAnInteger,
}

/// Why a calendar date was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DateError {
    #[error("must be a date formatted YYYY-MM-DD")]
    Format,
    #[error("must be a real calendar date between 0001-01-01 and 9999-12-31")]
    NotACalendarDate,
}

/// Why a token of visible characters (voter id, idempotency key) was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TokenError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {max} characters")]
    TooLong { max: usize },
    #[error("must contain only visible ASCII characters (0x21 to 0x7E)")]
    InvalidCharacter,
}

/// Why the list of choices of a new question was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ChoiceListError {
    #[error("a question has at most {max} choices")]
    TooMany { max: usize },
    #[error("duplicate choice {0:?}")]
    Duplicate(String),
}

/// Why a question patch was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PatchError {
    #[error("a patch must change at least one of question_text, pub_date")]
    Empty,
}

/// Any rule of the domain that a value broke.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    #[error(transparent)]
    Text(#[from] TextError),
    #[error(transparent)]
    Id(#[from] IdError),
    #[error(transparent)]
    Date(#[from] DateError),
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error(transparent)]
    ChoiceList(#[from] ChoiceListError),
    #[error(transparent)]
    Patch(#[from] PatchError),
}
