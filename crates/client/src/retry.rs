use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};

/// When and how often a call is tried again.
///
/// Only calls that are safe to repeat are ever retried: `GET` and `DELETE`, and votes sent with
/// an `Idempotency-Key` (the service answers a repeat from the first vote's receipt). A vote or a
/// create without a key is never sent twice. A retry happens when the connection could not be
/// made, or when the service answered 503 (its database is unreachable); the wait honours the
/// answer's `Retry-After` (seconds or an HTTP date), otherwise it backs off exponentially with
/// jitter. A timeout is not retried: the first attempt may still be running on the server.
///
/// ```
/// use std::time::Duration;
/// use poll_client::RetryPolicy;
///
/// let patient = RetryPolicy::new(5).backoff(Duration::from_millis(200), Duration::from_secs(5));
/// let never = RetryPolicy::none();
/// # let _ = (patient, never);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// 3 attempts, backoff from 100 ms up to 2 s, `Retry-After` honoured up to 10 s.
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            max_retry_after: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// At most `max_attempts` attempts in all (the first one included; 0 counts as 1).
    pub fn new(max_attempts: u32) -> Self {
        Self {
            max_attempts: max_attempts.max(1),
            ..Self::default()
        }
    }

    /// Every call is tried exactly once.
    pub fn none() -> Self {
        Self::new(1)
    }

    /// The wait before the first retry, doubled for each further one up to `max`.
    #[must_use]
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    /// The longest `Retry-After` the client waits for; a 503 asking for longer is returned as
    /// is.
    #[must_use]
    pub fn max_retry_after(mut self, max: Duration) -> Self {
        self.max_retry_after = max;
        self
    }

    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The wait after failed attempt `attempt` (1-based): half the exponential delay plus a
    /// random part of the other half.
    pub(crate) fn backoff_delay(&self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1).min(16);
        let full = self
            .initial_backoff
            .saturating_mul(1 << exponent)
            .min(self.max_backoff);
        let half = full / 2;
        half + jitter(full.saturating_sub(half))
    }

    /// How long to wait before retrying a 503, or `None` when its `Retry-After` asks for more
    /// than the policy accepts.
    pub(crate) fn delay_for_unavailable(
        &self,
        attempt: u32,
        headers: &HeaderMap,
    ) -> Option<Duration> {
        match retry_after(headers, SystemTime::now()) {
            Some(wait) if wait > self.max_retry_after => None,
            Some(wait) => Some(wait),
            None => Some(self.backoff_delay(attempt)),
        }
    }
}

/// A uniformly spread duration in `[0, max]`.
fn jitter(max: Duration) -> Duration {
    let nanos = u64::try_from(max.as_nanos()).unwrap_or(u64::MAX);
    if nanos == 0 {
        return Duration::ZERO;
    }
    // RandomState is seeded randomly per instance: enough entropy for spreading retries.
    let random = RandomState::new().hash_one(SystemTime::now());
    Duration::from_nanos(random % (nanos + 1))
}

/// The `Retry-After` of an answer: delay-seconds or an HTTP date (relative to `now`).
fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn headers(retry_after: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_str(retry_after).unwrap());
        headers
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert_eq!(
            retry_after(&headers("2"), now),
            Some(Duration::from_secs(2))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(5));
        assert_eq!(
            retry_after(&headers(&later), now),
            Some(Duration::from_secs(5))
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(5));
        assert_eq!(retry_after(&headers(&past), now), Some(Duration::ZERO));
        assert_eq!(retry_after(&headers("soon"), now), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn a_long_retry_after_is_not_waited_for() {
        let policy = RetryPolicy::default().max_retry_after(Duration::from_secs(3));
        assert_eq!(
            policy.delay_for_unavailable(1, &headers("3")),
            Some(Duration::from_secs(3))
        );
        assert_eq!(policy.delay_for_unavailable(1, &headers("4")), None);
    }

    #[test]
    fn backoff_doubles_within_bounds() {
        let policy =
            RetryPolicy::new(10).backoff(Duration::from_millis(100), Duration::from_millis(400));
        for (attempt, full) in [(1, 100), (2, 200), (3, 400), (4, 400), (30, 400)] {
            let delay = policy.backoff_delay(attempt);
            let full = Duration::from_millis(full);
            assert!(
                delay >= full / 2 && delay <= full,
                "attempt {attempt}: {delay:?}"
            );
        }
    }

    #[test]
    fn at_least_one_attempt() {
        assert_eq!(RetryPolicy::new(0).max_attempts(), 1);
        assert_eq!(RetryPolicy::none().max_attempts(), 1);
        assert_eq!(RetryPolicy::default().max_attempts(), 3);
    }
}
