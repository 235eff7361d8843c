//! Assertions on answers: problem+json, invalid fields, headers.

use reqwest::{Response, header};
use serde_json::{Value, json};

/// Asserts a problem+json answer with this status and the mandatory members; returns the body.
pub async fn assert_problem(response: Response, status: u16) -> Value {
    let url = response.url().to_string();
    assert_eq!(response.status().as_u16(), status, "status of {url}");
    assert_eq!(
        content_type(&response),
        "application/problem+json",
        "content type of {url}"
    );
    assert!(
        response.headers().contains_key("x-request-id"),
        "no X-Request-Id on {url}"
    );
    let body: Value = response.json().await.expect("a JSON problem");
    assert_problem_body(&body, status);
    body
}

pub fn assert_problem_body(body: &Value, status: u16) {
    for member in ["type", "title", "detail"] {
        assert!(body[member].is_string(), "problem without {member}: {body}");
    }
    assert_eq!(body["status"], json!(status), "problem status: {body}");
    if status == 422 {
        assert!(
            !error_fields(body).is_empty(),
            "a 422 without errors: {body}"
        );
    }
}

/// The `errors[].field` of a problem, in order.
pub fn error_fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    assert!(e["message"].is_string(), "error without message: {e}");
                    e["field"].as_str().expect("field").to_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Asserts a 422 whose `errors` name exactly these fields (in any order).
pub async fn assert_invalid(response: Response, fields: &[&str]) -> Value {
    let body = assert_problem(response, 422).await;
    let mut found = error_fields(&body);
    found.sort();
    let mut expected: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
    expected.sort();
    assert_eq!(found, expected, "invalid fields of {body}");
    body
}

pub fn content_type(response: &Response) -> String {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

pub fn header_value(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

pub fn id_of(value: &Value) -> i64 {
    value["id"].as_i64().expect("an id")
}
