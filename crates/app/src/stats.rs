use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of the cache-aside read path, read by the metrics exporter.
#[derive(Debug, Default)]
pub struct CacheStats {
    hits: AtomicU64,
    misses: AtomicU64,
    stale: AtomicU64,
    errors: AtomicU64,
}

impl CacheStats {
    pub(crate) fn hit(&self) {
        self.hits.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn miss(&self) {
        self.misses.fetch_add(1, Ordering::Relaxed);
    }

    /// An entry was found but at an older version than the store's: counted as a miss too.
    pub(crate) fn stale(&self) {
        self.stale.fetch_add(1, Ordering::Relaxed);
        self.miss();
    }

    pub(crate) fn error(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
    }

    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    pub fn misses(&self) -> u64 {
        self.misses.load(Ordering::Relaxed)
    }

    pub fn stale_entries(&self) -> u64 {
        self.stale.load(Ordering::Relaxed)
    }

    pub fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }
}

/// Business counters of the service.
#[derive(Debug, Default)]
pub struct ServiceStats {
    pub cache: CacheStats,
    votes_counted: AtomicU64,
}

impl ServiceStats {
    pub(crate) fn vote_counted(&self) {
        self.votes_counted.fetch_add(1, Ordering::Relaxed);
    }

    /// Votes this process counted (replays excluded).
    pub fn votes_counted(&self) -> u64 {
        self.votes_counted.load(Ordering::Relaxed)
    }
}
