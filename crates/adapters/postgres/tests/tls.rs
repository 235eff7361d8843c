//! TLS to PostgreSQL: certificates are verified against the configured CA bundle, and
//! `sslmode=require` refuses a server that does not offer TLS.
//!
//! Runs its own private server (it turns TLS on and off), with a CA and a server certificate
//! made here by the `openssl` command.
#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers: a failed expectation is the test failing"
)]

#[path = "support/private_services.rs"]
mod private_services;

use std::path::{Path, PathBuf};
use std::process::Command;

use poll_domain::Environment;
use poll_postgres::{PostgresSettings, PostgresStore};
use private_services::Services;

/// A CA and a server certificate for 127.0.0.1 signed by it; returns the CA file.
fn make_certificates(dir: &Path) -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../ci/lib/test-tls-certs.sh");
    let output = Command::new("bash")
        .arg(script)
        .arg(dir)
        .arg("server")
        .output()
        .expect("run the script");
    assert!(
        output.status.success(),
        "test-tls-certs.sh: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    dir.join("ca.crt")
}

/// Gives the server's key to the user PostgreSQL runs as (it refuses a key others can read).
fn hand_key_to_postgres(services: &Services, dir: &Path) {
    let data = services.state.join("pg").join("data");
    let owner = Command::new("stat")
        .arg("-c")
        .arg("%U")
        .arg(&data)
        .output()
        .expect("stat");
    let owner = String::from_utf8(owner.stdout)
        .expect("utf-8")
        .trim()
        .to_owned();
    for (file, mode) in [("server.key", "0600"), ("server.crt", "0644")] {
        let path = dir.join(file);
        assert!(
            Command::new("chmod")
                .arg(mode)
                .arg(&path)
                .status()
                .expect("chmod")
                .success()
        );
        assert!(
            Command::new("chown")
                .arg(&owner)
                .arg(&path)
                .status()
                .expect("chown")
                .success()
        );
    }
    // The server must be able to reach the files: open every directory on the way.
    let mut path = dir.to_path_buf();
    while path.pop() {
        let _ = Command::new("chmod").arg("o+x").arg(&path).status();
        if path == services.state {
            break;
        }
    }
}

fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

async fn set_server_tls(url: &str, tls_dir: Option<&Path>) {
    let plain = format!("{url}?sslmode=disable");
    let (client, connection) = tokio_postgres::connect(&plain, tokio_postgres::NoTls)
        .await
        .expect("plain connect");
    tokio::spawn(connection);
    let statements = match tls_dir {
        Some(dir) => vec![
            format!(
                "ALTER SYSTEM SET ssl_cert_file = {}",
                quote_literal(&dir.join("server.crt").to_string_lossy())
            ),
            format!(
                "ALTER SYSTEM SET ssl_key_file = {}",
                quote_literal(&dir.join("server.key").to_string_lossy())
            ),
            "ALTER SYSTEM SET ssl = on".to_owned(),
        ],
        None => vec!["ALTER SYSTEM SET ssl = off".to_owned()],
    };
    for statement in statements {
        client
            .batch_execute(&statement)
            .await
            .expect("alter system");
    }
    client
        .batch_execute("SELECT pg_reload_conf()")
        .await
        .expect("reload");
}

async fn ping(url: String, ca_file: Option<PathBuf>) -> Result<(), String> {
    let settings = PostgresSettings {
        ca_file,
        ..PostgresSettings::new(url)
    };
    let env = Environment::new("tls-probe").expect("name");
    let store = PostgresStore::connect(&settings, &env).map_err(|e| e.to_string())?;
    poll_ports::PollStore::ping(&store)
        .await
        .map_err(|e| format!("{e:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_is_verified_against_the_configured_ca_and_required_when_asked() {
    let (services, url) = Services::up("tls");
    let url = url.trim_end_matches('/').to_owned();
    let require = format!("{url}?sslmode=require");

    set_server_tls(&url, None).await;
    assert!(
        ping(require.clone(), None).await.is_err(),
        "sslmode=require must refuse a server without TLS"
    );

    let dir = services.state.join("tls");
    let ca = make_certificates(&dir);
    hand_key_to_postgres(&services, &dir);
    set_server_tls(&url, Some(&dir)).await;

    ping(require.clone(), Some(ca))
        .await
        .expect("TLS with the test CA trusted");
    assert!(
        ping(require, None).await.is_err(),
        "a certificate from an unknown CA must be refused when only the public roots are trusted"
    );
    ping(format!("{url}?sslmode=disable"), None)
        .await
        .expect("plain text when TLS is disabled");

    set_server_tls(&url, None).await;
}
