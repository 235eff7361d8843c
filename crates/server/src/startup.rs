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
use crate::settings::{Settings, StoreKind};

/// A bound, ready-to-run service.
pub struct Application {
    port: u16,
    server: Server,
    service: Arc<Service>,
    purge_interval: Duration,
}

impl fmt::Debug for Application {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Application")
            .field("port", &self.port)
            .field("purge_interval", &self.purge_interval)
            .finish_non_exhaustive()
    }
}

impl Application {
    /// Builds the adapters the settings name and binds the listener (port 0 picks a free one).
    /// Opens no database connection: the service starts while PostgreSQL is down and reports it
    /// on `/health/ready`. Call within a Tokio runtime.
    pub fn build(settings: &Settings) -> Result<Self, ServerError> {
        Self::build_with_store(settings, store(settings)?)
    }

    /// Like [`Application::build`], with a given store (tests use this for failing stores).
    pub fn build_with_store(
        settings: &Settings,
        store: Arc<dyn PollStore>,
    ) -> Result<Self, ServerError> {
        let environment = settings.environment()?;
        let cache: Arc<dyn DetailCache> = match &settings.redis {
            Some(redis) => Arc::new(RedisCache::connect(redis, &environment)?),
            None => Arc::new(NoCache),
        };
        let app_settings = AppSettings {
            idempotency_ttl: Duration::from_secs(settings.app.idempotency_ttl_secs),
        };
        let service: Arc<Service> = Arc::new(PollService::new(
            store,
            cache,
            Arc::new(SystemClock),
            app_settings,
        ));
        let state = HttpState::new(
            Arc::clone(&service),
            AuthConfig::with_tokens(settings.auth.tokens()),
            build_info(environment.name()),
        );
        let address = settings.server.bind.as_str();
        let listener = TcpListener::bind(address).map_err(|source| ServerError::Bind {
            address: address.to_owned(),
            source,
        })?;
        let port = listener.local_addr()?.port();
        let workers = match settings.server.workers {
            0 => std::thread::available_parallelism().map_or(2, usize::from),
            n => n,
        };
        let options = ServeOptions {
            workers,
            shutdown_timeout: settings.shutdown_timeout(),
        };
        let server = poll_http::serve(listener, state, &options)?;
        tracing::info!(
            %address, port, store = ?settings.store, cache = settings.redis.is_some(),
            auth = !settings.auth.tokens().is_empty(), environment = environment.name(),
            "poll-api listening"
        );
        Ok(Self {
            port,
            server,
            service,
            purge_interval: Duration::from_secs(settings.app.purge_interval_secs),
        })
    }

    /// The port the listener is bound to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until `shutdown` completes, then stops gracefully (requests in flight finish,
    /// within the shutdown timeout). Purges expired idempotency keys meanwhile.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), ServerError> {
        let handle = self.server.handle();
        let purge = tokio::spawn(purge_expired_keys(self.service, self.purge_interval));
        let mut server = tokio::spawn(self.server);
        let outcome = tokio::select! {
            finished = &mut server => finished,
            () = shutdown => {
                tracing::info!("shutting down gracefully");
                handle.stop(true).await;
                server.await
            }
        };
        purge.abort();
        match outcome {
            Ok(result) => Ok(result?),
            Err(join) => Err(ServerError::Io(std::io::Error::other(join))),
        }
    }
}

fn store(settings: &Settings) -> Result<Arc<dyn PollStore>, ServerError> {
    Ok(match settings.store {
        StoreKind::Memory => Arc::new(MemoryStore::new()),
        StoreKind::Postgres => Arc::new(PostgresStore::connect(
            settings.database()?,
            &settings.environment()?,
        )?),
    })
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
