//! `rediss://` (ElastiCache with in-transit encryption): the service reaches a TLS-only Redis
//! whose certificate the platform's trust store vouches for, and refuses one it does not.
//!
//! The trust store is the system's, which `SSL_CERT_FILE` points elsewhere: here, at a CA made
//! by `ci/lib/test-tls-certs.sh` for this test.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::client;
use crate::private_redis::free_port;
use crate::served::Served;

/// A CA, and a certificate for 127.0.0.1 signed by it, in `dir`.
fn make_certificates(dir: &Path) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ci/lib/test-tls-certs.sh");
    let output = Command::new("bash")
        .arg(script)
        .arg(dir)
        .arg("redis")
        .output()
        .expect("run the script");
    assert!(
        output.status.success(),
        "test-tls-certs.sh: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A redis-server that speaks only TLS, killed when dropped.
struct TlsRedis {
    child: Child,
    port: u16,
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl TlsRedis {
    fn start(dir: &Path) -> Self {
        let port = free_port();
        let file = |name: &str| dir.join(name).to_string_lossy().into_owned();
        let child = Command::new("redis-server")
            .args([
                "--port",
                "0",
                "--tls-port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
            ])
            .args([
                "--tls-cert-file",
                &file("redis.crt"),
                "--tls-key-file",
                &file("redis.key"),
            ])
            .args([
                "--tls-ca-cert-file",
                &file("ca.crt"),
                "--tls-auth-clients",
                "no",
            ])
            .args(["--save", "", "--appendonly", "no", "--logfile", ""])
            .arg("--dir")
            .arg(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is installed (ci/services.sh installs it)");
        let server = Self { child, port };
        server.wait_until_listening();
        server
    }

    fn wait_until_listening(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "TLS redis-server did not listen on {}",
                self.port
            );
            std::thread::yield_now();
        }
    }

    fn url(&self) -> String {
        format!("rediss://127.0.0.1:{}/", self.port)
    }
}

fn variables(redis_url: &str, trust: Option<&Path>) -> HashMap<String, String> {
    let mut vars = HashMap::from([
        ("POLL__STORE".to_owned(), "memory".to_owned()),
        (
            "POLL__ENVIRONMENT".to_owned(),
            format!("test/cache/tls/{}", uuid::Uuid::new_v4()),
        ),
        ("POLL__REDIS__URL".to_owned(), redis_url.to_owned()),
        // A TLS handshake on a busy machine takes longer than the default cache timeout.
        (
            "POLL__REDIS__COMMAND_TIMEOUT_MS".to_owned(),
            "2000".to_owned(),
        ),
    ]);
    if let Some(ca) = trust {
        vars.insert(
            "SSL_CERT_FILE".to_owned(),
            ca.to_string_lossy().into_owned(),
        );
    }
    vars
}

async fn readiness(client: &reqwest::Client, served: &Served) -> Value {
    let response = client
        .get(format!("{}/health/ready", served.address))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_redis_is_used_when_its_certificate_is_trusted_and_refused_otherwise() {
    let dir = std::env::temp_dir().join(format!("poll-redis-tls-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    make_certificates(&dir);
    let redis = TlsRedis::start(&dir);
    let client = client();

    let trusted = Served::start(
        &[],
        variables(&redis.url(), Some(&dir.join("ca.crt"))),
        &client,
    )
    .await;
    assert_eq!(
        readiness(&client, &trusted).await,
        json!({"status": "ready", "checks": {"postgres": "up", "redis": "up"}}),
        "PING over TLS with the test CA trusted"
    );
    drop(trusted);

    let untrusted = Served::start(&[], variables(&redis.url(), None), &client).await;
    assert_eq!(
        readiness(&client, &untrusted).await,
        json!({"status": "degraded", "checks": {"postgres": "up", "redis": "down"}}),
        "a certificate of an unknown CA must be refused"
    );
    drop(untrusted);
    drop(redis);
    let _ = std::fs::remove_dir_all(&dir);
}
