//! Stale entries are never served: an entry copied before a write and put back after it (at
//! its old version, bypassing the service's guarded write) must not show in any read.

use reqwest::StatusCode;

use crate::entries::{Entry, entry, plant};
use crate::harness::{Cache, Read, TestService, id_of, spawn};

/// Puts `old` back, then reads with `read`; asserts the stale entry was replaced, not served.
async fn read_over(
    service: &TestService,
    redis: &mut deadpool_redis::redis::aio::MultiplexedConnection,
    old: &Entry,
    question: i64,
    read: Read,
) -> serde_json::Value {
    let key = service.question_key(question);
    plant(redis, &key, old).await;
    let body = service.get_json(&read.path(question)).await;
    let now = entry(redis, &key)
        .await
        .expect("the read refreshed the entry");
    assert!(
        now.version > old.version,
        "{read:?} left the stale entry (version {}) in place",
        old.version
    );
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_from_before_a_vote_put_back_after_it_is_never_served() {
    let service = spawn("stale-vote", Cache::Shared, &[]).await;
    let mut redis = service.redis().await;
    let created = service.create_question("Stale?", &["yes", "no"]).await;
    let (question, yes) = (id_of(&created), id_of(&created["choices"][0]));
    service.get_json(&Read::Detail.path(question)).await;
    let old = entry(&mut redis, &service.question_key(question))
        .await
        .expect("cached");

    service.vote(question, yes, "voter-1").await;
    for read in Read::ALL {
        let body = read_over(&service, &mut redis, &old, question, read).await;
        assert_eq!(read.votes_of(&body, yes), 1, "{read:?}: {body}");
        assert_eq!(read.total(&body), 1, "{read:?}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_from_before_a_new_choice_or_a_patch_is_never_served() {
    let service = spawn("stale-edit", Cache::Shared, &[]).await;
    let mut redis = service.redis().await;
    let question = id_of(&service.create_question("Stale?", &["yes"]).await);
    let key = service.question_key(question);
    let old = entry(&mut redis, &key).await.expect("cached");

    let added = id_of(&service.add_choice(question, "added later").await);
    for read in Read::ALL {
        let body = read_over(&service, &mut redis, &old, question, read).await;
        assert_eq!(read.choices(&body).len(), 2, "{read:?}: {body}");
        assert_eq!(read.votes_of(&body, added), 0, "{read:?}: {body}");
    }
    plant(&mut redis, &key, &old).await;
    let choice = service
        .get_json(&format!("/polls/questions/{question}/choices/{added}/"))
        .await;
    assert_eq!(choice["choice_text"], "added later");

    service.patch_text(question, "Patched?").await;
    for read in [Read::Detail, Read::Results] {
        let body = read_over(&service, &mut redis, &old, question, read).await;
        assert_eq!(body["question_text"], "Patched?", "{read:?}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_left_over_from_a_deleted_question_is_never_served() {
    let service = spawn("stale-delete", Cache::Shared, &[]).await;
    let mut redis = service.redis().await;
    let created = service.create_question("Gone?", &["yes"]).await;
    let (question, yes) = (id_of(&created), id_of(&created["choices"][0]));
    let key = service.question_key(question);
    let old = entry(&mut redis, &key).await.expect("cached");

    service.delete_question(question).await;
    let paths = Read::ALL
        .map(|read| read.path(question))
        .into_iter()
        .chain([format!("/polls/questions/{question}/choices/{yes}/")]);
    for path in paths {
        plant(&mut redis, &key, &old).await;
        let response = service.get(&path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
}
