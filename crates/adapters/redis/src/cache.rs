use std::fmt;
use std::future::Future;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use deadpool_redis::redis::{self, Script};
use deadpool_redis::{Connection, Manager, Pool, Runtime};
use poll_domain::{Environment, QuestionDetail, QuestionId};
use poll_ports::{CacheError, DetailCache};
use tracing::Instrument as _;

use crate::breaker::Breaker;
use crate::codec::DecodeError;
use crate::error::CallError;
use crate::stats::Counters;
use crate::{RedisError, RedisSettings, RedisStats, codec, keys, script};

/// The question-detail cache on Redis, under one environment's key prefix.
///
/// Every call is bounded by the command timeout (pool checkout included) and goes through a
/// circuit breaker; failures come back as [`CacheError::Unavailable`] (never a panic, never a
/// wait longer than the timeout), unreadable entries as [`CacheError::Corrupt`]. The pool is
/// lazy: the cache can be built while Redis is down and starts working when Redis comes up.
pub struct RedisCache {
    pub(crate) pool: Pool,
    pub(crate) prefix: String,
    timeout: Duration,
    ttl_secs: u64,
    breaker: Breaker,
    counters: Counters,
    put: Script,
}

impl RedisCache {
    /// Builds the cache without connecting (connections are opened on first use).
    ///
    /// # Errors
    /// [`RedisError::InvalidUrl`] or [`RedisError::InvalidSettings`] when the settings cannot
    /// work, [`RedisError::Pool`] when the pool cannot be built. Never because Redis is down.
    pub fn connect(settings: &RedisSettings, env: &Environment) -> Result<Self, RedisError> {
        if let Some(reason) = settings.invalid_setting() {
            return Err(RedisError::InvalidSettings(reason));
        }
        let timeout = settings.command_timeout();
        // `rediss://` needs rustls' process-wide crypto provider; ring is the workspace's one.
        // Installing fails only when one is installed already, which is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let manager = Manager::new(settings.url.as_str()).map_err(|_| RedisError::InvalidUrl)?;
        let pool = Pool::builder(manager)
            .max_size(settings.pool_max_size)
            .wait_timeout(Some(timeout))
            .create_timeout(Some(timeout))
            .recycle_timeout(Some(timeout))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(RedisError::Pool)?;
        Ok(Self {
            pool,
            prefix: env.key_prefix(),
            timeout,
            ttl_secs: settings.ttl_secs,
            breaker: Breaker::new(
                settings.breaker_failure_threshold,
                settings.breaker_cooldown(),
            ),
            counters: Counters::default(),
            put: script::put_script(),
        })
    }

    /// The prefix of every key of this cache's environment.
    pub fn key_prefix(&self) -> &str {
        &self.prefix
    }

    /// A snapshot of the counters and the breaker's state.
    pub fn stats(&self) -> RedisStats {
        self.counters
            .snapshot(self.breaker.state(), self.breaker.opened())
    }

    fn key(&self, id: QuestionId) -> String {
        keys::question_key(&self.prefix, id)
    }

    /// Runs one operation on a pooled connection, through the breaker, within the timeout, in a
    /// span named by the command (`db.system.name = redis`; keys and values are not recorded).
    async fn call<T, F, Fut>(&self, command: &'static str, op: F) -> Result<T, CallError>
    where
        F: FnOnce(Connection) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let span = tracing::info_span!(
            "redis",
            otel.name = command,
            otel.kind = "client",
            db.system.name = "redis",
            db.operation.name = command,
            redis.short_circuited = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
        );
        let result = self.call_unobserved(op).instrument(span.clone()).await;
        match &result {
            Err(CallError::CircuitOpen) => {
                span.record("redis.short_circuited", true);
            }
            Err(_) => {
                span.record("otel.status_code", "error");
            }
            Ok(_) => {}
        }
        result
    }

