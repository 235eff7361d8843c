//! Redis killed, hung or flushed under a steady load: no request fails, none is slowed beyond
//! the cache timeouts (two at most per request) and few at all, `/health/ready` says `degraded`
//! while Redis is down and `ready` again once the service has found it back, and the reads stay
//! exact throughout.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use crate::entries::exists;
use crate::harness::{Cache, Read, TestService, id_of, raw_connection, spawn};
use crate::load::{Load, Phase, Report};
use crate::private_redis::PrivateRedis;

/// The cache's command timeout in these tests (`COMMAND_TIMEOUT_MS` below).
const COMMAND_TIMEOUT: Duration = Duration::from_millis(200);
/// The cache settings under test: a short command timeout and cool-down.
const CACHE_SETTINGS: [(&str, &str); 3] = [
    ("POLL__REDIS__COMMAND_TIMEOUT_MS", "200"),
    ("POLL__REDIS__BREAKER_FAILURE_THRESHOLD", "3"),
    ("POLL__REDIS__BREAKER_COOLDOWN_MS", "500"),
];
/// Each request's bound: two cache timeouts (a read makes at most two cache calls: the lookup
/// and the fill) plus a wide margin for a machine busy compiling.
const REQUEST_BOUND: Duration = Duration::from_secs(1);
/// How long readiness may take to notice a change: a few cool-downs, generously.
const READINESS_DEADLINE: Duration = Duration::from_secs(15);
/// How long a phase's requests may take to come in.
const PHASE_DEADLINE: Duration = Duration::from_mins(1);
/// How long an outage lasts at least: several cool-downs, so that the breaker's probes meet
/// the dead or hung Redis too.
const OUTAGE: Duration = Duration::from_secs(2);
/// Requests an outage sees at least.
const OUTAGE_REQUESTS: u64 = 80;

/// Polls `/health/ready` until it reports `status` with `redis`; every answer on the way must
/// be a 200 with PostgreSQL up (Redis never makes the service unready).
async fn await_readiness(service: &TestService, status: &str, redis: &str) {
    let deadline = Instant::now() + READINESS_DEADLINE;
    loop {
        let (code, body) = service.ready().await;
        assert_eq!(code, StatusCode::OK, "Redis never makes it unready: {body}");
        assert_eq!(body["checks"]["postgres"], "up", "{body}");
        if body == json!({"status": status, "checks": {"postgres": "up", "redis": redis}}) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "readiness did not turn {status} with redis {redis} within {READINESS_DEADLINE:?}: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Keeps the outage going under load for [`OUTAGE`] and at least [`OUTAGE_REQUESTS`] requests,
/// asserting all along that readiness says `degraded` with Redis `down`.
async fn hold_outage(service: &TestService, load: &Load) {
    let until = Instant::now() + OUTAGE;
    let expected = json!({"status": "degraded", "checks": {"postgres": "up", "redis": "down"}});
    while Instant::now() < until {
        let (code, body) = service.ready().await;
        assert_eq!(
            (code, &body),
            (StatusCode::OK, &expected),
            "during the outage"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    load.wait_for(OUTAGE_REQUESTS, PHASE_DEADLINE).await;
}

/// A service caching in a private Redis, a question with two choices, and a load on it.
async fn loaded_service(redis: &PrivateRedis, tag: &str) -> (TestService, i64, Load) {
    let service = spawn(tag, Cache::At(redis.url()), &CACHE_SETTINGS).await;
    let created = service.create_question("Outage?", &["a", "b"]).await;
    let question = id_of(&created);
    let choices = [id_of(&created["choices"][0]), id_of(&created["choices"][1])];
    await_readiness(&service, "ready", "up").await;
    let load = Load::start(&service, question, &choices);
    load.wait_for(40, PHASE_DEADLINE).await;
    (service, question, load)
}

/// The checks every outage test ends with: no failure, no slow request, exact final counts.
async fn assert_unharmed(service: &TestService, question: i64, report: &Report) {
    report.assert_no_failures();
    let during = report.count(Phase::Outage);
    assert!(
        during >= usize::try_from(OUTAGE_REQUESTS).expect("small"),
        "{during} requests during the outage"
    );
    let (p99, slowest) = report.assert_each_faster_than(REQUEST_BOUND);
    eprintln!(
        "{} requests ({} during the outage, {} of them slowed by a cache timeout), {} votes; \
         p99 {p99:?}, slowest {slowest:?}",
        report.samples.len(),
        report.count(Phase::Outage),
        report.slower_than(Phase::Outage, COMMAND_TIMEOUT),
        report.acknowledged
    );
    // A hung Redis costs a timeout per call until the breaker opens, then one per cool-down
    // (the probe): few requests pay it. Without the breaker nearly every one would; a quarter
    // leaves room for a busy machine's own delays.
    let slowed = report.slower_than(Phase::Outage, COMMAND_TIMEOUT);
    assert!(
        slowed * 4 <= during,
        "{slowed} of {during} requests during the outage paid a cache timeout"
    );
    assert!(report.acknowledged > 0, "votes were cast");
    for read in Read::ALL {
        let body = service.get_json(&read.path(question)).await;
        assert_eq!(
            read.total(&body),
            report.acknowledged,
            "final {read:?}: {body}"
        );
    }
}

/// Asserts that the service caches again in `redis`: a detail read fills the entry (retried
/// for a while: a busy machine can make a single fill time out).
async fn assert_caching_again(service: &TestService, redis: &PrivateRedis, question: i64) {
    let mut conn = raw_connection(&redis.url()).await;
    let key = service.question_key(question);
    let deadline = Instant::now() + READINESS_DEADLINE;
    loop {
        service.get_json(&Read::Detail.path(question)).await;
        if exists(&mut conn, &key).await {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the service does not cache again"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_under_load_fails_no_request_and_readiness_goes_degraded_then_ready() {
    let mut redis = PrivateRedis::start().await;
    let (service, question, load) = loaded_service(&redis, "killed").await;

    load.set_phase(Phase::Outage);
    redis.kill();
    await_readiness(&service, "degraded", "down").await;
    hold_outage(&service, &load).await;

    redis.restart().await;
    await_readiness(&service, "ready", "up").await;
    load.set_phase(Phase::Recovered);
    load.wait_for(40, PHASE_DEADLINE).await;
    let report = load.finish().await;

    assert_unharmed(&service, question, &report).await;
    assert_caching_again(&service, &redis, question).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_hung_then_flushed_under_load_fails_no_request_and_slows_only_a_few() {
    let redis = PrivateRedis::start().await;
    let (service, question, load) = loaded_service(&redis, "hung").await;

    load.set_phase(Phase::Outage);
    redis.signal("-STOP");
    await_readiness(&service, "degraded", "down").await;
    hold_outage(&service, &load).await;

    redis.signal("-CONT");
    await_readiness(&service, "ready", "up").await;
    load.set_phase(Phase::Recovered);
    load.wait_for(20, PHASE_DEADLINE).await;
    redis.flush().await;
    load.wait_for(40, PHASE_DEADLINE).await;
    let report = load.finish().await;

    assert_unharmed(&service, question, &report).await;
    assert_caching_again(&service, &redis, question).await;
}
