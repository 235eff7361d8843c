//! Concurrent requests: every vote counted exactly once.

use reqwest::StatusCode;
use serde_json::json;
use tokio::task::JoinSet;

use crate::helpers::{header_value, id_of, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_votes_are_each_counted_exactly_once() {
    let app = spawn_app().await;
    let created = app.create_question("Race?", &["a", "b"]).await;
    let question = id_of(&created);
    let choice = id_of(&created["choices"][0]);
    let url = app.url(&format!("/polls/questions/{question}/votes/"));
    let mut votes = JoinSet::new();
    for n in 0..20 {
        let (client, url) = (app.client.clone(), url.clone());
        votes.spawn(async move {
            let body = json!({"choice_id": choice, "voter_id": format!("voter-{n}")});
            client
                .post(url)
                .json(&body)
                .send()
                .await
                .map(|r| r.status())
        });
    }
    while let Some(status) = votes.join_next().await {
        assert_eq!(
            status.expect("joined").expect("answered"),
            StatusCode::CREATED
        );
    }
    assert_eq!(app.results(question).await["total_votes"], json!(20));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_retries_with_one_key_count_one_vote() {
    let app = spawn_app().await;
    let created = app.create_question("Retry storm?", &["a"]).await;
    let question = id_of(&created);
    let choice = id_of(&created["choices"][0]);
    let url = app.url(&format!("/polls/questions/{question}/votes/"));
    let mut retries = JoinSet::new();
    for _ in 0..10 {
        let (client, url) = (app.client.clone(), url.clone());
        retries.spawn(async move {
            let response = client
                .post(url)
                .header("Idempotency-Key", "storm")
                .json(&json!({"choice_id": choice}))
                .send()
                .await
                .expect("answered");
            (
                response.status(),
                header_value(&response, "idempotent-replayed"),
            )
        });
    }
    let mut counted = 0;
    while let Some(outcome) = retries.join_next().await {
        match outcome.expect("joined") {
            (StatusCode::CREATED, None) => counted += 1,
            (StatusCode::CREATED, Some(replayed)) => assert_eq!(replayed, "true"),
            (StatusCode::CONFLICT, _) => {} // the first one was still in flight
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert_eq!(counted, 1, "exactly one answer counted the vote");
    assert_eq!(app.results(question).await["total_votes"], json!(1));
}
