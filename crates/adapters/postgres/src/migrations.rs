//! Versioned schema migrations, embedded in the binary, applied per environment schema.
//!
//! A small hand-written migrator rather than `refinery`: the whole of "create the schema, record
//! the environment's name, apply what is missing" must run in ONE transaction that holds a
//! transaction-level advisory lock keyed by the schema, so that replicas migrating at once queue up
//! and a failure anywhere leaves nothing half-done (PostgreSQL DDL is transactional) and no lock
//! behind on a pooled connection. refinery runs each migration in its own transaction, cannot
//! be told to take our lock or create the schema first, and would add a dozen crates for
//! the twenty lines below. The price: a migration cannot use statements that refuse to run in a
//! transaction (`CREATE INDEX CONCURRENTLY`).
//!
//! History lives in `<schema>.schema_migrations` with a checksum of each migration's text: an
//! applied migration that was edited afterwards is reported, not silently skipped. Versions in
//! the history that this binary does not know (a newer release migrated first) are left alone.

use std::collections::HashMap;

use deadpool_postgres::ClientWrapper;
use poll_domain::{Environment, fnv1a64};

use crate::errors::PostgresError;
use crate::pool::quote_ident;

struct Migration {
    version: i32,
    name: &'static str,
    sql: &'static str,
}

impl Migration {
    fn checksum(&self) -> i64 {
        i64::from_ne_bytes(fnv1a64(self.sql.as_bytes()).to_ne_bytes())
    }
}

/// Every migration, in order. Append only: never edit or reorder an applied one.
const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "initial",
    sql: include_str!("../migrations/0001_initial.sql"),
}];

/// Creates the environment's schema if needed and brings it to the latest version.
///
/// Safe to run any number of times, from any number of processes at once.
pub(crate) async fn migrate(
    client: &mut ClientWrapper,
    env: &Environment,
) -> Result<(), PostgresError> {
    let schema = quote_ident(env.schema());
    let tx = client.transaction().await.map_err(PostgresError::from_db)?;
    // Migrations may be slow, and waiting for another replica's migration is expected.
    tx.batch_execute("SET LOCAL statement_timeout = 0")
        .await
        .map_err(PostgresError::from_db)?;
    tx.execute(
        "SELECT pg_advisory_xact_lock($1)",
        &[&schema_lock_key(env.schema())],
    )
    .await
    .map_err(PostgresError::from_db)?;
    tx.batch_execute(&format!(
        "CREATE SCHEMA IF NOT EXISTS {schema};
         SET LOCAL search_path TO {schema};
         CREATE TABLE IF NOT EXISTS schema_migrations (
             version    integer     PRIMARY KEY,
             name       text        NOT NULL,
             checksum   bigint      NOT NULL,
             applied_at timestamptz NOT NULL DEFAULT now()
         );
         CREATE TABLE IF NOT EXISTS environment_info (
             singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
             name      text    NOT NULL
         );"
    ))
    .await
    .map_err(PostgresError::from_db)?;
    tx.execute(
        "INSERT INTO environment_info (name) VALUES ($1) ON CONFLICT (singleton) DO NOTHING",
        &[&env.name()],
    )
    .await
    .map_err(PostgresError::from_db)?;

    let applied: HashMap<i32, i64> = tx
        .query("SELECT version, checksum FROM schema_migrations", &[])
        .await
        .map_err(PostgresError::from_db)?
        .iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
        .collect::<Result<_, tokio_postgres::Error>>()
        .map_err(PostgresError::Database)?;

    for migration in MIGRATIONS {
        match applied.get(&migration.version) {
            Some(&checksum) if checksum == migration.checksum() => {}
            Some(_) => {
                return Err(PostgresError::ChangedMigration {
                    version: migration.version,
                    name: migration.name,
                });
            }
            None => {
                let failed = |source| PostgresError::Migration {
                    version: migration.version,
                    name: migration.name,
                    source,
                };
                tx.batch_execute(migration.sql).await.map_err(failed)?;
                tx.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    &[&migration.version, &migration.name, &migration.checksum()],
                )
                .await
                .map_err(failed)?;
            }
        }
    }
    tx.commit().await.map_err(PostgresError::from_db)
}

/// Drops the environment's schema and everything in it; `false` when there was none.
pub(crate) async fn drop_schema(
    client: &mut ClientWrapper,
    env: &Environment,
) -> Result<bool, PostgresError> {
    let tx = client.transaction().await.map_err(PostgresError::from_db)?;
    tx.batch_execute("SET LOCAL statement_timeout = 0")
        .await
        .map_err(PostgresError::from_db)?;
    tx.execute(
        "SELECT pg_advisory_xact_lock($1)",
        &[&schema_lock_key(env.schema())],
    )
    .await
    .map_err(PostgresError::from_db)?;
    let existed = tx
        .query_opt(
            "SELECT 1 FROM pg_namespace WHERE nspname = $1",
            &[&env.schema()],
        )
        .await
        .map_err(PostgresError::from_db)?
        .is_some();
    if existed {
        tx.batch_execute(&format!(
            "DROP SCHEMA {} CASCADE",
            quote_ident(env.schema())
        ))
        .await
        .map_err(PostgresError::from_db)?;
    }
    tx.commit().await.map_err(PostgresError::from_db)?;
    Ok(existed)
}

/// The advisory lock that serializes migrating and dropping one schema.
fn schema_lock_key(schema: &str) -> i64 {
    lock_key(&[b"poll-api/migrate", schema.as_bytes()])
}

/// A 64-bit advisory lock key from parts (FNV-1a with a separator between parts).
pub(crate) fn lock_key(parts: &[&[u8]]) -> i64 {
    let mut bytes = Vec::new();
    for part in parts {
        bytes.extend_from_slice(part);
        bytes.push(0xff); // never in UTF-8, so parts cannot run into each other
    }
    i64::from_ne_bytes(fnv1a64(&bytes).to_ne_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_strictly_increase() {
        assert!(MIGRATIONS.windows(2).all(|w| w[0].version < w[1].version));
        assert_eq!(MIGRATIONS.first().map(|m| m.version), Some(1));
    }

    #[test]
    fn lock_keys_differ_by_part_boundaries() {
        assert_ne!(lock_key(&[b"ab", b"c"]), lock_key(&[b"a", b"bc"]));
        assert_eq!(lock_key(&[b"x"]), lock_key(&[b"x"]));
    }
}
