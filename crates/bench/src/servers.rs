//! The servers under test: poll-api processes (the release binary, as deployed) in several
//! configurations, and an OTLP/HTTP sink that takes their spans.

use std::io;
use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};

use crate::client::{Connection, Request};

/// How long a server may take to answer `/health/live`.
const START_DEADLINE: Duration = Duration::from_secs(30);

/// How much telemetry a configuration runs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Telemetry {
    /// No log, no trace export, no HTTP metrics.
    Off,
    /// The JSON access log and the metrics, no trace export.
    LogsAndMetrics,
    /// Logs, metrics, and every request traced and exported.
    Full,
    /// Logs, metrics, and 10 % of the requests traced and exported.
    Sampled,
}

/// A configuration of the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant {
    pub name: &'static str,
    pub postgres: bool,
    pub cache: bool,
    pub telemetry: Telemetry,
}

/// A running poll-api and the question the workloads use.
pub struct Server {
    pub variant: Variant,
    pub port: u16,
    pub question: i64,
    pub choices: Vec<i64>,
    pub environment: String,
    child: Child,
}

/// Where the servers find their dependencies.
#[derive(Debug, Clone)]
pub struct Environment {
    pub api: PathBuf,
    pub database_url: Option<String>,
    pub redis_url: Option<String>,
    pub sink_port: u16,
    pub workers: usize,
}

fn free_port() -> io::Result<u16> {
    Ok(StdListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Server {
    /// Starts `variant`, waits until it answers, creates the question of the workloads.
    pub async fn start(variant: Variant, env: &Environment) -> io::Result<Self> {
        let port = free_port()?;
        let environment = format!("bench/{}-{}", variant.name, std::process::id());
        let mut command = Command::new(&env.api);
        command
            .arg("serve")
            .args(["--bind", &format!("127.0.0.1:{port}")])
            .env("POLL__ENVIRONMENT", &environment)
            .env("POLL__SERVER__WORKERS", env.workers.to_string())
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        configure_store(&mut command, variant, env)?;
        configure_telemetry(&mut command, variant, env.sink_port);
        let child = command.spawn()?;
        let mut server = Self {
            variant,
            port,
            question: 0,
            choices: Vec::new(),
            environment,
            child,
        };
        server.wait_until_live().await?;
        server.seed().await?;
        Ok(server)
    }

    async fn wait_until_live(&mut self) -> io::Result<()> {
        let started = Instant::now();
        let live = Request {
            method: "GET",
            path: "/health/live".to_owned(),
            body: None,
            expect: 200,
        };
        loop {
            if let Ok(mut connection) = Connection::open(self.port).await
                && matches!(connection.send(&live).await, Ok((200, _)))
            {
                return Ok(());
            }
            if let Some(status) = self.child.try_wait()? {
                return Err(io::Error::other(format!(
                    "{} exited: {status}",
                    self.variant.name
                )));
            }
            if started.elapsed() > START_DEADLINE {
                return Err(io::Error::other(format!(
                    "{} did not start",
                    self.variant.name
                )));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A question with five choices.
    async fn seed(&mut self) -> io::Result<()> {
        let body = json!({
            "question_text": "Which benchmark?",
            "pub_date": "2026-01-01",
            "choices": ["a", "b", "c", "d", "e"],
        });
        let create = Request {
            method: "POST",
            path: "/polls/questions/".to_owned(),
            body: Some(body.to_string()),
            expect: 201,
        };
        let (status, body) = Connection::open(self.port).await?.send(&create).await?;
        if status != 201 {
            return Err(io::Error::other(format!(
                "{}: creating the question answered {status}",
                self.variant.name
            )));
        }
        let created: Value = serde_json::from_slice(&body).map_err(io::Error::other)?;
        self.question = created["id"].as_i64().unwrap_or_default();
        self.choices = created["choices"]
            .as_array()
            .map(|choices| choices.iter().filter_map(|c| c["id"].as_i64()).collect())
            .unwrap_or_default();
        Ok(())
    }

    /// Stops the process, then drops its PostgreSQL schema and Redis keys.
    pub async fn stop(mut self, env: &Environment) -> io::Result<()> {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
        if self.variant.postgres {
            drop_environment(&env.api, &self.environment, env).await?;
        }
        Ok(())
    }
}

fn configure_store(command: &mut Command, variant: Variant, env: &Environment) -> io::Result<()> {
    if !variant.postgres {
        command.args(["--store", "memory"]);
        return Ok(());
    }
    let url = env
        .database_url
        .as_deref()
        .ok_or_else(|| io::Error::other("POLL__DATABASE__URL is not set"))?;
    command
        .args(["--store", "postgres", "--migrate"])
        .env("POLL__DATABASE__URL", url);
    match (&env.redis_url, variant.cache) {
        (Some(redis), true) => {
            command.env("POLL__REDIS__URL", redis);
        }
        (None, true) => return Err(io::Error::other("POLL__REDIS__URL is not set")),
        (_, false) => {
            command.env_remove("POLL__REDIS__URL").arg("--no-cache");
        }
    }
    Ok(())
}

/// Full: JSON logs at info (to a null sink), every request traced (always_on) and exported to
/// the OTLP sink, metrics recorded; Sampled: 10 % of the traces. Logs and metrics: the same
/// without an OTLP endpoint. Off: no log, no trace export, no HTTP metrics.
fn configure_telemetry(command: &mut Command, variant: Variant, sink_port: u16) {
    for name in [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    ] {
        command.env_remove(name);
    }
    if variant.telemetry == Telemetry::Off {
        command
            .env("POLL__LOG__LEVEL", "off")
            .env("POLL__METRICS__ENABLED", "false");
        return;
    }
    command
        .env("POLL__LOG__FORMAT", "json")
        .env("POLL__LOG__LEVEL", "info")
        .env("POLL__METRICS__ENABLED", "true");
    let sampler = match variant.telemetry {
        Telemetry::Full => "always_on",
        Telemetry::Sampled => "parentbased_traceidratio",
        Telemetry::Off | Telemetry::LogsAndMetrics => return,
    };
    command
        .env(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            format!("http://127.0.0.1:{sink_port}"),
        )
        .env("OTEL_TRACES_SAMPLER", sampler)
        .env("OTEL_TRACES_SAMPLER_ARG", "0.1");
}

async fn drop_environment(api: &Path, environment: &str, env: &Environment) -> io::Result<()> {
    let mut command = Command::new(api);
    command
        .args(["env", "drop", environment])
        .env("POLL__LOG__LEVEL", "off")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(url) = &env.database_url {
        command.env("POLL__DATABASE__URL", url);
    }
    if let Some(url) = &env.redis_url {
        command.env("POLL__REDIS__URL", url);
    }
    command.status().await.map(|_| ())
}

/// What the OTLP sink received.
#[derive(Debug, Default)]
pub struct SinkCounts {
    pub requests: AtomicU64,
    pub bytes: AtomicU64,
}

/// Starts an OTLP/HTTP sink on a free loopback port: it answers 200 to every request.
pub async fn start_sink() -> io::Result<(u16, Arc<SinkCounts>)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let counts = Arc::new(SinkCounts::default());
    let shared = Arc::clone(&counts);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve_sink(stream, Arc::clone(&shared)));
        }
    });
    Ok((port, counts))
}

