//! The metrics beyond HTTP, read at scrape time from the counters the use cases and adapters
//! keep (no second bookkeeping, nothing to update on the request path):
//!
//! | metric | type | from |
//! | --- | --- | --- |
//! | `poll_votes_total` | counter | votes counted by this process (replays excluded) |
//! | `poll_cache_hits_total`, `poll_cache_misses_total`, `poll_cache_stale_entries_total`, `poll_cache_errors_total` | counter | the cache-aside read path |
//! | `poll_redis_calls_total`, `_errors_total`, `_timeouts_total`, `_short_circuited_total`, `_corrupt_entries_total`, `_breaker_opened_total` | counter | the Redis adapter |
//! | `poll_redis_breaker_state{state}` | gauge | 1 for the breaker's current state (`closed`, `open`, `half_open`), 0 for the others |
//! | `db_client_connections_max`, `db_client_connections_usage{state="idle"\|"used"}`, `db_client_connections_pending_requests` | gauge | the PostgreSQL pool |
//! | `poll_build_info{version,commit,branch,environment}` | gauge | always 1 |

use std::collections::HashMap;
use std::sync::Arc;

use poll_http::{BuildInfo, Metrics, Service};
use poll_postgres::PostgresStore;
use poll_redis::{BreakerState, RedisCache};
use prometheus::core::{Collector, Desc};
use prometheus::proto::{Counter, Gauge, LabelPair, Metric, MetricFamily, MetricType};

/// Where the figures come from: the use cases always, the pool and Redis when in use.
pub(crate) struct Sources {
    pub(crate) service: Arc<Service>,
    pub(crate) pool: Option<PostgresStore>,
    pub(crate) redis: Option<Arc<RedisCache>>,
    pub(crate) build: BuildInfo,
}

/// The registry with the HTTP metrics and a collector for each source.
pub(crate) fn registry(sources: Sources) -> Result<Metrics, prometheus::Error> {
    let metrics = Metrics::new()?;
    let registry = metrics.registry();
    let service = Arc::clone(&sources.service);
    registry.register(Box::new(ReadAtScrape::new(move || {
        service_families(&service)
    })?))?;
    if let Some(pool) = sources.pool {
        registry.register(Box::new(ReadAtScrape::new(move || pool_families(&pool))?))?;
    }
    if let Some(redis) = sources.redis {
        registry.register(Box::new(ReadAtScrape::new(move || redis_families(&redis))?))?;
    }
    let build = sources.build;
    registry.register(Box::new(ReadAtScrape::new(move || {
        vec![build_info(&build)]
    })?))?;
    Ok(metrics)
}

/// A collector whose families are computed by `read` at each scrape.
struct ReadAtScrape<F> {
    descs: Vec<Desc>,
    read: F,
}

impl<F: Fn() -> Vec<MetricFamily> + Send + Sync> ReadAtScrape<F> {
    fn new(read: F) -> Result<Self, prometheus::Error> {
        let descs = read().iter().map(desc_of).collect::<Result<_, _>>()?;
        Ok(Self { descs, read })
    }
}

impl<F: Fn() -> Vec<MetricFamily> + Send + Sync> Collector for ReadAtScrape<F> {
    fn desc(&self) -> Vec<&Desc> {
        self.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        (self.read)()
    }
}

fn desc_of(family: &MetricFamily) -> Result<Desc, prometheus::Error> {
    let labels = family
        .get_metric()
        .first()
        .map(|m| m.get_label().iter().map(|l| l.name().to_owned()).collect())
        .unwrap_or_default();
    Desc::new(
        family.name().to_owned(),
        family.help().to_owned(),
        labels,
        HashMap::new(),
    )
}

fn service_families(service: &Service) -> Vec<MetricFamily> {
    let stats = service.stats();
    let cache = &stats.cache;
    vec![
        counter(
            "poll_votes_total",
            "Votes counted by this process (idempotent replays excluded).",
            stats.votes_counted(),
        ),
        counter(
            "poll_cache_hits_total",
            "Question reads served from the cache (entry at the store's current version).",
            cache.hits(),
        ),
        counter(
            "poll_cache_misses_total",
            "Question reads that went to the store: no entry, or a stale one.",
            cache.misses(),
        ),
        counter(
            "poll_cache_stale_entries_total",
            "Cache entries found at an older version than the store's (counted as misses too).",
            cache.stale_entries(),
        ),
        counter(
            "poll_cache_errors_total",
            "Cache calls that failed (Redis down, slow or short-circuited); the read went to the store.",
            cache.errors(),
        ),
    ]
}

