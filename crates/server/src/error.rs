//! What can stop the binary.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum ServerError {
    #[error("configuration: {0}")]
    Config(#[from] config::ConfigError),
    #[error("setting: {0}")]
    Setting(String),
    #[error("cannot listen on {address}")]
    Bind {
        address: String,
        #[source]
        source: std::io::Error,
    },
    #[error("server I/O")]
    Io(#[from] std::io::Error),
    #[error("postgres")]
    Postgres(#[from] poll_postgres::PostgresError),
    #[error("redis")]
    Redis(#[from] poll_redis::RedisError),
    #[error("metrics")]
    Metrics(#[from] prometheus::Error),
}
