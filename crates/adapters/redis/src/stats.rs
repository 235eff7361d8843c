use std::sync::atomic::{AtomicU64, Ordering};

use crate::BreakerState;

/// A snapshot of the Redis adapter's counters, for the metrics exporter.
///
/// Hits and misses are counted by the application (`ServiceStats.cache`); these figures say
/// how the connection to Redis fares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RedisStats {
    /// Calls that were sent to Redis (the breaker let them through).
    pub calls: u64,
    /// Of those, calls that failed: no connection, a timeout or an error reply.
    pub errors: u64,
    /// Of the errors, calls that hit the command timeout (pool checkout included).
    pub timeouts: u64,
    /// Calls refused by the open breaker without touching the network.
    pub short_circuited: u64,
    /// Entries found unreadable (another format, or not ours); the app reads them as misses.
    pub corrupt: u64,
    /// How many times the breaker opened (from closed, or after a failed probe).
    pub breaker_opened: u64,
    /// The breaker's state when the snapshot was taken.
    pub breaker_state: BreakerState,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    calls: AtomicU64,
    errors: AtomicU64,
    timeouts: AtomicU64,
    short_circuited: AtomicU64,
    corrupt: AtomicU64,
}

impl Counters {
    pub(crate) fn call(&self) {
        self.calls.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn error(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn timeout(&self) {
        self.timeouts.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn short_circuit(&self) {
        self.short_circuited.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn corrupt(&self) {
        self.corrupt.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self, breaker_state: BreakerState, breaker_opened: u64) -> RedisStats {
        RedisStats {
            calls: self.calls.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            timeouts: self.timeouts.load(Ordering::Relaxed),
            short_circuited: self.short_circuited.load(Ordering::Relaxed),
            corrupt: self.corrupt.load(Ordering::Relaxed),
            breaker_opened,
            breaker_state,
        }
    }
}
