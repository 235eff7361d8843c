//! The trace pipeline: when to export, and the tracer provider that does it.

use std::collections::HashMap;

use opentelemetry::KeyValue;
use opentelemetry_otlp::{Protocol, SpanExporter, WithExportConfig as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::resource::{EnvResourceDetector, TelemetryResourceDetector};
use opentelemetry_sdk::trace::SdkTracerProvider;
use poll_http::BuildInfo;

use crate::error::ServerError;

/// The one protocol this build exports with (no gRPC stack, no JSON encoder in the binary).
const PROTOCOL: &str = "http/protobuf";

/// Trace export as the standard `OTEL_*` variables configure it; there is no other setting.
///
/// Export is on when `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT` is
/// set, unless `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`. The exporter and the SDK
/// read the rest themselves: `OTEL_EXPORTER_OTLP_HEADERS`, `..._TIMEOUT`, `..._COMPRESSION`,
/// `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER(_ARG)`, `OTEL_BSP_*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtlpSettings {
    /// The endpoint variable in force (for messages; the exporter reads the value itself).
    pub endpoint_variable: &'static str,
    /// `OTEL_SERVICE_NAME`, when set.
    pub service_name: Option<String>,
}

impl OtlpSettings {
    /// Reads the decision from `variables` (the process's, in `serve`).
    ///
    /// # Errors
    /// When export is on with a protocol other than `http/protobuf` or an exporter other than
    /// `otlp`: refusing to start beats running without the traces one asked for.
    pub fn from_variables(
        variables: &HashMap<String, String>,
    ) -> Result<Option<Self>, ServerError> {
        let get = |name: &str| {
            variables
                .get(name)
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
        };
        let disabled = get("OTEL_SDK_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let exporter = get("OTEL_TRACES_EXPORTER").unwrap_or("otlp");
        if disabled || exporter.eq_ignore_ascii_case("none") {
            return Ok(None);
        }
        let endpoint_variable = [
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "OTEL_EXPORTER_OTLP_ENDPOINT",
        ]
        .into_iter()
        .find(|name| get(name).is_some());
        let Some(endpoint_variable) = endpoint_variable else {
            return Ok(None);
        };
        if !exporter.eq_ignore_ascii_case("otlp") {
            return Err(ServerError::Setting(format!(
                "OTEL_TRACES_EXPORTER={exporter} is not supported: this build exports otlp (or none)"
            )));
        }
        let protocol = get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
            .or_else(|| get("OTEL_EXPORTER_OTLP_PROTOCOL"))
            .unwrap_or(PROTOCOL);
        if !protocol.eq_ignore_ascii_case(PROTOCOL) {
            return Err(ServerError::Setting(format!(
                "OTEL_EXPORTER_OTLP_PROTOCOL={protocol} is not supported: this build exports OTLP over {PROTOCOL}"
            )));
        }
        Ok(Some(Self {
            endpoint_variable,
            service_name: get("OTEL_SERVICE_NAME").map(str::to_owned),
        }))
    }
}

/// A provider exporting in batches (a thread of its own) over OTLP/HTTP to the endpoint of the
/// `OTEL_*` variables.
///
/// # Errors
/// When the exporter cannot be built (an unparsable endpoint, for instance).
pub fn tracer_provider(
    build: &BuildInfo,
    otlp: &OtlpSettings,
) -> Result<SdkTracerProvider, ServerError> {
    let exporter = SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .build()
        .map_err(|e| ServerError::Setting(format!("OTLP exporter: {e}")))?;
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource(build, otlp.service_name.as_deref()))
        .build())
}

/// What the spans say about their source: `service.name` (`poll-api` unless
/// `OTEL_SERVICE_NAME` or `OTEL_RESOURCE_ATTRIBUTES` says otherwise), `service.version`,
/// `deployment.environment.name`, `vcs.ref.head.revision`, and the SDK's own attributes.
/// `OTEL_RESOURCE_ATTRIBUTES` wins over the defaults, `OTEL_SERVICE_NAME` over everything.
pub fn resource(build: &BuildInfo, service_name: Option<&str>) -> Resource {
    let mut builder = Resource::builder_empty()
        .with_detector(Box::new(TelemetryResourceDetector))
        .with_attributes([
            KeyValue::new("service.name", "poll-api"),
            KeyValue::new("service.version", build.version.clone()),
            KeyValue::new("deployment.environment.name", build.environment.clone()),
            KeyValue::new("vcs.ref.head.revision", build.commit.clone()),
        ])
        .with_detector(Box::new(EnvResourceDetector::new()));
    if let Some(name) = service_name {
        builder = builder.with_service_name(name.to_owned());
    }
    builder.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn export_is_off_without_an_endpoint() {
        assert_eq!(OtlpSettings::from_variables(&vars(&[])).expect("ok"), None);
        let blank = vars(&[("OTEL_EXPORTER_OTLP_ENDPOINT", " ")]);
        assert_eq!(OtlpSettings::from_variables(&blank).expect("ok"), None);
        // Other variables alone turn nothing on.
        let no_endpoint = vars(&[
            ("OTEL_SERVICE_NAME", "x"),
            ("OTEL_TRACES_SAMPLER", "always_on"),
        ]);
        assert_eq!(
            OtlpSettings::from_variables(&no_endpoint).expect("ok"),
            None
        );
    }

    #[test]
    fn an_endpoint_turns_export_on_unless_disabled() {
        let on = vars(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")]);
        let settings = OtlpSettings::from_variables(&on).expect("ok").expect("on");
        assert_eq!(settings.endpoint_variable, "OTEL_EXPORTER_OTLP_ENDPOINT");
        assert_eq!(settings.service_name, None);
        let traces_only = vars(&[(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "http://c:4318/v1/traces",
        )]);
        assert!(
            OtlpSettings::from_variables(&traces_only)
                .expect("ok")
                .is_some()
        );
        for (name, value) in [
            ("OTEL_SDK_DISABLED", "true"),
            ("OTEL_TRACES_EXPORTER", "none"),
        ] {
            let mut off = on.clone();
            off.insert(name.to_owned(), value.to_owned());
            assert_eq!(
                OtlpSettings::from_variables(&off).expect("ok"),
                None,
                "{name}"
            );
        }
    }

    #[test]
    fn only_http_protobuf_is_accepted() {
        let mut given = vars(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
        ]);
        assert!(OtlpSettings::from_variables(&given).expect("ok").is_some());
        for protocol in ["grpc", "http/json"] {
            given.insert(
                "OTEL_EXPORTER_OTLP_PROTOCOL".to_owned(),
                protocol.to_owned(),
            );
            let error = OtlpSettings::from_variables(&given).expect_err(protocol);
            assert!(error.to_string().contains("http/protobuf"), "{error}");
        }
    }

    #[test]
    fn the_service_name_defaults_to_poll_api_and_yields_to_otel_service_name() {
        let build = BuildInfo {
            version: "1.2.3".to_owned(),
            commit: "abc".to_owned(),
            branch: "main".to_owned(),
            environment: "uat".to_owned(),
        };
        let name = |r: &Resource| r.get(&"service.name".into()).map(|v| v.to_string());
        let plain = resource(&build, None);
        assert_eq!(name(&plain).as_deref(), Some("poll-api"));
        assert_eq!(
            plain
                .get(&"deployment.environment.name".into())
                .map(|v| v.to_string())
                .as_deref(),
            Some("uat")
        );
        let named = resource(&build, Some("polls-eu"));
        assert_eq!(name(&named).as_deref(), Some("polls-eu"));
    }
}
