use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_invalid, assert_problem, header_value, id_of, spawn_app};

/// A question with choices `a`, `b`, `c`: (question id, choice ids).
async fn poll(app: &TestApp) -> (i64, Vec<i64>) {
    let created = app.create_question("Vote?", &["a", "b", "c"]).await;
    let choices = created["choices"]
        .as_array()
        .expect("choices")
        .iter()
        .map(id_of)
        .collect();
    (id_of(&created), choices)
}

fn votes_of(results: &Value, choice: i64) -> i64 {
    results["choices"]
        .as_array()
        .expect("choices")
        .iter()
        .find(|c| id_of(c) == choice)
        .and_then(|c| c["votes"].as_i64())
        .expect("the choice's votes")
}

async fn vote_with_key(app: &TestApp, question: i64, key: &str, body: &Value) -> reqwest::Response {
    let builder = app
        .request(
            reqwest::Method::POST,
            &format!("/polls/questions/{question}/votes/"),
        )
        .header("Idempotency-Key", key)
        .json(body);
    app.send(builder).await
}

#[tokio::test]
async fn a_vote_answers_201_and_counts_once() {
    let app = spawn_app().await;
    let (question, choices) = poll(&app).await;
    let response = app
        .post_json(
            &format!("/polls/questions/{question}/votes/"),
            &json!({"choice_id": choices[1]}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(header_value(&response, "idempotent-replayed").is_none());
    let receipt: Value = response.json().await.expect("json");
    assert_eq!(
        receipt,
        json!({"question_id": question, "choice_id": choices[1]}),
        "voter_id omitted when absent"
    );

    let results = app.results(question).await;
    assert_eq!(votes_of(&results, choices[1]), 1);
    assert_eq!(results["total_votes"], json!(1));
}

#[tokio::test]
async fn a_named_voter_votes_once_per_question() {
    let app = spawn_app().await;
    let (question, choices) = poll(&app).await;
    let path = format!("/polls/questions/{question}/votes/");
    let response = app
        .post_json(
            &path,
            &json!({"choice_id": choices[0], "voter_id": "user-42"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let receipt: Value = response.json().await.expect("json");
    assert_eq!(
        receipt,
        json!({"question_id": question, "choice_id": choices[0], "voter_id": "user-42"})
    );

    assert_problem(
        app.post_json(
            &path,
            &json!({"choice_id": choices[1], "voter_id": "user-42"}),
        )
        .await,
        409,
    )
    .await;
    let results = app.results(question).await;
    assert_eq!(results["total_votes"], json!(1));

    let (other, other_choices) = poll(&app).await;
    let elsewhere = app
        .post_json(
            &format!("/polls/questions/{other}/votes/"),
            &json!({"choice_id": other_choices[0], "voter_id": "user-42"}),
        )
        .await;
    assert_eq!(
        elsewhere.status(),
        StatusCode::CREATED,
        "once per question, not overall"
    );
}

#[tokio::test]
async fn a_choice_that_is_not_the_questions_is_a_422_on_choice_id() {
    let app = spawn_app().await;
    let (question, _) = poll(&app).await;
    let (_, foreign) = poll(&app).await;
    let path = format!("/polls/questions/{question}/votes/");
    assert_invalid(
        app.post_json(&path, &json!({"choice_id": foreign[0]}))
            .await,
        &["choice_id"],
    )
    .await;
    assert_invalid(
        app.post_json(&path, &json!({"choice_id": 987_654_321}))
            .await,
        &["choice_id"],
    )
    .await;
    assert_eq!(app.results(question).await["total_votes"], json!(0));
}

#[tokio::test]
async fn a_vote_on_a_missing_question_is_a_404() {
    let app = spawn_app().await;
    assert_problem(
        app.post_json("/polls/questions/31337/votes/", &json!({"choice_id": 1}))
            .await,
        404,
    )
    .await;
}

#[tokio::test]
async fn a_replay_answers_the_first_201_and_counts_nothing() {
    let app = spawn_app().await;
    let (question, choices) = poll(&app).await;
    let body = json!({"choice_id": choices[2], "voter_id": "v1"});
    let first = vote_with_key(&app, question, "key-1", &body).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    assert!(header_value(&first, "idempotent-replayed").is_none());
    let first_body: Value = first.json().await.expect("json");

    for _ in 0..2 {
        let replay = vote_with_key(&app, question, "key-1", &body).await;
        assert_eq!(replay.status(), StatusCode::CREATED);
        assert_eq!(
            header_value(&replay, "idempotent-replayed").as_deref(),
            Some("true")
        );
        let replay_body: Value = replay.json().await.expect("json");
        assert_eq!(replay_body, first_body);
    }
    assert_eq!(votes_of(&app.results(question).await, choices[2]), 1);
}

#[tokio::test]
async fn the_same_key_with_another_body_is_a_409() {
    let app = spawn_app().await;
    let (question, choices) = poll(&app).await;
    let first = vote_with_key(&app, question, "k", &json!({"choice_id": choices[0]})).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    assert_problem(
        vote_with_key(&app, question, "k", &json!({"choice_id": choices[1]})).await,
        409,
    )
    .await;
    assert_problem(
        vote_with_key(
            &app,
            question,
            "k",
            &json!({"choice_id": choices[0], "voter_id": "x"}),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(app.results(question).await["total_votes"], json!(1));
}

#[tokio::test]
async fn keys_are_scoped_to_the_questions_votes() {
    let app = spawn_app().await;
    let (one, one_choices) = poll(&app).await;
    let (two, two_choices) = poll(&app).await;
    let a = vote_with_key(&app, one, "shared", &json!({"choice_id": one_choices[0]})).await;
    let b = vote_with_key(&app, two, "shared", &json!({"choice_id": two_choices[0]})).await;
    assert_eq!(a.status(), StatusCode::CREATED);
    assert_eq!(b.status(), StatusCode::CREATED);
    assert!(header_value(&b, "idempotent-replayed").is_none());
}

#[tokio::test]
async fn a_failed_request_may_be_retried_with_its_key() {
    let app = spawn_app().await;
    let (question, choices) = poll(&app).await;
    assert_invalid(
        vote_with_key(&app, question, "retry", &json!({"choice_id": 0})).await,
        &["choice_id"],
    )
    .await;
    let retried = vote_with_key(&app, question, "retry", &json!({"choice_id": choices[0]})).await;
    assert_eq!(retried.status(), StatusCode::CREATED);
    assert!(header_value(&retried, "idempotent-replayed").is_none());
    assert_eq!(app.results(question).await["total_votes"], json!(1));
}

#[tokio::test]
async fn a_malformed_idempotency_key_is_a_400_and_counts_nothing() {
    let app = spawn_app().await;
    let (question, choices) = poll(&app).await;
    let body = json!({"choice_id": choices[0]});
    for key in ["", "has space", &"k".repeat(256), "tab\tinside"] {
        assert_problem(vote_with_key(&app, question, key, &body).await, 400).await;
    }
    let longest = vote_with_key(&app, question, &"k".repeat(255), &body).await;
    assert_eq!(longest.status(), StatusCode::CREATED);
    assert_eq!(app.results(question).await["total_votes"], json!(1));
}

#[tokio::test]
async fn results_order_choices_by_votes_then_id_with_the_total() {
    let app = spawn_app().await;
    let (question, choices) = poll(&app).await;
    for choice in [choices[2], choices[2], choices[1], choices[0], choices[1]] {
        app.vote(question, choice).await;
    }
    let third = app
        .post_json(
            &format!("/polls/questions/{question}/choices/"),
            &json!({"choice_text": "d"}),
        )
        .await
        .json::<Value>()
        .await
        .expect("json");
    let results = app.results(question).await;
    assert_eq!(results["question_id"], json!(question));
    assert_eq!(results["question_text"], "Vote?");
    assert_eq!(results["total_votes"], json!(5));
    let order: Vec<i64> = results["choices"]
        .as_array()
        .expect("choices")
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(order, [choices[1], choices[2], choices[0], id_of(&third)]);
    let line = &results["choices"][0];
    assert_eq!(
        line,
        &json!({"id": choices[1], "choice_text": "b", "votes": 2})
    );
}

#[tokio::test]
async fn every_read_reflects_every_acknowledged_vote() {
    let app = spawn_app().await;
    let (question, choices) = poll(&app).await;
    for expected in 1..=5 {
        app.vote(question, choices[0]).await;
        let detail: Value = app
            .get(&format!("/polls/questions/{question}/"))
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(detail["choices"][0]["votes"], json!(expected));
        let choice: Value = app
            .get(&format!(
                "/polls/questions/{question}/choices/{}/",
                choices[0]
            ))
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(choice["votes"], json!(expected));
        assert_eq!(app.results(question).await["total_votes"], json!(expected));
    }
}
