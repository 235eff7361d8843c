use async_trait::async_trait;
use poll_domain::{QuestionDetail, QuestionId};
use thiserror::Error;

/// A cache failure. Callers treat every cache error as a miss: the cache is an optimisation
/// and never a reason to fail a request.
#[derive(Debug, Error)]
pub enum CacheError {
    #[error("cache unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("cached entry unreadable")]
    Corrupt(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// A cache of question details (question, choices and vote counts), keyed by question id.
///
/// Entries carry the [`QuestionDetail::version`] they were read at; the caller compares it with
/// the store's current version before trusting an entry, so a cache may hold stale entries
/// without ever causing a stale read. Implementations must answer within a short bound, even
/// when their backend hangs.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait DetailCache: Send + Sync {
    /// The cached detail, if any (at whatever version it was stored).
    async fn get(&self, id: QuestionId) -> Result<Option<QuestionDetail>, CacheError>;

    /// Stores a detail; an entry of a higher version must not be replaced by a lower one.
    async fn put(&self, detail: &QuestionDetail) -> Result<(), CacheError>;

    /// Drops the entry of a question (after it was deleted).
    async fn remove(&self, id: QuestionId) -> Result<(), CacheError>;

    /// `Ok(true)` when the cache is up, `Ok(false)` when it is configured off.
    async fn ping(&self) -> Result<bool, CacheError>;
}

/// The cache of a service running without one: always a miss.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoCache;

#[async_trait]
impl DetailCache for NoCache {
    async fn get(&self, _id: QuestionId) -> Result<Option<QuestionDetail>, CacheError> {
        Ok(None)
    }

    async fn put(&self, _detail: &QuestionDetail) -> Result<(), CacheError> {
        Ok(())
    }

    async fn remove(&self, _id: QuestionId) -> Result<(), CacheError> {
        Ok(())
    }

    async fn ping(&self) -> Result<bool, CacheError> {
        Ok(false)
    }
}
