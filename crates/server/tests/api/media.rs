//! Media types (415), body sizes (413) and malformed bodies (400).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, assert_problem, assert_problem_body, content_type, id_of, spawn_app,
};

const CREATE: &str = "/polls/questions/";

/// Every endpoint that takes a body, as (method, path) on a fresh question.
async fn write_endpoints(app: &TestApp) -> Vec<(Method, String)> {
    let id = id_of(&app.create_question("Q?", &["a"]).await);
    vec![
        (Method::POST, CREATE.to_owned()),
        (Method::PATCH, format!("/polls/questions/{id}/")),
        (Method::POST, format!("/polls/questions/{id}/choices/")),
        (Method::POST, format!("/polls/questions/{id}/votes/")),
    ]
}

#[tokio::test]
async fn a_body_without_content_type_is_a_415() {
    let app = spawn_app().await;
    for (method, path) in write_endpoints(&app).await {
        let response = app
            .send_raw(method, &path, None, r#"{"choice_text": "x"}"#)
            .await;
        assert_problem(response, 415).await;
    }
}

#[tokio::test]
async fn media_types_an_endpoint_does_not_take_are_415() {
    let app = spawn_app().await;
    for (method, path) in write_endpoints(&app).await {
        for media in [
            "text/plain",
            "multipart/form-data; boundary=xyz",
            "application/xml",
            "application/json; charset=latin1",
            "application/jsonp",
        ] {
            let response = app.send_raw(method.clone(), &path, Some(media), "{}").await;
            assert_problem(response, 415).await;
        }
    }
    let id = id_of(&app.create_question("Form?", &[]).await);
    let form_vote = app
        .post_raw(
            &format!("/polls/questions/{id}/votes/"),
            Some("application/x-www-form-urlencoded"),
            "choice_id=1",
        )
        .await;
    assert_problem(form_vote, 415).await;
}

#[tokio::test]
async fn json_with_a_utf8_charset_is_accepted_and_answers_are_json() {
    let app = spawn_app().await;
    let body = r#"{"question_text": "Charset?", "pub_date": "2019-10-20"}"#;
    let response = app
        .post_raw(CREATE, Some("application/json; charset=utf-8"), body)
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(content_type(&response), "application/json");
    let created: Value = response.json().await.expect("json");
    assert_eq!(created["question_text"], "Charset?");
}

#[tokio::test]
async fn malformed_and_empty_bodies_are_400() {
    let app = spawn_app().await;
    for (method, path) in write_endpoints(&app).await {
        for body in [
            &b""[..],
            b"   ",
            b"{",
            b"{\"question_text\": }",
            b"{'a': 1}",
            b"{} []",
            b"\xff\xfe",
        ] {
            let response = app
                .send_raw(
                    method.clone(),
                    &path,
                    Some("application/json"),
                    body.to_vec(),
                )
                .await;
            assert_problem(response, 400).await;
        }
    }
    for body in [
        &b""[..],
        b"question_text=%zz&pub_date=2019-10-20",
        b"question_text=\xff",
    ] {
        let response = app
            .post_raw(
                CREATE,
                Some("application/x-www-form-urlencoded"),
                body.to_vec(),
            )
            .await;
        assert_problem(response, 400).await;
    }
}

/// A valid create body padded with spaces to exactly `size` bytes.
fn padded_create(size: usize) -> String {
    let core = r#"{"question_text": "Big?", "pub_date": "2019-10-20"}"#;
    format!("{core}{}", " ".repeat(size - core.len()))
}

#[tokio::test]
async fn bodies_up_to_16_kib_are_taken_and_larger_ones_are_413() {
    let app = spawn_app().await;
    let at_limit = app
        .post_raw(CREATE, Some("application/json"), padded_create(16 * 1024))
        .await;
    assert_eq!(at_limit.status(), StatusCode::CREATED);
    for (method, path) in write_endpoints(&app).await {
        let response = app
            .send_raw(
                method,
                &path,
                Some("application/json"),
                padded_create(16 * 1024 + 1),
            )
            .await;
        assert_problem(response, 413).await;
    }
    let big_form = format!(
        "question_text=Q&pub_date=2019-10-20&pad={}",
        "x".repeat(20_000)
    );
    assert_problem(
        app.post_raw(CREATE, Some("application/x-www-form-urlencoded"), big_form)
            .await,
        413,
    )
    .await;
    let list: Vec<Value> = app.get(CREATE).await.json().await.expect("json");
    assert_eq!(
        list.len(),
        2,
        "only the fixture and the at-limit create were stored"
    );
}

#[tokio::test]
async fn a_chunked_body_over_16_kib_without_content_length_is_413() {
    let app = spawn_app().await;
    let body = padded_create(20 * 1024);
    let mut request =
        b"POST /polls/questions/ HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nX-Request-Id: chunky\r\nConnection: close\r\n\r\n"
            .to_vec();
    for chunk in body.as_bytes().chunks(4096) {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    let response = app.raw_http(request).await;
    assert_eq!(response.status, 413, "{response:?}");
    assert_eq!(
        response.headers.get("content-type").map(String::as_str),
        Some("application/problem+json")
    );
    assert_eq!(
        response.headers.get("x-request-id").map(String::as_str),
        Some("chunky")
    );
    let problem: Value = serde_json::from_str(&response.body).expect("a JSON problem");
    assert_problem_body(&problem, 413);
    let list: Vec<Value> = app.get(CREATE).await.json().await.expect("json");
    assert!(list.is_empty());
}

#[tokio::test]
async fn a_small_chunked_body_is_taken() {
    let app = spawn_app().await;
    let body = json!({"question_text": "Chunked?", "pub_date": "2019-10-20"}).to_string();
    let request = format!(
        "POST /polls/questions/ HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
        body.len()
    );
    let response = app.raw_http(request.into_bytes()).await;
    assert_eq!(response.status, 201, "{response:?}");
}