fn pool_families(store: &PostgresStore) -> Vec<MetricFamily> {
    let pool = store.pool_status();
    let used = pool.size.saturating_sub(pool.available);
    vec![
        gauge(
            "db_client_connections_max",
            "The most PostgreSQL connections the pool may open.",
            &[(&[], pool.max_size)],
        ),
        gauge(
            "db_client_connections_usage",
            "PostgreSQL connections open, by state: idle or used.",
            &[
                (&[("state", "idle")], pool.available),
                (&[("state", "used")], used),
            ],
        ),
        gauge(
            "db_client_connections_pending_requests",
            "Requests waiting for a PostgreSQL connection from the pool.",
            &[(&[], pool.waiting)],
        ),
    ]
}

fn redis_families(redis: &RedisCache) -> Vec<MetricFamily> {
    let stats = redis.stats();
    let [closed, open, half_open] = [
        BreakerState::Closed,
        BreakerState::Open,
        BreakerState::HalfOpen,
    ]
    .map(|state| usize::from(state == stats.breaker_state));
    vec![
        counter(
            "poll_redis_calls_total",
            "Calls sent to Redis (the breaker let them through).",
            stats.calls,
        ),
        counter(
            "poll_redis_errors_total",
            "Redis calls that failed: no connection, a timeout or an error reply.",
            stats.errors,
        ),
        counter(
            "poll_redis_timeouts_total",
            "Redis calls that hit the command timeout (pool checkout included).",
            stats.timeouts,
        ),
        counter(
            "poll_redis_short_circuited_total",
            "Redis calls refused by the open circuit breaker without touching the network.",
            stats.short_circuited,
        ),
        counter(
            "poll_redis_corrupt_entries_total",
            "Cache entries found unreadable (read as misses).",
            stats.corrupt,
        ),
        counter(
            "poll_redis_breaker_opened_total",
            "How many times the Redis circuit breaker opened.",
            stats.breaker_opened,
        ),
        gauge(
            "poll_redis_breaker_state",
            "1 for the Redis circuit breaker's current state (closed, open, half_open), 0 for the others.",
            &[
                (&[("state", "closed")], closed),
                (&[("state", "open")], open),
                (&[("state", "half_open")], half_open),
            ],
        ),
    ]
}

fn build_info(build: &BuildInfo) -> MetricFamily {
    gauge(
        "poll_build_info",
        "The build and environment of this process (always 1).",
        &[(
            &[
                ("version", build.version.as_str()),
                ("commit", build.commit.as_str()),
                ("branch", build.branch.as_str()),
                ("environment", build.environment.as_str()),
            ],
            1,
        )],
    )
}

fn counter(name: &str, help: &str, value: u64) -> MetricFamily {
    let mut sample = Counter::default();
    #[allow(clippy::cast_precision_loss, reason = "exact below 2^53")]
    sample.set_value(value as f64);
    let mut metric = Metric::default();
    metric.set_counter(sample);
    family(name, help, MetricType::COUNTER, vec![metric])
}

fn gauge(name: &str, help: &str, samples: &[(&[(&str, &str)], usize)]) -> MetricFamily {
    let metrics = samples
        .iter()
        .map(|(labels, value)| {
            let mut sample = Gauge::default();
            #[allow(clippy::cast_precision_loss, reason = "exact below 2^53")]
            sample.set_value(*value as f64);
            let mut metric = Metric::from_gauge(sample);
            metric.set_label(labels.iter().map(|(k, v)| label(k, v)).collect());
            metric
        })
        .collect();
    family(name, help, MetricType::GAUGE, metrics)
}

fn label(name: &str, value: &str) -> LabelPair {
    let mut pair = LabelPair::default();
    pair.set_name(name.to_owned());
    pair.set_value(value.to_owned());
    pair
}

fn family(name: &str, help: &str, kind: MetricType, metrics: Vec<Metric>) -> MetricFamily {
    let mut family = MetricFamily::default();
    family.set_name(name.to_owned());
    family.set_help(help.to_owned());
    family.set_field_type(kind);
    family.set_metric(metrics);
    family
}
