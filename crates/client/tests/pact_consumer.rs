//! Pact consumer tests: what `poll-client` expects of poll-api, written as a pact file.
//!
//! One pact builder holds every interaction and one mock server serves them while the real
//! client makes its calls. The pact is written to a fresh folder under the target directory and
//! then copied (atomically) to `contracts/pacts/poll-client-poll-api.json`, so a run never
//! merges with an earlier file: rerunning regenerates the same file, whatever `PACT_OVERWRITE`
//! says. With `CI` set the committed file is not rewritten but compared, and the test fails when
//! it is out of date.
//!
//! Provider states are sentences of the vocabulary in `docs/contracts.md`; the ids in a state are
//! the ids the requests use.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use pact_consumer::prelude::*;
use poll_client::{Client, ClientError, ListQuestions, NewQuestion, NewVote};

const CONSUMER: &str = "poll-client";
const PROVIDER: &str = "poll-api";
const PACT_FILE: &str = "poll-client-poll-api.json";

const Q1_WITH_CHOICES: &str = "question 1 exists with choices 1 and 2";
const Q1_WITH_VOTES: &str = "question 1 exists with choices 1 and 2, and choice 2 has 2 votes";
const Q1_WITH_USED_KEY: &str = "question 1 exists with choices 1 and 2, and idempotency key ballot-7 already voted for choice 1";
const Q999_MISSING: &str = "question 999 does not exist";
const QUESTIONS_1_TO_3: &str = "questions 1 to 3 exist";

const JSON: &str = r"^application/json(;.*)?$";
const PROBLEM_JSON: &str = r"^application/problem\+json(;.*)?$";
const DATE: &str = r"^\d{4}-\d{2}-\d{2}$";
const TIMESTAMP_UTC: &str = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|\+00:00)$";
const QUESTION_LOCATION: &str = r"^(https?://[^/]+)?/polls/questions/\d+/$";
const NEXT_LINK: &str = r#"^<(https?://[^/]+)?/polls/questions/\?(after_id=\d+&limit=\d+|limit=\d+&after_id=\d+)>; ?rel="?next"?$"#;

fn json_content() -> StringPattern {
    term!(JSON, "application/json").into()
}

fn problem_content() -> StringPattern {
    term!(PROBLEM_JSON, "application/problem+json").into()
}

/// A question as listed: types and formats, not values.
fn listed_question(id: i64, text: &str) -> JsonPattern {
    json_pattern!({
        "id": like!(id),
        "question_text": like!(text),
        "pub_date": term!(DATE, "2026-11-30"),
        "created_at": term!(TIMESTAMP_UTC, "2026-11-30T10:00:00Z"),
    })
}

fn create_with_choices(pact: &mut PactBuilder) {
    pact.interaction("a request to create a question with two choices", "", |mut i| {
        i.request
            .post()
            .path("/polls/questions/")
            .header("Content-Type", "application/json")
            .json_body(json_pattern!({
                "question_text": "What's up?",
                "pub_date": "2026-12-01",
                "choices": ["Not much", "The sky"],
            }));
        i.response
            .created()
            .header("Content-Type", json_content())
            .header("Location", term!(QUESTION_LOCATION, "/polls/questions/1/"))
            .json_body(json_pattern!({
                "id": like!(1),
                "question_text": "What's up?",
                "pub_date": "2026-12-01",
                "created_at": term!(TIMESTAMP_UTC, "2026-11-30T10:00:00Z"),
                "choices": [
                    {"id": like!(1), "question_id": like!(1), "choice_text": "Not much", "votes": 0},
                    {"id": like!(2), "question_id": like!(1), "choice_text": "The sky", "votes": 0},
                ],
            }));
        i
    });
}

fn list_in_pages(pact: &mut PactBuilder) {
    pact.interaction(
        "a request for the first page of two questions",
        "",
        |mut i| {
            i.given(QUESTIONS_1_TO_3);
            i.request
                .path("/polls/questions/")
                .query_param("limit", "2");
            i.response
                .ok()
                .header("Content-Type", json_content())
                .header(
                    "Link",
                    term!(
                        NEXT_LINK,
                        r#"</polls/questions/?after_id=2&limit=2>; rel="next""#
                    ),
                )
                .json_body(json_pattern!([
                    listed_question(1, "Question one?"),
                    listed_question(2, "Question two?"),
                ]));
            i
        },
    );
    pact.interaction("a request for the page after question 2", "", |mut i| {
        i.given(QUESTIONS_1_TO_3);
        i.request
            .path("/polls/questions/")
            .query_param("after_id", "2")
            .query_param("limit", "2");
        i.response
            .ok()
            .header("Content-Type", json_content())
            .json_body(json_pattern!([listed_question(3, "Question three?")]));
        i
    });
}

