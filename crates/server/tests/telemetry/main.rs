//! The service's telemetry, seen from outside: the span tree of a request in an in-memory span
//! exporter, `/metrics` after known traffic, the one log line per request, and no secret in
//! either.
//!
//! The service's own layers (`poll_server::telemetry::install`) are installed once per process,
//! writing JSON to a buffer and spans to `opentelemetry_sdk`'s `InMemorySpanExporter`; each test
//! picks its spans by trace id and its log lines by request id, so tests may share a process.
//! Tests on PostgreSQL and Redis never skip: without `POLL__DATABASE__URL` / `POLL__REDIS__URL`
//! they fail and say how to start the servers (`make test` does).
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failed expectation is the test failing"
)]

mod logs;
mod metrics;
mod support;
mod traces;
