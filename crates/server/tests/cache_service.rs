//! The Redis detail cache seen through the whole service, over HTTP.
//!
//! Every test runs an [`poll_server::Application`] on 127.0.0.1:0 against the real PostgreSQL
//! (`POLL__DATABASE__URL`) in a schema of its own, and a real Redis (`POLL__REDIS__URL`, or a
//! private redis-server the test starts) under a key prefix of its own. These tests never skip:
//! without the servers they fail and say how to start them (`make test` does it for you).
//!
//! What they prove, on top of the adapter's own tests (`crates/adapters/redis/tests`):
//! - hits and misses: a read fills the cache, the next one is served from it, writes refresh it;
//! - reads are exact (the contract's read-your-writes) under concurrent voters and readers, and
//!   whatever stale entry sits in Redis;
//! - Redis killed, hung or flushed under load fails no request and slows none beyond the cache
//!   timeout; `/health/ready` says `degraded` meanwhile and `ready` again after recovery;
//! - without the cache (`serve --no-cache`, or no `redis.url`) readiness says `disabled`;
//! - a TLS-only Redis (`rediss://`) is used when its certificate is trusted, refused otherwise.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failed expectation is the test failing"
)]

#[path = "cache_service/disabled.rs"]
mod disabled;
#[path = "cache_service/entries.rs"]
mod entries;
#[path = "cache_service/exactness.rs"]
mod exactness;
#[path = "cache_service/harness.rs"]
mod harness;
#[path = "cache_service/hits.rs"]
mod hits;
#[path = "cache_service/load.rs"]
mod load;
#[path = "cache_service/outage.rs"]
mod outage;
#[path = "cache_service/private_redis.rs"]
mod private_redis;
#[path = "cache_service/served.rs"]
mod served;
#[path = "cache_service/stale.rs"]
mod stale;
#[path = "cache_service/tls.rs"]
mod tls;
