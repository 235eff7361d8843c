//! The operations endpoints' bodies.

use serde::Serialize;
use utoipa::ToSchema;

/// `GET /health/live`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LiveResponse {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// The state of each dependency.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReadyChecks {
    /// `up` or `down`.
    #[schema(example = "up")]
    pub postgres: &'static str,
    /// `up`, `down` or `disabled`.
    #[schema(example = "disabled")]
    pub redis: &'static str,
}

/// `GET /health/ready`: `ready`, `degraded` (cache down) or `unready` (database down, with 503).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReadyResponse {
    #[schema(example = "ready")]
    pub status: &'static str,
    pub checks: ReadyChecks,
}

/// `GET /version`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VersionResponse {
    #[schema(example = "0.1.0")]
    pub version: String,
    #[schema(example = "2084d0b")]
    pub commit: String,
    #[schema(example = "main")]
    pub branch: String,
    #[schema(example = "local")]
    pub environment: String,
}
