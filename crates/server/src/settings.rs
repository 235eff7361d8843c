//! Typed settings, layered with config-rs:
//!
//! 1. the defaults compiled into the binary (`config/default.toml` of the source tree);
//! 2. `<config dir>/default.toml`, then `<config dir>/<environment>.toml` when they exist;
//! 3. variables `POLL__<SECTION>__<KEY>` (`POLL__DATABASE__URL`, `POLL__AUTH__TOKENS=a,b`, ...).
//!
//! The config dir is `POLL_CONFIG_DIR`, else the first `config/` holding a `default.toml` next to
//! the executable or above it (which finds the workspace's from `target/...`), else `./config`.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use config::{Config, Environment as EnvSource, File, FileFormat};
use poll_domain::Environment;
use poll_postgres::PostgresSettings;
use poll_redis::RedisSettings;
use serde::{Deserialize, Serialize};

use crate::error::ServerError;

/// The defaults every binary carries, so it runs even without a config dir.
const EMBEDDED_DEFAULTS: &str = include_str!("../../../config/default.toml");

/// A value that must never be shown: `Debug` prints `[redacted]`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }

    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Where the data lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    Memory,
    Postgres,
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    /// `host:port` to listen on.
    pub bind: String,
    /// Worker threads; 0 = one per core.
    pub workers: usize,
    pub shutdown_timeout_secs: u64,
}

#[derive(Clone, Default, Deserialize)]
pub struct AuthSettings {
    /// Bearer tokens; none = auth off. A list in files, comma-separated in `POLL__AUTH__TOKENS`.
    #[serde(default, deserialize_with = "comma_separated")]
    pub tokens: Vec<Secret<String>>,
}

impl AuthSettings {
    /// The tokens in force (trimmed, empty ones dropped).
    pub fn tokens(&self) -> Vec<String> {
        self.tokens
            .iter()
            .map(|t| t.expose().trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect()
    }
}

impl fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthSettings")
            .field("enabled", &!self.tokens().is_empty())
            .field(
                "tokens",
                &format_args!("[redacted; {}]", self.tokens().len()),
            )
            .finish()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct AppSection {
    pub idempotency_ttl_secs: u64,
    pub purge_interval_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    pub format: LogFormat,
    /// A tracing filter (`info`, `poll_http=debug,info`); `RUST_LOG` overrides it.
    pub level: String,
}

/// `/metrics`: on the API's listener always (the contract lists it), and on a listener of its
/// own too when `bind` is set (a port private to the scraper, where scrapes never queue behind
/// API requests). `enabled = false` turns the HTTP metrics and `/metrics` off: only to measure
/// what they cost.
#[derive(Debug, Clone, Deserialize)]
pub struct MetricsSettings {
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    /// `host:port` of the metrics-only listener; unset or empty = none.
    #[serde(default)]
    pub bind: Option<String>,
}

impl Default for MetricsSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            bind: None,
        }
    }
}

impl MetricsSettings {
    /// The metrics-only listener's address, when one is configured.
    pub fn bind(&self) -> Option<&str> {
        self.bind
            .as_deref()
            .map(str::trim)
            .filter(|b| !b.is_empty())
    }
}

fn enabled_by_default() -> bool {
    true
}

/// Everything the service is configured with.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// The environment's name (selects the schema, the key prefix and `config/<name>.toml`).
    pub environment: String,
    pub store: StoreKind,
    pub server: ServerSettings,
    /// Present when `database.url` is set.
    #[serde(skip)]
    pub database: Option<PostgresSettings>,
    /// Present when `redis.url` is set; the cache is off otherwise.
    #[serde(skip)]
    pub redis: Option<RedisSettings>,
    #[serde(default)]
    pub auth: AuthSettings,
    pub app: AppSection,
    pub log: LogSettings,
    #[serde(default)]
    pub metrics: MetricsSettings,
}

impl Settings {
    /// Loads from the config dir found as described in the module docs and the process's
    /// variables, with `overrides` (command-line flags, as `POLL__...` names) on top.
    pub fn load(overrides: &[(&str, String)]) -> Result<Self, ServerError> {
        let mut variables: HashMap<String, String> = std::env::vars().collect();
        for (name, value) in overrides {
            variables.insert((*name).to_owned(), value.clone());
        }
        Self::load_from(config_dir(&variables).as_deref(), &variables)
    }

