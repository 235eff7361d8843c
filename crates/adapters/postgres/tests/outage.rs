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

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use poll_domain::{ChoiceList, ChoiceText, Environment, NewQuestion, PubDate, QuestionText};
use poll_ports::{PollStore, StoreError, VoteRequest};
use poll_postgres::{PostgresSettings, PostgresStore};
use time::macros::datetime;

const BUDGET: Duration = Duration::from_secs(2);

/// A private PostgreSQL (and Redis) started by `ci/services.sh`, stopped on drop.
struct Services {
    script: PathBuf,
    state: PathBuf,
}

impl Services {
    fn up() -> (Self, String) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../ci/services.sh");
        // Beside the shared servers' state when there is one (it is known to be reachable by
        // the `postgres` user), else under Cargo's tmp dir; never the shared servers' own.
        let state = match std::env::var_os("POLL_SERVICES_DIR") {
            Some(shared) if !shared.is_empty() => Path::new(&shared).join("outage"),
            _ => Path::new(env!("CARGO_TARGET_TMPDIR")).join("outage-services"),
        };
        let services = Self { script, state };
        let env_file = services.run("up");
        let env =
            std::fs::read_to_string(env_file.trim()).expect("services.sh up printed its env file");
        let url = env
            .lines()
            .find_map(|line| line.strip_prefix("export POLL__DATABASE__URL="))
            .expect("the env file exports POLL__DATABASE__URL")
            .trim_matches(['"', '\''])
            .to_owned();
        (services, url)
    }

    fn run(&self, command: &str) -> String {
        let output = Command::new("bash")
            .arg(&self.script)
            .arg(command)
            .env("POLL_SERVICES_DIR", &self.state)
            .output()
            .expect("run ci/services.sh");
        assert!(
            output.status.success(),
            "ci/services.sh {command} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("utf-8 output")
    }
}

impl Drop for Services {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(&self.script)
            .arg("down")
            .env("POLL_SERVICES_DIR", &self.state)
            .output();
    }
}

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
    let (services, url) = Services::up();
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
