//! A small circuit breaker, so that a dead Redis does not cost a timeout on every request.
//!
//! Closed: every call goes through; `threshold` consecutive failures open it. Open: calls are
//! refused at once; after `cooldown` the next call becomes the one probe (half-open) while
//! every other call is still refused. The probe's success closes the breaker, its failure (or
//! its being abandoned, e.g. cancelled by the caller) opens it for another cool-down.
//!
//! The clock is injected: every method takes `now`, so the state machine is tested without
//! sleeping.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// The breaker's state, as reported in [`crate::RedisStats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BreakerState {
    /// Calls go through.
    #[default]
    Closed,
    /// Calls are refused without touching the network.
    Open,
    /// One probe call is in flight; the others are refused.
    HalfOpen,
}

impl BreakerState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::Open => "open",
            Self::HalfOpen => "half_open",
        }
    }

    /// The state as a gauge value: 0 closed, 1 open, 2 half-open.
    pub fn as_gauge(self) -> u8 {
        match self {
            Self::Closed => 0,
            Self::Open => 1,
            Self::HalfOpen => 2,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed { failures: u32 },
    Open { since: Instant },
    HalfOpen,
}

#[derive(Debug)]
pub(crate) struct Breaker {
    threshold: u32,
    cooldown: Duration,
    state: Mutex<State>,
    opened: AtomicU64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Normal,
    Probe,
}

/// Leave to make one call; report its outcome with [`Permit::succeeded`] or [`Permit::failed`].
/// A probe permit dropped without a report counts as a failed probe.
#[derive(Debug)]
#[must_use = "report the outcome of the call"]
pub(crate) struct Permit<'a> {
    breaker: &'a Breaker,
    kind: Kind,
    reported: bool,
}

impl Breaker {
    /// A closed breaker; a `threshold` of 0 is taken as 1.
    pub(crate) fn new(threshold: u32, cooldown: Duration) -> Self {
        Self {
            threshold: threshold.max(1),
            cooldown,
            state: Mutex::new(State::Closed { failures: 0 }),
            opened: AtomicU64::new(0),
        }
    }

    /// A permit when the call may go ahead, `None` when it must be refused at once.
    pub(crate) fn admit(&self, now: Instant) -> Option<Permit<'_>> {
        let mut state = self.lock();
        let kind = match *state {
            State::Closed { .. } => Kind::Normal,
            State::Open { since } if now.saturating_duration_since(since) >= self.cooldown => {
                *state = State::HalfOpen;
                tracing::debug!("Redis circuit breaker half-open: probing");
                Kind::Probe
            }
            State::Open { .. } | State::HalfOpen => return None,
        };
        Some(Permit {
            breaker: self,
            kind,
            reported: false,
        })
    }

    pub(crate) fn state(&self) -> BreakerState {
        match *self.lock() {
            State::Closed { .. } => BreakerState::Closed,
            State::Open { .. } => BreakerState::Open,
            State::HalfOpen => BreakerState::HalfOpen,
        }
    }

    /// How many times the breaker opened.
    pub(crate) fn opened(&self) -> u64 {
        self.opened.load(Ordering::Relaxed)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // No code panics while holding the lock; a poisoned state is still a valid state.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn report(&self, kind: Kind, success: bool, now: Instant) {
        let mut state = self.lock();
        *state = match (kind, *state) {
            (Kind::Normal, State::Closed { failures }) => self.after_call(failures, success, now),
            (Kind::Probe, State::HalfOpen) => self.after_probe(success, now),
            // A late report of a call admitted before the state changed says nothing new.
            _ => return,
        };
    }

    /// The state after an ordinary call while closed: a success clears the failure count,
    /// the threshold-th failure in a row opens the breaker.
    fn after_call(&self, failures: u32, success: bool, now: Instant) -> State {
        if success {
            return State::Closed { failures: 0 };
        }
        let failures = failures.saturating_add(1);
        if failures < self.threshold {
            return State::Closed { failures };
        }
        self.open(now, || tracing::warn!(failures, cooldown = ?self.cooldown, "Redis circuit breaker open: cache calls short-circuited"))
    }

    /// The state after the half-open probe: closed when Redis answered, open again otherwise.
    fn after_probe(&self, success: bool, now: Instant) -> State {
        if success {
            tracing::info!("Redis circuit breaker closed: Redis answers again");
            return State::Closed { failures: 0 };
        }
        self.open(now, || tracing::debug!(cooldown = ?self.cooldown, "Redis circuit breaker probe failed: open again"))
    }

    /// Counts an opening, logs it (the log macros expand into enough branches to count against
    /// the callers' cognitive complexity, hence the closure) and returns the open state.
    fn open(&self, now: Instant, log: impl FnOnce()) -> State {
        self.opened.fetch_add(1, Ordering::Relaxed);
        log();
        State::Open { since: now }
    }
}

impl Permit<'_> {
    pub(crate) fn succeeded(mut self, now: Instant) {
        self.reported = true;
        self.breaker.report(self.kind, true, now);
    }

    pub(crate) fn failed(mut self, now: Instant) {
        self.reported = true;
        self.breaker.report(self.kind, false, now);
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if !self.reported && self.kind == Kind::Probe {
            // An abandoned probe must not leave the breaker half-open forever.
            self.breaker.report(Kind::Probe, false, Instant::now());
        }
    }
}

#[cfg(test)]
#[path = "breaker_tests.rs"]
mod tests;
