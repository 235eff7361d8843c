//! The bad-input matrix: every refused body is the right 4xx problem, names every invalid field,
//! and changes nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_invalid, id_of, spawn_app};

const CREATE: &str = "/polls/questions/";

async fn assert_nothing_stored(app: &TestApp) {
    let list: Vec<Value> = app.get(CREATE).await.json().await.expect("json");
    assert!(list.is_empty(), "a refused create stored {list:?}");
}

#[tokio::test]
async fn a_create_lists_every_invalid_field_at_once() {
    let app = spawn_app().await;
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (json!({}), vec!["question_text", "pub_date"]),
        (json!({"question_text": "Q?"}), vec!["pub_date"]),
        (
            json!({"question_text": 5, "pub_date": 20_191_020}),
            vec!["question_text", "pub_date"],
        ),
        (
            json!({"question_text": null, "pub_date": null}),
            vec!["question_text", "pub_date"],
        ),
        (
            json!({"question_text": "x".repeat(201), "pub_date": "2023-02-29"}),
            vec!["question_text", "pub_date"],
        ),
        (
            json!({"question_text": "", "pub_date": "2019-13-01"}),
            vec!["question_text", "pub_date"],
        ),
        (
            json!({"question_text": " \t\n ", "pub_date": "20-10-2019"}),
            vec!["question_text", "pub_date"],
        ),
        (
            json!({"question_text": "a\u{0}b", "pub_date": "2019-10-20"}),
            vec!["question_text"],
        ),
        (
            json!({"question_text": "a\nb", "pub_date": "2019-10-20T00:00:00Z"}),
            vec!["question_text", "pub_date"],
        ),
        (
            json!({"question_text": "Q?", "pub_date": "2019-10-20", "qestion_text": "typo"}),
            vec!["qestion_text"],
        ),
        (
            json!({"question_text": ["Q?"], "pub_date": "2019-10-20", "extra": 1, "more": 2}),
            vec!["question_text", "extra", "more"],
        ),
        (
            json!({"question_text": "Q?", "pub_date": "2019-10-20", "choices": "a"}),
            vec!["choices"],
        ),
        (
            json!({"question_text": "Q?", "pub_date": "2019-10-20", "choices": ["a", 1]}),
            vec!["choices"],
        ),
        (
            json!({"question_text": "Q?", "pub_date": "2019-10-20", "choices": ["a", "x".repeat(201), ""]}),
            vec!["choices", "choices"],
        ),
        (
            json!({"question_text": "Q?", "pub_date": "2019-10-20", "choices": ["a", " a "]}),
            vec!["choices"],
        ),
        (
            json!({"question_text": "Q?", "pub_date": "2019-10-20", "choices": (0..21).map(|n| n.to_string()).collect::<Vec<_>>()}),
            vec!["choices"],
        ),
    ];
    for (body, fields) in cases {
        let response = app.post_json(CREATE, &body).await;
        assert_invalid(response, &fields).await;
    }
    assert_nothing_stored(&app).await;
}

#[tokio::test]
async fn a_repeated_json_member_is_refused() {
    let app = spawn_app().await;
    let body = r#"{"question_text": "A?", "question_text": "B?", "pub_date": "2019-10-20"}"#;
    assert_invalid(
        app.post_raw(CREATE, Some("application/json"), body).await,
        &["question_text"],
    )
    .await;
    assert_nothing_stored(&app).await;
}

#[tokio::test]
async fn a_body_that_is_not_an_object_is_a_422_on_body() {
    let app = spawn_app().await;
    let question = id_of(&app.create_question("Q?", &["a"]).await);
    let paths = [
        ("POST", CREATE.to_owned()),
        ("PATCH", format!("/polls/questions/{question}/")),
        ("POST", format!("/polls/questions/{question}/choices/")),
        ("POST", format!("/polls/questions/{question}/votes/")),
    ];
    for (method, path) in &paths {
        for body in [
            "[]",
            "[{\"question_text\": \"Q?\"}]",
            "\"text\"",
            "42",
            "null",
            "true",
        ] {
            let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
            let response = app
                .send_raw(method, path, Some("application/json"), body)
                .await;
            assert_invalid(response, &["body"]).await;
        }
    }
    assert_eq!(app.results(question).await["total_votes"], json!(0));
}

#[tokio::test]
async fn the_form_create_refuses_unknown_repeated_and_missing_fields() {
    let app = spawn_app().await;
    let cases: [(&str, &[&str]); 5] = [
        (
            "question_text=Q&pub_date=2019-10-20&choices=a",
            &["choices"],
        ),
        (
            "question_text=A&question_text=B&pub_date=2019-10-20",
            &["question_text"],
        ),
        ("question_text=Q", &["pub_date"]),
        (
            "question_text=&pub_date=2023-02-29",
            &["question_text", "pub_date"],
        ),
        ("pub_date=2019-10-20&x=1", &["question_text", "x"]),
    ];
    for (body, fields) in cases {
        let response = app
            .post_raw(CREATE, Some("application/x-www-form-urlencoded"), body)
            .await;
        assert_invalid(response, fields).await;
    }
    assert_nothing_stored(&app).await;
}

