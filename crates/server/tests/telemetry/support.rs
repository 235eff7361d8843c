//! The harness: the service's own telemetry layers installed once per test process, with an
//! in-memory span exporter and a captured JSON log instead of OTLP and stderr; servers on
//! random ports, on the memory store or on PostgreSQL (a schema per server).

use std::collections::HashMap;
use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use opentelemetry::trace::{SpanId, TraceId};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use poll_domain::Environment;
use poll_postgres::PostgresAdmin;
use poll_server::{Application, LogFormat, Settings, telemetry};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// How long a test waits for spans to be exported.
const SPAN_DEADLINE: Duration = Duration::from_secs(10);

/// The log lines written so far, shared by every layer writer.
#[derive(Clone, Default)]
pub struct Capture(Arc<Mutex<Vec<u8>>>);

impl Capture {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log lock")).into_owned()
    }

    /// Every line that is a JSON object.
    pub fn json_lines(&self) -> Vec<Value> {
        self.text()
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect()
    }
}

impl io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().expect("log lock").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Self;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// What the process's telemetry recorded.
pub struct Recorded {
    pub spans: InMemorySpanExporter,
    pub log: Capture,
}

impl Recorded {
    /// The spans of `trace` once one of them is named `name`, or a panic after the deadline.
    pub async fn trace_with(&self, trace: TraceId, name: &str) -> Vec<SpanData> {
        let started = Instant::now();
        loop {
            let spans: Vec<SpanData> = self
                .spans
                .get_finished_spans()
                .expect("finished spans")
                .into_iter()
                .filter(|s| s.span_context.trace_id() == trace)
                .collect();
            if spans.iter().any(|s| s.name == name) {
                return spans;
            }
            assert!(
                started.elapsed() < SPAN_DEADLINE,
                "no span {name:?} in trace {trace}: {:?}",
                spans.iter().map(|s| &s.name).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Every span exported so far.
    pub fn all_spans(&self) -> Vec<SpanData> {
        self.spans.get_finished_spans().expect("finished spans")
    }
}

/// Installs the service's layers (JSON log at debug, OpenTelemetry) once per process.
pub fn telemetry() -> &'static Recorded {
    static RECORDED: OnceLock<Recorded> = OnceLock::new();
    RECORDED.get_or_init(|| {
        let spans = InMemorySpanExporter::default();
        let log = Capture::default();
        let build = poll_server::build_info("test");
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(spans.clone())
            .with_resource(telemetry::resource(&build, None))
            .build();
        let installed = telemetry::install(
            LogFormat::Json,
            EnvFilter::new("debug"),
            log.clone(),
            Some(&provider),
        );
        assert!(installed, "another subscriber was installed first");
        Recorded { spans, log }
    })
}

/// The store a test server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    Memory,
    Postgres,
}

/// The PostgreSQL server of `make test`; these tests never skip without it.
pub fn database_url() -> String {
    let url = std::env::var("POLL__DATABASE__URL").unwrap_or_default();
    assert!(
        !url.trim().is_empty(),
        "POLL__DATABASE__URL is not set: start PostgreSQL with `source \"$(bash ci/services.sh up)\"` or run `make test`"
    );
    url
}

/// A running server and a client for it.
pub struct TestApp {
    pub address: String,
    pub metrics_address: Option<String>,
    pub environment: String,
    pub client: reqwest::Client,
    cleanup: Option<(PostgresAdmin, Environment)>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some((admin, environment)) = self.cleanup.take() {
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                if let Ok(runtime) = runtime {
                    let _ = runtime.block_on(admin.drop_environment(&environment));
                }
            })
            .join();
        }
    }
}

