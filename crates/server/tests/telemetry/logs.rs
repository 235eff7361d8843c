//! The log: one line per request with its route template, and never a secret, in the log or in
//! a span.

use std::fmt::Write as _;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Store, spawn, telemetry};

const TOKEN: &str = "tok-3f9a1c77-bearer-secret";
const WRONG_TOKEN: &str = "tok-wrong-5d2e-bearer-guess";
const DATABASE_PASSWORD: &str = "pg-pass-8c41e0";
const REDIS_PASSWORD: &str = "redis-pass-b7d93a";

/// The access lines (target `poll_http::access`) of `request_id`.
fn access_lines(request_id: &str) -> Vec<Value> {
    telemetry()
        .log
        .json_lines()
        .into_iter()
        .filter(|line| line["target"] == "poll_http::access" && line["request_id"] == request_id)
        .collect()
}

#[tokio::test]
async fn each_request_logs_one_line_with_its_route_template_status_latency_and_ids() {
    telemetry();
    let app = spawn(Store::Memory, &[]).await;
    let (question, _) = app.create_question("/polls/questions/").await;
    let request_id = format!("log-{}", uuid::Uuid::new_v4());
    let response = app
        .send(
            app.request(Method::GET, &format!("/polls/questions/{question}"))
                .header("x-request-id", &request_id),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    let lines = access_lines(&request_id);
    assert_eq!(lines.len(), 1, "{lines:?}");
    let line = &lines[0];
    assert_eq!(line["level"], "INFO");
    assert_eq!(line["http.request.method"], "GET");
    assert_eq!(line["http.route"], "/polls/questions/{id}/");
    assert_eq!(line["http.response.status_code"], 200);
    assert_eq!(line["url.path"], format!("/polls/questions/{question}"));
    assert!(
        line["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0),
        "{line}"
    );
    let trace_id = line["trace_id"].as_str().expect("trace id");
    assert_eq!(trace_id.len(), 32, "{trace_id}");

    let unknown_id = format!("log-{}", uuid::Uuid::new_v4());
    let unknown = app
        .send(
            app.request(Method::GET, "/polls/nope/7")
                .header("x-request-id", &unknown_id),
        )
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let lines = access_lines(&unknown_id);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["http.route"], "unmatched");
    assert_eq!(lines[0]["http.response.status_code"], 404);
}

#[tokio::test]
async fn tokens_and_connection_passwords_never_reach_the_log_or_the_spans() {
    let recorded = telemetry();
    // PostgreSQL and Redis are unreachable, so that their failures are logged with their chains.
    let database = format!("postgres://poll:{DATABASE_PASSWORD}@127.0.0.1:1/poll");
    let redis = format!("redis://:{REDIS_PASSWORD}@127.0.0.1:1/0");
    let app = spawn(
        Store::Postgres,
        &[
            ("POLL__DATABASE__URL", database.as_str()),
            ("POLL__DATABASE__ACQUIRE_TIMEOUT_MS", "500"),
            ("POLL__REDIS__URL", redis.as_str()),
            ("POLL__AUTH__TOKENS", TOKEN),
        ],
    )
    .await;
    let failing_id = format!("secret-{}", uuid::Uuid::new_v4());
    let body = json!({"question_text": "Tea?", "pub_date": "2019-10-20"});
    let failing = app
        .send(
            app.request(Method::POST, "/polls/questions/")
                .bearer_auth(TOKEN)
                .header("x-request-id", &failing_id)
                .json(&body),
        )
        .await;
    assert_eq!(failing.status(), StatusCode::SERVICE_UNAVAILABLE);
    let refused = app
        .send(
            app.request(Method::GET, "/polls/questions/")
                .bearer_auth(WRONG_TOKEN),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let read = app
        .send(
            app.request(Method::GET, "/polls/questions/1/")
                .bearer_auth(TOKEN),
        )
        .await;
    assert_eq!(read.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        app.get("/health/ready").await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );

    let log = recorded.log.text();
    // The failure was logged, with its cause chain, under the request's id...
    let failure = recorded
        .log
        .json_lines()
        .into_iter()
        .find(|line| {
            line["message"] == "request failed"
                && line["spans"].as_array().is_some_and(|spans| {
                    spans.iter().any(|s| s["request_id"] == failing_id.as_str())
                })
        })
        .unwrap_or_else(|| panic!("no `request failed` line for {failing_id}"));
    let chain = failure["error.chain"].as_str().expect("error.chain");
    assert!(
        chain.contains(": "),
        "a whole chain, cause after cause: {chain}"
    );
    // ...and no secret is anywhere in the log.
    for secret in [TOKEN, WRONG_TOKEN, DATABASE_PASSWORD, REDIS_PASSWORD] {
        assert!(!log.contains(secret), "{secret} was logged");
    }
    // Nor in any span's name, attributes or events.
    for span in recorded.all_spans() {
        let mut seen = format!("{} {:?}", span.name, span.attributes);
        for event in span.events.iter() {
            let _ = write!(seen, " {} {:?}", event.name, event.attributes);
        }
        for secret in [TOKEN, WRONG_TOKEN, DATABASE_PASSWORD, REDIS_PASSWORD] {
            assert!(
                !seen.contains(secret),
                "{secret} in span {}: {seen}",
                span.name
            );
        }
    }
}
