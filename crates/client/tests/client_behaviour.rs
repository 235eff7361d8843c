//! The client against a scripted HTTP server on loopback: which requests it sends, what it
//! retries and what it makes of each answer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use poll_client::{
    Client, ClientError, ListQuestions, NewQuestion, NewVote, QuestionPatch, RetryPolicy,
};
use tokio::net::TcpListener;

use support::{install_crypto, ok, serve, unavailable};

const QUESTION: &str = r#"{"id":7,"question_text":"Q?","pub_date":"2026-11-30","created_at":"2026-11-30T10:00:00Z","choices":[]}"#;
const CHOICE: &str = r#"{"id":3,"question_id":7,"choice_text":"Yes","votes":0}"#;

#[tokio::test]
async fn a_get_is_retried_after_a_503_honouring_retry_after() {
    let script = serve(vec![unavailable("0"), ok(200, QUESTION)]).await;
    let question = script
        .client()
        .get_question(7)
        .await
        .expect("second attempt succeeds");
    assert_eq!(question.id, 7);
    assert_eq!(script.seen().len(), 2);
}

#[tokio::test]
async fn attempts_are_bounded_by_the_policy() {
    let script = serve(vec![
        unavailable("0"),
        unavailable("0"),
        unavailable("0"),
        unavailable("0"),
    ])
    .await;
    let error = script
        .client()
        .results(7)
        .await
        .expect_err("still unavailable");
    assert_eq!(error.status(), Some(503));
    assert_eq!(
        error.problem().map(|p| p.detail.as_str()),
        Some("database unreachable")
    );
    assert_eq!(script.seen().len(), 3);
}

#[tokio::test]
async fn a_retry_after_beyond_the_policy_is_not_waited_for() {
    let script = serve(vec![unavailable("3600"), ok(200, QUESTION)]).await;
    let started = Instant::now();
    let error = script
        .client()
        .get_question(7)
        .await
        .expect_err("gives up at once");
    assert_eq!(error.status(), Some(503));
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(script.seen().len(), 1);
}

#[tokio::test]
async fn a_create_is_never_retried() {
    let script = serve(vec![unavailable("0"), ok(201, QUESTION)]).await;
    let error = script
        .client()
        .create_question(&NewQuestion::new("Q?", "2026-11-30"))
        .await
        .expect_err("the 503 is returned");
    assert!(error.is_transient());
    assert_eq!(script.seen().len(), 1);
}

#[tokio::test]
async fn a_vote_without_a_key_is_never_retried() {
    let script = serve(vec![
        unavailable("0"),
        ok(201, r#"{"question_id":7,"choice_id":3}"#),
    ])
    .await;
    let error = script
        .client()
        .vote(7, &NewVote::new(3), None)
        .await
        .expect_err("503");
    assert_eq!(error.status(), Some(503));
    let seen = script.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].header("Idempotency-Key"), None);
}

