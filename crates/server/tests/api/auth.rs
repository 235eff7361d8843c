//! Bearer-token auth on `/polls/...` when tokens are configured.

use reqwest::{Method, StatusCode, header};
use serde_json::json;

use crate::helpers::{TestApp, assert_problem, header_value, spawn_app, spawn_app_with};

async fn secured() -> TestApp {
    spawn_app_with(&[("POLL__AUTH__TOKENS", "alpha-token,beta-token")]).await
}

#[tokio::test]
async fn with_tokens_configured_polls_requests_without_a_valid_one_are_401() {
    let app = secured().await;
    let requests = [
        (Method::GET, "/polls/questions/", None),
        (Method::POST, "/polls/questions/", None),
        (Method::GET, "/polls/questions/1/", Some("Bearer wrong")),
        (
            Method::GET,
            "/polls/questions/",
            Some("Bearer alpha-token-but-longer"),
        ),
        (
            Method::GET,
            "/polls/questions/",
            Some("Basic YWxwaGEtdG9rZW4="),
        ),
        (Method::GET, "/polls/questions/", Some("alpha-token")),
        (Method::GET, "/polls/questions/", Some("Bearer ")),
        (Method::GET, "/polls/unknown/", None),
        (Method::PUT, "/polls/questions/", None),
        (Method::GET, "/polls", None),
    ];
    for (method, path, authorization) in requests {
        let mut builder = app.request(method.clone(), path);
        if let Some(value) = authorization {
            builder = builder.header(header::AUTHORIZATION, value);
        }
        let response = app.send(builder).await;
        assert_eq!(
            header_value(&response, "www-authenticate").as_deref(),
            Some("Bearer"),
            "{method} {path}"
        );
        assert_problem(response, 401).await;
    }
}

#[tokio::test]
async fn any_configured_token_opens_the_polls_endpoints() {
    let app = secured().await;
    for token in ["alpha-token", "beta-token"] {
        let response = app
            .send(
                app.request(Method::GET, "/polls/questions/")
                    .header(header::AUTHORIZATION, format!("Bearer {token}")),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    let lower_case_scheme = app
        .send(
            app.request(Method::POST, "/polls/questions/")
                .header(header::AUTHORIZATION, "bearer beta-token")
                .json(&json!({"question_text": "Authed?", "pub_date": "2019-10-20"})),
        )
        .await;
    assert_eq!(lower_case_scheme.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn authenticated_requests_still_get_404_and_405() {
    let app = secured().await;
    let bearer = "Bearer alpha-token";
    let missing = app
        .send(
            app.request(Method::GET, "/polls/questions/5/")
                .header(header::AUTHORIZATION, bearer),
        )
        .await;
    assert_problem(missing, 404).await;
    let wrong_method = app
        .send(
            app.request(Method::PUT, "/polls/questions/")
                .header(header::AUTHORIZATION, bearer),
        )
        .await;
    assert_problem(wrong_method, 405).await;
}

#[tokio::test]
async fn operations_endpoints_are_never_behind_auth() {
    let app = secured().await;
    for path in ["/health/live", "/health/ready", "/version", "/openapi.json"] {
        assert_eq!(app.get(path).await.status(), StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn auth_is_off_by_default() {
    let app = spawn_app().await;
    assert_eq!(app.get("/polls/questions/").await.status(), StatusCode::OK);
    let ignored = app
        .send(
            app.request(Method::GET, "/polls/questions/")
                .header(header::AUTHORIZATION, "Bearer anything"),
        )
        .await;
    assert_eq!(ignored.status(), StatusCode::OK);
}
