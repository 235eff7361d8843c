//! Votes: counted exactly once, only for the question's choices, once per named voter.

use std::sync::Arc;

use poll_ports::{PollStore, StoreError};

use crate::fixtures::{
    counts, create, detail, request, t0, unknown_choice, unknown_question, vote,
};

/// A vote adds exactly one to its choice and nothing elsewhere, and answers its receipt.
pub async fn cast_vote_counts_exactly_once<S: PollStore + 'static>(store: Arc<S>) {
    let created = create(&*store, &["a", "b", "c"]).await;
    let (id, b) = (created.question.id, created.choices[1].id);
    let ballot = vote(id, b, None);
    let outcome = store
        .cast_vote(&request(ballot.clone(), None, t0()))
        .await
        .expect("cast_vote");
    assert_eq!(outcome.receipt, ballot, "the receipt is the vote");
    assert!(!outcome.replayed);
    assert_eq!(counts(&*store, id).await, [0, 1, 0]);

    let named = vote(id, b, Some("alice"));
    let outcome = store
        .cast_vote(&request(named.clone(), None, t0()))
        .await
        .expect("cast_vote");
    assert_eq!(outcome.receipt, named, "the receipt carries the voter");
    store
        .cast_vote(&request(ballot, None, t0()))
        .await
        .expect("anonymous votes are not limited");
    assert_eq!(counts(&*store, id).await, [0, 3, 0]);
    assert_eq!(store.get_choice(id, b).await.expect("get_choice").votes, 3);
}

/// A choice of another question is refused, and nothing is counted anywhere.
pub async fn vote_for_a_choice_of_another_question_is_choice_not_of_question<
    S: PollStore + 'static,
>(
    store: Arc<S>,
) {
    let mine = create(&*store, &["a"]).await;
    let other = create(&*store, &["a"]).await;
    let ballot = vote(mine.question.id, other.choices[0].id, Some("alice"));
    assert_err!(
        store.cast_vote(&request(ballot, Some("k1"), t0())).await,
        StoreError::ChoiceNotOfQuestion,
        "a choice of another question"
    );
    assert_eq!(counts(&*store, mine.question.id).await, [0]);
    assert_eq!(counts(&*store, other.question.id).await, [0]);
    assert_eq!(
        detail(&*store, mine.question.id).await.version,
        mine.version,
        "a refused vote changes nothing"
    );
    // Neither the voter nor the key was remembered.
    let retry = vote(mine.question.id, mine.choices[0].id, Some("alice"));
    let outcome = store
        .cast_vote(&request(retry, Some("k1"), t0()))
        .await
        .expect("cast_vote");
    assert!(!outcome.replayed);
}

pub async fn vote_for_a_nonexistent_choice_is_choice_not_of_question<S: PollStore + 'static>(
    store: Arc<S>,
) {
    let mine = create(&*store, &["a"]).await;
    let ballot = vote(mine.question.id, unknown_choice(), None);
    assert_err!(
        store.cast_vote(&request(ballot, None, t0())).await,
        StoreError::ChoiceNotOfQuestion,
        "a choice that does not exist"
    );
    assert_eq!(counts(&*store, mine.question.id).await, [0]);
}

pub async fn vote_on_an_unknown_question_is_question_not_found<S: PollStore + 'static>(
    store: Arc<S>,
) {
    let other = create(&*store, &["a"]).await;
    let ballot = vote(unknown_question(), other.choices[0].id, None);
    assert_err!(
        store.cast_vote(&request(ballot.clone(), None, t0())).await,
        StoreError::QuestionNotFound,
        "an unknown question"
    );
    assert_err!(
        store.cast_vote(&request(ballot, Some("k"), t0())).await,
        StoreError::QuestionNotFound,
        "an unknown question, with a key"
    );
    assert_eq!(counts(&*store, other.question.id).await, [0]);
}

/// A named voter votes once per question, whatever the choice.
pub async fn second_vote_of_a_voter_is_duplicate_voter<S: PollStore + 'static>(store: Arc<S>) {
    let created = create(&*store, &["a", "b"]).await;
    let id = created.question.id;
    let first = vote(id, created.choices[0].id, Some("alice"));
    store
        .cast_vote(&request(first.clone(), None, t0()))
        .await
        .expect("first vote");
    let version = detail(&*store, id).await.version;
    assert_err!(
        store.cast_vote(&request(first, None, t0())).await,
        StoreError::DuplicateVoter,
        "same choice again"
    );
    let switch = vote(id, created.choices[1].id, Some("alice"));
    assert_err!(
        store.cast_vote(&request(switch, None, t0())).await,
        StoreError::DuplicateVoter,
        "another choice"
    );
    assert_eq!(
        counts(&*store, id).await,
        [1, 0],
        "refused votes count nothing"
    );
    assert_eq!(
        detail(&*store, id).await.version,
        version,
        "refused votes change nothing"
    );
}

/// The once-per-question rule is per voter and per question.
pub async fn other_voters_and_other_questions_are_independent<S: PollStore + 'static>(
    store: Arc<S>,
) {
    let created = create(&*store, &["a", "b"]).await;
    let other = create(&*store, &["a"]).await;
    let id = created.question.id;
    for ballot in [
        vote(id, created.choices[0].id, Some("alice")),
        vote(id, created.choices[1].id, Some("bob")),
        vote(other.question.id, other.choices[0].id, Some("alice")),
    ] {
        store
            .cast_vote(&request(ballot, None, t0()))
            .await
            .expect("a first vote of this voter here");
    }
    assert_eq!(counts(&*store, id).await, [1, 1]);
    assert_eq!(counts(&*store, other.question.id).await, [1]);
}

/// 50 concurrent voters on one choice: exactly 50.
pub async fn fifty_concurrent_voters_are_counted_exactly<S: PollStore + 'static>(store: Arc<S>) {
    let created = create(&*store, &["a", "b"]).await;
    let (id, a) = (created.question.id, created.choices[0].id);
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let store = Arc::clone(&store);
            let voter = format!("voter-{i}");
            // Half named, half anonymous; a third with their own key.
            let key = (i % 3 == 0).then(|| format!("key-{i}"));
            tokio::spawn(async move {
                let ballot = vote(id, a, (i % 2 == 0).then_some(voter.as_str()));
                store
                    .cast_vote(&request(ballot, key.as_deref(), t0()))
                    .await
            })
        })
        .collect();
    for task in tasks {
        let outcome = task
            .await
            .expect("task")
            .expect("every concurrent vote is counted");
        assert!(!outcome.replayed);
    }
    assert_eq!(counts(&*store, id).await, [50, 0]);
}

/// One voter racing with itself: exactly one vote counts, the others are `DuplicateVoter`.
pub async fn concurrent_votes_of_one_voter_count_once<S: PollStore + 'static>(store: Arc<S>) {
    let created = create(&*store, &["a", "b"]).await;
    let id = created.question.id;
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let store = Arc::clone(&store);
            let choice = created.choices[i % 2].id;
            tokio::spawn(async move {
                store
                    .cast_vote(&request(vote(id, choice, Some("eve")), None, t0()))
                    .await
            })
        })
        .collect();
    let mut counted = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(_) => counted += 1,
            Err(StoreError::DuplicateVoter) => {}
            Err(other) => panic!(
                "concurrent votes of one voter: expected Ok or DuplicateVoter, got {other:?}"
            ),
        }
    }
    assert_eq!(counted, 1);
    assert_eq!(counts(&*store, id).await.iter().sum::<i64>(), 1);
}
