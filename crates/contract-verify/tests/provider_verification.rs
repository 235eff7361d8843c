//! Provider verification: the real service (PostgreSQL store) on a loopback port, a fresh
//! environment (its own schema) per test, provider states set through the store's port, and
//! every pact of `contracts/pacts/` replayed against it.
//!
//! Needs `POLL__DATABASE__URL` (`make test` starts a server and sets it); without it the tests
//! fail, they are never skipped. `POLL__REDIS__URL`, when set, turns the cache on as in
//! production.
// The verifier's report is printed for the test log.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use poll_contract_verify::{ProviderData, ProviderStates, Report, Verification, run};
use poll_domain::Environment;
use poll_postgres::{PostgresAdmin, PostgresSettings};
use poll_server::{Application, Settings};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixtures(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn database_url() -> String {
    let url = std::env::var("POLL__DATABASE__URL").unwrap_or_default();
    assert!(
        !url.trim().is_empty(),
        "POLL__DATABASE__URL is not set: provider verification runs the service on PostgreSQL. \
         Run `make test`, or start a server with `bash ci/services.sh up` and source the env \
         file it prints."
    );
    url
}

/// A running service on its own environment, dropped (schema and all) at the end.
struct Provider {
    base_url: String,
    environment: Environment,
    database: PostgresSettings,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let (database, environment) = (self.database.clone(), self.environment.clone());
        // Drop runs outside the test's runtime: a private one on a thread.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let (Ok(runtime), Ok(admin)) = (runtime, PostgresAdmin::connect(&database)) {
                let _ = runtime.block_on(admin.drop_environment(&environment));
            }
        })
        .join();
    }
}