#[tokio::test]
async fn a_patch_must_change_something_valid_and_refusals_change_nothing() {
    let app = spawn_app().await;
    let created = app.create_question("Stay?", &["a"]).await;
    let path = format!("/polls/questions/{}/", id_of(&created));
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (json!({}), vec!["body"]),
        (json!({"id": 5}), vec!["id", "body"]),
        (json!({"question_text": null}), vec!["question_text"]),
        (json!({"question_text": ""}), vec!["question_text"]),
        (
            json!({"question_text": "x".repeat(201), "pub_date": "2023-02-29"}),
            vec!["question_text", "pub_date"],
        ),
        (json!({"pub_date": 2019}), vec!["pub_date"]),
        (
            json!({"question_text": "Fine?", "choices": []}),
            vec!["choices"],
        ),
    ];
    for (body, fields) in cases {
        assert_invalid(app.patch_json(&path, &body).await, &fields).await;
    }
    let now: Value = app.get(&path).await.json().await.expect("json");
    assert_eq!(now, created);
}

#[tokio::test]
async fn a_bad_choice_body_is_a_422_and_adds_nothing() {
    let app = spawn_app().await;
    let question = id_of(&app.create_question("Q?", &["a"]).await);
    let path = format!("/polls/questions/{question}/choices/");
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (json!({}), vec!["choice_text"]),
        (json!({"choice_text": null}), vec!["choice_text"]),
        (json!({"choice_text": 3}), vec!["choice_text"]),
        (json!({"choice_text": "   "}), vec!["choice_text"]),
        (json!({"choice_text": "é".repeat(201)}), vec!["choice_text"]),
        (json!({"choice_text": "bell\u{7}"}), vec!["choice_text"]),
        (json!({"choice_text": "ok", "votes": 100}), vec!["votes"]),
    ];
    for (body, fields) in cases {
        assert_invalid(app.post_json(&path, &body).await, &fields).await;
    }
    let choices: Vec<Value> = app.get(&path).await.json().await.expect("json");
    assert_eq!(choices.len(), 1);
}

#[tokio::test]
async fn a_bad_vote_body_is_a_422_and_counts_nothing() {
    let app = spawn_app().await;
    let created = app.create_question("Q?", &["a"]).await;
    let question = id_of(&created);
    let choice = id_of(&created["choices"][0]);
    let path = format!("/polls/questions/{question}/votes/");
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (json!({}), vec!["choice_id"]),
        (json!({"choice_id": "3"}), vec!["choice_id"]),
        (json!({"choice_id": 1.5}), vec!["choice_id"]),
        (json!({"choice_id": null}), vec!["choice_id"]),
        (json!({"choice_id": 0}), vec!["choice_id"]),
        (json!({"choice_id": -1}), vec!["choice_id"]),
        (
            json!({"choice_id": 9_223_372_036_854_775_808_u64}),
            vec!["choice_id"],
        ),
        (json!({"choice_id": 1e300}), vec!["choice_id"]),
        (
            json!({"choice_id": choice, "voter_id": ""}),
            vec!["voter_id"],
        ),
        (
            json!({"choice_id": choice, "voter_id": "has space"}),
            vec!["voter_id"],
        ),
        (
            json!({"choice_id": choice, "voter_id": "v".repeat(129)}),
            vec!["voter_id"],
        ),
        (
            json!({"choice_id": choice, "voter_id": 42}),
            vec!["voter_id"],
        ),
        (
            json!({"choice_id": choice, "voter_id": "é"}),
            vec!["voter_id"],
        ),
        (
            json!({"choice_id": "x", "voter_id": 1, "weight": 2}),
            vec!["choice_id", "voter_id", "weight"],
        ),
    ];
    for (body, fields) in cases {
        assert_invalid(app.post_json(&path, &body).await, &fields).await;
    }
    let with_null_voter = app
        .post_json(&path, &json!({"choice_id": choice, "voter_id": null}))
        .await;
    assert_eq!(
        with_null_voter.status(),
        StatusCode::CREATED,
        "null voter_id is the same as absent"
    );
    let with_longest_voter = app
        .post_json(
            &path,
            &json!({"choice_id": choice, "voter_id": "v".repeat(128)}),
        )
        .await;
    assert_eq!(with_longest_voter.status(), StatusCode::CREATED);
    assert_eq!(app.results(question).await["total_votes"], json!(2));
}
