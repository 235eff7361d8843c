use std::fmt::Write as _;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use poll_ports::StoreError;
use tokio_postgres::NoTls;
use tokio_postgres::config::SslMode;
use tracing::Instrument as _;

use crate::errors::{self, PostgresError};
use crate::settings::PostgresSettings;
use crate::tls;

/// Figures of the connection pool, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    /// The most connections the pool may hold.
    pub max_size: usize,
    /// Connections open now (idle or in use).
    pub size: usize,
    /// Idle connections ready to be handed out.
    pub available: usize,
    /// Callers waiting for a connection.
    pub waiting: usize,
}

/// A lazy connection pool and the time budget for getting a connection from it.
///
/// Building it opens no connection, so a service can start while PostgreSQL is down and answer
/// `Unavailable` until it returns; broken connections are dropped when they are next checked out
/// (`RecyclingMethod::Verified`), so the pool heals by itself once the server is back.
#[derive(Clone)]
pub(crate) struct Db {
    pool: Pool,
    acquire_timeout: Duration,
}

impl Db {
    /// A pool whose every connection has the settings' `statement_timeout` and, when `schema` is
    /// given, `search_path` set to that schema alone, as connection options sent at start-up (they
    /// hold for the whole session, across recycling, and need no extra round trip).
    pub(crate) fn new(
        settings: &PostgresSettings,
        schema: Option<&str>,
    ) -> Result<Self, PostgresError> {
        if let Some(problem) = settings.problem() {
            return Err(PostgresError::InvalidSettings(problem));
        }
        let mut config: tokio_postgres::Config =
            settings.url.parse().map_err(PostgresError::InvalidUrl)?;
        config.connect_timeout(settings.connect_timeout());
        if config.get_application_name().is_none() {
            config.application_name("poll-api");
        }
        let mut options = config.get_options().unwrap_or_default().to_owned();
        let _ = write!(
            options,
            " -c statement_timeout={}",
            settings.statement_timeout_ms
        );
        if let Some(schema) = schema {
            // The schema is `[a-z0-9_]` by construction (no space to escape in the options
            // string); quoting it keeps it one identifier whatever it is.
            let _ = write!(options, " -c search_path={}", quote_ident(schema));
        }
        config.options(options.trim());

        let manager_config = ManagerConfig {
            recycling_method: RecyclingMethod::Verified,
        };
        let manager = if config.get_ssl_mode() == SslMode::Disable {
            Manager::from_config(config, NoTls, manager_config)
        } else {
            let tls = tls::connector(settings.ca_file.as_deref())?;
            Manager::from_config(config, tls, manager_config)
        };
        let pool = Pool::builder(manager)
            .max_size(settings.pool_max_size)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(settings.acquire_timeout()))
            .create_timeout(Some(settings.connect_timeout()))
            .recycle_timeout(Some(settings.connect_timeout()))
            .build()
            .map_err(PostgresError::Pool)?;
        Ok(Self {
            pool,
            acquire_timeout: settings.acquire_timeout(),
        })
    }

    /// A connection, within the acquire timeout in all, or `Unavailable`.
    pub(crate) async fn conn(&self) -> Result<Object, StoreError> {
        let acquire = tokio::time::timeout(self.acquire_timeout, self.pool.get()).instrument(
            tracing::info_span!(
                "db.pool.acquire",
                otel.name = "acquire connection",
                db.system.name = "postgresql",
            ),
        );
        match acquire.await {
            Ok(Ok(client)) => Ok(client),
            Ok(Err(error)) => Err(errors::from_pool(error)),
            Err(elapsed) => Err(StoreError::Unavailable(Box::new(elapsed))),
        }
    }

    /// Runs `SELECT 1` on a connection, all within the acquire timeout.
    pub(crate) async fn ping(&self) -> Result<(), StoreError> {
        let probe = async {
            let client = self.conn().await?;
            client
                .simple_query("SELECT 1")
                .await
                .map_err(|e| StoreError::Unavailable(Box::new(e)))?;
            Ok(())
        };
        match tokio::time::timeout(self.acquire_timeout, probe).await {
            Ok(result) => result,
            Err(elapsed) => Err(StoreError::Unavailable(Box::new(elapsed))),
        }
    }

    pub(crate) fn status(&self) -> PoolStatus {
        let status = self.pool.status();
        PoolStatus {
            max_size: status.max_size,
            size: status.size,
            available: status.available,
            waiting: status.waiting,
        }
    }
}

/// `name` as a quoted SQL identifier: in double quotes, inner double quotes doubled.
pub(crate) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_identifiers() {
        assert_eq!(quote_ident("env_uat_1"), "\"env_uat_1\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }

    #[tokio::test]
    async fn building_opens_no_connection() {
        // Nothing listens on port 1: building must still succeed, using it must not hang.
        let settings = PostgresSettings::new("postgres://nobody@127.0.0.1:1/none");
        let db = Db::new(&settings, Some("env_x")).expect("a lazy pool builds offline");
        let started = std::time::Instant::now();
        assert!(matches!(db.ping().await, Err(StoreError::Unavailable(_))));
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn refuses_a_bad_url_without_repeating_it() {
        let settings = PostgresSettings::new("postgres://user:s3cret@host:notaport/db");
        let error = Db::new(&settings, None)
            .err()
            .expect("a bad port is refused");
        assert!(!format!("{error} {error:?}").contains("s3cret"));
    }
}