/// A server on `store` with `extra` settings (as `POLL__...` variables); no Redis unless
/// `extra` names one.
pub async fn spawn(store: Store, extra: &[(&str, &str)]) -> TestApp {
    let environment = format!("test/telemetry/{}", uuid::Uuid::new_v4());
    let mut vars: HashMap<String, String> = [
        ("POLL__SERVER__BIND", "127.0.0.1:0"),
        ("POLL__SERVER__WORKERS", "1"),
        ("POLL__SERVER__SHUTDOWN_TIMEOUT_SECS", "1"),
        ("POLL__ENVIRONMENT", environment.as_str()),
        (
            "POLL__STORE",
            if store == Store::Postgres {
                "postgres"
            } else {
                "memory"
            },
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    if store == Store::Postgres {
        vars.insert("POLL__DATABASE__URL".to_owned(), database_url());
        vars.insert(
            "POLL__DATABASE__ACQUIRE_TIMEOUT_MS".to_owned(),
            "10000".to_owned(),
        );
    }
    for (k, v) in extra {
        vars.insert((*k).to_owned(), (*v).to_owned());
    }
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config");
    let settings = Settings::load_from(Some(&config), &vars).expect("valid test settings");
    // A test that names its own (unreachable) database gets no schema.
    let own_database = !extra.iter().any(|(k, _)| *k == "POLL__DATABASE__URL");
    let cleanup = if own_database {
        create_schema(&settings).await
    } else {
        None
    };
    let application = Application::build(&settings).expect("the application builds");
    let port = application.port();
    let metrics_address = application
        .metrics_port()
        .map(|p| format!("http://127.0.0.1:{p}"));
    tokio::spawn(application.run_until_stopped(std::future::pending()));
    telemetry::install_crypto_provider();
    let app = TestApp {
        address: format!("http://127.0.0.1:{port}"),
        metrics_address,
        environment,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        cleanup,
    };
    // The listener is bound already: this waits for the first answer, never sleeps.
    assert_eq!(app.get("/health/live").await.status(), StatusCode::OK);
    app
}

/// Creates the schema of a PostgreSQL store (dropped with the app).
async fn create_schema(settings: &Settings) -> Option<(PostgresAdmin, Environment)> {
    let database = settings.database.as_ref()?;
    let admin = PostgresAdmin::connect(database).expect("admin settings");
    let environment = settings.environment().expect("environment");
    admin
        .create_environment(&environment)
        .await
        .expect("creating the test environment");
    Some((admin, environment))
}

impl TestApp {
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.address))
    }

    pub async fn send(&self, builder: RequestBuilder) -> Response {
        builder.send().await.expect("the request was answered")
    }

    pub async fn get(&self, path: &str) -> Response {
        self.send(self.request(Method::GET, path)).await
    }

    /// Creates a question with two choices at `path` (201 asserted); returns (question, choice).
    pub async fn create_question(&self, path: &str) -> (i64, i64) {
        let body =
            json!({"question_text": "Tea?", "pub_date": "2019-10-20", "choices": ["Yes", "No"]});
        let response = self
            .send(self.request(Method::POST, path).json(&body))
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let created: Value = response.json().await.expect("json");
        let id = |v: &Value| v["id"].as_i64().expect("id");
        (id(&created), id(&created["choices"][0]))
    }

    /// Scrapes `/metrics` (200 asserted) into its samples.
    pub async fn scrape(&self) -> Samples {
        let response = self.get("/metrics").await;
        assert_eq!(response.status(), StatusCode::OK);
        let content_type = response.headers()["content-type"]
            .to_str()
            .expect("content type")
            .to_owned();
        assert!(
            content_type.starts_with("text/plain; version=0.0.4"),
            "{content_type}"
        );
        Samples::parse(&response.text().await.expect("text"))
    }
}

/// A scrape: each sample's name, labels and value.
#[derive(Debug)]
pub struct Samples(pub Vec<(String, HashMap<String, String>, f64)>);

impl Samples {
    pub fn parse(text: &str) -> Self {
        let samples = text
            .lines()
            .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
            .map(|line| {
                let (series, value) = line.rsplit_once(' ').expect("sample line");
                let value: f64 = value.parse().expect("sample value");
                let (name, labels) = match series.split_once('{') {
                    Some((name, labels)) => (name, parse_labels(labels.trim_end_matches('}'))),
                    None => (series, HashMap::new()),
                };
                (name.to_owned(), labels, value)
            })
            .collect();
        Self(samples)
    }

    /// Every sample of `name` whose labels include `labels`.
    pub fn matching(
        &self,
        name: &str,
        labels: &[(&str, &str)],
    ) -> Vec<&(String, HashMap<String, String>, f64)> {
        self.0
            .iter()
            .filter(|(n, l, _)| {
                n == name
                    && labels
                        .iter()
                        .all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v))
            })
            .collect()
    }

    /// The value of the one sample of `name` with `labels`, a whole number here.
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> u64 {
        let found = self.matching(name, labels);
        assert_eq!(found.len(), 1, "{name} {labels:?}: {found:?}");
        let value = found[0].2;
        assert!(value >= 0.0 && value.fract() == 0.0, "{name}: {value}");
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let whole = value as u64;
        whole
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _, _)| n == name)
    }
}

fn parse_labels(text: &str) -> HashMap<String, String> {
    // Label values here never hold `",` (routes, methods, versions), so a split is enough.
    text.split("\",")
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once("=\"").expect("label");
            (k.to_owned(), v.trim_end_matches('"').to_owned())
        })
        .collect()
}

/// A W3C `traceparent` of a caller's span, and its trace and span ids.
pub fn caller_traceparent() -> (String, TraceId, SpanId) {
    let trace = TraceId::from_bytes(*uuid::Uuid::new_v4().as_bytes());
    let span = SpanId::from_bytes(
        uuid::Uuid::new_v4().as_bytes()[..8]
            .try_into()
            .expect("8 bytes"),
    );
    (format!("00-{trace}-{span}-01"), trace, span)
}
