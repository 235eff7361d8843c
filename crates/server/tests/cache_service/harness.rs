//! The harness: a service over a fresh environment (its own schema and key prefix), a plain
//! Redis connection to look at what the service cached, and request helpers.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use deadpool_redis::redis;
use poll_domain::Environment;
use poll_postgres::PostgresAdmin;
use poll_redis::{RedisCache, RedisSettings};
use poll_server::{Application, Settings, telemetry};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

pub const DATABASE_VAR: &str = "POLL__DATABASE__URL";
pub const REDIS_VAR: &str = "POLL__REDIS__URL";

/// Bound on any one request of a functional test: a hang fails the test instead of blocking it.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A variable these tests cannot run without: they fail, saying how to set it, never skip.
pub fn required_var(name: &str) -> String {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => value,
        _ => panic!(
            "{name} is not set: the cache service tests need real PostgreSQL and Redis servers. \
             Start them and load their env file: `source \"$(bash ci/services.sh up)\"` \
             (`make test` does it)"
        ),
    }
}

/// The workspace's config dir (found from the source tree, never a machine path).
pub fn config_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config")
}

/// A fresh environment: its own PostgreSQL schema and Redis key prefix.
pub fn fresh_environment(tag: &str) -> Environment {
    Environment::new(&format!("test/cache/{tag}/{}", uuid::Uuid::new_v4())).expect("valid name")
}

/// Which Redis the service caches in.
#[derive(Debug, Clone)]
pub enum Cache {
    /// The shared test Redis (`POLL__REDIS__URL`), with a generous command timeout: functional
    /// tests must not miss because the machine is busy.
    Shared,
    /// Another Redis (a private redis-server); cache settings come as extra variables.
    At(String),
    /// No `redis.url`: the service runs without its cache.
    Off,
}

/// The variables of a test service, as `POLL__...` names: PostgreSQL store, port 0.
pub fn service_variables(environment: &Environment) -> HashMap<String, String> {
    let mut vars = HashMap::new();
    let mut set = |k: &str, v: &str| vars.insert(k.to_owned(), v.to_owned());
    set("POLL__ENVIRONMENT", environment.name());
    set("POLL__STORE", "postgres");
    set("POLL__SERVER__BIND", "127.0.0.1:0");
    set("POLL__SERVER__WORKERS", "2");
    set("POLL__SERVER__SHUTDOWN_TIMEOUT_SECS", "1");
    set(DATABASE_VAR, &required_var(DATABASE_VAR));
    // A machine busy compiling must not turn pool contention into 503s.
    set("POLL__DATABASE__ACQUIRE_TIMEOUT_MS", "10000");
    vars
}

/// A running service in an environment of its own, and a client for it.
pub struct TestService {
    pub address: String,
    pub client: reqwest::Client,
    pub environment: Environment,
    /// The Redis the service caches in, if any.
    pub redis_url: Option<String>,
    _environment_guard: EnvironmentGuard,
}

/// A test environment's schema, created at once and dropped (with its keys in the shared
/// Redis) when the guard is, also when the test panics.
pub struct EnvironmentGuard {
    cleanup: Option<Cleanup>,
}

struct Cleanup {
    admin: PostgresAdmin,
    environment: Environment,
    shared_redis: Option<String>,
}

impl EnvironmentGuard {
    /// Creates the environment's schema (migrated) on the settings' database.
    pub async fn create(settings: &Settings, environment: &Environment) -> Self {
        let admin = PostgresAdmin::connect(settings.database().expect("database settings"))
            .expect("admin settings");
        admin
            .create_environment(environment)
            .await
            .expect("creating the test environment");
        let shared_redis = std::env::var(REDIS_VAR)
            .ok()
            .filter(|url| !url.trim().is_empty());
        Self {
            cleanup: Some(Cleanup {
                admin,
                environment: environment.clone(),
                shared_redis,
            }),
        }
    }
}

impl Drop for EnvironmentGuard {
    fn drop(&mut self) {
        let Some(cleanup) = self.cleanup.take() else {
            return;
        };
        // Drop runs outside any runtime the test owns: use a private one on a thread.
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(cleanup.run());
        })
        .join();
    }
}

impl Cleanup {
    async fn run(self) {
        let _ = self.admin.drop_environment(&self.environment).await;
        // Whatever the service cached in, its keys may sit in the shared Redis too.
        if let Some(url) = self.shared_redis {
            let settings = RedisSettings {
                url,
                ..RedisSettings::default()
            };
            if let Ok(cache) = RedisCache::connect(&settings, &self.environment) {
                let _ = cache.drop_environment_keys().await;
            }
        }
    }
}

/// Builds the settings a test service runs with; `extra` variables go on top.
pub fn settings_for(environment: &Environment, cache: &Cache, extra: &[(&str, &str)]) -> Settings {
    let mut vars = service_variables(environment);
    match cache {
        Cache::Shared => {
            vars.insert(REDIS_VAR.to_owned(), required_var(REDIS_VAR));
            vars.insert(
                "POLL__REDIS__COMMAND_TIMEOUT_MS".to_owned(),
                "1000".to_owned(),
            );
        }
        Cache::At(url) => {
            vars.insert(REDIS_VAR.to_owned(), url.clone());
        }
        Cache::Off => {}
    }
    for (k, v) in extra {
        vars.insert((*k).to_owned(), (*v).to_owned());
    }
    Settings::load_from(Some(&config_dir()), &vars).expect("valid test settings")
}