#[tokio::test]
async fn a_vote_with_a_key_is_retried_with_the_same_key_and_body() {
    let replayed = Some((
        201,
        vec![
            ("Content-Type", "application/json".into()),
            ("Idempotent-Replayed", "true".into()),
        ],
        r#"{"question_id":7,"choice_id":3,"voter_id":"v-1"}"#.to_owned(),
    ));
    let script = serve(vec![unavailable("0"), replayed]).await;
    let receipt = script
        .client()
        .vote(7, &NewVote::new(3).voter("v-1"), Some("key-1"))
        .await
        .expect("the retry is answered");
    assert!(receipt.replayed);
    assert_eq!(receipt.vote.voter_id.as_deref(), Some("v-1"));
    let seen = script.seen();
    assert_eq!(seen.len(), 2);
    for request in &seen {
        assert_eq!(
            (request.method.as_str(), request.target.as_str()),
            ("POST", "/polls/questions/7/votes/")
        );
        assert_eq!(request.header("Idempotency-Key"), Some("key-1"));
        assert_eq!(request.body, r#"{"choice_id":3,"voter_id":"v-1"}"#);
    }
}

#[tokio::test]
async fn a_malformed_idempotency_key_sends_nothing() {
    let script = serve(vec![]).await;
    let error = script
        .client()
        .vote(7, &NewVote::new(3), Some("two words"))
        .await
        .expect_err("refused");
    assert!(matches!(error, ClientError::InvalidInput(_)));
    assert!(script.seen().is_empty());
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error() {
    install_crypto();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = Client::builder(base)
        .retry_policy(
            RetryPolicy::new(2).backoff(Duration::from_millis(1), Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    let error = client.get_question(1).await.expect_err("nobody listens");
    assert!(matches!(error, ClientError::Transport(_)), "{error:?}");
    assert!(error.is_transient());
}

#[tokio::test]
async fn a_slow_answer_is_a_timeout_and_is_not_retried() {
    let script = serve(vec![None, ok(200, QUESTION)]).await;
    let client = script.client().with_timeout(Duration::from_millis(200));
    let error = client.get_question(7).await.expect_err("no answer in time");
    assert!(matches!(error, ClientError::Timeout { after } if after == Duration::from_millis(200)));
    assert_eq!(script.seen().len(), 1);
}

#[tokio::test]
async fn token_request_id_and_accept_are_sent() {
    let script = serve(vec![ok(200, QUESTION), ok(200, QUESTION)]).await;
    let client = Client::builder(&script.base)
        .bearer_token("t0ken")
        .build()
        .unwrap();
    client
        .with_request_id("req-42")
        .unwrap()
        .get_question(7)
        .await
        .unwrap();
    client.get_question(7).await.unwrap();
    let seen = script.seen();
    assert_eq!(seen[0].header("Authorization"), Some("Bearer t0ken"));
    assert_eq!(seen[0].header("X-Request-Id"), Some("req-42"));
    assert!(
        seen[0]
            .header("Accept")
            .unwrap()
            .contains("application/problem+json")
    );
    assert_eq!(
        seen[1].header("X-Request-Id"),
        None,
        "the id belongs to the clone only"
    );

    let anonymous = serve(vec![ok(200, QUESTION)]).await;
    anonymous.client().get_question(7).await.unwrap();
    assert_eq!(anonymous.seen()[0].header("Authorization"), None);
}

#[tokio::test]
async fn pages_are_followed_to_the_end() {
    let page = |body: &str, next: Option<&str>| {
        let mut headers = vec![("Content-Type", "application/json".to_owned())];
        if let Some(next) = next {
            headers.push(("Link", format!(r#"<{next}>; rel="next""#)));
        }
        Some((200, headers, body.to_owned()))
    };
    let q = |id: i64| {
        format!(
            r#"{{"id":{id},"question_text":"Q{id}","pub_date":"2026-11-30","created_at":"2026-11-30T10:00:00Z"}}"#
        )
    };
    let script = serve(vec![
        page(
            &format!("[{},{}]", q(1), q(2)),
            Some("/polls/questions/?after_id=2&limit=2"),
        ),
        page(
            &format!("[{},{}]", q(3), q(4)),
            Some("/polls/questions/?after_id=4&limit=2"),
        ),
        page("[]", None),
    ])
    .await;
    let all = script.client().list_all_questions(Some(2)).await.unwrap();
    assert_eq!(all.iter().map(|q| q.id).collect::<Vec<_>>(), [1, 2, 3, 4]);
    let targets: Vec<String> = script.seen().into_iter().map(|s| s.target).collect();
    assert_eq!(
        targets,
        [
            "/polls/questions/?limit=2",
            "/polls/questions/?after_id=2&limit=2",
            "/polls/questions/?after_id=4&limit=2"
        ]
    );
}

#[tokio::test]
async fn a_next_link_to_another_origin_is_refused() {
    let script = serve(vec![Some((
        200,
        vec![(
            "Link",
            r#"<http://elsewhere.invalid/steal>; rel="next""#.to_owned(),
        )],
        "[]".to_owned(),
    ))])
    .await;
    let error = script
        .client()
        .list_questions(ListQuestions::default())
        .await
        .expect_err("foreign link");
    assert!(
        matches!(error, ClientError::InvalidResponse(_)),
        "{error:?}"
    );
}

#[tokio::test]
async fn every_endpoint_uses_its_method_and_path() {
    let script = serve(vec![
        Some((204, vec![], String::new())),
        ok(200, QUESTION),
        ok(200, &format!("[{CHOICE}]")),
        ok(201, CHOICE),
        ok(200, CHOICE),
        ok(200, r#"{"status":"ok"}"#),
        ok(
            200,
            r#"{"version":"0.1.0","commit":"abc","branch":"main","environment":"uat"}"#,
        ),
        ok(
            200,
            r#"{"question_id":7,"question_text":"Q?","total_votes":0,"choices":[]}"#,
        ),
    ])
    .await;
    let client = script.client();
    client.delete_question(7).await.unwrap();
    let patch = QuestionPatch {
        question_text: Some("New?".into()),
        pub_date: None,
    };
    client.update_question(7, &patch).await.unwrap();
    assert_eq!(client.list_choices(7).await.unwrap().len(), 1);
    assert_eq!(client.add_choice(7, "Yes").await.unwrap().id, 3);
    assert_eq!(client.get_choice(7, 3).await.unwrap().choice_text, "Yes");
    assert_eq!(client.health_live().await.unwrap().status, "ok");
    assert_eq!(client.version().await.unwrap().environment, "uat");
    assert_eq!(client.results(7).await.unwrap().total_votes, 0);
    let calls: Vec<(String, String, String)> = script
        .seen()
        .into_iter()
        .map(|s| (s.method, s.target, s.body))
        .collect();
    let expected = [
        ("DELETE", "/polls/questions/7/", ""),
        (
            "PATCH",
            "/polls/questions/7/",
            r#"{"question_text":"New?"}"#,
        ),
        ("GET", "/polls/questions/7/choices/", ""),
        (
            "POST",
            "/polls/questions/7/choices/",
            r#"{"choice_text":"Yes"}"#,
        ),
        ("GET", "/polls/questions/7/choices/3/", ""),
        ("GET", "/health/live", ""),
        ("GET", "/version", ""),
        ("GET", "/polls/questions/7/results/", ""),
    ];
    let expected: Vec<(String, String, String)> = expected
        .iter()
        .map(|(m, t, b)| ((*m).into(), (*t).into(), (*b).into()))
        .collect();
    assert_eq!(calls, expected);
}

#[tokio::test]
async fn an_unready_service_reports_its_checks() {
    let body = r#"{"status":"unready","checks":{"postgres":"down","redis":"up"}}"#;
    let script = serve(vec![Some((
        503,
        vec![("Retry-After", "1".into())],
        body.into(),
    ))])
    .await;
    let readiness = script
        .client()
        .health_ready()
        .await
        .expect("the 503 body is an answer");
    assert!(!readiness.is_serving());
    assert_eq!(readiness.checks.postgres, "down");
    assert_eq!(script.seen().len(), 1, "a probe is not retried");
}

#[tokio::test]
async fn a_success_body_that_breaks_the_contract_is_a_decode_error() {
    let script = serve(vec![ok(200, r#"{"id":"seven"}"#)]).await;
    let error = script
        .client()
        .get_question(7)
        .await
        .expect_err("undecodable");
    assert!(
        matches!(error, ClientError::Decode { status: 200, .. }),
        "{error:?}"
    );
}
