//! Idempotency keys of votes: replay, conflict, scope, expiry, failures, concurrency.

use std::sync::Arc;

use poll_ports::{PollStore, StoreError};

use crate::fixtures::{counts, create, detail, hours_after_t0, request, t0, vote};

/// The same key with the same vote answers the first receipt, replayed, and counts nothing.
pub async fn replay_with_the_same_key_and_vote_counts_nothing<S: PollStore + 'static>(
    store: Arc<S>,
) {
    let created = create(&*store, &["a", "b"]).await;
    let id = created.question.id;
    for voter in [None, Some("alice")] {
        let ballot = vote(id, created.choices[0].id, voter);
        let key = format!("key-{voter:?}");
        let first = store
            .cast_vote(&request(ballot.clone(), Some(&key), t0()))
            .await
            .expect("first");
        assert!(!first.replayed);
        let again = store
            .cast_vote(&request(ballot.clone(), Some(&key), hours_after_t0(23)))
            .await
            .expect("a replay within the TTL");
        assert!(again.replayed, "a replay is flagged");
        assert_eq!(
            again.receipt, first.receipt,
            "a replay answers the first receipt"
        );
    }
    assert_eq!(counts(&*store, id).await, [2, 0], "replays count nothing");
}

/// The same key with another choice, another voter, or no voter, is a conflict.
pub async fn same_key_with_another_vote_is_idempotency_conflict<S: PollStore + 'static>(
    store: Arc<S>,
) {
    let created = create(&*store, &["a", "b"]).await;
    let (id, a, b) = (
        created.question.id,
        created.choices[0].id,
        created.choices[1].id,
    );
    store
        .cast_vote(&request(vote(id, a, Some("alice")), Some("k"), t0()))
        .await
        .expect("first");
    let version = detail(&*store, id).await.version;
    for (other, what) in [
        (vote(id, b, Some("alice")), "another choice"),
        (vote(id, a, Some("bob")), "another voter"),
        (vote(id, a, None), "no voter"),
    ] {
        assert_err!(
            store.cast_vote(&request(other, Some("k"), t0())).await,
            StoreError::IdempotencyConflict,
            "{what}"
        );
    }
    assert_eq!(counts(&*store, id).await, [1, 0]);
    assert_eq!(
        detail(&*store, id).await.version,
        version,
        "conflicts change nothing"
    );
}

/// A key is scoped to its question: the same key on another question is a new request.
pub async fn same_key_on_another_question_is_independent<S: PollStore + 'static>(store: Arc<S>) {
    let first = create(&*store, &["a"]).await;
    let second = create(&*store, &["a"]).await;
    let one = store
        .cast_vote(&request(
            vote(first.question.id, first.choices[0].id, None),
            Some("shared"),
            t0(),
        ))
        .await
        .expect("first question");
    let two = store
        .cast_vote(&request(
            vote(second.question.id, second.choices[0].id, None),
            Some("shared"),
            t0(),
        ))
        .await
        .expect("second question");
    assert!(!one.replayed && !two.replayed, "neither is a replay");
    assert_eq!(counts(&*store, first.question.id).await, [1]);
    assert_eq!(counts(&*store, second.question.id).await, [1]);
}

/// Past its TTL a key is new again: same vote counts, another vote is no conflict.
pub async fn key_older_than_its_ttl_is_treated_as_new<S: PollStore + 'static>(store: Arc<S>) {
    let created = create(&*store, &["a", "b"]).await;
    let (id, a, b) = (
        created.question.id,
        created.choices[0].id,
        created.choices[1].id,
    );
    store
        .cast_vote(&request(vote(id, a, None), Some("k"), t0()))
        .await
        .expect("first");
    let later = store
        .cast_vote(&request(vote(id, a, None), Some("k"), hours_after_t0(25)))
        .await
        .expect("the same vote after the TTL");
    assert!(!later.replayed, "an expired key is not replayed");
    assert_eq!(counts(&*store, id).await, [2, 0]);

    // The key now dates from t0 + 25 h: within its new TTL it replays...
    let replay = store
        .cast_vote(&request(vote(id, a, None), Some("k"), hours_after_t0(30)))
        .await
        .expect("replay");
    assert!(replay.replayed);
    // ...and after it, even another vote is simply counted.
    let other = store
        .cast_vote(&request(vote(id, b, None), Some("k"), hours_after_t0(50)))
        .await
        .expect("another vote after the TTL is no conflict");
    assert!(!other.replayed);
    assert_eq!(counts(&*store, id).await, [2, 1]);
}

/// A vote that failed does not remember its key: a retry with it is counted.
pub async fn failed_vote_does_not_remember_its_key<S: PollStore + 'static>(store: Arc<S>) {
    let created = create(&*store, &["a", "b"]).await;
    let (id, a, b) = (
        created.question.id,
        created.choices[0].id,
        created.choices[1].id,
    );
    store
        .cast_vote(&request(vote(id, a, Some("alice")), None, t0()))
        .await
        .expect("alice votes");
    assert_err!(
        store
            .cast_vote(&request(vote(id, b, Some("alice")), Some("k"), t0()))
            .await,
        StoreError::DuplicateVoter,
        "alice again, with a key"
    );
    let retry = store
        .cast_vote(&request(vote(id, b, Some("bob")), Some("k"), t0()))
        .await
        .expect("the key of a failed vote is free: no conflict");
    assert!(!retry.replayed, "the key of a failed vote is not replayed");
    assert_eq!(counts(&*store, id).await, [1, 1]);
}

/// Concurrent requests with one key and one vote: exactly one is counted, the others are
/// replays or `IdempotencyInFlight`.
pub async fn concurrent_requests_with_one_key_count_once<S: PollStore + 'static>(store: Arc<S>) {
    let created = create(&*store, &["a"]).await;
    let (id, a) = (created.question.id, created.choices[0].id);
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .cast_vote(&request(vote(id, a, None), Some("once"), t0()))
                    .await
            })
        })
        .collect();
    let mut counted = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(outcome) if !outcome.replayed => counted += 1,
            Ok(_) | Err(StoreError::IdempotencyInFlight) => {}
            Err(other) => {
                panic!("one key at once: expected Ok or IdempotencyInFlight, got {other:?}")
            }
        }
    }
    assert_eq!(counted, 1, "exactly one request is counted");
    assert_eq!(counts(&*store, id).await, [1]);
}
