//! `/openapi.json` describes every endpoint of the contract, as served.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{content_type, spawn_app};

async fn document() -> Value {
    let app = spawn_app().await;
    let response = app.get("/openapi.json").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(content_type(&response), "application/json");
    response.json().await.expect("json")
}

fn operation<'a>(doc: &'a Value, method: &str, path: &str) -> &'a Value {
    let operation = &doc["paths"][path][method];
    assert!(operation.is_object(), "{method} {path} is not documented");
    operation
}

fn statuses(operation: &Value) -> BTreeSet<String> {
    operation["responses"]
        .as_object()
        .expect("responses")
        .keys()
        .cloned()
        .collect()
}

#[tokio::test]
async fn the_document_is_openapi_3_and_lists_exactly_the_served_operations() {
    let doc = document().await;
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
        "{}",
        doc["openapi"]
    );
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    let served: BTreeSet<(String, String)> = poll_http::routes::ENDPOINTS
        .iter()
        .map(|e| (e.method.as_str().to_owned(), e.path.to_owned()))
        .collect();
    assert_eq!(documented, served);
    assert_eq!(served.len(), 15);
}

#[tokio::test]
async fn every_status_of_the_contract_is_documented() {
    let doc = document().await;
    let expect = |method: &str, path: &str, codes: &[&str]| {
        let found = statuses(operation(&doc, method, path));
        for code in codes {
            assert!(
                found.contains(*code),
                "{method} {path} lacks {code}: {found:?}"
            );
        }
    };
    let polls_common = ["401", "500", "503"];
    expect("get", "/polls/questions/", &["200", "400"]);
    expect(
        "post",
        "/polls/questions/",
        &["201", "400", "413", "415", "422"],
    );
    expect("get", "/polls/questions/{id}/", &["200", "400", "404"]);
    expect(
        "patch",
        "/polls/questions/{id}/",
        &["200", "400", "404", "413", "415", "422"],
    );
    expect("delete", "/polls/questions/{id}/", &["204", "400", "404"]);
    expect(
        "get",
        "/polls/questions/{id}/choices/",
        &["200", "400", "404"],
    );
    expect(
        "post",
        "/polls/questions/{id}/choices/",
        &["201", "400", "404", "409", "413", "415", "422"],
    );
    expect(
        "get",
        "/polls/questions/{id}/choices/{choice_id}/",
        &["200", "400", "404"],
    );
    expect(
        "post",
        "/polls/questions/{id}/votes/",
        &["201", "400", "404", "409", "413", "415", "422"],
    );
    expect(
        "get",
        "/polls/questions/{id}/results/",
        &["200", "400", "404"],
    );
    expect("get", "/health/ready", &["200", "503"]);
    expect("get", "/metrics", &["200"]);
    assert!(
        operation(&doc, "get", "/metrics")["responses"]["200"]["content"]
            ["text/plain; version=0.0.4"]
            .is_object(),
        "/metrics is documented as the Prometheus text format"
    );
    for (path, item) in doc["paths"].as_object().expect("paths") {
        if path.starts_with("/polls/") {
            for (method, _) in item.as_object().expect("item") {
                expect(method, path, &polls_common);
            }
        }
    }
}

#[tokio::test]
async fn headers_parameters_and_problem_bodies_are_documented() {
    let doc = document().await;
    let create = operation(&doc, "post", "/polls/questions/");
    assert!(create["responses"]["201"]["headers"]["Location"].is_object());
    let bodies = create["requestBody"]["content"]
        .as_object()
        .expect("content");
    assert!(
        bodies.contains_key("application/json")
            && bodies.contains_key("application/x-www-form-urlencoded")
    );
    assert!(create["responses"]["422"]["content"]["application/problem+json"].is_object());

    let list = operation(&doc, "get", "/polls/questions/");
    assert!(list["responses"]["200"]["headers"]["Link"].is_object());
    let names: BTreeSet<&str> = list["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(
        names.is_superset(&BTreeSet::from(["limit", "after_id", "X-Request-Id"])),
        "{names:?}"
    );

    let vote = operation(&doc, "post", "/polls/questions/{id}/votes/");
    let vote_params: Vec<&str> = vote["parameters"]
        .as_array()
        .expect("params")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(vote_params.contains(&"Idempotency-Key"), "{vote_params:?}");
    assert!(vote["responses"]["201"]["headers"]["Idempotent-Replayed"].is_object());
    assert!(vote["responses"]["503"]["headers"]["Retry-After"].is_object());
    assert!(vote["responses"]["201"]["headers"]["X-Request-Id"].is_object());

    let schemas = &doc["components"]["schemas"];
    let problem = &schemas["Problem"]["properties"];
    for member in ["type", "title", "status", "detail", "errors"] {
        assert!(problem[member].is_object(), "Problem lacks {member}");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}
