//! Helpers shared by the test binaries: where the database is, fresh environments and stores.
#![allow(dead_code, reason = "each test binary uses a part")]
#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers: a failed expectation is the test failing"
)]

use std::sync::Arc;

use poll_domain::Environment;
use poll_postgres::{PostgresAdmin, PostgresSettings, PostgresStore};

/// The variable that names the test database (the service's own configuration key).
pub const DATABASE_URL_VAR: &str = "POLL__DATABASE__URL";

/// The test database's URL. Never skips: without it the test fails and says what to do.
pub fn database_url() -> String {
    match std::env::var(DATABASE_URL_VAR) {
        Ok(url) if !url.trim().is_empty() => url,
        _ => panic!(
            "{DATABASE_URL_VAR} is not set: the PostgreSQL tests need a server. Start one with \
             `bash ci/services.sh up` and source the env file it prints (`make test` does both)."
        ),
    }
}

/// Settings for the test server: default timeouts, but a generous acquire timeout so that a
/// machine busy compiling does not turn contention into spurious `Unavailable`s.
pub fn settings() -> PostgresSettings {
    PostgresSettings {
        acquire_timeout_ms: 10_000,
        ..PostgresSettings::new(database_url())
    }
}

/// An environment no other test uses.
pub fn fresh_environment(prefix: &str) -> Environment {
    Environment::new(&format!("test/{prefix}/{}", uuid::Uuid::new_v4()))
        .expect("a valid environment name")
}

pub fn admin() -> PostgresAdmin {
    PostgresAdmin::connect(&settings()).expect("admin settings are valid")
}

/// A migrated store in an environment of its own.
pub async fn store_in(env: &Environment) -> PostgresStore {
    let store = PostgresStore::connect(&settings(), env).expect("store settings are valid");
    store
        .migrate()
        .await
        .expect("migrating a fresh environment");
    store
}

/// A migrated, empty store in a new environment (the contract suite's constructor).
pub async fn fresh_store() -> PostgresStore {
    store_in(&fresh_environment("contract")).await
}

/// Drops the store's environment (the contract suite's teardown).
pub async fn drop_store(store: Arc<PostgresStore>) {
    admin()
        .drop_environment(store.environment())
        .await
        .expect("dropping a test environment");
}
