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

use poll_domain::Environment;
use poll_ports::PollStore;
use poll_postgres::{PostgresSettings, PostgresStore};
use time::macros::datetime;

#[path = "support/private_services.rs"]
mod private_services;
#[path = "support/unavailable.rs"]
mod unavailable;

use private_services::Services;
use unavailable::{
    assert_unavailable_within_budget as assert_unavailable_quickly, one_choice_question,
    vote_for_first_choice as vote_request,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_outage_gives_unavailable_within_two_seconds_and_the_store_recovers() {
    let (services, url) = Services::up("outage");
    // The service's defaults: this is the budget the HTTP layer relies on.
    let settings = PostgresSettings::new(url);
    let env = Environment::new(&format!("outage/{}", uuid::Uuid::new_v4())).expect("name");
    let store = PostgresStore::connect(&settings, &env).expect("settings");
    store.migrate().await.expect("migrate");
    let created = store
        .create_question(
            &one_choice_question("Still there?"),
            datetime!(2026-01-01 0:00 UTC),
        )
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