    /// Loads from `dir` (if any) and the given variables (instead of the process's).
    pub fn load_from(
        dir: Option<&Path>,
        variables: &HashMap<String, String>,
    ) -> Result<Self, ServerError> {
        let variable_source = || {
            EnvSource::with_prefix("POLL")
                .prefix_separator("__")
                .separator("__")
                .source(Some(variables.clone()))
        };
        let base = || {
            let mut builder =
                Config::builder().add_source(File::from_str(EMBEDDED_DEFAULTS, FileFormat::Toml));
            if let Some(dir) = dir {
                builder = builder.add_source(File::from(dir.join("default.toml")).required(false));
            }
            builder
        };
        // First pass: which environment, hence which environment file.
        let first = base().add_source(variable_source()).build()?;
        let environment = match variables.get("POLL__ENVIRONMENT") {
            Some(name) => name.clone(),
            None => variables
                .get("POLL_ENVIRONMENT")
                .cloned()
                .map_or_else(|| first.get_string("environment"), Ok)?,
        };
        let mut builder = base();
        if let (Some(dir), true) = (dir, is_plain_file_stem(&environment)) {
            builder = builder
                .add_source(File::from(dir.join(format!("{environment}.toml"))).required(false));
        }
        let config = builder
            .add_source(variable_source())
            .set_override("environment", environment)?
            .build()?;
        let mut settings: Self = config.clone().try_deserialize()?;
        if has_value(&config, "database.url") {
            settings.database = Some(config.get::<PostgresSettings>("database")?);
        }
        if has_value(&config, "redis.url") {
            settings.redis = Some(config.get::<RedisSettings>("redis")?);
        }
        settings.validate()?;
        Ok(settings)
    }

    /// Refuses settings that cannot work, with a message naming the setting.
    pub fn validate(&self) -> Result<(), ServerError> {
        self.environment()?;
        if self.store == StoreKind::Postgres && self.database.is_none() {
            return Err(ServerError::Setting(
                "store = postgres needs database.url (POLL__DATABASE__URL)".to_owned(),
            ));
        }
        if self.app.idempotency_ttl_secs == 0 || self.app.purge_interval_secs == 0 {
            return Err(ServerError::Setting(
                "app.idempotency_ttl_secs and app.purge_interval_secs must be at least 1"
                    .to_owned(),
            ));
        }
        Ok(())
    }

    /// The environment (its name checked).
    pub fn environment(&self) -> Result<Environment, ServerError> {
        Environment::new(&self.environment)
            .map_err(|e| ServerError::Setting(format!("environment: {e}")))
    }

    /// The database settings, or why there are none.
    pub fn database(&self) -> Result<&PostgresSettings, ServerError> {
        self.database.as_ref().ok_or_else(|| {
            ServerError::Setting("database.url (POLL__DATABASE__URL) is not set".to_owned())
        })
    }

    pub fn shutdown_timeout(&self) -> Duration {
        Duration::from_secs(self.server.shutdown_timeout_secs)
    }
}

/// A list of strings given as a list, or as one comma-separated string (from a variable).
fn comma_separated<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<Secret<String>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Tokens {
        List(Vec<String>),
        Joined(String),
    }
    let tokens = match Tokens::deserialize(deserializer)? {
        Tokens::List(list) => list,
        Tokens::Joined(joined) => joined.split(',').map(str::to_owned).collect(),
    };
    Ok(tokens.into_iter().map(Secret::new).collect())
}

fn has_value(config: &Config, key: &str) -> bool {
    config.get_string(key).is_ok_and(|v| !v.trim().is_empty())
}

/// Only names that are plain file names select a file (`feature/x` does not: no path games).
fn is_plain_file_stem(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// `POLL_CONFIG_DIR`, else a `config/default.toml` next to or above the executable, else the
/// current directory's `config/`.
fn config_dir(variables: &HashMap<String, String>) -> Option<PathBuf> {
    if let Some(dir) = variables.get("POLL_CONFIG_DIR") {
        return Some(PathBuf::from(dir));
    }
    let from_exe = std::env::current_exe().ok().and_then(|exe| {
        exe.ancestors()
            .skip(1)
            .map(|dir| dir.join("config"))
            .find(|dir| dir.join("default.toml").is_file())
    });
    from_exe.or_else(|| {
        let cwd = std::env::current_dir().ok()?.join("config");
        cwd.join("default.toml").is_file().then_some(cwd)
    })
}

#[cfg(test)]
mod tests;
