//! PostgreSQL stops and comes back: the store answers `Unavailable` within 2 s while it is down
//! and works again once it is back, without being rebuilt.
//!
//! This binary runs its OWN private server (through `ci/services.sh`, with a state dir of its
//! own), so stopping it cannot break tests that use the shared one. It does not need
//! `POLL__DATABASE__URL`.
#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers: a failed expectation is the test failing"
)]

use std::time::{Duration, Instant};

use poll_domain::{ChoiceList, ChoiceText, Environment, NewQuestion, PubDate, QuestionText};
use poll_ports::{PollStore, StoreError, VoteRequest};
use poll_postgres::{PostgresSettings, PostgresStore};
use time::macros::datetime;

#[path = "support/private_services.rs"]
mod private_services;

use private_services::Services;

const BUDGET: Duration = Duration::from_secs(2);

fn vote_request(detail: &poll_domain::QuestionDetail) -> VoteRequest {
    VoteRequest {
        vote: poll_domain::Vote {
            question_id: detail.question.id,
            choice_id: detail.choices[0].id,
            voter_id: None,
        },
        idempotency_key: None,
        idempotency_ttl: Duration::from_hours(24),
        now: datetime!(2026-01-01 0:00 UTC),
    }
}

/// Runs `call`, asserting it fails with `Unavailable` within the budget.
async fn assert_unavailable_quickly<T: std::fmt::Debug>(
    what: &str,
    call: impl Future<Output = Result<T, StoreError>>,
) {
    let started = Instant::now();
    let result = call.await;
    let elapsed = started.elapsed();
    assert!(
        matches!(result, Err(StoreError::Unavailable(_))),
        "{what} while PostgreSQL is down: {result:?}"
    );
    assert!(
        elapsed < BUDGET,
        "{what} took {elapsed:?} to fail; the budget is {BUDGET:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_outage_gives_unavailable_within_two_seconds_and_the_store_recovers() {
    let (services, url) = Services::up("outage");
    // The service's defaults: this is the budget the HTTP layer relies on.
    let settings = PostgresSettings::new(url);
    let env = Environment::new(&format!("outage/{}", uuid::Uuid::new_v4())).expect("name");
    let store = PostgresStore::connect(&settings, &env).expect("settings");
    store.migrate().await.expect("migrate");
    let new = NewQuestion {
        text: QuestionText::parse("Still there?").expect("text"),
        pub_date: PubDate::parse("2020-01-01").expect("date"),
        choices: ChoiceList::new(vec![ChoiceText::parse("yes").expect("choice")]).expect("choices"),
    };
    let created = store
        .create_question(&new, datetime!(2026-01-01 0:00 UTC))
        .await
        .expect("create");
    store
        .cast_vote(&vote_request(&created))
        .await
        .expect("vote");

    services.run("stop-postgres");
    assert_unavailable_quickly("ping", store.ping()).await;
    assert_unavailable_quickly("get_question", store.get_question(created.question.id)).await;
    assert_unavailable_quickly("cast_vote", store.cast_vote(&vote_request(&created))).await;
    assert_unavailable_quickly("list_questions", store.list_questions(None, 10)).await;
    assert_unavailable_quickly("ping again", store.ping()).await;

    services.run("start-postgres");
    store
        .ping()
        .await
        .expect("ping after the restart, same store");
    let detail = store
        .get_question(created.question.id)
        .await
        .expect("read after the restart");
    assert_eq!(
        detail.choices[0].votes, 1,
        "committed votes survived the restart"
    );
    store
        .cast_vote(&vote_request(&created))
        .await
        .expect("vote after the restart");
    assert_eq!(
        store
            .get_question(created.question.id)
            .await
            .expect("read")
            .choices[0]
            .votes,
        2
    );
}

// A store built while the server is down starts fine, answers `Unavailable`, and needs no
// rebuild once the server is up (covered for a lazily built pool in the crate's unit tests;
// here the store was used before the outage, so its pool held connections that all broke).