async fn spawn_provider() -> Provider {
    poll_contract_verify::install_crypto_provider();
    let url = database_url();
    let environment = format!("test/contract-verify/{}", uuid::Uuid::new_v4());
    let mut vars: HashMap<String, String> = [
        ("POLL__SERVER__BIND", "127.0.0.1:0"),
        ("POLL__SERVER__WORKERS", "2"),
        ("POLL__SERVER__SHUTDOWN_TIMEOUT_SECS", "1"),
        ("POLL__STORE", "postgres"),
        ("POLL__ENVIRONMENT", environment.as_str()),
        ("POLL__DATABASE__URL", url.as_str()),
        // A machine busy compiling must not turn pool contention into 503s.
        ("POLL__DATABASE__ACQUIRE_TIMEOUT_MS", "10000"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    if let Ok(redis) = std::env::var("POLL__REDIS__URL") {
        vars.insert("POLL__REDIS__URL".to_owned(), redis);
    }
    let settings =
        Settings::load_from(Some(&workspace().join("config")), &vars).expect("valid test settings");
    let database = settings.database().expect("database settings").clone();
    let environment = settings.environment().expect("environment");
    PostgresAdmin::connect(&database)
        .expect("admin")
        .create_environment(&environment)
        .await
        .expect("creating the test environment");
    let application = Application::build(&settings).expect("the service builds");
    let base_url = format!("http://127.0.0.1:{}", application.port());
    tokio::spawn(application.run_until_stopped(std::future::pending()));
    let provider = Provider {
        base_url,
        environment,
        database,
    };
    // The listener is bound already: the first request is answered, no sleeping.
    let live = reqwest::get(format!("{}/health/live", provider.base_url))
        .await
        .expect("the service answers");
    assert!(live.status().is_success(), "the service is not live");
    provider
}

/// Verifies the pacts of `dir` against a fresh provider.
async fn verify_dir(dir: PathBuf) -> Report {
    let provider = spawn_provider().await;
    verify_against(&provider, dir).await
}

async fn verify_against(provider: &Provider, dir: PathBuf) -> Report {
    let data = ProviderData::connect(&provider.database, &provider.environment)
        .await
        .expect("the provider's data");
    let states = Arc::new(ProviderStates::new(data).await.expect("states"));
    let verification = Verification {
        base_url: provider.base_url.parse().expect("url"),
        pact_dir: Some(dir),
        broker: None,
        bearer_token: None,
    };
    let report = run(&verification, states).await.expect("the verifier ran");
    // The verifier has printed each interaction and the failures to the test's output.
    println!("{}", report.summary());
    report
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_pact_in_contracts_pacts_is_honoured() {
    let dir = workspace().join("contracts/pacts");
    assert!(
        !poll_contract_verify::pact_files(&dir)
            .expect("contracts/pacts")
            .is_empty(),
        "contracts/pacts holds no pact: run the consumer tests (cargo test -p poll-client)"
    );
    let report = verify_dir(dir).await;
    assert!(
        report.passed,
        "the provider breaks a pact:\n{}",
        report.summary()
    );
    assert!(
        report.state_failures.is_empty(),
        "{:?}",
        report.state_failures
    );
    assert!(
        report.interactions >= 10,
        "only {} interactions verified",
        report.interactions
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incompatible_pact_fails_verification() {
    let report = verify_dir(fixtures("incompatible")).await;
    assert!(
        !report.passed,
        "an incompatible pact passed:\n{}",
        report.summary()
    );
    assert_eq!(report.interactions, 2);
    assert_eq!(report.failed.len(), 2, "{:?}", report.failed);
    assert!(
        report
            .failed
            .iter()
            .any(|d| d.contains("expects an author"))
    );
    assert!(report.failed.iter().any(|d| d.contains("expects 200")));
    let output = report.output.join("\n");
    assert!(
        output.contains("missing the following keys: author"),
        "the missing field is named:\n{output}"
    );
    assert!(output.contains("expected 200 but was 201"), "{output}");
    assert!(
        report.state_failures.is_empty(),
        "the states themselves were fine"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_provider_state_fails_with_a_clear_message() {
    let report = verify_dir(fixtures("unknown-state")).await;
    assert!(!report.passed);
    // The unknown state and the one failing half-way fail; the next interaction starts from
    // clean data and passes.
    assert_eq!(report.interactions, 3);
    assert_eq!(report.failed.len(), 2, "{:?}", report.failed);
    assert!(
        !report
            .failed
            .iter()
            .any(|d| d.contains("after the failed ones"))
    );
    let failure = report.state_failures.join("\n");
    assert!(
        failure.contains("already voted"),
        "the store's refusal is named: {failure}"
    );
    assert!(failure.contains("unknown provider state"), "{failure}");
    assert!(failure.contains("the moon is made of cheese"), "{failure}");
    assert!(
        failure.contains("question N does not exist"),
        "the vocabulary is listed: {failure}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_v4_pact_with_state_parameters_is_honoured() {
    let report = verify_dir(fixtures("parameters")).await;
    assert!(report.passed, "{}", report.summary());
    assert_eq!(report.interactions, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pact_for_another_provider_is_reported_not_skipped() {
    let dir = std::env::temp_dir().join(format!("foreign-pacts-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("foreign.json"),
        r#"{"consumer":{"name":"x"},"provider":{"name":"Poll API"},"interactions":[],"metadata":{"pactSpecification":{"version":"3.0.0"}}}"#,
    )
    .unwrap();
    let report = verify_dir(dir.clone()).await;
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(!report.passed);
    assert!(
        report.unusable_pacts[0].contains("\"Poll API\""),
        "{:?}",
        report.unusable_pacts
    );
}

/// The CI agents' command, end to end: the binary against a running service.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_verifier_binary_verifies_a_running_environment() {
    let provider = spawn_provider().await;
    let run_binary = |dir: PathBuf| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_poll-contract-verify"));
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("PACT_DO_NOT_TRACK", "true")
            .env("PACT_BASE_URL", &provider.base_url)
            .env("PACT_DIR", dir)
            .env("POLL__DATABASE__URL", database_url())
            .env("POLL__ENVIRONMENT", provider.environment.name());
        tokio::task::spawn_blocking(move || command.output().expect("the binary runs"))
    };
    let passing = run_binary(workspace().join("contracts/pacts"))
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&passing.stdout);
    assert_eq!(
        passing.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&passing.stderr)
    );
    assert!(stdout.contains("pact verification PASSED"), "{stdout}");

    let failing = run_binary(fixtures("incompatible")).await.unwrap();
    assert_eq!(
        failing.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&failing.stdout)
    );
}

#[test]
fn the_verifier_binary_refuses_to_run_without_a_database() {
    let output = Command::new(env!("CARGO_BIN_EXE_poll-contract-verify"))
        .env_clear()
        .env("PACT_BASE_URL", "http://127.0.0.1:9")
        .env("PACT_DIR", workspace().join("contracts/pacts"))
        .env("POLL__ENVIRONMENT", "uat")
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("POLL__DATABASE__URL is not set"));

    let production = Command::new(env!("CARGO_BIN_EXE_poll-contract-verify"))
        .env_clear()
        .env("PACT_BASE_URL", "http://127.0.0.1:9")
        .env("PACT_DIR", workspace().join("contracts/pacts"))
        .env("POLL__ENVIRONMENT", "prod")
        .env("POLL__DATABASE__URL", "postgres://nobody@127.0.0.1:9/none")
        .output()
        .expect("the binary runs");
    assert_eq!(production.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&production.stderr).contains("refusing"));
}

/// The OpenAPI document the service serves is the one in `docs/openapi.json`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_served_openapi_document_matches_the_snapshot() {
    let provider = spawn_provider().await;
    let served: serde_json::Value = reqwest::get(format!("{}/openapi.json", provider.base_url))
        .await
        .expect("GET /openapi.json")
        .json()
        .await
        .expect("a JSON document");
    let mut text = serde_json::to_string_pretty(&served).unwrap();
    text.push('\n');
    let snapshot = workspace().join("docs/openapi.json");
    if std::env::var("UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1") {
        std::fs::write(&snapshot, &text).expect("writing docs/openapi.json");
        return;
    }
    let kept = std::fs::read_to_string(&snapshot).unwrap_or_default();
    let kept_json: serde_json::Value = serde_json::from_str(&kept).unwrap_or_default();
    if kept_json != served {
        let first_difference = text
            .lines()
            .zip(kept.lines().chain(std::iter::repeat("<end of snapshot>")))
            .enumerate()
            .find(|(_, (served, kept))| served != kept)
            .map_or_else(
                || "the snapshot has extra lines".to_owned(),
                |(n, (served, kept))| {
                    format!("line {}: served {served:?}, snapshot {kept:?}", n + 1)
                },
            );
        panic!(
            "docs/openapi.json differs from the served /openapi.json ({first_difference}). If the \
             change is intended, run `UPDATE_SNAPSHOTS=1 cargo test -p poll-contract-verify --test \
             provider_verification openapi` and commit docs/openapi.json."
        );
    }
}