fn detail(pact: &mut PactBuilder) {
    pact.interaction("a request for question 1", "", |mut i| {
        i.given(Q1_WITH_CHOICES);
        i.request.path("/polls/questions/1/");
        i.response
            .ok()
            .header("Content-Type", json_content())
            .json_body(json_pattern!({
                "id": 1,
                "question_text": like!("What's up?"),
                "pub_date": term!(DATE, "2026-11-30"),
                "created_at": term!(TIMESTAMP_UTC, "2026-11-30T10:00:00Z"),
                "choices": [
                    {"id": 1, "question_id": 1, "choice_text": like!("Not much"), "votes": like!(0)},
                    {"id": 2, "question_id": 1, "choice_text": like!("The sky"), "votes": like!(0)},
                ],
            }));
        i
    });
}

fn votes(pact: &mut PactBuilder) {
    pact.interaction(
        "an anonymous vote for choice 2 without an idempotency key",
        "",
        |mut i| {
            i.given(Q1_WITH_CHOICES);
            i.request
                .post()
                .path("/polls/questions/1/votes/")
                .header("Content-Type", "application/json")
                .json_body(json_pattern!({"choice_id": 2}));
            i.response
                .created()
                .header("Content-Type", json_content())
                .json_body(json_pattern!({"question_id": 1, "choice_id": 2}));
            i
        },
    );
    pact.interaction(
        "a named voter's vote for choice 1 with an idempotency key",
        "",
        |mut i| {
            i.given(Q1_WITH_CHOICES);
            i.request
                .post()
                .path("/polls/questions/1/votes/")
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", "ballot-voter-42-q1")
                .json_body(json_pattern!({"choice_id": 1, "voter_id": "voter-42"}));
            i.response
                .created()
                .header("Content-Type", json_content())
                .json_body(
                    json_pattern!({"question_id": 1, "choice_id": 1, "voter_id": "voter-42"}),
                );
            i
        },
    );
    pact.interaction(
        "a vote repeated with an idempotency key already used",
        "",
        |mut i| {
            i.given(Q1_WITH_USED_KEY);
            i.request
                .post()
                .path("/polls/questions/1/votes/")
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", "ballot-7")
                .json_body(json_pattern!({"choice_id": 1}));
            i.response
                .created()
                .header("Content-Type", json_content())
                .header("Idempotent-Replayed", "true")
                .json_body(json_pattern!({"question_id": 1, "choice_id": 1}));
            i
        },
    );
}

fn results(pact: &mut PactBuilder) {
    pact.interaction("a request for the results of question 1", "", |mut i| {
        i.given(Q1_WITH_VOTES);
        i.request.path("/polls/questions/1/results/");
        i.response
            .ok()
            .header("Content-Type", json_content())
            .json_body(json_pattern!({
                "question_id": 1,
                "question_text": like!("What's up?"),
                "total_votes": 2,
                "choices": [
                    {"id": 2, "choice_text": like!("The sky"), "votes": 2},
                    {"id": 1, "choice_text": like!("Not much"), "votes": 0},
                ],
            }));
        i
    });
}

fn problems(pact: &mut PactBuilder) {
    pact.interaction("a request for question 999", "", |mut i| {
        i.given(Q999_MISSING);
        i.request.path("/polls/questions/999/");
        i.response
            .not_found()
            .header("Content-Type", problem_content())
            .json_body(json_pattern!({
                "type": like!("https://poll-api/problems/not-found"),
                "title": like!("Not Found"),
                "status": 404,
                "detail": like!("no question 999"),
            }));
        i
    });
    pact.interaction(
        "a request to create a question with an empty text",
        "",
        |mut i| {
            i.request
                .post()
                .path("/polls/questions/")
                .header("Content-Type", "application/json")
                .json_body(json_pattern!({"question_text": "", "pub_date": "2026-12-01"}));
            i.response
                .status(422)
                .header("Content-Type", problem_content())
                .json_body(json_pattern!({
                    "type": like!("https://poll-api/problems/validation"),
                    "title": like!("Unprocessable Entity"),
                    "status": 422,
                    "detail": like!("the request body breaks a rule"),
                    "errors": [{"field": "question_text", "message": like!("must not be empty")}],
                }));
            i
        },
    );
}

/// The client's calls, one per interaction, with what it must make of each answer.
async fn exercise(client: &Client) {
    exercise_questions(client).await;
    exercise_votes(client).await;
    exercise_problems(client).await;
}

