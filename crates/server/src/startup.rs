//! The composition root: picks the adapters, builds the use cases and the HTTP server.

use std::fmt;
use std::future::Future;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use poll_app::{AppSettings, PollService};
use poll_http::{AuthConfig, HttpState, ServeOptions, Service};
use poll_memory::MemoryStore;
use poll_ports::{DetailCache, NoCache, PollStore, SystemClock};
use poll_postgres::PostgresStore;
use poll_redis::RedisCache;

use crate::build_info::build_info;
use crate::error::ServerError;
use crate::metrics::{self, Sources};
use crate::settings::{Settings, StoreKind};

/// A bound, ready-to-run service.
pub struct Application {
    port: u16,
    server: Server,
    metrics_server: Option<(u16, Server)>,
    service: Arc<Service>,
    purge_interval: Duration,
}

impl fmt::Debug for Application {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Application")
            .field("port", &self.port)
            .field("metrics_port", &self.metrics_port())
            .field("purge_interval", &self.purge_interval)
            .finish_non_exhaustive()
    }
}

/// The adapters the settings name, kept concrete where metrics read them.
struct Adapters {
    store: Arc<dyn PollStore>,
    pool: Option<PostgresStore>,
}

impl Application {
    /// Builds the adapters the settings name and binds the listener (port 0 picks a free one).
    /// Opens no database connection: the service starts while PostgreSQL is down and reports it
    /// on `/health/ready`. Call within a Tokio runtime.
    pub fn build(settings: &Settings) -> Result<Self, ServerError> {
        Self::build_from(settings, adapters(settings)?)
    }

    /// Like [`Application::build`], with a given store (tests use this for failing stores).
    pub fn build_with_store(
        settings: &Settings,
        store: Arc<dyn PollStore>,
    ) -> Result<Self, ServerError> {
        Self::build_from(settings, Adapters { store, pool: None })
    }

    fn build_from(settings: &Settings, adapters: Adapters) -> Result<Self, ServerError> {
        let environment = settings.environment()?;
        let redis = match &settings.redis {
            Some(redis) => Some(Arc::new(RedisCache::connect(redis, &environment)?)),
            None => None,
        };
        let cache: Arc<dyn DetailCache> = match &redis {
            Some(redis) => Arc::clone(redis) as Arc<dyn DetailCache>,
            None => Arc::new(NoCache),
        };
        let app_settings = AppSettings {
            idempotency_ttl: Duration::from_secs(settings.app.idempotency_ttl_secs),
        };
        let service: Arc<Service> = Arc::new(PollService::new(
            adapters.store,
            cache,
            Arc::new(SystemClock),
            app_settings,
        ));
        let build = build_info(environment.name());
        let mut state = HttpState::new(
            Arc::clone(&service),
            AuthConfig::with_tokens(settings.auth.tokens()),
            build.clone(),
        );
        if settings.metrics.enabled {
            state = state.with_metrics(metrics::registry(Sources {
                service: Arc::clone(&service),
                pool: adapters.pool,
                redis,
                build,
            })?);
        }
        let (listener, port) = bind(&settings.server.bind)?;
        let metrics_server = match settings.metrics.bind().filter(|_| state.metrics.is_some()) {
            Some(address) => {
                let (listener, port) = bind(address)?;
                Some((port, poll_http::serve_metrics(listener, state.clone())?))
            }
            None => None,
        };
        let server = poll_http::serve(listener, state, &serve_options(settings))?;
        log_listening(settings, port, metrics_server.as_ref().map(|(p, _)| *p));
        Ok(Self {
            port,
            server,
            metrics_server,
            service,
            purge_interval: Duration::from_secs(settings.app.purge_interval_secs),
        })
    }

    /// The port the listener is bound to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the metrics-only listener, when `metrics.bind` is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_server.as_ref().map(|(port, _)| *port)
    }

    /// Serves until `shutdown` completes, then stops gracefully (requests in flight finish,
    /// within the shutdown timeout). Purges expired idempotency keys meanwhile.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), ServerError> {
        let handle = self.server.handle();
        let purge = tokio::spawn(purge_expired_keys(self.service, self.purge_interval));
        let metrics = self.metrics_server.map(|(_, server)| {
            let handle = server.handle();
            (handle, tokio::spawn(server))
        });
        let mut server = tokio::spawn(self.server);
        let outcome = tokio::select! {
            finished = &mut server => finished,
            () = shutdown => {
                log_stopping();
                handle.stop(true).await;
                server.await
            }
        };
        purge.abort();
        if let Some((handle, task)) = metrics {
            handle.stop(true).await;
            let _ = task.await;
        }
        match outcome {
            Ok(result) => Ok(result?),
            Err(join) => Err(ServerError::Io(std::io::Error::other(join))),
        }
    }
}

fn adapters(settings: &Settings) -> Result<Adapters, ServerError> {
    Ok(match settings.store {
        StoreKind::Memory => Adapters {
            store: Arc::new(MemoryStore::new()),
            pool: None,
        },
        StoreKind::Postgres => {
            let store = PostgresStore::connect(settings.database()?, &settings.environment()?)?;
            Adapters {
                store: Arc::new(store.clone()),
                pool: Some(store),
            }
        }
    })
}

fn bind(address: &str) -> Result<(TcpListener, u16), ServerError> {
    let listener = TcpListener::bind(address).map_err(|source| ServerError::Bind {
        address: address.to_owned(),
        source,
    })?;
    let port = listener.local_addr()?.port();
    Ok((listener, port))
}

fn serve_options(settings: &Settings) -> ServeOptions {
    let workers = match settings.server.workers {
        0 => std::thread::available_parallelism().map_or(2, usize::from),
        n => n,
    };
    ServeOptions {
        workers,
        shutdown_timeout: settings.shutdown_timeout(),
    }
}

fn log_listening(settings: &Settings, port: u16, metrics_port: Option<u16>) {
    tracing::info!(
        address = %settings.server.bind, port, metrics_port, store = ?settings.store,
        cache = settings.redis.is_some(), auth = !settings.auth.tokens().is_empty(),
        metrics = settings.metrics.enabled, environment = %settings.environment,
        "poll-api listening"
    );
}

fn log_stopping() {
    tracing::info!("shutting down gracefully");
}

/// Forgets idempotency keys past their window, every `interval` (first right away).
async fn purge_expired_keys(service: Arc<Service>, interval: Duration) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        purge_once(&service).await;
    }
}

async fn purge_once(service: &Service) {
    match service.purge_expired_idempotency_keys().await {
        Ok(0) => {}
        Ok(purged) => log_purged(purged),
        Err(error) => log_purge_failed(&error),
    }
}

fn log_purged(purged: u64) {
    tracing::info!(purged, "expired idempotency keys purged");
}

fn log_purge_failed(error: &poll_app::AppError) {
    tracing::warn!(error = %error, "purging idempotency keys failed");
}

/// Completes on SIGTERM or SIGINT (Ctrl-C).
pub async fn shutdown_signal() {
    let received = tokio::select! {
        () = interrupt() => "SIGINT",
        () = terminate() => "SIGTERM",
    };
    tracing::info!(signal = received, "shutdown requested");
}

async fn interrupt() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

#[cfg(unix)]
async fn terminate() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut stream) => {
            stream.recv().await;
        }
        Err(_) => std::future::pending::<()>().await,
    }
}

#[cfg(not(unix))]
async fn terminate() {
    std::future::pending::<()>().await;
}
