//! Operations endpoints, request ids, and what happens when the store fails.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use poll_domain::{
    Choice, ChoiceId, ChoiceText, NewQuestion, Question, QuestionDetail, QuestionId, QuestionPatch,
    Timestamp, VoteOutcome,
};
use poll_ports::{PollStore, StoreError, VoteRequest};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{assert_problem, content_type, header_value, spawn_app, spawn_app_with_store};

#[tokio::test]
async fn liveness_answers_ok() {
    let app = spawn_app().await;
    let response = app.get("/health/live").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(content_type(&response), "application/json");
    assert!(header_value(&response, "x-request-id").is_some());
    assert_eq!(
        response.json::<Value>().await.expect("json"),
        json!({"status": "ok"})
    );
}

#[tokio::test]
async fn readiness_reports_each_dependency() {
    let app = spawn_app().await;
    let response = app.get("/health/ready").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["status"], "ready");
    assert_eq!(body["checks"]["postgres"], "up");
    let redis = body["checks"]["redis"].as_str().expect("redis");
    let expected = if std::env::var_os("POLL__REDIS__URL").is_some() {
        "up"
    } else {
        "disabled"
    };
    assert_eq!(redis, expected);
}

#[tokio::test]
async fn version_reports_the_build_and_environment() {
    let app = spawn_app().await;
    let body: Value = app.get("/version").await.json().await.expect("json");
    for field in ["version", "commit", "branch", "environment"] {
        assert!(
            body[field].as_str().is_some_and(|v| !v.is_empty()),
            "{field} in {body}"
        );
    }
    assert_eq!(body["environment"], json!(app.environment));
}

#[tokio::test]
async fn every_response_carries_a_request_id_echoing_a_well_formed_one() {
    let app = spawn_app().await;
    let with_id =
        |method: Method, path: &str, id: &str| app.request(method, path).header("x-request-id", id);
    for (method, path) in [
        (Method::GET, "/health/live"),
        (Method::GET, "/polls/questions/"),
        (Method::GET, "/nope"),
        (Method::PUT, "/polls/questions/"),
        (Method::POST, "/polls/questions/"),
        (Method::GET, "/polls/questions/abc/"),
    ] {
        let response = app
            .send(with_id(method.clone(), path, "trace-me_123"))
            .await;
        assert_eq!(
            header_value(&response, "x-request-id").as_deref(),
            Some("trace-me_123"),
            "{method} {path}"
        );
        let longest = "r".repeat(128);
        let response = app.send(with_id(method.clone(), path, &longest)).await;
        assert_eq!(header_value(&response, "x-request-id"), Some(longest));
        for bad in ["has space", &"r".repeat(129), ""] {
            let response = app.send(with_id(method.clone(), path, bad)).await;
            let id = header_value(&response, "x-request-id").expect("a request id");
            assert!(
                uuid::Uuid::parse_str(&id).is_ok(),
                "fresh id for {bad:?}: {id}"
            );
        }
        let fresh = app.send(app.request(method.clone(), path)).await;
        assert!(
            header_value(&fresh, "x-request-id")
                .is_some_and(|id| uuid::Uuid::parse_str(&id).is_ok())
        );
    }
}

/// A store whose database is gone: every call is `Unavailable`, except `ping`, which hangs.
struct DownStore;

fn down() -> StoreError {
    StoreError::Unavailable("connection refused: postgres://app:s3cret@db.internal:5432".into())
}

#[async_trait]
impl PollStore for DownStore {
    async fn create_question(
        &self,
        _: &NewQuestion,
        _: Timestamp,
    ) -> Result<QuestionDetail, StoreError> {
        Err(down())
    }
    async fn list_questions(
        &self,
        _: Option<QuestionId>,
        _: u32,
    ) -> Result<Vec<Question>, StoreError> {
        Err(down())
    }
    async fn get_question(&self, _: QuestionId) -> Result<QuestionDetail, StoreError> {
        Err(down())
    }
    async fn question_version(&self, _: QuestionId) -> Result<i64, StoreError> {
        Err(down())
    }
    async fn update_question(
        &self,
        _: QuestionId,
        _: &QuestionPatch,
    ) -> Result<QuestionDetail, StoreError> {
        Err(down())
    }
    async fn delete_question(&self, _: QuestionId) -> Result<(), StoreError> {
        Err(down())
    }
    async fn add_choice(&self, _: QuestionId, _: &ChoiceText) -> Result<Choice, StoreError> {
        Err(StoreError::Unexpected(
            "SELECT secret FROM internals failed".into(),
        ))
    }
    async fn get_choice(&self, _: QuestionId, _: ChoiceId) -> Result<Choice, StoreError> {
        Err(down())
    }
    async fn cast_vote(&self, _: &VoteRequest) -> Result<VoteOutcome, StoreError> {
        Err(down())
    }
    async fn purge_idempotency_keys(&self, _: Timestamp) -> Result<u64, StoreError> {
        Err(down())
    }
    async fn ping(&self) -> Result<(), StoreError> {
        std::future::pending().await
    }
}

#[tokio::test]
async fn an_unreachable_database_is_a_503_with_retry_after_and_no_details() {
    let app = spawn_app_with_store(Arc::new(DownStore)).await;
    let requests = [
        app.request(Method::GET, "/polls/questions/"),
        app.request(Method::GET, "/polls/questions/1/"),
        app.request(Method::POST, "/polls/questions/1/votes/")
            .json(&json!({"choice_id": 1})),
        app.request(Method::POST, "/polls/questions/")
            .json(&json!({"question_text": "Q?", "pub_date": "2019-10-20"})),
    ];
    for builder in requests {
        let response = app.send(builder).await;
        assert_eq!(header_value(&response, "retry-after").as_deref(), Some("1"));
        let problem = assert_problem(response, 503).await;
        let text = problem.to_string();
        assert!(
            !text.contains("s3cret") && !text.contains("postgres://"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn an_unexpected_failure_is_an_opaque_500() {
    let app = spawn_app_with_store(Arc::new(DownStore)).await;
    let response = app
        .post_json("/polls/questions/1/choices/", &json!({"choice_text": "x"}))
        .await;
    let problem = assert_problem(response, 500).await;
    assert!(!problem.to_string().contains("SELECT"), "{problem}");
}

#[tokio::test]
async fn readiness_answers_503_unready_within_two_seconds_when_the_database_hangs() {
    let app = spawn_app_with_store(Arc::new(DownStore)).await;
    let started = Instant::now();
    let response = app.get("/health/ready").await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(content_type(&response), "application/json");
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["status"], "unready");
    assert_eq!(body["checks"]["postgres"], "down");
    assert!(body["checks"]["redis"].is_string());
    assert_eq!(
        app.get("/health/live").await.status(),
        StatusCode::OK,
        "still alive"
    );
}
