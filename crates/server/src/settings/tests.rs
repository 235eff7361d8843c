use std::collections::HashMap;
use std::path::PathBuf;

use super::*;

fn repo_config() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config")
}

fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn the_local_environment_runs_in_memory_with_no_set_up() {
    let settings = Settings::load_from(Some(&repo_config()), &vars(&[])).expect("valid");
    assert_eq!(settings.environment, "local");
    assert_eq!(settings.store, StoreKind::Memory);
    assert_eq!(settings.log.format, LogFormat::Pretty);
    assert!(settings.database.is_none());
    assert!(settings.redis.is_none());
    assert!(settings.auth.tokens().is_empty());
    assert_eq!(settings.app.idempotency_ttl_secs, 86_400);
}

#[test]
fn other_environments_default_to_postgres_and_need_its_url() {
    let error = Settings::load_from(Some(&repo_config()), &vars(&[("POLL__ENVIRONMENT", "uat")]))
        .expect_err("no database url");
    assert!(error.to_string().contains("POLL__DATABASE__URL"), "{error}");

    let settings = Settings::load_from(
        Some(&repo_config()),
        &vars(&[
            ("POLL_ENVIRONMENT", "feature/add-votes"),
            ("POLL__DATABASE__URL", "postgres://app:s3cret@db:5432/poll"),
            ("POLL__DATABASE__POOL_MAX_SIZE", "4"),
        ]),
    )
    .expect("valid");
    assert_eq!(settings.environment, "feature/add-votes");
    assert_eq!(settings.store, StoreKind::Postgres);
    let database = settings.database.as_ref().expect("database");
    assert_eq!(database.pool_max_size, 4);
    assert_eq!(database.acquire_timeout_ms, 1500);
}

#[test]
fn variables_override_files_and_tokens_are_comma_separated() {
    let settings = Settings::load_from(
        Some(&repo_config()),
        &vars(&[
            ("POLL__SERVER__BIND", "0.0.0.0:9000"),
            ("POLL__SERVER__WORKERS", "3"),
            ("POLL__AUTH__TOKENS", "alpha, beta,,"),
            ("POLL__REDIS__URL", "redis://:pw@cache:6379/0"),
            ("POLL__LOG__FORMAT", "json"),
        ]),
    )
    .expect("valid");
    assert_eq!(settings.server.bind, "0.0.0.0:9000");
    assert_eq!(settings.server.workers, 3);
    assert_eq!(settings.auth.tokens(), ["alpha", "beta"]);
    assert_eq!(settings.log.format, LogFormat::Json);
    assert_eq!(
        settings.redis.as_ref().map(|r| r.url.as_str()),
        Some("redis://:pw@cache:6379/0")
    );
}

#[test]
fn debug_output_redacts_every_secret() {
    let settings = Settings::load_from(
        Some(&repo_config()),
        &vars(&[
            (
                "POLL__DATABASE__URL",
                "postgres://app:pg-s3cret@db:5432/poll",
            ),
            ("POLL__REDIS__URL", "redis://:redis-s3cret@cache:6379/0"),
            ("POLL__AUTH__TOKENS", "token-s3cret"),
        ]),
    )
    .expect("valid");
    let shown = format!("{settings:#?}");
    assert!(!shown.contains("s3cret"), "{shown}");
    assert!(shown.contains("[redacted"), "{shown}");
}

#[test]
fn the_binary_runs_without_a_config_dir() {
    let settings = Settings::load_from(None, &vars(&[("POLL__STORE", "memory")])).expect("valid");
    assert_eq!(settings.environment, "local");
    assert_eq!(settings.server.bind, "127.0.0.1:8080");
}

#[test]
fn environment_names_never_select_a_file_outside_the_dir() {
    assert!(is_plain_file_stem("uat"));
    assert!(is_plain_file_stem("release-1.2"));
    for name in ["feature/x", "../secrets", ".hidden", "", "a b"] {
        assert!(!is_plain_file_stem(name), "{name}");
    }
}

#[test]
fn bad_values_are_refused_with_the_setting_named() {
    let error = Settings::load_from(Some(&repo_config()), &vars(&[("POLL__STORE", "sqlite")]))
        .expect_err("unknown store");
    assert!(error.to_string().contains("store"), "{error}");
}
