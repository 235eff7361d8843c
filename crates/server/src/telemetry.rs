//! Logs and traces, set up once per process:
//!
//! - logs through `tracing`: JSON lines (`log.format = json`, deployed environments) or
//!   human-readable text (`pretty`, a developer's machine) on stderr, filtered by `RUST_LOG`, else
//!   by `log.level`;
//! - traces through OpenTelemetry, exported over OTLP/HTTP only when the standard `OTEL_*`
//!   variables name an endpoint (see [`OtlpSettings`]); the spans come from `tracing` (the HTTP
//!   middleware, `#[instrument]`ed use cases, the adapters' query and command spans).
//!
//! `serve` holds a [`Telemetry`] and calls [`Telemetry::shutdown`] after the server stopped, so
//! the spans still queued are exported before the process exits. Tests install the same layers
//! with their own writer and span exporter through [`install`].

mod otel;

use std::sync::Once;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use poll_http::BuildInfo;
use poll_http::middleware::REQUEST_SPAN_TARGET;
use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::{FilterExt as _, Targets, filter_fn};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer, Registry};

use crate::error::ServerError;
use crate::settings::{LogFormat, LogSettings};

pub use otel::{OtlpSettings, resource, tracer_provider};

static INIT: Once = Once::new();

/// The instrumentation scope of every span of the service.
pub const TRACER_NAME: &str = "poll-api";

/// Logs only (the admin commands: `migrate`, `env ...`): JSON or text on stderr, filtered by
/// `RUST_LOG` when set, else by `level`. Later calls do nothing.
pub fn init(format: LogFormat, level: &str) {
    INIT.call_once(|| {
        install(format, log_filter(level), std::io::stderr, None);
    });
}

/// For tests: quiet unless `TEST_LOG` is set, then human-readable through the test harness's
/// capture (`cargo test -- --nocapture` shows it live).
pub fn init_for_tests() {
    if std::env::var_os("TEST_LOG").is_none() {
        return;
    }
    INIT.call_once(|| {
        let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("debug"));
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .try_init();
    });
}

/// What `serve` holds while it runs: the trace pipeline, when traces are exported.
#[derive(Debug)]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

/// Installs rustls' process-wide crypto provider (ring, the workspace's one). HTTP clients need
/// it even for `http://` (the OTLP exporter here; reqwest in tests, where the pact crates turn
/// on `rustls-no-provider`). Installing again is a no-op: one provider is as good as another.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Telemetry {
    /// Installs logs as [`init`] does, plus the OpenTelemetry layer and its OTLP exporter when
    /// the `OTEL_*` variables of the process name an endpoint.
    ///
    /// # Errors
    /// When the `OTEL_*` variables ask for what this build cannot do (another protocol than
    /// `http/protobuf`, another exporter than `otlp`) or the exporter cannot be built.
    pub fn init(log: &LogSettings, build: &BuildInfo) -> Result<Self, ServerError> {
        install_crypto_provider();
        let provider = match OtlpSettings::from_variables(&std::env::vars().collect())? {
            Some(otlp) => Some(tracer_provider(build, &otlp)?),
            None => None,
        };
        let mut installed = false;
        INIT.call_once(|| {
            installed = install(
                log.format,
                log_filter(&log.level),
                std::io::stderr,
                provider.as_ref(),
            );
        });
        log_traces_state(installed && provider.is_some());
        Ok(Self { provider })
    }

    /// Whether spans are exported.
    pub fn exports_traces(&self) -> bool {
        self.provider.is_some()
    }

    /// Exports the spans still queued and stops the exporter (blocks up to the exporter's
    /// timeout: call it after the server stopped, outside the async runtime's workers).
    pub fn shutdown(self) {
        if let Some(provider) = self.provider
            && let Err(error) = provider.shutdown()
        {
            log_shutdown_failed(&error);
        }
    }
}

fn log_traces_state(exporting: bool) {
    tracing::info!(
        otlp = exporting,
        "traces {}",
        if exporting {
            "exported over OTLP/HTTP"
        } else {
            "not exported (no OTEL_EXPORTER_OTLP_ENDPOINT)"
        }
    );
}

fn log_shutdown_failed(error: &opentelemetry_sdk::error::OTelSdkError) {
    tracing::warn!(error = %error, "flushing the last spans failed");
}

/// The log filter: `RUST_LOG` when set and valid, else `level`, else `info`.
pub fn log_filter(level: &str) -> EnvFilter {
    EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(level))
        .unwrap_or_else(|_| EnvFilter::new("info"))
}

/// Installs the global subscriber: the log layer (JSON or text, filtered by `filter`, with the
/// request's span as the only span) writing to `writer`, and, with a provider, the OpenTelemetry layer (INFO and above, whatever the log
/// level, so that a quiet log never thins the traces). Returns `false` when a subscriber was
/// installed already (that one stays).
pub fn install<W>(
    format: LogFormat,
    filter: EnvFilter,
    writer: W,
    provider: Option<&SdkTracerProvider>,
) -> bool
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    // The log needs the request's span for context (its `request_id`, `trace_id`), not the inner
    // spans (use case, SQL, Redis): formatting their fields for nothing would cost every request.
    let filter = filter.and(filter_fn(|meta| {
        !meta.is_span() || meta.target() == REQUEST_SPAN_TARGET
    }));
    let log = match format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(true)
            .with_writer(writer)
            .with_filter(filter)
            .boxed(),
        LogFormat::Pretty => tracing_subscriber::fmt::layer()
            .with_writer(writer)
            .with_filter(filter)
            .boxed(),
    };
    let mut layers: Vec<Box<dyn Layer<Registry> + Send + Sync>> = vec![log];
    if let Some(provider) = provider {
        // The SDK's own diagnostics (export failures) go to the log, never into traces.
        let spans = Targets::new()
            .with_default(LevelFilter::INFO)
            .with_target("opentelemetry", LevelFilter::OFF)
            .with_target("poll_http::access", LevelFilter::OFF);
        // Only what the conventions ask for: no source location, thread, target or busy/idle
        // timing attributes (each costs every span); no OpenTelemetry context attached on each
        // enter (nothing else here reads it: we call no other service).
        layers.push(
            tracing_opentelemetry::layer()
                .with_location(false)
                .with_threads(false)
                .with_target(false)
                .with_tracked_inactivity(false)
                .with_context_activation(false)
                .with_tracer(provider.tracer(TRACER_NAME))
                .with_filter(spans)
                .boxed(),
        );
    }
    tracing_subscriber::registry()
        .with(layers)
        .try_init()
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_an_otlp_endpoint_only_logs_are_installed() {
        let log = LogSettings {
            format: LogFormat::Json,
            level: "off".to_owned(),
        };
        let variables = std::env::vars().collect();
        let configured = OtlpSettings::from_variables(&variables).expect("valid variables");
        let telemetry = Telemetry::init(&log, &crate::build_info("test")).expect("installed");
        assert_eq!(telemetry.exports_traces(), configured.is_some());
        telemetry.shutdown();
        // A second call installs nothing and still answers.
        init(LogFormat::Pretty, "info");
    }

    #[test]
    fn the_log_filter_falls_back_to_info() {
        if std::env::var_os("RUST_LOG").is_none() {
            assert_eq!(log_filter("not a [valid filter").to_string(), "info");
            assert_eq!(log_filter("debug").to_string(), "debug");
        }
    }
}
