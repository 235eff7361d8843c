//! The use cases of the poll API.
//!
//! [`PollService`] is generic over the ports (store, cache, clock) and holds the policies that
//! are not a single value's rule: pagination, the cache-aside read path, vote idempotency
//! windows, readiness. It maps port errors to [`AppError`], the one error type the driving
//! adapters (HTTP) see.
#![forbid(unsafe_code)]

mod error;
mod readiness;
mod service;
mod stats;

pub use error::AppError;
pub use readiness::{ComponentStatus, Readiness};
pub use service::{AppSettings, Page, PollService};
pub use stats::{CacheStats, ServiceStats};
