//! Ports: what the poll core needs from the outside world, written as contracts.
//!
//! Implementations live in adapter crates (`poll-postgres`, `poll-memory`, `poll-redis`);
//! this crate knows no driver. Every port is `Send + Sync` and its futures are `Send`:
//! one instance is shared by all request handlers and called concurrently, so an
//! implementation must make each method atomic on its own (no caller holds a lock across calls).
#![forbid(unsafe_code)]

mod cache;
mod clock;
mod store;

pub use cache::{CacheError, DetailCache, NoCache};
pub use clock::{Clock, SystemClock};
pub use store::{PollStore, StoreError, VoteRequest};

#[cfg(feature = "mocks")]
pub use cache::MockDetailCache;
#[cfg(feature = "mocks")]
pub use clock::MockClock;
#[cfg(feature = "mocks")]
pub use store::MockPollStore;
