//! Removing an environment's keys (`env drop`): SCAN by prefix and UNLINK in batches.
use std::time::Duration;

use deadpool_redis::redis::{self, AsyncCommands};
use deadpool_redis::{Connection, Timeouts};

use crate::{RedisCache, RedisError, keys};

/// Keys asked for per SCAN step (and so at most about this many per UNLINK).
const SCAN_COUNT: usize = 500;
/// Bound on each step of an administrative operation (not on the whole operation).
const ADMIN_TIMEOUT: Duration = Duration::from_secs(10);

impl RedisCache {
    /// Deletes every key under this cache's environment prefix and returns how many went.
    ///
    /// Walks the keyspace with `SCAN MATCH <prefix>* COUNT 500` and `UNLINK`s each batch: it
    /// never blocks Redis the way `KEYS` would, and never touches another environment's keys
    /// (no `FLUSHDB`). Keys written while it runs may survive. It bypasses the circuit breaker
    /// and the command timeout (each step has its own 10 s bound): it is an operator's command
    /// and must report a failure rather than skip work.
    ///
    /// # Errors
    /// [`RedisError::Connection`], [`RedisError::Command`] or [`RedisError::Timeout`] when
    /// Redis cannot be reached or fails; keys already removed stay removed.
    pub async fn drop_environment_keys(&self) -> Result<u64, RedisError> {
        let pattern = keys::prefix_pattern(&self.prefix);
        let mut conn = self.admin_connection().await?;
        let mut cursor: u64 = 0;
        let mut removed: u64 = 0;
        loop {
            let mut scan = redis::cmd("SCAN");
            scan.arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(SCAN_COUNT);
            let (next, batch): (u64, Vec<Vec<u8>>) = bounded(scan.query_async(&mut conn)).await?;
            if !batch.is_empty() {
                let count: u64 = bounded(conn.unlink(batch)).await?;
                removed += count;
            }
            if next == 0 {
                break;
            }
            cursor = next;
        }
        tracing::info!(prefix = %self.prefix, removed, "environment keys removed from Redis");
        Ok(removed)
    }

    async fn admin_connection(&self) -> Result<Connection, RedisError> {
        let timeouts = Timeouts {
            wait: Some(ADMIN_TIMEOUT),
            create: Some(ADMIN_TIMEOUT),
            recycle: Some(ADMIN_TIMEOUT),
        };
        self.pool
            .timeout_get(&timeouts)
            .await
            .map_err(RedisError::Connection)
    }
}

async fn bounded<T>(command: impl Future<Output = redis::RedisResult<T>>) -> Result<T, RedisError> {
    tokio::time::timeout(ADMIN_TIMEOUT, command)
        .await
        .map_err(|_| RedisError::Timeout(ADMIN_TIMEOUT))?
        .map_err(RedisError::Command)
}
