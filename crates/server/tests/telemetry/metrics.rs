//! `/metrics` after known traffic: exact counts, route templates only, never behind auth.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{Samples, Store, TestApp, spawn};

const COUNT: &str = "http_server_request_duration_seconds_count";

/// 3 creates (one without the trailing slash), 2 votes, 1 replay of the second vote, reads of
/// the results and the detail, a 404 of a missing question and one of an unknown path.
async fn known_traffic(app: &TestApp) {
    let question = create_and_vote(app).await;
    for (path, status) in [
        (
            format!("/polls/questions/{question}/results/"),
            StatusCode::OK,
        ),
        (format!("/polls/questions/{question}/"), StatusCode::OK),
        ("/polls/questions/999999/".to_owned(), StatusCode::NOT_FOUND),
        ("/no/such/path/42".to_owned(), StatusCode::NOT_FOUND),
    ] {
        assert_eq!(app.get(&path).await.status(), status, "{path}");
    }
}

/// The creates and votes of the known traffic; returns the question voted on.
async fn create_and_vote(app: &TestApp) -> i64 {
    let (question, choice) = app.create_question("/polls/questions/").await;
    app.create_question("/polls/questions/").await;
    app.create_question("/polls/questions").await;
    let votes = format!("/polls/questions/{question}/votes/");
    for (key, replayed) in [(None, false), (Some("k-1"), false), (Some("k-1"), true)] {
        let mut request = app
            .request(Method::POST, &votes)
            .json(&json!({"choice_id": choice}));
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        let response = app.send(request).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(
            response.headers().contains_key("idempotent-replayed"),
            replayed
        );
    }
    question
}

fn request_counts(samples: &Samples) -> BTreeSet<(String, String, String, u64)> {
    samples
        .matching(COUNT, &[])
        .into_iter()
        .map(|(_, labels, _)| {
            let label = |name: &str| labels[name].clone();
            let (method, route, status) = (
                label("http_request_method"),
                label("http_route"),
                label("http_response_status_code"),
            );
            let count = samples.value(
                COUNT,
                &[
                    ("http_request_method", &method),
                    ("http_route", &route),
                    ("http_response_status_code", &status),
                ],
            );
            (method, route, status, count)
        })
        .collect()
}

fn expected_counts() -> BTreeSet<(String, String, String, u64)> {
    [
        ("GET", "/health/live", "200", 1),
        ("POST", "/polls/questions/", "201", 3),
        ("POST", "/polls/questions/{id}/votes/", "201", 3),
        ("GET", "/polls/questions/{id}/results/", "200", 1),
        ("GET", "/polls/questions/{id}/", "200", 1),
        ("GET", "/polls/questions/{id}/", "404", 1),
        ("GET", "unmatched", "404", 1),
    ]
    .into_iter()
    .map(|(m, r, s, c)| (m.to_owned(), r.to_owned(), s.to_owned(), c))
    .collect()
}

#[tokio::test]
async fn a_scrape_after_known_traffic_counts_each_route_template_and_status_exactly() {
    let app = spawn(Store::Memory, &[]).await;
    known_traffic(&app).await;
    let samples = app.scrape().await;

    assert_eq!(request_counts(&samples), expected_counts());
    // The scrape itself is the one request in flight.
    assert_eq!(samples.value("http_server_active_requests", &[]), 1);
    assert_eq!(samples.value("poll_votes_total", &[]), 2);
    // No cache configured: every question read is a miss.
    assert_eq!(samples.value("poll_cache_hits_total", &[]), 0);
    assert_eq!(samples.value("poll_cache_misses_total", &[]), 3);
    assert_eq!(samples.value("poll_cache_stale_entries_total", &[]), 0);
    assert_eq!(samples.value("poll_cache_errors_total", &[]), 0);
    assert_eq!(
        samples.value(
            "poll_build_info",
            &[("environment", app.environment.as_str())]
        ),
        1
    );
    assert!(
        !samples.has("db_client_connections_max"),
        "no pool on the memory store"
    );
    assert!(
        !samples.has("poll_redis_calls_total"),
        "no Redis configured"
    );
    // The histogram's buckets agree with its count.
    let inf = samples.value(
        "http_server_request_duration_seconds_bucket",
        &[
            ("http_route", "/polls/questions/{id}/votes/"),
            ("le", "+Inf"),
        ],
    );
    assert_eq!(inf, 3);

    // The scrape is counted by the next one.
    let again = app.scrape().await;
    assert_eq!(
        again.value(
            COUNT,
            &[
                ("http_route", "/metrics"),
                ("http_response_status_code", "200")
            ]
        ),
        1
    );
}