async fn serve_sink(stream: TcpStream, counts: Arc<SinkCounts>) -> io::Result<()> {
    let mut stream = BufReader::new(stream);
    let mut line = String::new();
    loop {
        let mut length = 0_usize;
        loop {
            line.clear();
            if stream.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or_default();
            }
        }
        let mut body = vec![0; length];
        stream.read_exact(&mut body).await?;
        counts.requests.fetch_add(1, Ordering::Relaxed);
        counts.bytes.fetch_add(length as u64, Ordering::Relaxed);
        stream
            .get_mut()
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
            .await?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::drive;

    #[tokio::test]
    async fn the_sink_answers_every_request_and_counts_them() {
        let (port, counts) = start_sink().await.expect("sink");
        let requests = [Request {
            method: "POST",
            path: "/v1/traces".to_owned(),
            body: Some("{\"spans\":[]}".to_owned()),
            expect: 200,
        }];
        let batch = drive(port, &requests, 40, 3).await.expect("driven");
        assert_eq!(batch.requests, 40);
        assert_eq!(batch.errors, 0);
        assert_eq!(batch.latencies.len(), 40);
        assert_eq!(counts.requests.load(Ordering::Relaxed), 40);
        assert_eq!(counts.bytes.load(Ordering::Relaxed), 40 * 12);
        // A status other than the expected one is an error.
        let wrong = [Request {
            expect: 201,
            ..requests[0].clone()
        }];
        let batch = drive(port, &wrong, 5, 2).await.expect("driven");
        assert_eq!(batch.errors, 5);
    }

    #[test]
    fn telemetry_variants_set_the_variables_they_say() {
        let variant = |telemetry| Variant {
            name: "x",
            postgres: false,
            cache: false,
            telemetry,
        };
        let vars = |telemetry| {
            let mut command = Command::new("true");
            configure_telemetry(&mut command, variant(telemetry), 4318);
            command
                .as_std()
                .get_envs()
                .filter_map(|(k, v)| Some((k.to_str()?.to_owned(), v?.to_str()?.to_owned())))
                .collect::<std::collections::HashMap<_, _>>()
        };
        let off = vars(Telemetry::Off);
        assert_eq!(off["POLL__METRICS__ENABLED"], "false");
        assert!(!off.contains_key("OTEL_EXPORTER_OTLP_ENDPOINT"));
        let logs = vars(Telemetry::LogsAndMetrics);
        assert_eq!(logs["POLL__LOG__FORMAT"], "json");
        assert!(!logs.contains_key("OTEL_EXPORTER_OTLP_ENDPOINT"));
        let full = vars(Telemetry::Full);
        assert_eq!(full["OTEL_EXPORTER_OTLP_ENDPOINT"], "http://127.0.0.1:4318");
        assert_eq!(full["OTEL_TRACES_SAMPLER"], "always_on");
        assert_eq!(
            vars(Telemetry::Sampled)["OTEL_TRACES_SAMPLER"],
            "parentbased_traceidratio"
        );
    }
}
