//! Black-box tests of the whole contract over a real socket.
//!
//! `POLL_TEST_STORE=postgres` (with `POLL__DATABASE__URL`) runs the same suite against
//! PostgreSQL, each test in a schema of its own; the default is the in-memory store.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failed expectation is the test failing"
)]

mod assertions;
mod auth;
mod choices;
mod concurrency;
mod errors;
mod fuzz;
mod health;
mod helpers;
mod media;
mod openapi;
mod paths;
mod questions;
mod raw;
mod votes;
