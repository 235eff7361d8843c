//! Environments on one server: isolation, dropping, hostile names, migrations. Needs
//! `POLL__DATABASE__URL`.
#![allow(
    clippy::expect_used,
    reason = "test helpers: a failed expectation is the test failing"
)]

mod common;

use common::{admin, fresh_environment, store_in};
use poll_domain::{ChoiceList, ChoiceText, Environment, NewQuestion, PubDate, QuestionText};
use poll_ports::{PollStore, StoreError};
use time::macros::datetime;

fn question(text: &str) -> NewQuestion {
    NewQuestion {
        text: QuestionText::parse(text).expect("text"),
        pub_date: PubDate::parse("2020-01-01").expect("date"),
        choices: ChoiceList::new(vec![ChoiceText::parse("yes").expect("choice")]).expect("choices"),
    }
}

#[tokio::test]
async fn two_environments_on_one_server_never_see_each_others_data() {
    let (env_a, env_b) = (fresh_environment("iso-a"), fresh_environment("iso-b"));
    let (a, b) = (store_in(&env_a).await, store_in(&env_b).await);
    let in_a = a
        .create_question(&question("Only in A"), datetime!(2026-01-01 0:00 UTC))
        .await
        .expect("create");

    assert!(
        b.list_questions(None, 100).await.expect("list").is_empty(),
        "B sees none of A's questions"
    );
    let in_b = b
        .create_question(&question("Only in B"), datetime!(2026-01-01 0:00 UTC))
        .await
        .expect("create");
    // Each schema has its own sequences: the same id names different questions.
    assert_eq!(in_a.question.id, in_b.question.id);
    assert_eq!(
        a.get_question(in_a.question.id)
            .await
            .expect("get")
            .question
            .text
            .as_str(),
        "Only in A"
    );
    assert_eq!(
        b.get_question(in_b.question.id)
            .await
            .expect("get")
            .question
            .text
            .as_str(),
        "Only in B"
    );
    assert_eq!(a.list_questions(None, 100).await.expect("list").len(), 1);

    admin().drop_environment(&env_a).await.expect("drop");
    admin().drop_environment(&env_b).await.expect("drop");
}

#[tokio::test]
async fn dropping_an_environment_removes_it_and_leaves_the_other_intact() {
    let (doomed, kept) = (
        fresh_environment("drop-doomed"),
        fresh_environment("drop-kept"),
    );
    let (gone, stays) = (store_in(&doomed).await, store_in(&kept).await);
    gone.create_question(&question("Doomed"), datetime!(2026-01-01 0:00 UTC))
        .await
        .expect("create");
    let survivor = stays
        .create_question(&question("Kept"), datetime!(2026-01-01 0:00 UTC))
        .await
        .expect("create");

    let admin = admin();
    assert!(
        admin.drop_environment(&doomed).await.expect("drop"),
        "it existed"
    );
    assert!(
        !admin.drop_environment(&doomed).await.expect("drop again"),
        "it is gone"
    );

    let listed = admin.list_environments().await.expect("list");
    assert!(
        !listed.iter().any(|e| e.schema == doomed.schema()),
        "the dropped one is not listed"
    );
    assert!(
        listed.iter().any(|e| e.schema == kept.schema()),
        "the other one is listed"
    );
    assert_eq!(
        stays
            .get_question(survivor.question.id)
            .await
            .expect("the other environment's rows are readable"),
        survivor
    );
    assert!(
        matches!(
            gone.list_questions(None, 10).await,
            Err(StoreError::Unexpected(_))
        ),
        "the dropped environment has no tables left"
    );
    admin.drop_environment(&kept).await.expect("drop");
}

