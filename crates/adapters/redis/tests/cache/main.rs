//! The Redis cache against a real Redis server (`POLL__REDIS__URL`).
// Helpers outside `#[test]` bodies fail the test by panicking, like the tests themselves.
#![allow(clippy::expect_used)]

#[path = "../support/mod.rs"]
mod support;

mod detail_cache;
mod environments;
mod robustness;
