//! The question-detail cache ([`poll_ports::DetailCache`]) on Redis, through deadpool-redis.
//!
//! # Layout
//! One hash per question at `<env.key_prefix()>question:<id>`, with fields `v` (the detail's
//! version, decimal) and `d` (compact JSON of a private, format-numbered DTO), expiring after
//! the configured TTL. Writes go through a Lua script that keeps an entry of a higher version,
//! so no interleaving of fills can regress an entry; the application compares the entry's
//! version with the store's before serving it, so a stale entry is never served either.
//!
//! # Degradation
//! Every call is bounded by a short timeout (pool checkout included) and a circuit breaker
//! (see [`BreakerState`]): a dead or hung Redis costs at most `threshold` timeouts, then calls
//! fail at once until a single probe per cool-down finds Redis back. Errors are returned, never
//! raised: the application treats them as misses. Broken connections are recycled by the pool,
//! so the cache reconnects by itself.
#![forbid(unsafe_code)]

mod admin;
mod breaker;
mod cache;
mod codec;
mod error;
mod keys;
mod script;
mod settings;
mod stats;

pub use breaker::BreakerState;
pub use cache::RedisCache;
pub use error::RedisError;
pub use settings::RedisSettings;
pub use stats::RedisStats;
