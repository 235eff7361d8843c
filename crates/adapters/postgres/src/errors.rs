use std::error::Error as StdError;

use deadpool_postgres::PoolError;
use poll_ports::StoreError;
use thiserror::Error;
use tokio_postgres::error::SqlState;

/// Why the store or the environment administration could not be set up.
#[derive(Debug, Error)]
pub enum PostgresError {
    /// The URL does not parse (the message never repeats the URL).
    #[error("the database URL is not valid")]
    InvalidUrl(#[source] tokio_postgres::Error),
    #[error("invalid PostgreSQL settings: {0}")]
    InvalidSettings(&'static str),
    #[error("TLS set-up failed: {0}")]
    Tls(String),
    #[error("could not build the connection pool")]
    Pool(#[source] deadpool_postgres::BuildError),
    /// PostgreSQL could not be reached in time; retrying later may work.
    #[error("PostgreSQL is unavailable")]
    Unavailable(#[source] Box<dyn StdError + Send + Sync>),
    #[error("migration {version} ({name}) failed")]
    Migration {
        version: i32,
        name: &'static str,
        #[source]
        source: tokio_postgres::Error,
    },
    /// An applied migration's text differs from the one in this binary.
    #[error("migration {version} ({name}) was changed after it had been applied")]
    ChangedMigration { version: i32, name: &'static str },
    #[error("the database refused the operation")]
    Database(#[source] tokio_postgres::Error),
}

impl PostgresError {
    pub(crate) fn from_db(error: tokio_postgres::Error) -> Self {
        if is_transient(&error) {
            Self::Unavailable(Box::new(error))
        } else {
            Self::Database(error)
        }
    }
}

impl From<StoreError> for PostgresError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(source) => Self::Unavailable(source),
            other => Self::Unavailable(Box::new(other)),
        }
    }
}

/// A pool error as the port's error: every way of not getting a connection is `Unavailable`.
pub(crate) fn from_pool(error: PoolError) -> StoreError {
    match error {
        PoolError::NoRuntimeSpecified => StoreError::Unexpected(Box::new(error)),
        other => StoreError::Unavailable(Box::new(other)),
    }
}

/// A driver error as the port's error, translating the schema's named constraints.
pub(crate) fn from_db(error: tokio_postgres::Error) -> StoreError {
    if let Some(db) = error.as_db_error() {
        let code = db.code();
        let violation =
            *code == SqlState::UNIQUE_VIOLATION || *code == SqlState::FOREIGN_KEY_VIOLATION;
        if let Some(mapped) = db
            .constraint()
            .and_then(by_constraint)
            .filter(|_| violation)
        {
            return mapped;
        }
    }
    if is_transient(&error) {
        StoreError::Unavailable(Box::new(error))
    } else {
        StoreError::Unexpected(Box::new(error))
    }
}

/// The port's variant for a violation of one of the schema's named constraints.
fn by_constraint(name: &str) -> Option<StoreError> {
    match name {
        "choices_question_text_unique" => Some(StoreError::DuplicateChoice),
        "voters_question_voter_unique" => Some(StoreError::DuplicateVoter),
        // Only reachable when two requests with one key race past the advisory lock.
        "idempotency_keys_pkey" => Some(StoreError::IdempotencyInFlight),
        // The question was deleted while the statement ran.
        "choices_question_fk" | "voters_question_fk" | "idempotency_keys_question_fk" => {
            Some(StoreError::QuestionNotFound)
        }
        _ => None,
    }
}

/// Errors that say "not now" rather than "never": the connection, the server's state, a timeout.
fn is_transient(error: &tokio_postgres::Error) -> bool {
    let Some(db) = error.as_db_error() else {
        // No answer from the server: a closed connection, an I/O error or a timeout.
        return error.is_closed()
            || error
                .source()
                .is_some_and(<dyn StdError>::is::<std::io::Error>);
    };
    let code = db.code().code();
    code.starts_with("08") // connection exception
        || code.starts_with("53") // insufficient resources (too many connections, ...)
        || code.starts_with("57P") // admin/crash shutdown, cannot connect now
        || [
            SqlState::QUERY_CANCELED.code(), // statement_timeout
            SqlState::T_R_SERIALIZATION_FAILURE.code(),
            SqlState::T_R_DEADLOCK_DETECTED.code(),
            SqlState::LOCK_NOT_AVAILABLE.code(),
        ]
        .contains(&code)
}

/// A value read back from the database that breaks a rule of the domain.
pub(crate) fn corrupt<E: StdError + Send + Sync + 'static>(error: E) -> StoreError {
    StoreError::Unexpected(Box::new(error))
}