    async fn call_unobserved<T, F, Fut>(&self, op: F) -> Result<T, CallError>
    where
        F: FnOnce(Connection) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let Some(permit) = self.breaker.admit(Instant::now()) else {
            self.counters.short_circuit();
            return Err(CallError::CircuitOpen);
        };
        self.counters.call();
        let attempt = async {
            let conn = self.pool.get().await.map_err(CallError::Pool)?;
            op(conn).await.map_err(CallError::Redis)
        };
        let result = tokio::time::timeout(self.timeout, attempt)
            .await
            .unwrap_or(Err(CallError::Timeout(self.timeout)));
        let now = Instant::now();
        match &result {
            Ok(_) => permit.succeeded(now),
            Err(e) => {
                if e.is_wrong_type() {
                    self.counters.corrupt();
                } else {
                    self.counters.error();
                }
                if e.is_timeout() {
                    self.counters.timeout();
                }
                if e.is_outage() {
                    permit.failed(now);
                } else {
                    permit.succeeded(now);
                }
            }
        }
        result
    }
}

fn unavailable(e: CallError) -> CacheError {
    if e.is_wrong_type() {
        CacheError::Corrupt(Box::new(e))
    } else {
        CacheError::Unavailable(Box::new(e))
    }
}

#[async_trait]
impl DetailCache for RedisCache {
    async fn get(&self, id: QuestionId) -> Result<Option<QuestionDetail>, CacheError> {
        let key = self.key(id);
        let raw: Option<Vec<u8>> = self
            .call("HGET", |mut conn| async move {
                redis::cmd("HGET")
                    .arg(&key)
                    .arg("d")
                    .query_async(&mut conn)
                    .await
            })
            .await
            .map_err(unavailable)?;
        let Some(raw) = raw else { return Ok(None) };
        codec::decode(&raw)
            .and_then(|detail| {
                // An entry must describe the question of its key, or it is not ours to serve.
                if detail.question.id == id {
                    Ok(detail)
                } else {
                    Err(DecodeError::Invalid("key"))
                }
            })
            .map(Some)
            .map_err(|e| {
                self.counters.corrupt();
                tracing::debug!(question_id = %id, error = %e, "unreadable cache entry");
                CacheError::Corrupt(Box::new(e))
            })
    }

    async fn put(&self, detail: &QuestionDetail) -> Result<(), CacheError> {
        let key = self.key(detail.question.id);
        let data = codec::encode(detail).map_err(|e| CacheError::Corrupt(Box::new(e)))?;
        let mut invocation = self.put.key(&key);
        invocation.arg(detail.version).arg(data).arg(self.ttl_secs);
        let invocation = &invocation;
        let written: i64 = self
            .call("EVALSHA", |mut conn| async move {
                invocation.invoke_async(&mut conn).await
            })
            .await
            .map_err(unavailable)?;
        if written == 0 {
            tracing::debug!(question_id = %detail.question.id, version = detail.version, "cache kept a newer entry");
        }
        Ok(())
    }

    async fn remove(&self, id: QuestionId) -> Result<(), CacheError> {
        let key = self.key(id);
        let _: i64 = self
            .call("DEL", |mut conn| async move {
                redis::cmd("DEL").arg(&key).query_async(&mut conn).await
            })
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn ping(&self) -> Result<bool, CacheError> {
        let reply: String = self
            .call("PING", |mut conn| async move {
                redis::cmd("PING").query_async(&mut conn).await
            })
            .await
            .map_err(unavailable)?;
        if reply == "PONG" {
            Ok(true)
        } else {
            Err(CacheError::Unavailable(Box::new(
                CallError::UnexpectedReply,
            )))
        }
    }
}

impl fmt::Debug for RedisCache {
    // The pool's Debug would show the connection info, password included: not printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisCache")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("ttl_secs", &self.ttl_secs)
            .field("breaker", &self.breaker.state())
            .finish_non_exhaustive()
    }
}
