use std::fmt;
use std::time::Duration;

use serde::Deserialize;

/// How to reach PostgreSQL and how long to wait for it.
///
/// Deserializes from the `database` section of the service's configuration (for example
/// `POLL__DATABASE__URL`); every field but `url` has a default. `Debug` never shows the URL, which
/// may carry a password.
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct PostgresSettings {
    /// `postgres://user:password@host:port/database` (or the key-value form). A secret.
    pub url: String,
    /// The most connections the pool opens. Default 16.
    #[serde(default = "defaults::pool_max_size")]
    pub pool_max_size: usize,
    /// How long opening one connection (TCP connect) may take, in milliseconds. Default 1000.
    #[serde(default = "defaults::connect_timeout_ms")]
    pub connect_timeout_ms: u64,
    /// How long getting a connection from the pool may take in all (waiting for a free slot,
    /// checking an idle connection, opening a new one), in milliseconds. Default 1500. Past it an
    /// operation fails with `StoreError::Unavailable`, so an unreachable database is reported
    /// quickly instead of hanging requests.
    #[serde(default = "defaults::acquire_timeout_ms")]
    pub acquire_timeout_ms: u64,
    /// The server-side `statement_timeout` of every connection, in milliseconds. Default 5000.
    #[serde(default = "defaults::statement_timeout_ms")]
    pub statement_timeout_ms: u64,
    /// How long one store operation (getting a connection and running its statements) may take
    /// in all, in milliseconds, before it fails with `StoreError::Unavailable`. Default 1800: a
    /// database that accepted the connection and then stopped answering (a frozen host, a
    /// network partition) must not hang a request, and the contract answers 503 within 2 s.
    /// Never shorter than the acquire timeout plus 300 ms (see [`Self::operation_timeout`]).
    #[serde(default = "defaults::operation_timeout_ms")]
    pub operation_timeout_ms: u64,
    /// A PEM file of the certificate authorities to trust for TLS (e.g. Amazon RDS's bundle).
    /// Without it the public web roots are trusted. TLS follows the URL's `sslmode`:
    /// `disable` is plain text, `prefer` (the default) uses TLS when the server offers it,
    /// `require` refuses a server without it; certificates are always verified.
    #[serde(default)]
    pub ca_file: Option<std::path::PathBuf>,
}

mod defaults {
    pub(super) fn pool_max_size() -> usize {
        16
    }
    pub(super) fn connect_timeout_ms() -> u64 {
        1000
    }
    pub(super) fn acquire_timeout_ms() -> u64 {
        1500
    }
    pub(super) fn statement_timeout_ms() -> u64 {
        5000
    }
    pub(super) fn operation_timeout_ms() -> u64 {
        1800
    }
}

impl PostgresSettings {
    /// Settings for `url` with every other field at its default.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            pool_max_size: defaults::pool_max_size(),
            connect_timeout_ms: defaults::connect_timeout_ms(),
            acquire_timeout_ms: defaults::acquire_timeout_ms(),
            statement_timeout_ms: defaults::statement_timeout_ms(),
            operation_timeout_ms: defaults::operation_timeout_ms(),
            ca_file: None,
        }
    }

    pub fn connect_timeout(&self) -> Duration {
        Duration::from_millis(self.connect_timeout_ms)
    }

    pub fn acquire_timeout(&self) -> Duration {
        Duration::from_millis(self.acquire_timeout_ms)
    }

    /// The bound on one whole operation: `operation_timeout_ms`, but never less than the acquire
    /// timeout plus 300 ms, so that raising the acquire timeout (a busy test machine) cannot
    /// leave an operation no time to run once it has its connection.
    pub fn operation_timeout(&self) -> Duration {
        Duration::from_millis(self.operation_timeout_ms.max(self.acquire_timeout_ms + 300))
    }

    /// Why these settings cannot work, if they cannot.
    pub(crate) fn problem(&self) -> Option<&'static str> {
        if self.pool_max_size == 0 {
            Some("pool_max_size must be at least 1")
        } else if self.connect_timeout_ms == 0 || self.acquire_timeout_ms == 0 {
            Some("connect_timeout_ms and acquire_timeout_ms must be at least 1")
        } else {
            None
        }
    }
}

impl fmt::Debug for PostgresSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresSettings")
            .field("url", &"[redacted]")
            .field("pool_max_size", &self.pool_max_size)
            .field("connect_timeout_ms", &self.connect_timeout_ms)
            .field("acquire_timeout_ms", &self.acquire_timeout_ms)
            .field("statement_timeout_ms", &self.statement_timeout_ms)
            .field("operation_timeout_ms", &self.operation_timeout_ms)
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_url() {
        let settings = PostgresSettings::new("postgres://app:s3cret@db.internal:5432/poll");
        let shown = format!("{settings:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(!shown.contains("db.internal"), "{shown}");
        assert!(shown.contains("[redacted]"), "{shown}");
    }

    #[test]
    fn defaults_fit_the_two_second_budget() {
        let settings = PostgresSettings::new("postgres://localhost/poll");
        assert_eq!(settings.pool_max_size, 16);
        assert_eq!(settings.connect_timeout_ms, 1000);
        assert_eq!(settings.acquire_timeout_ms, 1500);
        assert_eq!(settings.statement_timeout_ms, 5000);
        assert!(settings.acquire_timeout() < Duration::from_secs(2));
        assert!(settings.operation_timeout() < Duration::from_secs(2));
        assert_eq!(settings.problem(), None);
    }

    #[test]
    fn an_operation_always_has_time_to_run_after_the_acquire_timeout() {
        let settings = PostgresSettings {
            acquire_timeout_ms: 10_000,
            ..PostgresSettings::new("postgres://localhost/poll")
        };
        assert_eq!(settings.operation_timeout(), Duration::from_millis(10_300));
    }

    #[test]
    fn refuses_an_empty_pool() {
        let settings = PostgresSettings {
            pool_max_size: 0,
            ..PostgresSettings::new("postgres://localhost/poll")
        };
        assert!(settings.problem().is_some());
    }
}
