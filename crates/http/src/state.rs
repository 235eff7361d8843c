//! What the handlers share: the use cases, the auth configuration and the build's identity.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use poll_app::PollService;
use poll_ports::{Clock, DetailCache, PollStore};
use sha2::{Digest, Sha256};
use subtle::{Choice, ConstantTimeEq};

use crate::metrics::Metrics;

/// The use cases over type-erased ports: the binary picks the adapters at run time.
pub type Service = PollService<dyn PollStore, dyn DetailCache, dyn Clock>;

/// Everything a request handler can reach.
#[derive(Clone)]
pub struct HttpState {
    pub service: Arc<Service>,
    pub auth: AuthConfig,
    pub build: BuildInfo,
    /// The longest `/health/ready` waits for its probes before calling the database down.
    pub readiness_timeout: Duration,
    /// The metrics the middleware records and `/metrics` renders; `None` turns both off (to
    /// measure what they cost).
    pub metrics: Option<Metrics>,
}

impl HttpState {
    /// The readiness probe answers well within the contract's 2 seconds.
    pub const DEFAULT_READINESS_TIMEOUT: Duration = Duration::from_millis(1500);

    pub fn new(service: Arc<Service>, auth: AuthConfig, build: BuildInfo) -> Self {
        Self {
            service,
            auth,
            build,
            readiness_timeout: Self::DEFAULT_READINESS_TIMEOUT,
            metrics: None,
        }
    }

    /// The same state, recording into and serving `metrics`.
    #[must_use]
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = Some(metrics);
        self
    }
}

impl fmt::Debug for HttpState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpState")
            .field("auth", &self.auth)
            .field("build", &self.build)
            .field("readiness_timeout", &self.readiness_timeout)
            .field("metrics", &self.metrics.is_some())
            .finish_non_exhaustive()
    }
}

/// The bearer tokens that open `/polls/...`; none means auth is off.
///
/// Only SHA-256 digests are kept, compared in constant time; `Debug` shows how many tokens
/// there are, never the tokens.
#[derive(Clone, Default)]
pub struct AuthConfig {
    digests: Arc<[[u8; 32]]>,
}

impl AuthConfig {
    /// Auth off: every request passes.
    pub fn disabled() -> Self {
        Self::default()
    }

    /// Auth on with these tokens (empty ones are ignored; none left means off).
    pub fn with_tokens<I, T>(tokens: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        let digests: Vec<[u8; 32]> = tokens
            .into_iter()
            .filter(|t| !t.as_ref().is_empty())
            .map(|t| digest(t.as_ref()))
            .collect();
        Self {
            digests: digests.into(),
        }
    }

    pub fn is_enabled(&self) -> bool {
        !self.digests.is_empty()
    }

    /// Whether `token` is one of the configured tokens, in time independent of where (or
    /// whether) it matches. Digests make every comparison the same length.
    pub fn accepts(&self, token: &str) -> bool {
        let candidate = digest(token);
        let matched = self.digests.iter().fold(Choice::from(0), |found, known| {
            found | known.ct_eq(&candidate)
        });
        bool::from(matched)
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthConfig")
            .field(
                "tokens",
                &format_args!("[redacted; {}]", self.digests.len()),
            )
            .finish()
    }
}

/// What `/version` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildInfo {
    pub version: String,
    pub commit: String,
    pub branch: String,
    pub environment: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_configured_tokens() {
        let auth = AuthConfig::with_tokens(["alpha", "", "beta"]);
        assert!(auth.is_enabled());
        assert!(auth.accepts("alpha"));
        assert!(auth.accepts("beta"));
        assert!(!auth.accepts("alph"));
        assert!(!auth.accepts(""));
        assert!(!AuthConfig::with_tokens([""]).is_enabled());
    }

    #[test]
    fn debug_never_shows_tokens() {
        let shown = format!("{:?}", AuthConfig::with_tokens(["s3cr3t-token"]));
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(shown.contains("redacted"), "{shown}");
    }
}