/// Starts a service over a fresh schema (migrated) and a fresh key prefix.
pub async fn spawn(tag: &str, cache: Cache, extra: &[(&str, &str)]) -> TestService {
    telemetry::init_for_tests();
    telemetry::install_crypto_provider();
    let environment = fresh_environment(tag);
    let settings = settings_for(&environment, &cache, extra);
    assert_eq!(
        settings.redis.is_some(),
        !matches!(cache, Cache::Off),
        "the cache is configured as asked"
    );
    let environment_guard = EnvironmentGuard::create(&settings, &environment).await;
    let application = Application::build(&settings).expect("the application builds");
    let port = application.port();
    tokio::spawn(application.run_until_stopped(std::future::pending()));
    let service = TestService {
        address: format!("http://127.0.0.1:{port}"),
        client: client(),
        environment,
        redis_url: settings.redis.as_ref().map(|r| r.url.clone()),
        _environment_guard: environment_guard,
    };
    // The listener is bound already: this waits for the first answer, it never sleeps.
    assert_eq!(service.get("/health/live").await.status(), StatusCode::OK);
    service
}

pub fn client() -> reqwest::Client {
    telemetry::install_crypto_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(REQUEST_TIMEOUT)
        .build()
        .expect("client")
}

pub fn id_of(value: &Value) -> i64 {
    value["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no id in {value}"))
}

impl TestService {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("answered")
    }

    /// A 200 answer's JSON body.
    pub async fn get_json(&self, path: &str) -> Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.json().await.expect("json")
    }

    async fn send_json(&self, method: reqwest::Method, path: &str, body: &Value) -> Response {
        self.client
            .request(method, self.url(path))
            .json(body)
            .send()
            .await
            .expect("answered")
    }

    /// Creates a question (asserting the 201) and returns its body.
    pub async fn create_question(&self, text: &str, choices: &[&str]) -> Value {
        let body = json!({"question_text": text, "pub_date": "2019-10-20", "choices": choices});
        let response = self
            .send_json(reqwest::Method::POST, "/polls/questions/", &body)
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.expect("json")
    }

    /// Votes as `voter` (asserting the 201).
    pub async fn vote(&self, question: i64, choice: i64, voter: &str) {
        let path = format!("/polls/questions/{question}/votes/");
        let body = json!({"choice_id": choice, "voter_id": voter});
        let response = self.send_json(reqwest::Method::POST, &path, &body).await;
        assert_eq!(response.status(), StatusCode::CREATED, "vote by {voter}");
    }

    /// Adds a choice (asserting the 201) and returns it.
    pub async fn add_choice(&self, question: i64, text: &str) -> Value {
        let path = format!("/polls/questions/{question}/choices/");
        let body = json!({"choice_text": text});
        let response = self.send_json(reqwest::Method::POST, &path, &body).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.expect("json")
    }

    /// Patches the question's text (asserting the 200).
    pub async fn patch_text(&self, question: i64, text: &str) {
        let path = format!("/polls/questions/{question}/");
        let body = json!({"question_text": text});
        let response = self.send_json(reqwest::Method::PATCH, &path, &body).await;
        assert_eq!(response.status(), StatusCode::OK);
    }

    pub async fn delete_question(&self, question: i64) {
        let path = format!("/polls/questions/{question}/");
        let response = self
            .client
            .delete(self.url(&path))
            .send()
            .await
            .expect("answered");
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
    }

    /// `/health/ready`: its status and body.
    pub async fn ready(&self) -> (StatusCode, Value) {
        let response = self.get("/health/ready").await;
        let status = response.status();
        (status, response.json().await.expect("json"))
    }

    /// The key of a question's entry: `<Environment::key_prefix()>question:<id>`.
    pub fn question_key(&self, question: i64) -> String {
        format!("{}question:{question}", self.environment.key_prefix())
    }

    /// A plain connection to the service's Redis (not the code under test).
    pub async fn redis(&self) -> redis::aio::MultiplexedConnection {
        let url = self.redis_url.as_deref().expect("the service has a cache");
        raw_connection(url).await
    }
}

pub async fn raw_connection(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .expect("valid Redis URL")
        .get_multiplexed_async_connection()
        .await
        .expect("Redis reachable")
}

/// The three reads built from a cached detail, and the vote total each one shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    Detail,
    Choices,
    Results,
}

impl Read {
    pub const ALL: [Self; 3] = [Self::Detail, Self::Choices, Self::Results];

    pub fn path(self, question: i64) -> String {
        match self {
            Self::Detail => format!("/polls/questions/{question}/"),
            Self::Choices => format!("/polls/questions/{question}/choices/"),
            Self::Results => format!("/polls/questions/{question}/results/"),
        }
    }

    /// The choices (`id`, `votes`, ...) in the body of this read.
    pub fn choices(self, body: &Value) -> Vec<Value> {
        let list = match self {
            Self::Detail | Self::Results => &body["choices"],
            Self::Choices => body,
        };
        list.as_array()
            .unwrap_or_else(|| panic!("{self:?} without choices: {body}"))
            .clone()
    }

    /// The total of votes this read shows (results: checked against its own choices).
    pub fn total(self, body: &Value) -> u64 {
        let sum = self
            .choices(body)
            .iter()
            .map(|c| c["votes"].as_u64().expect("votes"))
            .sum();
        if self == Self::Results {
            assert_eq!(body["total_votes"], json!(sum), "results add up: {body}");
        }
        sum
    }

    /// The votes of one choice in this read.
    pub fn votes_of(self, body: &Value, choice: i64) -> u64 {
        self.choices(body)
            .iter()
            .find(|c| c["id"] == json!(choice))
            .and_then(|c| c["votes"].as_u64())
            .unwrap_or_else(|| panic!("choice {choice} not in {body}"))
    }
}
