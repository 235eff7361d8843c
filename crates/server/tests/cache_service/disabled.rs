//! Without the cache (no `redis.url`, or `poll-api serve --no-cache`): readiness says Redis is
//! `disabled` and the service is `ready`, and nothing is written to Redis.

use poll_domain::Environment;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::entries::exists;
use crate::harness::{
    Cache, EnvironmentGuard, REDIS_VAR, Read, TestService, client, fresh_environment, id_of,
    raw_connection, required_var, service_variables, settings_for, spawn,
};
use crate::served::Served;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_with_no_cache_ignores_the_redis_url_and_readiness_says_redis_disabled() {
    let environment = fresh_environment("no-cache-flag");
    let settings = settings_for(&environment, &Cache::Off, &[]);
    let _environment_guard = EnvironmentGuard::create(&settings, &environment).await;
    let client = client();

    let mut variables = service_variables(&environment);
    variables.insert(REDIS_VAR.to_owned(), required_var(REDIS_VAR));
    let served = Served::start(&["--no-cache"], variables, &client).await;
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
