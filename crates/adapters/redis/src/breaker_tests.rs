use super::*;

const COOLDOWN: Duration = Duration::from_secs(2);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn fail(breaker: &Breaker, now: Instant) {
    breaker.admit(now).expect("admitted").failed(now);
}

fn succeed(breaker: &Breaker, now: Instant) {
    breaker.admit(now).expect("admitted").succeeded(now);
}

/// A breaker opened at `t0` by three failures.
fn opened(t0: Instant) -> Breaker {
    let breaker = Breaker::new(3, COOLDOWN);
    for _ in 0..3 {
        fail(&breaker, t0);
    }
    assert_eq!(breaker.state(), BreakerState::Open);
    breaker
}

#[test]
fn starts_closed_and_lets_calls_through() {
    let breaker = Breaker::new(3, COOLDOWN);
    let now = Instant::now();
    assert_eq!(breaker.state(), BreakerState::Closed);
    for _ in 0..10 {
        succeed(&breaker, now);
    }
    assert_eq!(breaker.state(), BreakerState::Closed);
    assert_eq!(breaker.opened(), 0);
}

#[test]
fn opens_after_the_threshold_of_consecutive_failures() {
    let breaker = Breaker::new(3, COOLDOWN);
    let now = Instant::now();
    fail(&breaker, now);
    fail(&breaker, now);
    assert_eq!(breaker.state(), BreakerState::Closed);
    fail(&breaker, now);
    assert_eq!(breaker.state(), BreakerState::Open);
    assert_eq!(breaker.opened(), 1);
    assert!(breaker.admit(now).is_none());
}

#[test]
fn a_success_resets_the_failure_count() {
    let breaker = Breaker::new(3, COOLDOWN);
    let now = Instant::now();
    for _ in 0..5 {
        fail(&breaker, now);
        fail(&breaker, now);
        succeed(&breaker, now);
    }
    assert_eq!(breaker.state(), BreakerState::Closed);
}

#[test]
fn refuses_calls_until_the_cooldown_is_over() {
    let t0 = Instant::now();
    let breaker = opened(t0);
    assert!(breaker.admit(t0 + ms(1)).is_none());
    assert!(breaker.admit(t0 + ms(1999)).is_none());
    assert_eq!(breaker.state(), BreakerState::Open);
    let probe = breaker.admit(t0 + COOLDOWN);
    assert!(probe.is_some());
    assert_eq!(breaker.state(), BreakerState::HalfOpen);
}

#[test]
fn half_open_lets_exactly_one_probe_through() {
    let t0 = Instant::now();
    let breaker = opened(t0);
    let later = t0 + COOLDOWN + ms(10);
    let probe = breaker.admit(later).expect("the probe");
    for _ in 0..10 {
        assert!(
            breaker.admit(later).is_none(),
            "a second call went through while probing"
        );
    }
    probe.succeeded(later);
    assert_eq!(breaker.state(), BreakerState::Closed);
    assert!(breaker.admit(later).is_some());
}

#[test]
fn a_failed_probe_opens_for_another_cooldown() {
    let t0 = Instant::now();
    let breaker = opened(t0);
    let t1 = t0 + COOLDOWN;
    breaker.admit(t1).expect("the probe").failed(t1);
    assert_eq!(breaker.state(), BreakerState::Open);
    assert_eq!(breaker.opened(), 2);
    assert!(breaker.admit(t1 + ms(1999)).is_none());
    let probe = breaker.admit(t1 + COOLDOWN).expect("next probe");
    probe.succeeded(t1 + COOLDOWN);
    assert_eq!(breaker.state(), BreakerState::Closed);
}

#[test]
fn after_closing_it_needs_the_full_threshold_again() {
    let t0 = Instant::now();
    let breaker = opened(t0);
    let t1 = t0 + COOLDOWN;
    breaker.admit(t1).expect("the probe").succeeded(t1);
    fail(&breaker, t1);
    fail(&breaker, t1);
    assert_eq!(breaker.state(), BreakerState::Closed);
    fail(&breaker, t1);
    assert_eq!(breaker.state(), BreakerState::Open);
}

#[test]
fn an_abandoned_probe_counts_as_failed() {
    let t0 = Instant::now();
    let breaker = opened(t0);
    let probe = breaker.admit(t0 + COOLDOWN).expect("the probe");
    drop(probe);
    assert_eq!(breaker.state(), BreakerState::Open);
}

#[test]
fn an_abandoned_normal_call_changes_nothing() {
    let breaker = Breaker::new(1, COOLDOWN);
    let permit = breaker.admit(Instant::now()).expect("admitted");
    drop(permit);
    assert_eq!(breaker.state(), BreakerState::Closed);
}

#[test]
fn late_reports_of_calls_admitted_before_opening_are_ignored() {
    let t0 = Instant::now();
    let breaker = Breaker::new(3, COOLDOWN);
    let slow = breaker.admit(t0).expect("admitted");
    for _ in 0..3 {
        fail(&breaker, t0);
    }
    // The slow call succeeds after the breaker opened: it must not close it (only a probe can),
    // nor may a late failure push the reopening further out.
    slow.succeeded(t0 + ms(5));
    assert_eq!(breaker.state(), BreakerState::Open);
    let late = Breaker::new(1, COOLDOWN);
    let straggler = late.admit(t0).expect("admitted");
    fail(&late, t0);
    straggler.failed(t0 + ms(1500));
    assert!(
        late.admit(t0 + COOLDOWN).is_some(),
        "the cool-down restarted on a stale failure"
    );
}

#[test]
fn a_threshold_of_zero_behaves_as_one() {
    let breaker = Breaker::new(0, COOLDOWN);
    fail(&breaker, Instant::now());
    assert_eq!(breaker.state(), BreakerState::Open);
}

#[test]
fn concurrent_callers_get_one_probe() {
    let t0 = Instant::now();
    let breaker = opened(t0);
    let later = t0 + COOLDOWN;
    let everyone_tried = std::sync::Barrier::new(8);
    let admitted = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                scope.spawn(|| {
                    let permit = breaker.admit(later);
                    let got = permit.is_some();
                    // Hold the permit until every thread has tried.
                    everyone_tried.wait();
                    if let Some(p) = permit {
                        p.succeeded(later);
                    }
                    got
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("no panic"))
            .filter(|got| *got)
            .count()
    });
    assert_eq!(admitted, 1);
    assert_eq!(breaker.state(), BreakerState::Closed);
}

#[test]
fn states_have_stable_names_and_gauges() {
    assert_eq!(BreakerState::Closed.as_str(), "closed");
    assert_eq!(BreakerState::Open.as_gauge(), 1);
    assert_eq!(BreakerState::HalfOpen.as_str(), "half_open");
    assert_eq!(BreakerState::default(), BreakerState::Closed);
}
