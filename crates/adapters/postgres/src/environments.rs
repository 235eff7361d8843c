use std::fmt;

use poll_domain::Environment;

use crate::errors::PostgresError;
use crate::migrations;
use crate::pool::{Db, quote_ident};
use crate::settings::PostgresSettings;

/// An environment found on the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvironmentEntry {
    /// The schema (`env_<slug>_<hash>`).
    pub schema: String,
    /// The environment's name as given when it was created; `None` for an `env_` schema that
    /// this service did not create.
    pub name: Option<String>,
}

/// Administration of environments on one PostgreSQL server (`poll-api env create|drop|list`).
///
/// Each environment is one schema, derived from its name by [`Environment::schema`]; names are
/// never pasted into SQL, and the derived identifier is always quoted.
#[derive(Clone)]
pub struct PostgresAdmin {
    db: Db,
}

impl PostgresAdmin {
    /// Prepares a lazy pool on the server's default `search_path`; opens no connection yet.
    pub fn connect(settings: &PostgresSettings) -> Result<Self, PostgresError> {
        Ok(Self {
            db: Db::new(settings, None)?,
        })
    }

    /// Creates the environment's schema and applies every migration (idempotent).
    pub async fn create_environment(&self, env: &Environment) -> Result<(), PostgresError> {
        let mut client = self.db.conn().await?;
        migrations::migrate(&mut client, env).await
    }

    /// Drops the environment's schema with all of its data, and nothing else. Answers whether
    /// there was one.
    pub async fn drop_environment(&self, env: &Environment) -> Result<bool, PostgresError> {
        let mut client = self.db.conn().await?;
        migrations::drop_schema(&mut client, env).await
    }

    /// The environments on the server (schemas named `env_*`), by schema name.
    pub async fn list_environments(&self) -> Result<Vec<EnvironmentEntry>, PostgresError> {
        let client = self.db.conn().await?;
        let rows = client
            .query(
                r"SELECT nspname::text,
                         to_regclass(quote_ident(nspname) || '.environment_info') IS NOT NULL
                    FROM pg_namespace
                   WHERE nspname LIKE 'env\_%'
                   ORDER BY nspname",
                &[],
            )
            .await
            .map_err(PostgresError::from_db)?;
        let mut entries = Vec::with_capacity(rows.len());
        for row in rows {
            let schema: String = row.try_get(0).map_err(PostgresError::Database)?;
            let has_info: bool = row.try_get(1).map_err(PostgresError::Database)?;
            let name = if has_info {
                let sql = format!(
                    "SELECT name FROM {}.environment_info LIMIT 1",
                    quote_ident(&schema)
                );
                match client.query_opt(&sql, &[]).await {
                    Ok(row) => row
                        .map(|r| r.try_get(0))
                        .transpose()
                        .map_err(PostgresError::Database)?,
                    // Dropped between the two statements: it is gone, leave it out.
                    Err(e)
                        if e.code() == Some(&tokio_postgres::error::SqlState::UNDEFINED_TABLE) =>
                    {
                        continue;
                    }
                    Err(e) => return Err(PostgresError::from_db(e)),
                }
            } else {
                None
            };
            entries.push(EnvironmentEntry { schema, name });
        }
        Ok(entries)
    }
}

impl fmt::Debug for PostgresAdmin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresAdmin")
            .field("pool", &self.db.status())
            .finish()
    }
}
