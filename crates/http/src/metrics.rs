//! The Prometheus registry of the service and the HTTP layer's own metrics, named after the
//! OpenTelemetry semantic conventions (dots become underscores):
//!
//! - `http_server_request_duration_seconds` (histogram; labels `http_request_method`,
//!   `http_route` — the route template, or `unmatched` — and `http_response_status_code`);
//! - `http_server_active_requests` (gauge: requests being served now).
//!
//! The composition root registers the other collectors (pool, cache, votes, build) in the same
//! [`prometheus::Registry`]; `/metrics` renders it in the text exposition format.

use std::fmt;

use prometheus::{Encoder as _, HistogramOpts, HistogramVec, IntGauge, Registry, TextEncoder};

/// The `http_route` label of a request that matched no route (never the raw path: a label per
/// distinct path would let any client blow up the number of series).
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// The `http_request_method` label of a method outside the HTTP standard ones.
pub const OTHER_METHOD: &str = "_OTHER";

/// The content type of the text exposition format.
pub const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The bucket bounds the OpenTelemetry conventions advise for `http.server.request.duration`.
const DURATION_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

const KNOWN_METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];

/// The method as a bounded label: a standard method's name, else [`OTHER_METHOD`].
pub fn method_label(method: &str) -> &'static str {
    KNOWN_METHODS
        .iter()
        .find(|known| **known == method)
        .copied()
        .unwrap_or(OTHER_METHOD)
}

/// The registry and the HTTP metrics recorded by the request middleware.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    duration: HistogramVec,
    active: IntGauge,
}

impl Metrics {
    /// A registry holding the HTTP metrics (and nothing else yet).
    ///
    /// # Errors
    /// Only if the metric definitions were invalid (a bug).
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "http_server_request_duration_seconds",
                "Duration of HTTP server requests, by method, route template and status.",
            )
            .buckets(DURATION_BUCKETS.to_vec()),
            &[
                "http_request_method",
                "http_route",
                "http_response_status_code",
            ],
        )?;
        let active = IntGauge::new(
            "http_server_active_requests",
            "HTTP server requests being served now.",
        )?;
        registry.register(Box::new(duration.clone()))?;
        registry.register(Box::new(active.clone()))?;
        Ok(Self {
            registry,
            duration,
            active,
        })
    }

    /// The registry, for the composition root to add its collectors to.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Counts a request as in flight until the returned guard drops (a cancelled request, a
    /// client that went away, leaves the gauge as it found it).
    pub(crate) fn track_active(&self) -> ActiveRequest {
        self.active.inc();
        ActiveRequest(self.active.clone())
    }

    /// Records one served request.
    pub(crate) fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let status = status.to_string();
        self.duration
            .with_label_values(&[method, route, status.as_str()])
            .observe(seconds);
    }

    /// Every metric of the registry in the text exposition format.
    ///
    /// # Errors
    /// When a collector produced an invalid family (a bug).
    pub fn render(&self) -> Result<String, prometheus::Error> {
        let mut out = Vec::with_capacity(8 * 1024);
        TextEncoder::new().encode(&self.registry.gather(), &mut out)?;
        String::from_utf8(out).map_err(|e| prometheus::Error::Msg(e.to_string()))
    }
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics")
            .field("active_requests", &self.active.get())
            .finish_non_exhaustive()
    }
}

/// A request counted in `http_server_active_requests` until dropped.
#[derive(Debug)]
pub(crate) struct ActiveRequest(IntGauge);

impl Drop for ActiveRequest {
    fn drop(&mut self) {
        self.0.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_outside_the_standard_ones_share_one_label() {
        assert_eq!(method_label("GET"), "GET");
        assert_eq!(method_label("PATCH"), "PATCH");
        assert_eq!(method_label("get"), OTHER_METHOD);
        assert_eq!(method_label("BREW"), OTHER_METHOD);
    }

    #[test]
    fn renders_the_histogram_with_semantic_convention_names() {
        let metrics = Metrics::new().expect("metrics");
        metrics.observe("GET", "/polls/questions/{id}/", 200, 0.003);
        let active = metrics.track_active();
        let text = metrics.render().expect("render");
        assert!(text.contains("http_server_active_requests 1"), "{text}");
        assert!(
            text.contains(
                "http_server_request_duration_seconds_count{http_request_method=\"GET\",\
                 http_response_status_code=\"200\",http_route=\"/polls/questions/{id}/\"} 1"
            ),
            "{text}"
        );
        drop(active);
        let text = metrics.render().expect("render");
        assert!(text.contains("http_server_active_requests 0"), "{text}");
    }
}