#[tokio::test]
async fn with_redis_the_same_traffic_shows_its_hits_misses_and_redis_calls() {
    let Ok(redis) = std::env::var("POLL__REDIS__URL") else {
        panic!(
            "POLL__REDIS__URL is not set: start Redis with `source \"$(bash ci/services.sh up)\"` or run `make test`"
        );
    };
    let app = spawn(Store::Memory, &[("POLL__REDIS__URL", redis.as_str())]).await;
    known_traffic(&app).await;
    let samples = app.scrape().await;

    assert_eq!(request_counts(&samples), expected_counts());
    assert_eq!(samples.value("poll_votes_total", &[]), 2);
    // Results after the votes: the entry filled at create time is stale (a miss), and refilled;
    // the detail read then hits; the missing question misses.
    assert_eq!(samples.value("poll_cache_hits_total", &[]), 1);
    assert_eq!(samples.value("poll_cache_misses_total", &[]), 2);
    assert_eq!(samples.value("poll_cache_stale_entries_total", &[]), 1);
    assert_eq!(samples.value("poll_cache_errors_total", &[]), 0);
    // 3 fills at create, get + refill for the results, a get each for the detail and the 404.
    assert_eq!(samples.value("poll_redis_calls_total", &[]), 7);
    assert_eq!(samples.value("poll_redis_errors_total", &[]), 0);
    assert_eq!(samples.value("poll_redis_short_circuited_total", &[]), 0);
    assert_eq!(
        samples.value("poll_redis_breaker_state", &[("state", "closed")]),
        1
    );
    assert_eq!(
        samples.value("poll_redis_breaker_state", &[("state", "open")]),
        0
    );
}

#[tokio::test]
async fn on_postgresql_the_pool_figures_are_exposed() {
    let app = spawn(Store::Postgres, &[("POLL__DATABASE__POOL_MAX_SIZE", "4")]).await;
    app.create_question("/polls/questions/").await;
    let samples = app.scrape().await;
    assert_eq!(samples.value("db_client_connections_max", &[]), 4);
    let idle = samples.value("db_client_connections_usage", &[("state", "idle")]);
    let used = samples.value("db_client_connections_usage", &[("state", "used")]);
    assert!((1..=4).contains(&(idle + used)), "idle {idle}, used {used}");
    assert_eq!(
        samples.value("db_client_connections_pending_requests", &[]),
        0
    );
}

#[tokio::test]
async fn metrics_are_never_behind_auth_and_can_have_a_listener_of_their_own() {
    let app = spawn(
        Store::Memory,
        &[
            ("POLL__AUTH__TOKENS", "metrics-test-token"),
            ("POLL__METRICS__BIND", "127.0.1:0"),
        ],
    )
    .await;
    assert_eq!(
        app.get("/polls/questions/").await.status(),
        StatusCode::UNAUTHORIZED
    );
    // No token needed on the API's listener...
    let samples = app.scrape().await;
    assert_eq!(
        samples.value(
            COUNT,
            &[
                ("http_route", "/polls/questions/"),
                ("http_response_status_code", "401")
            ]
        ),
        1
    );
    // ...nor on the metrics listener, which serves the same registry and nothing else.
    let metrics = app.metrics_address.as_deref().expect("a metrics listener");
    let own = app
        .client
        .get(format!("{metrics}/metrics"))
        .send()
        .await
        .expect("answered");
    assert_eq!(own.status(), StatusCode::OK);
    let own = Samples::parse(&own.text().await.expect("text"));
    assert_eq!(
        own.value(
            COUNT,
            &[
                ("http_route", "/metrics"),
                ("http_response_status_code", "200")
            ]
        ),
        1
    );
    let api_there = app
        .client
        .get(format!("{metrics}/polls/questions/"))
        .send()
        .await
        .expect("answered");
    assert_eq!(api_there.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn metrics_can_be_turned_off() {
    let app = spawn(Store::Memory, &[("POLL__METRICS__ENABLED", "false")]).await;
    assert_eq!(app.get("/metrics").await.status(), StatusCode::NOT_FOUND);
}
