//! Without the cache (no `redis.url`, or `poll-api serve --no-cache`): readiness says Redis is
//! `disabled` and the service is `ready`, and nothing is written to Redis.

use std::fs::File;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use poll_domain::Environment;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::entries::exists;
use crate::harness::{
    Cache, EnvironmentGuard, REDIS_VAR, Read, TestService, client, config_dir, fresh_environment,
    id_of, raw_connection, required_var, service_variables, settings_for, spawn,
};
use crate::private_redis::free_port;

/// A binary on a busy machine: loading, migrating nothing, binding.
const START_DEADLINE: Duration = Duration::from_mins(1);

fn disabled_readiness() -> Value {
    json!({"status": "ready", "checks": {"postgres": "up", "redis": "disabled"}})
}

/// Asserts that a question created and read through `address` left no key in the shared Redis.
async fn assert_nothing_cached(client: &reqwest::Client, address: &str, environment: &Environment) {
    let body = json!({"question_text": "Uncached?", "pub_date": "2019-10-20", "choices": ["a"]});
    let response = client
        .post(format!("{address}/polls/questions/"))
        .json(&body)
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::CREATED);
    let question = id_of(&response.json().await.expect("json"));
    let detail = client
        .get(format!("{address}{}", Read::Detail.path(question)))
        .send()
        .await
        .expect("answered");
    assert_eq!(detail.status(), StatusCode::OK);
    let mut redis = raw_connection(&required_var(REDIS_VAR)).await;
    let key = format!("{}question:{question}", environment.key_prefix());
    assert!(!exists(&mut redis, &key).await, "{key} was cached");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_redis_url_readiness_says_redis_disabled_and_ready() {
    let service: TestService = spawn("no-url", Cache::Off, &[]).await;
    let (status, body) = service.ready().await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, disabled_readiness());
    assert_nothing_cached(&service.client, &service.address, &service.environment).await;
}

/// `poll-api serve` as a child process, killed when dropped; its stderr goes to a file that
/// is shown when it fails to start.
struct Served {
    child: Child,
    log: PathBuf,
    address: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

impl Served {
    /// `poll-api serve --no-cache` on a free port, with `POLL__REDIS__URL` set all the same.
    fn spawn(environment: &Environment) -> Self {
        let port = free_port();
        let log = std::env::temp_dir().join(format!("poll-api-{}.log", uuid::Uuid::new_v4()));
        let child = Command::new(env!("CARGO_BIN_EXE_poll-api"))
            .args([
                "serve",
                "--no-cache",
                "--bind",
                &format!("127.0.0.1:{port}"),
            ])
            .env_clear()
            .envs(service_variables(environment))
            .env(REDIS_VAR, required_var(REDIS_VAR))
            .env("POLL_CONFIG_DIR", config_dir())
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&log).expect("a log file"))
            .spawn()
            .expect("poll-api runs");
        Self {
            child,
            log,
            address: format!("http://127.0.0.1:{port}"),
        }
    }

    /// Whether it came up (answers `/health/live`); false when it exited first.
    async fn came_up(&mut self, client: &reqwest::Client) -> bool {
        let deadline = Instant::now() + START_DEADLINE;
        let live = format!("{}/health/live", self.address);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                eprintln!("poll-api exited before answering ({status}):\n{log}");
                return false;
            }
            let answer = client.get(&live).timeout(Duration::from_secs(1)).send();
            if answer.await.is_ok_and(|r| r.status() == StatusCode::OK) {
                return true;
            }
            assert!(
                Instant::now() < deadline,
                "poll-api did not come up within {START_DEADLINE:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_with_no_cache_ignores_the_redis_url_and_readiness_says_redis_disabled() {
    let environment = fresh_environment("no-cache-flag");
    let settings = settings_for(&environment, &Cache::Off, &[]);
    let _environment_guard = EnvironmentGuard::create(&settings, &environment).await;
    let client = client();

    // A free port may be taken between picking and binding it: a few attempts.
    let mut served = None;
    for _ in 0..3 {
        let mut candidate = Served::spawn(&environment);
        if candidate.came_up(&client).await {
            served = Some(candidate);
            break;
        }
    }
    let served = served.expect("poll-api serve --no-cache came up");
    let ready = client
        .get(format!("{}/health/ready", served.address))
        .send()
        .await
        .expect("answered");
    assert_eq!(ready.status(), StatusCode::OK);
    assert_eq!(
        ready.json::<Value>().await.expect("json"),
        disabled_readiness()
    );
    assert_nothing_cached(&client, &served.address, &environment).await;
}
