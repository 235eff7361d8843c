//! The poll API over HTTP (actix-web): every endpoint, status code and header of the contract,
//! problem+json for every error, request ids, optional bearer-token auth, the 16 KiB body
//! limit, and the OpenAPI document generated from the same route table that serves the API.
//!
//! This crate is a driving adapter: it turns requests into calls of [`poll_app::PollService`]
//! and its [`poll_app::AppError`]s into answers, in [`problem`] only.
#![forbid(unsafe_code)]

mod app;
mod body;
pub mod dto;
mod extract;
pub mod handlers;
pub mod metrics;
pub mod middleware;
mod openapi;
pub mod problem;
mod query;
pub mod routes;
mod state;

pub use app::{ServeOptions, app, metrics_app, serve, serve_metrics};
pub use extract::BODY_LIMIT;
pub use metrics::Metrics;
pub use openapi::openapi;
pub use problem::{ApiError, FieldError, PROBLEM_JSON, Problem};
pub use state::{AuthConfig, BuildInfo, HttpState, Service};
