use std::fmt;
use std::time::Duration;

use serde::Deserialize;

/// How to reach Redis and how patient to be with it.
///
/// Deserializable (e.g. from `POLL__REDIS__...` variables); every field has a default, so an
/// empty section is valid. The URL may carry a password: `Debug` never shows it.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct RedisSettings {
    /// `redis://[user:password@]host:port/[db]`. Default `redis://127.0.0.1:6379/`.
    pub url: String,
    /// Most connections the pool opens. Default 16.
    pub pool_max_size: usize,
    /// Bound on every cache call, pool checkout included. Default 50 ms.
    pub command_timeout_ms: u64,
    /// How long an entry lives. Default 300 s.
    pub ttl_secs: u64,
    /// Consecutive failures that open the circuit breaker. Default 3.
    pub breaker_failure_threshold: u32,
    /// How long an open breaker refuses calls before it lets one probe through. Default 2000 ms.
    pub breaker_cooldown_ms: u64,
}

impl RedisSettings {
    pub const DEFAULT_URL: &'static str = "redis://127.0.0.1:6379/";

    pub fn command_timeout(&self) -> Duration {
        Duration::from_millis(self.command_timeout_ms)
    }

    pub fn ttl(&self) -> Duration {
        Duration::from_secs(self.ttl_secs)
    }

    pub fn breaker_cooldown(&self) -> Duration {
        Duration::from_millis(self.breaker_cooldown_ms)
    }

    /// The first setting that cannot work, if any (zero sizes, timeouts or TTL).
    pub(crate) fn invalid_setting(&self) -> Option<&'static str> {
        if self.pool_max_size == 0 {
            Some("pool_max_size must be at least 1")
        } else if self.command_timeout_ms == 0 {
            Some("command_timeout_ms must be at least 1")
        } else if self.ttl_secs == 0 {
            Some("ttl_secs must be at least 1")
        } else if self.breaker_failure_threshold == 0 {
            Some("breaker_failure_threshold must be at least 1")
        } else {
            None
        }
    }
}

impl Default for RedisSettings {
    fn default() -> Self {
        Self {
            url: Self::DEFAULT_URL.to_owned(),
            pool_max_size: 16,
            command_timeout_ms: 50,
            ttl_secs: 300,
            breaker_failure_threshold: 3,
            breaker_cooldown_ms: 2000,
        }
    }
}

impl fmt::Debug for RedisSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisSettings")
            .field("url", &"[redacted]")
            .field("pool_max_size", &self.pool_max_size)
            .field("command_timeout_ms", &self.command_timeout_ms)
            .field("ttl_secs", &self.ttl_secs)
            .field("breaker_failure_threshold", &self.breaker_failure_threshold)
            .field("breaker_cooldown_ms", &self.breaker_cooldown_ms)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_url() {
        let settings = RedisSettings {
            url: "redis://user:hunter2@cache.internal:6379/".to_owned(),
            ..RedisSettings::default()
        };
        let shown = format!("{settings:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("cache.internal"), "{shown}");
        assert!(shown.contains("[redacted]"), "{shown}");
    }

    #[test]
    fn an_empty_section_takes_the_defaults() {
        let settings: RedisSettings = serde_json::from_str("{}").expect("valid");
        assert_eq!(settings, RedisSettings::default());
        assert_eq!(settings.pool_max_size, 16);
        assert_eq!(settings.command_timeout(), Duration::from_millis(50));
        assert_eq!(settings.ttl(), Duration::from_mins(5));
        assert_eq!(settings.breaker_failure_threshold, 3);
        assert_eq!(settings.breaker_cooldown(), Duration::from_secs(2));
        assert_eq!(settings.invalid_setting(), None);
    }

    #[test]
    fn fields_can_be_overridden_one_by_one() {
        let settings: RedisSettings =
            serde_json::from_str(r#"{"url": "redis://10.0.0.1:6380/2", "ttl_secs": 60}"#)
                .expect("valid");
        assert_eq!(settings.url, "redis://10.0.0.1:6380/2");
        assert_eq!(settings.ttl_secs, 60);
        assert_eq!(settings.command_timeout_ms, 50);
    }

    #[test]
    fn zeros_are_refused() {
        for broken in [
            RedisSettings {
                pool_max_size: 0,
                ..RedisSettings::default()
            },
            RedisSettings {
                command_timeout_ms: 0,
                ..RedisSettings::default()
            },
            RedisSettings {
                ttl_secs: 0,
                ..RedisSettings::default()
            },
            RedisSettings {
                breaker_failure_threshold: 0,
                ..RedisSettings::default()
            },
        ] {
            assert!(broken.invalid_setting().is_some(), "{broken:?}");
        }
    }
}
