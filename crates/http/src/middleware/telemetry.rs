//! The outermost middleware: it observes every request, error answers included.
//!
//! - the request id (`X-Request-Id` on every response);
//! - a span per request, named by method and route template (`POST /polls/questions/{id}/votes/`),
//!   child of the caller's trace when a W3C `traceparent` came with the request;
//! - `http_server_request_duration_seconds` and `http_server_active_requests`;
//! - ONE log line per request (target `poll_http::access`) with method, route template, status,
//!   latency, path, request id and trace id. Headers are never logged nor put on spans: the
//!   `Authorization` header cannot leak from here.

use std::fmt;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage as _, web};
use opentelemetry::Context;
use opentelemetry::propagation::{Extractor, TextMapPropagator as _};
use opentelemetry::trace::{TraceContextExt as _, TraceId};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing::Instrument as _;
use tracing::field::Empty;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

use super::request_id::{REQUEST_ID, RequestId, choose_id};
use crate::metrics::{UNMATCHED_ROUTE, method_label};
use crate::routes;
use crate::state::HttpState;

/// The target of the request's span (the log layer keeps this span only, for the context of the
/// request's log lines, and skips the inner spans that only traces need).
pub const REQUEST_SPAN_TARGET: &str = "poll_http::request";

/// Observes the request: see the module documentation.
pub async fn observe_request(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let request_id = choose_id(request.headers().get(&REQUEST_ID));
    request
        .extensions_mut()
        .insert(RequestId(request_id.clone()));
    let method = method_label(request.method().as_str());
    // The router's own matching, done up front so that the span is named before it starts.
    let route = request
        .match_pattern()
        .as_deref()
        .and_then(routes::template);
    let path = request.path().to_owned();
    let span = request_span(method, route, &path, &request_id);
    let trace_id = join_callers_trace(&span, request.headers());
    let state = request.app_data::<web::Data<HttpState>>().cloned();
    let metrics = state.as_ref().and_then(|s| s.metrics.as_ref());
    let active = metrics.map(crate::Metrics::track_active);

    // The services inside (auth, routing, handlers) turn every failure into a response, so an
    // `Err` cannot come back here; were one to, actix would answer it without the header.
    let mut response = next.call(request).instrument(span.clone()).await?;
    drop(active);
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    let status = response.status();
    record_status(&span, status);
    let elapsed = started.elapsed().as_secs_f64();
    let route = route.unwrap_or(UNMATCHED_ROUTE);
    if let Some(metrics) = metrics {
        metrics.observe(method, route, status.as_u16(), elapsed);
    }
    log_request(&RequestLine {
        method,
        route,
        status: status.as_u16(),
        latency_ms: (elapsed * 1_000_000.0).round() / 1000.0,
        path: &path,
        request_id: &request_id,
        trace_id: trace_id.as_deref(),
    });
    Ok(response)
}

/// The OpenTelemetry span name: `{method} {route}`, or the method alone when no route matched.
struct SpanName(&'static str, Option<&'static str>);

impl fmt::Display for SpanName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.1 {
            Some(route) => write!(f, "{} {route}", self.0),
            None => f.write_str(self.0),
        }
    }
}

/// The request's span, with the attributes of the HTTP server semantic conventions.
fn request_span(
    method: &'static str,
    route: Option<&'static str>,
    path: &str,
    request_id: &str,
) -> tracing::Span {
    tracing::info_span!(
        target: REQUEST_SPAN_TARGET,
        "HTTP request",
        otel.name = %SpanName(method, route),
        otel.kind = "server",
        http.request.method = method,
        http.route = route,
        url.path = path,
        request_id = request_id,
        trace_id = Empty,
        http.response.status_code = Empty,
        otel.status_code = Empty,
    )
}

/// Makes the caller's span (W3C `traceparent`) the parent of the request's span, and returns
/// the trace id the request belongs to: ours when traces are on, else the caller's, if any.
fn join_callers_trace(span: &tracing::Span, headers: &HeaderMap) -> Option<String> {
    let remote =
        TraceContextPropagator::new().extract_with_context(&Context::new(), &Headers(headers));
    let remote_trace = remote.span().span_context().trace_id();
    if remote_trace != TraceId::INVALID {
        // Fails only when there is no OpenTelemetry layer: then there is no span to parent.
        let _ = span.set_parent(remote);
    }
    let ours = span.context().span().span_context().trace_id();
    let trace = [ours, remote_trace]
        .into_iter()
        .find(|id| *id != TraceId::INVALID)?
        .to_string();
    span.record("trace_id", trace.as_str());
    Some(trace)
}

fn record_status(span: &tracing::Span, status: StatusCode) {
    span.record("http.response.status_code", i64::from(status.as_u16()));
    if status.is_server_error() {
        span.record("otel.status_code", "error");
    }
}

/// Request headers as the propagator reads them.
struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(HeaderName::as_str).collect()
    }
}

/// The fields of the one log line per request.
struct RequestLine<'a> {
    method: &'static str,
    route: &'static str,
    status: u16,
    latency_ms: f64,
    path: &'a str,
    request_id: &'a str,
    trace_id: Option<&'a str>,
}

/// Logged outside the request's span (this middleware is not in it), so the line carries its
/// own ids and does not become an event of the trace.
fn log_request(line: &RequestLine<'_>) {
    tracing::event!(
        target: "poll_http::access",
        tracing::Level::INFO,
        http.request.method = line.method,
        http.route = line.route,
        http.response.status_code = line.status,
        latency_ms = line.latency_ms,
        url.path = line.path,
        request_id = line.request_id,
        trace_id = line.trace_id,
        "request completed"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_named_by_method_and_route_template() {
        assert_eq!(
            SpanName("POST", Some("/polls/questions/{id}/votes/")).to_string(),
            "POST /polls/questions/{id}/votes/"
        );
        assert_eq!(SpanName("GET", None).to_string(), "GET");
    }

    #[test]
    fn reads_the_callers_traceparent() {
        let mut headers = HeaderMap::new();
        headers.insert(
            HeaderName::from_static("traceparent"),
            HeaderValue::from_static("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
        );
        let trace = join_callers_trace(&tracing::Span::none(), &headers);
        assert_eq!(trace.as_deref(), Some("4bf92f3577b34da6a3ce929d0e0e4736"));
        assert_eq!(
            join_callers_trace(&tracing::Span::none(), &HeaderMap::new()),
            None
        );
    }
}
