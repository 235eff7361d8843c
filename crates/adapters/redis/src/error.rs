use std::time::Duration;

use deadpool_redis::redis;
use thiserror::Error;

/// A failure to set up the cache or to run an administrative operation on it.
///
/// Never carries the Redis URL (it may hold a password).
#[derive(Debug, Error)]
pub enum RedisError {
    #[error("the Redis URL is not valid (not shown: it may hold a password)")]
    InvalidUrl,
    #[error("invalid Redis setting: {0}")]
    InvalidSettings(&'static str),
    #[error("could not build the Redis connection pool")]
    Pool(#[source] deadpool_redis::BuildError),
    #[error("no Redis connection")]
    Connection(#[source] deadpool_redis::PoolError),
    #[error("Redis command failed")]
    Command(#[source] redis::RedisError),
    #[error("Redis did not answer within {0:?}")]
    Timeout(Duration),
}

/// Why one cache call failed; wrapped into [`poll_ports::CacheError`] as its source.
#[derive(Debug, Error)]
pub(crate) enum CallError {
    #[error("circuit breaker open: Redis is considered down")]
    CircuitOpen,
    #[error("Redis did not answer within {0:?}")]
    Timeout(Duration),
    #[error("no Redis connection")]
    Pool(#[source] deadpool_redis::PoolError),
    #[error("Redis command failed")]
    Redis(#[source] redis::RedisError),
    #[error("unexpected reply to PING")]
    UnexpectedReply,
}

impl CallError {
    /// Whether the failure says Redis is unreachable or too slow (as opposed to Redis having
    /// answered with an error): only those count against the circuit breaker.
    pub(crate) fn is_outage(&self) -> bool {
        match self {
            Self::CircuitOpen | Self::Timeout(_) | Self::Pool(_) => true,
            Self::Redis(e) => !answered(e),
            Self::UnexpectedReply => false,
        }
    }

    pub(crate) fn is_timeout(&self) -> bool {
        matches!(
            self,
            Self::Timeout(_) | Self::Pool(deadpool_redis::PoolError::Timeout(_))
        )
    }

    /// The key holds something that is not one of our entries (another type than a hash).
    pub(crate) fn is_wrong_type(&self) -> bool {
        matches!(self, Self::Redis(e) if e.code() == Some("WRONGTYPE"))
    }
}

/// Redis received the command and replied (with an error reply, or one we could not convert).
fn answered(e: &redis::RedisError) -> bool {
    matches!(
        e.kind(),
        redis::ErrorKind::Server(_)
            | redis::ErrorKind::Extension
            | redis::ErrorKind::Parse
            | redis::ErrorKind::UnexpectedReturnType
    )
}
