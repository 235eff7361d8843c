//! A database that accepted the connection and then stopped answering (a frozen host, a
//! network partition, a statement stuck behind a lock): every operation still answers
//! `Unavailable` within 2 s, never hangs, and the same store works again once the database
//! answers.
//!
//! Runs its own private server (it freezes it with SIGSTOP through `ci/services.sh`), so it
//! cannot disturb tests that share the other servers.
#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers: a failed expectation is the test failing"
)]

#[path = "support/private_services.rs"]
mod private_services;
#[path = "support/unavailable.rs"]
mod unavailable;

use std::time::{Duration, Instant};

use poll_domain::{Environment, QuestionId};
use poll_ports::PollStore;
use poll_postgres::{PostgresSettings, PostgresStore};
use private_services::Services;
use time::macros::datetime;
use unavailable::{assert_unavailable_within_budget, one_choice_question, vote_for_first_choice};

/// Thaws the server even when the test fails, so `down` can stop it.
struct Frozen<'a>(&'a Services);

impl Drop for Frozen<'_> {
    fn drop(&mut self) {
        self.0.run("thaw-postgres");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_database_gives_unavailable_within_two_seconds_and_the_store_recovers() {
    let (services, url) = Services::up("hang");
    // The service's defaults: the 2 s budget the contract promises rests on them.
    let settings = PostgresSettings::new(url.clone());
    let env = Environment::new(&format!("hang/{}", uuid::Uuid::new_v4())).expect("name");
    let store = PostgresStore::connect(&settings, &env).expect("settings");
    store.migrate().await.expect("migrate");
    // Warm the pool: the connections that will hang are established ones.
    let created = store
        .create_question(
            &one_choice_question("Still answering?"),
            datetime!(2026-01-01 0:00 UTC),
        )
        .await
        .expect("create");
    for _ in 0..4 {
        store.list_questions(None, 10).await.expect("list");
    }
    let question = created.question.id;

    services.run("freeze-postgres");
    let frozen = Frozen(&services);
    assert_unavailable_within_budget("list_questions", store.list_questions(None, 10)).await;
    assert_unavailable_within_budget("get_question", store.get_question(question)).await;
    let cut_off = vote_for_first_choice(&created);
    assert_unavailable_within_budget("cast_vote", store.cast_vote(&cut_off)).await;
    assert_unavailable_within_budget("ping", store.ping()).await;
    let fresh = PostgresStore::connect(&settings, &env).expect("settings");
    assert_unavailable_within_budget("a store built during the hang", fresh.ping()).await;
    drop(frozen);

    let deadline = Instant::now() + Duration::from_secs(30);
    while store.ping().await.is_err() {
        assert!(
            Instant::now() < deadline,
            "the store did not recover after the database did"
        );
    }
    let votes_before = store
        .get_question(question)
        .await
        .expect("read after the thaw")
        .choices[0]
        .votes;

    // A statement stuck behind another session's lock is the same hang, seen from the
    // service: the server would only end it at its statement timeout (5 s).
    let request = vote_for_first_choice(&created);
    let locker = lock_question_row(&url, &env, question).await;
    assert_unavailable_within_budget("cast_vote behind a lock", store.cast_vote(&request)).await;
    locker.batch_execute("ROLLBACK").await.expect("rollback");
    let counted = store
        .cast_vote(&request)
        .await
        .expect("the vote once the lock is gone");
    assert!(!counted.replayed);
    let detail = store.get_question(question).await.expect("read");
    assert_eq!(
        detail.choices[0].votes,
        votes_before + 1,
        "the vote cut off by the timeout was rolled back, the retry counted once"
    );
}

/// Another session holding the question's row lock in an open transaction.
async fn lock_question_row(url: &str, env: &Environment, id: QuestionId) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    let schema = env.schema();
    client
        .batch_execute(&format!(
            "SET search_path TO \"{schema}\"; BEGIN; SELECT id FROM questions WHERE id = {id} FOR UPDATE"
        ))
        .await
        .expect("lock the row");
    client
}
