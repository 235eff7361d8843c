use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{assert_problem, header_value, id_of, spawn_app};

#[tokio::test]
async fn adding_a_choice_answers_201_with_its_location() {
    let app = spawn_app().await;
    let question = id_of(&app.create_question("Pick?", &["first"]).await);
    let response = app
        .post_json(
            &format!("/polls/questions/{question}/choices/"),
            &json!({"choice_text": " second "}),
        )
        .await;

    assert_eq!(response.status(), StatusCode::CREATED);
    let location = header_value(&response, "location").expect("Location");
    let choice: Value = response.json().await.expect("json");
    assert_eq!(
        location,
        format!("/polls/questions/{question}/choices/{}/", id_of(&choice))
    );
    assert_eq!(choice["choice_text"], "second");
    assert_eq!(choice["question_id"], json!(question));
    assert_eq!(choice["votes"], json!(0));

    let fetched: Value = app.get(&location).await.json().await.expect("json");
    assert_eq!(fetched, choice);
}

#[tokio::test]
async fn choices_are_listed_by_id() {
    let app = spawn_app().await;
    let created = app.create_question("Pick?", &["b", "a"]).await;
    let question = id_of(&created);
    app.post_json(
        &format!("/polls/questions/{question}/choices/"),
        &json!({"choice_text": "c"}),
    )
    .await;

    let response = app
        .get(&format!("/polls/questions/{question}/choices/"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let choices: Vec<Value> = response.json().await.expect("json");
    let texts: Vec<&str> = choices
        .iter()
        .map(|c| c["choice_text"].as_str().expect("text"))
        .collect();
    assert_eq!(texts, ["b", "a", "c"]);
    let ids: Vec<i64> = choices.iter().map(id_of).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
}

#[tokio::test]
async fn a_choice_text_already_on_the_question_is_a_409_and_nothing_changes() {
    let app = spawn_app().await;
    let question = id_of(&app.create_question("Pick?", &["Yes"]).await);
    let path = format!("/polls/questions/{question}/choices/");
    assert_problem(
        app.post_json(&path, &json!({"choice_text": "  Yes "}))
            .await,
        409,
    )
    .await;
    let choices: Vec<Value> = app.get(&path).await.json().await.expect("json");
    assert_eq!(choices.len(), 1);

    let other = id_of(&app.create_question("Other?", &[]).await);
    let elsewhere = app
        .post_json(
            &format!("/polls/questions/{other}/choices/"),
            &json!({"choice_text": "Yes"}),
        )
        .await;
    assert_eq!(
        elsewhere.status(),
        StatusCode::CREATED,
        "texts are unique per question only"
    );
}

#[tokio::test]
async fn a_twenty_first_choice_is_a_409() {
    let app = spawn_app().await;
    let texts: Vec<String> = (0..20).map(|n| format!("c{n}")).collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let question = id_of(&app.create_question("Many?", &refs).await);
    let path = format!("/polls/questions/{question}/choices/");
    assert_problem(
        app.post_json(&path, &json!({"choice_text": "one more"}))
            .await,
        409,
    )
    .await;
    let choices: Vec<Value> = app.get(&path).await.json().await.expect("json");
    assert_eq!(choices.len(), 20);
}

#[tokio::test]
async fn a_choice_of_another_question_is_not_found_through_this_one() {
    let app = spawn_app().await;
    let first = app.create_question("One?", &["a"]).await;
    let second = id_of(&app.create_question("Two?", &["b"]).await);
    let choice = id_of(&first["choices"][0]);
    assert_problem(
        app.get(&format!("/polls/questions/{second}/choices/{choice}/"))
            .await,
        404,
    )
    .await;
    assert_problem(
        app.get(&format!("/polls/questions/{second}/choices/999999/"))
            .await,
        404,
    )
    .await;
    assert_problem(
        app.get(&format!("/polls/questions/999999/choices/{choice}/"))
            .await,
        404,
    )
    .await;
}

#[tokio::test]
async fn choices_of_a_missing_question_are_404() {
    let app = spawn_app().await;
    assert_problem(app.get("/polls/questions/424242/choices/").await, 404).await;
    assert_problem(
        app.post_json(
            "/polls/questions/424242/choices/",
            &json!({"choice_text": "x"}),
        )
        .await,
        404,
    )
    .await;
}
