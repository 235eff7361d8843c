//! Redis hung, killed and restarted under a live cache.
//!
//! Runs its own redis-server on a free port (not the shared one), so stopping and killing it
//! cannot disturb other tests.
// Helpers outside `#[test]` bodies fail the test by panicking, like the tests themselves.
#![allow(clippy::expect_used)]

mod support;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use deadpool_redis::redis;
use poll_ports::{CacheError, DetailCache};
use poll_redis::{BreakerState, RedisCache, RedisSettings};

use support::{detail, environment, question_id};

const TIMEOUT: Duration = Duration::from_millis(250);
const COOLDOWN: Duration = Duration::from_millis(300);
/// Scheduling slack on a busy machine, on top of the command timeout.
const MARGIN: Duration = Duration::from_millis(300);
/// What "returns without waiting" means: a tenth of the timeout.
const INSTANT: Duration = Duration::from_millis(25);

/// A private redis-server, killed when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    async fn start(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .arg("--dir")
            .arg(std::env::temp_dir())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is installed");
        let server = Self { child, port };
        server.wait_until_up().await;
        server
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    async fn wait_until_up(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !answers_ping(&self.url()).await {
            assert!(
                Instant::now() < deadline,
                "redis-server on port {} did not come up",
                self.port
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill {signal} failed");
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.signal_quietly("-CONT");
        self.kill();
    }
}

impl Server {
    fn signal_quietly(&self, signal: &str) {
        let _ = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .stderr(Stdio::null())
            .status();
    }
}

/// Whether Redis answers PING, through a plain connection (not the code under test).
async fn answers_ping(url: &str) -> bool {
    let Ok(client) = redis::Client::open(url) else {
        return false;
    };
    let Ok(Ok(mut conn)) = tokio::time::timeout(
        Duration::from_secs(1),
        client.get_multiplexed_async_connection(),
    )
    .await
    else {
        return false;
    };
    let command = redis::cmd("PING");
    let reply = command.query_async::<String>(&mut conn);
    matches!(tokio::time::timeout(Duration::from_secs(1), reply).await, Ok(Ok(pong)) if pong == "PONG")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("address")
        .port()
}

/// Runs a call and returns how long it took, asserting it failed as unavailable.
async fn failing<T: std::fmt::Debug>(
    call: impl Future<Output = Result<T, CacheError>>,
) -> Duration {
    let started = Instant::now();
    let result = call.await;
    let elapsed = started.elapsed();
    assert!(
        matches!(result, Err(CacheError::Unavailable(_))),
        "expected unavailable, got {result:?}"
    );
    elapsed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_then_dead_redis_costs_little_and_the_cache_recovers_by_itself() {
    let mut server = Server::start(free_port()).await;
    let settings = RedisSettings {
        url: server.url(),
        command_timeout_ms: u64::try_from(TIMEOUT.as_millis()).expect("small"),
        breaker_failure_threshold: 3,
        breaker_cooldown_ms: u64::try_from(COOLDOWN.as_millis()).expect("small"),
        ..RedisSettings::default()
    };
    let cache = RedisCache::connect(&settings, &environment("outage")).expect("cache");
    let id = question_id(1);
    cache.put(&detail(1, 1)).await.expect("put while up");
    assert!(cache.ping().await.expect("ping while up"));

    // Hung (SIGSTOP): the kernel still accepts connections, Redis never answers. The first
    // calls are bounded by the timeout; then the breaker opens and calls return at once.
    server.signal("-STOP");
    for n in 0..3 {
        let elapsed = failing(cache.get(id)).await;
        assert!(elapsed < TIMEOUT + MARGIN, "call {n} took {elapsed:?}");
    }
    assert_eq!(cache.stats().breaker_state, BreakerState::Open);
    assert!(cache.stats().timeouts >= 3, "{:?}", cache.stats());
    let calls = cache.stats().calls;
    for _ in 0..20 {
        let elapsed = failing(cache.get(id)).await;
        assert!(elapsed < INSTANT, "a short-circuited call took {elapsed:?}");
        let elapsed = failing(cache.ping()).await;
        assert!(elapsed < INSTANT, "a short-circuited ping took {elapsed:?}");
    }
    let stats = cache.stats();
    assert!(stats.short_circuited >= 40, "{stats:?}");
    // Unless a cool-down passed meanwhile (slow machine), nothing touched the network.
    assert!(stats.calls <= calls + 1, "{stats:?}");

    // Dead (SIGKILL): connections break, new ones are refused. Every call still fails fast.
    server.signal("-CONT");
    server.kill();
    let dead_since = Instant::now();
    while dead_since.elapsed() < 3 * COOLDOWN {
        let elapsed = failing(cache.put(&detail(1, 2))).await;
        assert!(elapsed < TIMEOUT + MARGIN, "a call took {elapsed:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(cache.ping().await.is_err(), "ping must report Redis down");
    assert!(
        cache.stats().breaker_opened >= 2,
        "the probes found Redis dead: {:?}",
        cache.stats()
    );

    // Back on the same port (empty: no persistence). The same cache recovers within a few
    // cool-downs, through the probes alone.
    let _server = Server::start(server.port).await;
    let back = Instant::now();
    loop {
        if matches!(cache.ping().await, Ok(true)) {
            break;
        }
        assert!(
            back.elapsed() < 10 * COOLDOWN,
            "no recovery after {:?}: {:?}",
            back.elapsed(),
            cache.stats()
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(
        back.elapsed() < 3 * COOLDOWN + MARGIN,
        "recovery took {:?}",
        back.elapsed()
    );
    assert_eq!(cache.stats().breaker_state, BreakerState::Closed);
    assert!(
        cache.get(id).await.expect("get after recovery").is_none(),
        "a restarted Redis is empty"
    );
    cache.put(&detail(1, 3)).await.expect("put after recovery");
    assert_eq!(
        cache.get(id).await.expect("get").map(|d| d.version),
        Some(3)
    );
}
