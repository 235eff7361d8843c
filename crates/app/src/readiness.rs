/// The state of one dependency as the readiness probe reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComponentStatus {
    Up,
    Down,
    /// Not configured (the service runs without it).
    Disabled,
}

impl ComponentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::Down => "down",
            Self::Disabled => "disabled",
        }
    }
}

/// Whether the service can serve: PostgreSQL is required, the cache is optional.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Readiness {
    pub postgres: ComponentStatus,
    pub redis: ComponentStatus,
}

impl Readiness {
    /// Ready only when the store is up.
    pub fn is_ready(self) -> bool {
        self.postgres == ComponentStatus::Up
    }

    /// `ready`, `degraded` (the cache is down) or `unready`.
    pub fn status(self) -> &'static str {
        match (self.postgres, self.redis) {
            (ComponentStatus::Up, ComponentStatus::Down) => "degraded",
            (ComponentStatus::Up, _) => "ready",
            _ => "unready",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ComponentStatus::{Disabled, Down, Up};
    use super::*;

    #[test]
    fn cache_down_is_degraded_store_down_is_unready() {
        assert_eq!(
            Readiness {
                postgres: Up,
                redis: Up
            }
            .status(),
            "ready"
        );
        assert_eq!(
            Readiness {
                postgres: Up,
                redis: Disabled
            }
            .status(),
            "ready"
        );
        assert_eq!(
            Readiness {
                postgres: Up,
                redis: Down
            }
            .status(),
            "degraded"
        );
        assert_eq!(
            Readiness {
                postgres: Down,
                redis: Up
            }
            .status(),
            "unready"
        );
        assert!(
            Readiness {
                postgres: Up,
                redis: Down
            }
            .is_ready()
        );
        assert!(
            !Readiness {
                postgres: Down,
                redis: Disabled
            }
            .is_ready()
        );
    }
}
