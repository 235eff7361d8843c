//! The span tree of a request: HTTP → use case → SQL (and Redis), joined to the caller's trace.

use opentelemetry::Value as OtelValue;
use opentelemetry::trace::{SpanId, SpanKind, Status, TraceId};
use opentelemetry_sdk::trace::SpanData;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{Store, caller_traceparent, spawn, telemetry};

const VOTE_SPAN: &str = "POST /polls/questions/{id}/votes/";

fn attribute<'a>(span: &'a SpanData, key: &str) -> Option<&'a OtelValue> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| &kv.value)
}

fn string_attribute(span: &SpanData, key: &str) -> Option<String> {
    attribute(span, key).map(OtelValue::to_string)
}

fn children<'a>(spans: &'a [SpanData], parent: &SpanData) -> Vec<&'a SpanData> {
    spans
        .iter()
        .filter(|s| s.parent_span_id == parent.span_context.span_id())
        .collect()
}

fn named<'a>(spans: &'a [SpanData], name: &str) -> &'a SpanData {
    let found: Vec<&SpanData> = spans.iter().filter(|s| s.name == name).collect();
    assert_eq!(
        found.len(),
        1,
        "one span {name:?} expected among {:?}",
        spans.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
    found[0]
}

#[tokio::test]
async fn a_vote_is_one_trace_from_the_http_span_through_cast_vote_to_each_sql_statement() {
    let recorded = telemetry();
    let app = spawn(Store::Postgres, &[]).await;
    let (question, choice) = app.create_question("/polls/questions/").await;
    let (traceparent, caller_trace, caller_span) = caller_traceparent();

    let response = app
        .send(
            app.request(Method::POST, &format!("/polls/questions/{question}/votes"))
                .header("traceparent", &traceparent)
                .json(&json!({"choice_id": choice})),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);

    let spans = recorded.trace_with(caller_trace, VOTE_SPAN).await;
    // The request's span: child of the caller's, named by the route template.
    let http = named(&spans, VOTE_SPAN);
    assert_eq!(http.parent_span_id, caller_span);
    assert!(http.parent_span_is_remote);
    assert_eq!(http.span_kind, SpanKind::Server);
    assert_eq!(
        string_attribute(http, "http.route").as_deref(),
        Some("/polls/questions/{id}/votes/")
    );
    assert_eq!(
        string_attribute(http, "http.request.method").as_deref(),
        Some("POST")
    );
    assert_eq!(
        attribute(http, "http.response.status_code"),
        Some(&OtelValue::I64(201))
    );
    assert_eq!(
        string_attribute(http, "url.path"),
        Some(format!("/polls/questions/{question}/votes"))
    );
    assert_eq!(http.status, Status::Unset);

    // The use case, under the request.
    let use_case = named(&spans, "cast_vote");
    assert_eq!(use_case.parent_span_id, http.span_context.span_id());
    assert_eq!(
        string_attribute(use_case, "question_id"),
        Some(question.to_string())
    );

    // Its statements, each a client span of PostgreSQL, in one transaction.
    let statements: Vec<&SpanData> = children(&spans, use_case)
        .into_iter()
        .filter(|s| string_attribute(s, "db.system.name").as_deref() == Some("postgresql"))
        .collect();
    let names: Vec<&str> = statements.iter().map(|s| s.name.as_ref()).collect();
    for expected in [
        "acquire connection",
        "BEGIN",
        "UPDATE questions",
        "UPDATE choices",
        "COMMIT",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    for statement in statements.iter().filter(|s| s.name != "acquire connection") {
        assert_eq!(statement.span_kind, SpanKind::Client, "{}", statement.name);
        let text = string_attribute(statement, "db.query.text").expect("db.query.text");
        assert!(
            text.starts_with(statement.name.split(' ').next().expect("operation")),
            "{text}"
        );
    }
    // Every span of the request is in the caller's trace, and no other trace holds any of it.
    assert!(spans.len() > statements.len() + 1);
}

#[tokio::test]
async fn a_request_without_traceparent_starts_its_own_trace() {
    let recorded = telemetry();
    let app = spawn(Store::Memory, &[]).await;
    let request_id = format!("root-{}", uuid::Uuid::new_v4());
    let response = app
        .send(
            app.request(Method::GET, "/polls/questions/")
                .header("x-request-id", &request_id),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    let root = wait_for_request_span(recorded, &request_id).await;
    assert_eq!(root.name, "GET /polls/questions/");
    assert_eq!(root.parent_span_id, SpanId::INVALID);
    assert_ne!(root.span_context.trace_id(), TraceId::INVALID);
    let trace = root.span_context.trace_id();
    let spans = recorded.trace_with(trace, "list_questions").await;
    assert_eq!(
        named(&spans, "list_questions").parent_span_id,
        root.span_context.span_id()
    );
}

#[tokio::test]
async fn with_redis_a_detail_read_has_a_redis_span_under_its_use_case() {
    let Ok(redis) = std::env::var("POLL__REDIS__URL") else {
        panic!(
            "POLL__REDIS__URL is not set: start Redis with `source \"$(bash ci/services.sh up)\"` or run `make test`"
        );
    };
    let recorded = telemetry();
    let app = spawn(Store::Memory, &[("POLL__REDIS__URL", redis.as_str())]).await;
    let (question, _) = app.create_question("/polls/questions/").await;
    let (traceparent, trace, _) = caller_traceparent();
    let response = app
        .send(
            app.request(Method::GET, &format!("/polls/questions/{question}/"))
                .header("traceparent", traceparent),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    let spans = recorded
        .trace_with(trace, "GET /polls/questions/{id}/")
        .await;
    let use_case = named(&spans, "get_question");
    let redis_calls: Vec<&str> = children(&spans, use_case)
        .into_iter()
        .filter(|s| string_attribute(s, "db.system.name").as_deref() == Some("redis"))
        .map(|s| s.name.as_ref())
        .collect();
    assert!(
        redis_calls.contains(&"HGET"),
        "{redis_calls:?} in {:?}",
        spans
            .iter()
            .map(|s| (&s.name, s.span_context.span_id(), s.parent_span_id))
            .collect::<Vec<_>>()
    );
}

/// The request span carrying `request_id`, once exported.
async fn wait_for_request_span(recorded: &crate::support::Recorded, request_id: &str) -> SpanData {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let found = recorded
            .all_spans()
            .into_iter()
            .find(|s| string_attribute(s, "request_id").as_deref() == Some(request_id));
        if let Some(span) = found {
            return span;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no span for {request_id}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
