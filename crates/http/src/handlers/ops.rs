//! The operations endpoints: liveness, readiness, version, metrics and the OpenAPI document.
//! They are never behind auth and have exactly these paths (no trailing-slash twin).

use std::sync::OnceLock;

use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::{HttpResponse, web};
use poll_app::{ComponentStatus, Readiness};

use crate::dto::{LiveResponse, ReadyChecks, ReadyResponse, VersionResponse};
use crate::metrics::TEXT_FORMAT;
use crate::problem::ApiError;
use crate::state::HttpState;

/// Liveness: 200 while the process serves.
#[utoipa::path(
    get,
    path = "/health/live",
    tag = "operations",
    operation_id = "health_live",
    security(()),
    responses((status = 200, description = "The process serves.", body = LiveResponse)),
)]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(CacheControl(vec![CacheDirective::NoStore]))
        .json(LiveResponse { status: "ok" })
}

/// Readiness: whether PostgreSQL (required) and Redis (optional) answer.
///
/// Answers within 2 seconds even when a dependency hangs: a probe that does not finish in time
/// counts as down.
#[utoipa::path(
    get,
    path = "/health/ready",
    tag = "operations",
    operation_id = "health_ready",
    security(()),
    responses(
        (status = 200, description = "`ready`, or `degraded` when Redis is down (the service works without its cache).",
            body = ReadyResponse),
        (status = 503, description = "`unready`: PostgreSQL is down. Same shape as the 200 (not a problem).",
            body = ReadyResponse),
    ),
)]
pub async fn ready(state: web::Data<HttpState>) -> HttpResponse {
    let probe = tokio::time::timeout(state.readiness_timeout, state.service.readiness()).await;
    let readiness = probe.unwrap_or_else(|_| {
        tracing::warn!(timeout = ?state.readiness_timeout, "readiness probe timed out");
        Readiness {
            postgres: ComponentStatus::Down,
            redis: ComponentStatus::Down,
        }
    });
    let body = ReadyResponse {
        status: readiness.status(),
        checks: ReadyChecks {
            postgres: readiness.postgres.as_str(),
            redis: readiness.redis.as_str(),
        },
    };
    let mut response = if readiness.is_ready() {
        HttpResponse::Ok()
    } else {
        HttpResponse::ServiceUnavailable()
    };
    response
        .insert_header(CacheControl(vec![CacheDirective::NoStore]))
        .json(body)
}

/// The build and environment this process runs.
#[utoipa::path(
    get,
    path = "/version",
    tag = "operations",
    operation_id = "version",
    security(()),
    responses((status = 200, description = "Build and environment.", body = VersionResponse)),
)]
pub async fn version(state: web::Data<HttpState>) -> HttpResponse {
    let build = &state.build;
    HttpResponse::Ok().json(VersionResponse {
        version: build.version.clone(),
        commit: build.commit.clone(),
        branch: build.branch.clone(),
        environment: build.environment.clone(),
    })
}

/// This document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "operations",
    operation_id = "openapi",
    security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document of the API.", content_type = "application/json",
        body = serde_json::Value)),
)]
pub async fn openapi_json() -> HttpResponse {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    let document = DOCUMENT.get_or_init(|| crate::openapi::openapi().to_json().unwrap_or_default());
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .body(document.as_str())
}

/// The service's metrics in the Prometheus text exposition format (version 0.0.4), named after
/// the OpenTelemetry semantic conventions; `docs/runbook.md` says what each one means.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    operation_id = "metrics",
    security(()),
    responses((status = 200, description = "Prometheus text format: `http_server_request_duration_seconds` \
(histogram by `http_request_method`, `http_route` as the route template, `http_response_status_code`), \
`http_server_active_requests`, the connection pool (`db_client_connections_*`), the cache (`poll_cache_*`, \
`poll_redis_*`), `poll_votes_total` and `poll_build_info`.",
        content_type = "text/plain; version=0.0.4", body = String)),
)]
pub async fn metrics(state: web::Data<HttpState>) -> Result<HttpResponse, ApiError> {
    let metrics = state.metrics.as_ref().ok_or(ApiError::RouteNotFound)?;
    render(metrics)
}

/// The exposition of `metrics`, never cached.
fn render(metrics: &crate::Metrics) -> Result<HttpResponse, ApiError> {
    let text = metrics
        .render()
        .map_err(|e| ApiError::Internal(Box::new(e)))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, TEXT_FORMAT))
        .insert_header(CacheControl(vec![CacheDirective::NoStore]))
        .body(text))
}
