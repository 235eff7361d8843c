//! Trailing slashes, path ids, unknown routes and methods.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{assert_problem, header_value, id_of, spawn_app};

#[tokio::test]
async fn every_polls_path_works_without_its_trailing_slash_and_never_redirects() {
    let app = spawn_app().await;
    let created = app
        .post_json(
            "/polls/questions",
            &json!({"question_text": "Q?", "pub_date": "2019-10-20", "choices": ["a"]}),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let location = header_value(&created, "location").expect("Location");
    let created: Value = created.json().await.expect("json");
    let id = id_of(&created);
    let choice = id_of(&created["choices"][0]);
    assert_eq!(
        location,
        format!("/polls/questions/{id}/"),
        "Location has the canonical slash"
    );

    for path in [
        "/polls/questions".to_owned(),
        format!("/polls/questions/{id}"),
        format!("/polls/questions/{id}/choices"),
        format!("/polls/questions/{id}/choices/{choice}"),
        format!("/polls/questions/{id}/results"),
    ] {
        let response = app.get(&path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    }
    let added = app
        .post_json(
            &format!("/polls/questions/{id}/choices"),
            &json!({"choice_text": "b"}),
        )
        .await;
    assert_eq!(added.status(), StatusCode::CREATED);
    let location = header_value(&added, "location").expect("Location");
    assert!(
        location.starts_with(&format!("/polls/questions/{id}/choices/")) && location.ends_with('/'),
        "{location}"
    );
    let voted = app
        .post_json(
            &format!("/polls/questions/{id}/votes"),
            &json!({"choice_id": choice}),
        )
        .await;
    assert_eq!(voted.status(), StatusCode::CREATED);
    let patched = app
        .patch_json(
            &format!("/polls/questions/{id}"),
            &json!({"question_text": "R?"}),
        )
        .await;
    assert_eq!(patched.status(), StatusCode::OK);
    assert_eq!(
        app.delete(&format!("/polls/questions/{id}")).await.status(),
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn the_link_header_uses_the_canonical_path() {
    let app = spawn_app().await;
    app.create_question("A?", &[]).await;
    app.create_question("B?", &[]).await;
    let response = app.get("/polls/questions?limit=1").await;
    let link = header_value(&response, "link").expect("Link");
    assert!(link.starts_with("</polls/questions/?after_id="), "{link}");
    assert!(link.ends_with("&limit=1>; rel=\"next\""), "{link}");
}

#[tokio::test]
async fn malformed_path_ids_are_400_and_well_formed_missing_ones_404() {
    let app = spawn_app().await;
    let created = app.create_question("Q?", &["a"]).await;
    let id = id_of(&created);
    for bad in [
        "abc",
        "0",
        "-1",
        "9223372036854775808",
        "01",
        "+1",
        "1.0",
        "%20",
    ] {
        for path in [
            format!("/polls/questions/{bad}/"),
            format!("/polls/questions/{bad}/choices/"),
            format!("/polls/questions/{bad}/results/"),
            format!("/polls/questions/{id}/choices/{bad}/"),
        ] {
            assert_problem(app.get(&path).await, 400).await;
        }
        assert_problem(app.delete(&format!("/polls/questions/{bad}/")).await, 400).await;
        assert_problem(
            app.post_json(
                &format!("/polls/questions/{bad}/votes/"),
                &json!({"choice_id": 1}),
            )
            .await,
            400,
        )
        .await;
    }
    assert_problem(
        app.get("/polls/questions/9223372036854775807/choices/")
            .await,
        404,
    )
    .await;
    assert_problem(
        app.get(&format!(
            "/polls/questions/{id}/choices/9223372036854775807/"
        ))
        .await,
        404,
    )
    .await;
}

#[tokio::test]
async fn operations_endpoints_have_exactly_their_paths() {
    let app = spawn_app().await;
    for path in [
        "/health/live/",
        "/health/ready/",
        "/version/",
        "/openapi.json/",
        "/health",
        "/health/",
    ] {
        assert_problem(app.get(path).await, 404).await;
    }
}

#[tokio::test]
async fn unknown_routes_are_404_problems() {
    let app = spawn_app().await;
    for path in [
        "/",
        "/nope",
        "/polls",
        "/polls/",
        "/polls/answers/",
        "/polls/questions/1/unknown/",
        "/polls/questions//",
    ] {
        assert_problem(app.get(path).await, 404).await;
    }
}

#[tokio::test]
async fn a_method_a_path_does_not_take_is_a_405_listing_the_ones_it_does() {
    let app = spawn_app().await;
    let cases = [
        (Method::PUT, "/polls/questions/", "GET, POST"),
        (Method::DELETE, "/polls/questions", "GET, POST"),
        (Method::PUT, "/polls/questions/1/", "GET, PATCH, DELETE"),
        (Method::POST, "/polls/questions/1", "GET, PATCH, DELETE"),
        (Method::DELETE, "/polls/questions/1/choices/", "GET, POST"),
        (Method::PATCH, "/polls/questions/1/choices/2/", "GET"),
        (Method::GET, "/polls/questions/1/votes/", "POST"),
        (Method::POST, "/polls/questions/1/results", "GET"),
        (Method::POST, "/health/live", "GET"),
        (Method::DELETE, "/version", "GET"),
        (Method::HEAD, "/health/ready", "GET"),
        (Method::OPTIONS, "/polls/questions/", "GET, POST"),
    ];
    for (method, path, allow) in cases {
        let head = method == Method::HEAD;
        let response = app.send(app.request(method.clone(), path)).await;
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_eq!(
            header_value(&response, "allow").as_deref(),
            Some(allow),
            "{method} {path}"
        );
        if !head {
            assert_problem(response, 405).await;
        }
    }
}