async fn exercise_questions(client: &Client) {
    let created = client
        .create_question(
            &NewQuestion::new("What's up?", "2026-12-01").with_choices(["Not much", "The sky"]),
        )
        .await
        .expect("create with choices");
    assert_eq!(created.choices.len(), 2);
    assert_eq!(created.choices[1].choice_text, "The sky");

    let first = client
        .list_questions(ListQuestions::default().limit(2))
        .await
        .expect("first page");
    assert_eq!(first.items.len(), 2);
    assert!(first.next.is_some(), "the first page links to the next");
    let all = client
        .list_all_questions(Some(2))
        .await
        .expect("every page");
    assert_eq!(all.iter().map(|q| q.id).collect::<Vec<_>>(), [1, 2, 3]);

    let question = client.get_question(1).await.expect("detail");
    assert_eq!(
        question.choices.iter().map(|c| c.id).collect::<Vec<_>>(),
        [1, 2]
    );
}

async fn exercise_votes(client: &Client) {
    let plain = client.vote(1, &NewVote::new(2), None).await.expect("vote");
    assert_eq!((plain.vote.choice_id, plain.replayed), (2, false));
    let keyed = client
        .vote(
            1,
            &NewVote::new(1).voter("voter-42"),
            Some("ballot-voter-42-q1"),
        )
        .await
        .expect("vote with key");
    assert_eq!(keyed.vote.voter_id.as_deref(), Some("voter-42"));
    assert!(!keyed.replayed);
    let repeated = client
        .vote(1, &NewVote::new(1), Some("ballot-7"))
        .await
        .expect("repeated vote");
    assert!(repeated.replayed, "Idempotent-Replayed: true is reported");

    let results = client.results(1).await.expect("results");
    assert_eq!(results.total_votes, 2);
    assert_eq!(results.choices[0].id, 2);
}

async fn exercise_problems(client: &Client) {
    let missing = client.get_question(999).await.expect_err("no question 999");
    assert!(missing.is_not_found(), "{missing:?}");
    assert!(matches!(&missing, ClientError::Problem { problem, .. } if problem.status == 404));

    let invalid = client
        .create_question(&NewQuestion::new("", "2026-12-01"))
        .await
        .expect_err("an empty text is refused");
    let problem = invalid.problem().expect("a problem body");
    assert_eq!(invalid.status(), Some(422));
    assert_eq!(problem.errors[0].field, "question_text");
}

#[tokio::test]
async fn the_client_meets_its_pact_with_poll_api() {
    let scratch = scratch_dir();
    let mut pact = PactBuilder::new(CONSUMER, PROVIDER);
    pact.with_output_dir(&scratch);
    create_with_choices(&mut pact);
    list_in_pages(&mut pact);
    detail(&mut pact);
    votes(&mut pact);
    results(&mut pact);
    problems(&mut pact);

    {
        let server = pact.start_mock_server(None, None);
        let client = Client::new(server.url().as_str()).expect("client");
        exercise(&client).await;
        // Dropping the server checks that every interaction was requested, then writes the pact.
    }

    let written = std::fs::read_to_string(scratch.join(PACT_FILE)).expect("the pact was written");
    publish(&written);
    let _ = std::fs::remove_dir_all(&scratch);
}

fn scratch_dir() -> PathBuf {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("pacts-{}-{nanos}", std::process::id()))
}

/// Puts the fresh pact in `contracts/pacts/`, or (with `CI` set) checks the committed one is it.
fn publish(written: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../contracts/pacts");
    let target = dir.join(PACT_FILE);
    let fresh: serde_json::Value = serde_json::from_str(written).expect("the pact is JSON");
    let mut text = serde_json::to_string_pretty(&fresh).expect("serializable");
    text.push('\n');

    if std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false") {
        let committed = std::fs::read_to_string(&target).unwrap_or_default();
        let committed: serde_json::Value = serde_json::from_str(&committed).unwrap_or_default();
        assert!(
            committed == fresh,
            "contracts/pacts/{PACT_FILE} is not what the consumer tests write: run \
             `cargo test -p poll-client --test pact_consumer` without CI set and commit the file"
        );
        return;
    }
    std::fs::create_dir_all(&dir).expect("contracts/pacts");
    // Written beside and renamed: a provider verification running meanwhile never reads half a
    // file (`*.tmp` is git-ignored).
    let partial = dir.join(format!("{PACT_FILE}.{}.tmp", std::process::id()));
    std::fs::write(&partial, text).expect("write the pact");
    std::fs::rename(&partial, &target).expect("move the pact into place");
}
