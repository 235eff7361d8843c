use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{assert_problem, content_type, header_value, id_of, spawn_app};

#[tokio::test]
async fn creating_a_question_answers_201_with_its_location_and_choices() {
    let app = spawn_app().await;
    let body = json!({"question_text": "What's up?", "pub_date": "2019-10-20", "choices": ["Not much", "The sky"]});
    let response = app.post_json("/polls/questions/", &body).await;

    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(content_type(&response), "application/json");
    let location = header_value(&response, "location").expect("Location");
    let created: Value = response.json().await.expect("json");
    let id = id_of(&created);
    assert_eq!(location, format!("/polls/questions/{id}/"));
    assert_eq!(created["question_text"], "What's up?");
    assert_eq!(created["pub_date"], "2019-10-20");
    let choices = created["choices"].as_array().expect("choices");
    assert_eq!(choices.len(), 2);
    assert_eq!(choices[0]["choice_text"], "Not much");
    assert_eq!(choices[0]["question_id"], json!(id));
    assert_eq!(choices[0]["votes"], json!(0));
    assert!(id_of(&choices[0]) < id_of(&choices[1]));

    let fetched: Value = app.get(&location).await.json().await.expect("json");
    assert_eq!(fetched, created);
}

#[tokio::test]
async fn created_at_is_an_rfc3339_utc_timestamp() {
    let app = spawn_app().await;
    let created = app.create_question("When?", &[]).await;
    let created_at = created["created_at"].as_str().expect("created_at");
    assert!(created_at.ends_with('Z'), "{created_at}");
    let parsed =
        time::OffsetDateTime::parse(created_at, &time::format_description::well_known::Rfc3339);
    assert!(parsed.is_ok(), "{created_at}");
    assert_eq!(created["choices"], json!([]));
}

