//! The harness: a real server on a random port per test, with its own store (a fresh in-memory
//! store, or a fresh PostgreSQL schema when `POLL_TEST_STORE=postgres`), and request helpers.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use poll_domain::Environment;
use poll_ports::PollStore;
use poll_postgres::PostgresAdmin;
use poll_server::{Application, Settings, telemetry};
use reqwest::{Method, RequestBuilder, Response, StatusCode, header};
use serde_json::{Value, json};

/// The variable choosing the store under test: `memory` (default) or `postgres`.
pub const STORE_VAR: &str = "POLL_TEST_STORE";

/// A running service and a client for it.
pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub client: reqwest::Client,
    pub environment: String,
    cleanup: Option<Cleanup>,
}

/// A PostgreSQL environment to drop when the test ends.
struct Cleanup {
    admin: PostgresAdmin,
    environment: Environment,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(Cleanup { admin, environment }) = self.cleanup.take() {
            // Drop runs outside any runtime the test owns: use a private one on a thread.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                if let Ok(runtime) = runtime {
                    let _ = runtime.block_on(admin.drop_environment(&environment));
                }
            })
            .join();
        }
    }
}

fn config_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config")
}

/// Settings for a test server: port 0, one worker, the store from `POLL_TEST_STORE`.
fn test_settings(extra: &[(&str, &str)]) -> (Settings, Option<Cleanup>) {
    telemetry::init_for_tests();
    let store = std::env::var(STORE_VAR).unwrap_or_else(|_| "memory".to_owned());
    let mut vars: HashMap<String, String> = HashMap::new();
    let mut set = |k: &str, v: &str| {
        vars.insert(k.to_owned(), v.to_owned());
    };
    set("POLL__SERVER__BIND", "127.0.0.1:0");
    set("POLL__SERVER__WORKERS", "1");
    set("POLL__SERVER__SHUTDOWN_TIMEOUT_SECS", "1");
    set("POLL__STORE", &store);
    let environment = format!("test/api/{}", uuid::Uuid::new_v4());
    set("POLL__ENVIRONMENT", &environment);
    match store.as_str() {
        "memory" => {}
        "postgres" => {
            let url = std::env::var("POLL__DATABASE__URL").unwrap_or_default();
            assert!(
                !url.trim().is_empty(),
                "{STORE_VAR}=postgres needs POLL__DATABASE__URL (start a server with `bash ci/services.sh up`)"
            );
            set("POLL__DATABASE__URL", &url);
            // A machine busy compiling must not turn pool contention into 503s.
            set("POLL__DATABASE__ACQUIRE_TIMEOUT_MS", "10000");
        }
        other => panic!("{STORE_VAR} must be `memory` or `postgres`, not {other:?}"),
    }
    if let Ok(url) = std::env::var("POLL__REDIS__URL") {
        set("POLL__REDIS__URL", &url);
    }
    for (k, v) in extra {
        set(k, v);
    }
    let settings = Settings::load_from(Some(&config_dir()), &vars).expect("valid test settings");
    let cleanup = settings.database.as_ref().map(|database| Cleanup {
        admin: PostgresAdmin::connect(database).expect("admin settings"),
        environment: settings.environment().expect("environment"),
    });
    (settings, cleanup)
}

/// A server with the default test settings.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// A server with extra settings given as variables (e.g. `("POLL__AUTH__TOKENS", "a,b")`).
pub async fn spawn_app_with(extra: &[(&str, &str)]) -> TestApp {
    let (settings, cleanup) = test_settings(extra);
    if let Some(Cleanup { admin, environment }) = &cleanup {
        admin
            .create_environment(environment)
            .await
            .expect("creating the test environment");
    }
    let application = Application::build(&settings).expect("the application builds");
    start(application, settings.environment, cleanup).await
}

/// A server over the given store (for failure scenarios), memory settings otherwise.
pub async fn spawn_app_with_store(store: Arc<dyn PollStore>) -> TestApp {
    let (settings, _) = test_settings(&[("POLL__STORE", "memory")]);
    let application =
        Application::build_with_store(&settings, store).expect("the application builds");
    start(application, settings.environment, None).await
}

async fn start(application: Application, environment: String, cleanup: Option<Cleanup>) -> TestApp {
    telemetry::install_crypto_provider();
    let port = application.port();
    tokio::spawn(application.run_until_stopped(std::future::pending()));
    let app = TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        environment,
        cleanup,
    };
    // The listener is bound already: this waits for the first answer, never sleeps.
    let live = app.get("/health/live").await;
    assert_eq!(live.status(), StatusCode::OK, "the server did not come up");
    app
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    pub async fn send(&self, builder: RequestBuilder) -> Response {
        builder.send().await.expect("the request was answered")
    }

    pub async fn get(&self, path: &str) -> Response {
        self.send(self.request(Method::GET, path)).await
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.send(self.request(Method::DELETE, path)).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.send(self.request(Method::POST, path).json(body)).await
    }

    pub async fn patch_json(&self, path: &str, body: &Value) -> Response {
        self.send(self.request(Method::PATCH, path).json(body))
            .await
    }

    /// A body sent as is, with the given content type (or none).
    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> Response {
        let mut builder = self.request(method, path).body(body);
        if let Some(content_type) = content_type {
            builder = builder.header(header::CONTENT_TYPE, content_type);
        }
        self.send(builder).await
    }

    pub async fn post_raw(
        &self,
        path: &str,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> Response {
        self.send_raw(Method::POST, path, content_type, body).await
    }

    /// Creates a question (asserting the 201) and returns its body.
    pub async fn create_question(&self, text: &str, choices: &[&str]) -> Value {
        let body = json!({"question_text": text, "pub_date": "2019-10-20", "choices": choices});
        let response = self.post_json("/polls/questions/", &body).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.expect("json")
    }

    /// Votes (asserting the 201).
    pub async fn vote(&self, question: i64, choice: i64) {
        let response = self
            .post_json(
                &format!("/polls/questions/{question}/votes/"),
                &json!({"choice_id": choice}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }

    pub async fn results(&self, question: i64) -> Value {
        let response = self
            .get(&format!("/polls/questions/{question}/results/"))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("json")
    }
}

pub use crate::assertions::{
    assert_invalid, assert_problem, assert_problem_body, content_type, header_value, id_of,
};
