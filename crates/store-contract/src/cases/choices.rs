//! Choices: add (with its limits, also under concurrency) and get.

use std::sync::Arc;

use poll_domain::MAX_CHOICES;
use poll_ports::{PollStore, StoreError};

use crate::fixtures::{choice_text, create, detail, numbered, unknown_choice, unknown_question};

/// The new choice has zero votes, comes last, is readable, and the version grows.
pub async fn add_choice_appends_a_choice_with_zero_votes_and_bumps_the_version<
    S: PollStore + 'static,
>(
    store: Arc<S>,
) {
    let created = create(&*store, &["a"]).await;
    let id = created.question.id;
    let added = store
        .add_choice(id, &choice_text("  b  "))
        .await
        .expect("add_choice");
    assert_eq!(added.text.as_str(), "b");
    assert_eq!(added.votes, 0);
    assert_eq!(added.question_id, id);
    assert!(
        added.id > created.choices[0].id,
        "a later choice has a greater id"
    );

    let after = detail(&*store, id).await;
    assert_eq!(after.choices.len(), 2);
    assert_eq!(after.choices[1], added, "the new choice comes last");
    assert!(
        after.version > created.version,
        "add_choice bumps the version"
    );
    assert_eq!(
        store.get_choice(id, added.id).await.expect("get_choice"),
        added
    );
}

pub async fn add_choice_to_unknown_question_is_question_not_found<S: PollStore + 'static>(
    store: Arc<S>,
) {
    assert_err!(
        store
            .add_choice(unknown_question(), &choice_text("a"))
            .await,
        StoreError::QuestionNotFound,
        "add_choice"
    );
}

/// A text already on the question (given at creation or added) is refused; elsewhere it is fine.
pub async fn add_choice_with_a_text_already_there_is_duplicate_choice<S: PollStore + 'static>(
    store: Arc<S>,
) {
    let created = create(&*store, &["Yes", "No"]).await;
    let id = created.question.id;
    assert_err!(
        store.add_choice(id, &choice_text("Yes")).await,
        StoreError::DuplicateChoice,
        "text given at creation"
    );
    store
        .add_choice(id, &choice_text("Maybe"))
        .await
        .expect("add_choice");
    assert_err!(
        store.add_choice(id, &choice_text(" Maybe ")).await,
        StoreError::DuplicateChoice,
        "text added before"
    );
    store
        .add_choice(id, &choice_text("yes"))
        .await
        .expect("texts are compared exactly: case matters");

    let after = detail(&*store, id).await;
    assert_eq!(after.choices.len(), 4, "refused choices are not stored");
    let other = create(&*store, &["Yes"]).await;
    store
        .add_choice(other.question.id, &choice_text("No"))
        .await
        .expect("the same text on another question is fine");
}

/// A question holds at most `MAX_CHOICES`; a refused choice changes nothing.
pub async fn add_choice_beyond_the_maximum_is_too_many_choices<S: PollStore + 'static>(
    store: Arc<S>,
) {
    let texts = numbered(MAX_CHOICES);
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let full = create(&*store, &refs).await;
    assert_err!(
        store
            .add_choice(full.question.id, &choice_text("one more"))
            .await,
        StoreError::TooManyChoices,
        "a 21st choice on a question created with 20"
    );
    assert_eq!(
        detail(&*store, full.question.id).await,
        full,
        "a refused choice changes nothing"
    );

    let almost = create(&*store, &refs[..MAX_CHOICES - 1]).await;
    store
        .add_choice(almost.question.id, &choice_text("the 20th"))
        .await
        .expect("the 20th choice is allowed");
    assert_err!(
        store
            .add_choice(almost.question.id, &choice_text("the 21st"))
            .await,
        StoreError::TooManyChoices,
        "a 21st choice added after a 20th"
    );
}

/// 30 concurrent adds on a question without choices: exactly 20 succeed.
pub async fn concurrent_add_choice_never_exceeds_the_maximum<S: PollStore + 'static>(
    store: Arc<S>,
) {
    let id = create(&*store, &[]).await.question.id;
    let tasks: Vec<_> = (0..30)
        .map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .add_choice(id, &choice_text(&format!("choice {i}")))
                    .await
            })
        })
        .collect();
    let (mut added, mut refused) = (0, 0);
    for task in tasks {
        match task.await.expect("task") {
            Ok(_) => added += 1,
            Err(StoreError::TooManyChoices) => refused += 1,
            Err(other) => {
                panic!("concurrent add_choice: expected Ok or TooManyChoices, got {other:?}")
            }
        }
    }
    assert_eq!(
        (added, refused),
        (MAX_CHOICES, 30 - MAX_CHOICES),
        "(added, refused)"
    );
    assert_eq!(detail(&*store, id).await.choices.len(), MAX_CHOICES);
}

/// 10 concurrent adds of one text: exactly one succeeds.
pub async fn concurrent_add_choice_of_one_text_succeeds_once<S: PollStore + 'static>(
    store: Arc<S>,
) {
    let id = create(&*store, &[]).await.question.id;
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.add_choice(id, &choice_text("same")).await })
        })
        .collect();
    let (mut added, mut refused) = (0, 0);
    for task in tasks {
        match task.await.expect("task") {
            Ok(_) => added += 1,
            Err(StoreError::DuplicateChoice) => refused += 1,
            Err(other) => {
                panic!("concurrent add_choice: expected Ok or DuplicateChoice, got {other:?}")
            }
        }
    }
    assert_eq!((added, refused), (1, 9), "(added, refused)");
    assert_eq!(detail(&*store, id).await.choices.len(), 1);
}

pub async fn get_choice_returns_the_choice_of_the_question<S: PollStore + 'static>(store: Arc<S>) {
    let created = create(&*store, &["a", "b"]).await;
    for choice in &created.choices {
        let read = store
            .get_choice(created.question.id, choice.id)
            .await
            .expect("get_choice");
        assert_eq!(&read, choice);
    }
}

/// A choice of another question, or no choice at all, is `ChoiceNotFound`; an unknown question
/// is `QuestionNotFound`.
pub async fn get_choice_outside_the_question_is_choice_not_found<S: PollStore + 'static>(
    store: Arc<S>,
) {
    let mine = create(&*store, &["a"]).await;
    let other = create(&*store, &["a"]).await;
    assert_err!(
        store
            .get_choice(mine.question.id, other.choices[0].id)
            .await,
        StoreError::ChoiceNotFound,
        "a choice of another question"
    );
    assert_err!(
        store.get_choice(mine.question.id, unknown_choice()).await,
        StoreError::ChoiceNotFound,
        "a choice that does not exist"
    );
    assert_err!(
        store
            .get_choice(unknown_question(), mine.choices[0].id)
            .await,
        StoreError::QuestionNotFound,
        "an unknown question"
    );
}