#[tokio::test]
async fn the_form_encoded_create_of_the_first_consumers_keeps_working() {
    let app = spawn_app().await;
    let response = app
        .post_raw(
            "/polls/questions/",
            Some("application/x-www-form-urlencoded"),
            "question_text=What%27s+up%3F&pub_date=2019-10-20",
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(header_value(&response, "location").is_some());
    let created: Value = response.json().await.expect("json");
    assert_eq!(created["question_text"], "What's up?");
    assert_eq!(created["choices"], json!([]));
}

#[tokio::test]
async fn texts_are_trimmed_before_they_are_stored() {
    let app = spawn_app().await;
    let body = json!({"question_text": " \u{3000}Padded?\n ", "pub_date": "2019-10-20", "choices": ["  a  "]});
    let created: Value = app
        .post_json("/polls/questions/", &body)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(created["question_text"], "Padded?");
    assert_eq!(created["choices"][0]["choice_text"], "a");
}

#[tokio::test]
async fn two_hundred_multi_byte_characters_are_accepted() {
    let app = spawn_app().await;
    for text in [
        "é".repeat(200),
        "🦀".repeat(200),
        format!("{}👩\u{200d}💻", "x".repeat(197)),
    ] {
        let body = json!({"question_text": text, "pub_date": "2019-10-20", "choices": [text]});
        let response = app.post_json("/polls/questions/", &body).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{text}");
        let created: Value = response.json().await.expect("json");
        assert_eq!(created["question_text"], json!(text));
    }
}

#[tokio::test]
async fn listing_answers_questions_by_id_without_their_choices() {
    let app = spawn_app().await;
    let first = app.create_question("First?", &["a"]).await;
    let second = app.create_question("Second?", &[]).await;

    let response = app.get("/polls/questions/").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(header_value(&response, "link").is_none(), "no next page");
    let list: Vec<Value> = response.json().await.expect("json");
    let ids: Vec<i64> = list.iter().map(id_of).collect();
    assert_eq!(ids, [id_of(&first), id_of(&second)]);
    assert!(
        list[0].get("choices").is_none(),
        "lists omit choices: {}",
        list[0]
    );
    assert_eq!(list[0]["question_text"], "First?");
    assert_eq!(list[0]["created_at"], first["created_at"]);
}

#[tokio::test]
async fn the_link_header_walks_every_page_with_the_limit_in_force() {
    let app = spawn_app().await;
    let mut created = Vec::new();
    for n in 0..5 {
        created.push(id_of(&app.create_question(&format!("Q{n}?"), &[]).await));
    }
    let mut seen = Vec::new();
    let mut next = Some("/polls/questions/?limit=2".to_owned());
    let mut pages = 0;
    while let Some(path) = next.take() {
        let response = app.get(&path).await;
        assert_eq!(response.status(), StatusCode::OK);
        next = header_value(&response, "link").map(|link| {
            let target = link
                .strip_prefix('<')
                .and_then(|l| l.split_once(">; rel=\"next\""))
                .expect("a next link")
                .0;
            assert!(target.starts_with("/polls/questions/?after_id="), "{link}");
            assert!(target.ends_with("&limit=2"), "{link}");
            target.to_owned()
        });
        let page: Vec<Value> = response.json().await.expect("json");
        assert!(page.len() <= 2);
        seen.extend(page.iter().map(id_of));
        pages += 1;
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, created);
}

#[tokio::test]
async fn after_id_is_a_cursor_and_zero_starts_from_the_beginning() {
    let app = spawn_app().await;
    let a = id_of(&app.create_question("A?", &[]).await);
    let b = id_of(&app.create_question("B?", &[]).await);
    let from_start: Vec<Value> = app
        .get("/polls/questions/?after_id=0")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(from_start.iter().map(id_of).collect::<Vec<_>>(), [a, b]);
    let after_a: Vec<Value> = app
        .get(&format!("/polls/questions/?after_id={a}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(after_a.iter().map(id_of).collect::<Vec<_>>(), [b]);
    let exact = app
        .get("/polls/questions/?after_id=0&limit=2&unknown=1&sort=desc")
        .await;
    assert!(
        header_value(&exact, "link").is_none(),
        "nothing remains after a full last page"
    );
}

#[tokio::test]
async fn a_malformed_limit_or_cursor_is_a_400() {
    let app = spawn_app().await;
    for query in [
        "limit=0",
        "limit=1001",
        "limit=abc",
        "limit=",
        "after_id=-1",
        "after_id=x",
        "limit=2&limit=3",
    ] {
        assert_problem(app.get(&format!("/polls/questions/?{query}")).await, 400).await;
    }
    assert_eq!(
        app.get("/polls/questions/?limit=1000").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn patching_changes_only_the_fields_given() {
    let app = spawn_app().await;
    let created = app.create_question("Old?", &["keep"]).await;
    let path = format!("/polls/questions/{}/", id_of(&created));

    let response = app
        .patch_json(&path, &json!({"question_text": "  New?  "}))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let updated: Value = response.json().await.expect("json");
    assert_eq!(updated["question_text"], "New?");
    assert_eq!(updated["pub_date"], "2019-10-20");
    assert_eq!(updated["choices"], created["choices"]);

    let dated: Value = app
        .patch_json(&path, &json!({"pub_date": "2024-02-29"}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(dated["pub_date"], "2024-02-29");
    assert_eq!(dated["question_text"], "New?");
    let fetched: Value = app.get(&path).await.json().await.expect("json");
    assert_eq!(fetched, dated);
}

#[tokio::test]
async fn deleting_a_question_takes_its_choices_and_votes_with_it() {
    let app = spawn_app().await;
    let created = app.create_question("Gone?", &["a"]).await;
    let id = id_of(&created);
    app.vote(id, id_of(&created["choices"][0])).await;

    let response = app.delete(&format!("/polls/questions/{id}/")).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(response.bytes().await.expect("body").is_empty());

    for path in ["/", "/choices/", "/results/"] {
        assert_problem(app.get(&format!("/polls/questions/{id}{path}")).await, 404).await;
    }
    assert_problem(app.delete(&format!("/polls/questions/{id}/")).await, 404).await;
    let list: Vec<Value> = app
        .get("/polls/questions/")
        .await
        .json()
        .await
        .expect("json");
    assert!(list.is_empty());
}

#[tokio::test]
async fn a_missing_question_is_a_404_for_every_operation() {
    let app = spawn_app().await;
    assert_problem(app.get("/polls/questions/999/").await, 404).await;
    assert_problem(
        app.patch_json("/polls/questions/999/", &json!({"question_text": "x"}))
            .await,
        404,
    )
    .await;
    assert_problem(app.delete("/polls/questions/999/").await, 404).await;
    assert_problem(app.get("/polls/questions/9223372036854775807/").await, 404).await;
}