#[tokio::test]
async fn hostile_branch_names_are_safe_to_create_list_and_drop() {
    let long = format!("feature/{}", "x".repeat(192));
    let names = [
        "'; DROP TABLE questions; --".to_owned(),
        "\"quoted\" and 'single' \\ back".to_owned(),
        long,
        "ünïcødé/🚀 branch".to_owned(),
        "feature/Add votes!".to_owned(),
    ];
    let admin = admin();
    for name in names {
        // A unique suffix keeps parallel runs apart without changing the name's nature.
        let name = format!("{name} {}", uuid::Uuid::new_v4());
        let env = Environment::new(&name).expect("any name up to 255 bytes is an environment");
        admin.create_environment(&env).await.expect("create");
        let store = store_in(&env).await;
        let created = store
            .create_question(&question("Safe?"), datetime!(2026-01-01 0:00 UTC))
            .await
            .expect("create");
        assert_eq!(
            store.get_question(created.question.id).await.expect("get"),
            created
        );

        let listed = admin.list_environments().await.expect("list");
        let entry = listed
            .iter()
            .find(|e| e.schema == env.schema())
            .expect("the environment is listed");
        assert_eq!(
            entry.name.as_deref(),
            Some(name.as_str()),
            "the original name is shown"
        );

        assert!(admin.drop_environment(&env).await.expect("drop"));
        let listed = admin.list_environments().await.expect("list");
        assert!(
            !listed.iter().any(|e| e.schema == env.schema()),
            "{name:?} was dropped"
        );
    }
}

#[tokio::test]
async fn migrations_run_twice_without_harm() {
    let env = fresh_environment("migrate-twice");
    let store = store_in(&env).await;
    let created = store
        .create_question(&question("Kept"), datetime!(2026-01-01 0:00 UTC))
        .await
        .expect("create");
    store.migrate().await.expect("second migration");
    admin()
        .create_environment(&env)
        .await
        .expect("create_environment of an existing one");
    assert_eq!(
        store.get_question(created.question.id).await.expect("get"),
        created,
        "data survives"
    );
    assert_eq!(
        applied_migrations(&env).await,
        (1, 1),
        "(rows, distinct versions) in the history"
    );
    admin().drop_environment(&env).await.expect("drop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn migrations_run_concurrently_without_harm() {
    let env = fresh_environment("migrate-concurrently");
    let tasks: Vec<_> = (0..5)
        .map(|i| {
            let env = env.clone();
            tokio::spawn(async move {
                if i % 2 == 0 {
                    let store = poll_postgres::PostgresStore::connect(&common::settings(), &env)
                        .expect("settings");
                    store.migrate().await
                } else {
                    admin().create_environment(&env).await
                }
            })
        })
        .collect();
    for task in tasks {
        task.await
            .expect("task")
            .expect("a concurrent migration succeeds");
    }
    let store = store_in(&env).await;
    store
        .create_question(&question("Works"), datetime!(2026-01-01 0:00 UTC))
        .await
        .expect("create");
    assert_eq!(
        applied_migrations(&env).await,
        (1, 1),
        "each migration applied once"
    );
    admin().drop_environment(&env).await.expect("drop");
}

#[tokio::test]
async fn list_shows_each_environment_once_with_its_name() {
    let env = fresh_environment("listed");
    admin().create_environment(&env).await.expect("create");
    let listed = admin().list_environments().await.expect("list");
    let mine: Vec<_> = listed.iter().filter(|e| e.schema == env.schema()).collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].name.as_deref(), Some(env.name()));
    admin().drop_environment(&env).await.expect("drop");
}

/// (rows, distinct versions) of the environment's migration history, read with a plain client.
async fn applied_migrations(env: &Environment) -> (i64, i64) {
    let (client, connection) =
        tokio_postgres::connect(&common::database_url(), tokio_postgres::NoTls)
            .await
            .expect("connect");
    let driver = tokio::spawn(connection);
    let sql = format!(
        "SELECT count(*), count(DISTINCT version) FROM \"{}\".schema_migrations",
        env.schema()
    );
    let row = client.query_one(&sql, &[]).await.expect("history");
    drop(client);
    let _ = driver.await;
    (row.get(0), row.get(1))
}
