//! Versions, deletion of votes and keys, purging keys, ping.

use std::sync::Arc;

use poll_domain::QuestionPatch;
use poll_ports::{PollStore, StoreError};

use crate::fixtures::{
    choice_text, create, hours_after_t0, question_text, request, t0, version_of, vote,
};

/// The version grows with add_choice, a vote and an update.
pub async fn version_grows_with_every_change<S: PollStore + 'static>(store: Arc<S>) {
    let created = create(&*store, &["a"]).await;
    let id = created.question.id;
    let v0 = version_of(&*store, id).await;
    assert_eq!(
        v0, created.version,
        "question_version answers the created version"
    );

    store
        .add_choice(id, &choice_text("b"))
        .await
        .expect("add_choice");
    let v1 = version_of(&*store, id).await;
    assert!(v1 > v0, "add_choice bumps the version");

    let ballot = vote(id, created.choices[0].id, Some("v"));
    store
        .cast_vote(&request(ballot, None, t0()))
        .await
        .expect("vote");
    let v2 = version_of(&*store, id).await;
    assert!(v2 > v1, "a vote bumps the version");

    let patch = QuestionPatch::new(Some(question_text("Changed")), None).expect("patch");
    store
        .update_question(id, &patch)
        .await
        .expect("update_question");
    assert!(
        version_of(&*store, id).await > v2,
        "an update bumps the version"
    );
}

/// Reads and refused writes leave the version as it was.
pub async fn reads_and_refused_writes_leave_the_version<S: PollStore + 'static>(store: Arc<S>) {
    let created = create(&*store, &["a"]).await;
    let id = created.question.id;
    let ballot = vote(id, created.choices[0].id, Some("v"));
    store
        .cast_vote(&request(ballot.clone(), None, t0()))
        .await
        .expect("vote");
    let before = version_of(&*store, id).await;

    store.get_question(id).await.expect("get_question");
    store
        .list_questions(None, 10)
        .await
        .expect("list_questions");
    store
        .get_choice(id, created.choices[0].id)
        .await
        .expect("get_choice");
    assert_eq!(
        version_of(&*store, id).await,
        before,
        "reads change nothing"
    );

    assert_err!(
        store.add_choice(id, &choice_text("a")).await,
        StoreError::DuplicateChoice,
        "add again"
    );
    assert_err!(
        store.cast_vote(&request(ballot, None, t0())).await,
        StoreError::DuplicateVoter,
        "vote again"
    );
    assert_eq!(
        version_of(&*store, id).await,
        before,
        "refused writes change nothing"
    );
}

/// Deleting a question forgets its votes and keys: a vote after it is `QuestionNotFound`.
pub async fn delete_question_removes_its_votes_and_keys<S: PollStore + 'static>(store: Arc<S>) {
    let created = create(&*store, &["a"]).await;
    let id = created.question.id;
    let ballot = vote(id, created.choices[0].id, Some("alice"));
    store
        .cast_vote(&request(ballot.clone(), Some("k"), t0()))
        .await
        .expect("vote");
    store.delete_question(id).await.expect("delete_question");
    assert_err!(
        store
            .cast_vote(&request(ballot.clone(), Some("k"), t0()))
            .await,
        StoreError::QuestionNotFound,
        "a replayed vote after delete"
    );
    assert_err!(
        store.cast_vote(&request(ballot, None, t0())).await,
        StoreError::QuestionNotFound,
        "a vote after delete"
    );
    let purged = store
        .purge_idempotency_keys(hours_after_t0(1000))
        .await
        .expect("purge");
    assert_eq!(purged, 0, "the question's keys went with it");
}

/// Purging removes exactly the keys first used before the cutoff, and answers their number.
pub async fn purge_idempotency_keys_removes_only_keys_older_than_the_cutoff<
    S: PollStore + 'static,
>(
    store: Arc<S>,
) {
    let created = create(&*store, &["a"]).await;
    let ballot = vote(created.question.id, created.choices[0].id, None);
    for (key, hours) in [("k0", 0), ("k1", 1), ("k2", 2)] {
        let first = request(ballot.clone(), Some(key), hours_after_t0(hours));
        store.cast_vote(&first).await.expect("vote");
    }
    let purge = |hours| {
        let store = Arc::clone(&store);
        async move {
            store
                .purge_idempotency_keys(hours_after_t0(hours))
                .await
                .expect("purge")
        }
    };
    assert_eq!(purge(0).await, 0, "no key is older than t0");
    assert_eq!(purge(1).await, 1, "only k0 is older than t0 + 1 h");

    let replayed = |key: &'static str| {
        let (store, ballot) = (Arc::clone(&store), ballot.clone());
        async move {
            let retry = request(ballot, Some(key), hours_after_t0(3));
            store.cast_vote(&retry).await.expect("vote").replayed
        }
    };
    assert!(!replayed("k0").await, "a purged key is new again");
    assert!(replayed("k1").await, "a key newer than the cutoff is kept");

    // k0 again (t0 + 3 h), k1 (t0 + 1 h) and k2 (t0 + 2 h) remain.
    assert_eq!(
        (purge(100).await, purge(100).await),
        (3, 0),
        "(first purge, second purge)"
    );
}

pub async fn ping_answers_ok<S: PollStore + 'static>(store: Arc<S>) {
    store.ping().await.expect("ping of a working store");
}
