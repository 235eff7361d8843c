//! Questions: create, list, get, update, delete.

use std::sync::Arc;

use poll_domain::{QuestionDetail, QuestionId, QuestionPatch};
use poll_ports::{PollStore, StoreError};

use crate::fixtures::{
    choice_text, create, date, detail, new_question, question_text, t0, unknown_question,
};

/// Ids assigned, choices in the order given (ids ascending), zero votes, `created_at` as given,
/// and a read answers the same.
pub async fn create_question_returns_ids_and_choices_in_order_with_zero_votes<
    S: PollStore + 'static,
>(
    store: Arc<S>,
) {
    let new = new_question("  What's up?  ", &["Not much", "The sky", "Zebra", "apple"]);
    let created = store
        .create_question(&new, t0())
        .await
        .expect("create_question");
    assert_eq!(created.question.text.as_str(), "What's up?");
    assert_eq!(created.question.pub_date, date("2019-10-20"));
    assert_eq!(
        created.question.created_at,
        t0(),
        "created_at must be stored as given"
    );
    let texts: Vec<&str> = created.choices.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(
        texts,
        ["Not much", "The sky", "Zebra", "apple"],
        "choices in the order given"
    );
    assert!(
        created.choices.windows(2).all(|w| w[0].id < w[1].id),
        "choice ids ascend in the order given"
    );
    assert!(
        created.choices.iter().all(|c| c.votes == 0),
        "new choices have zero votes"
    );
    assert!(
        created
            .choices
            .iter()
            .all(|c| c.question_id == created.question.id)
    );

    let read = detail(&*store, created.question.id).await;
    assert_eq!(
        read, created,
        "get_question answers what create_question returned"
    );
    let version = store
        .question_version(created.question.id)
        .await
        .expect("question_version");
    assert_eq!(version, created.version);
}

pub async fn create_question_without_choices_has_none<S: PollStore + 'static>(store: Arc<S>) {
    let created = create(&*store, &[]).await;
    assert!(created.choices.is_empty());
    assert!(
        detail(&*store, created.question.id)
            .await
            .choices
            .is_empty()
    );
}

pub async fn questions_get_distinct_ids<S: PollStore + 'static>(store: Arc<S>) {
    let a = create(&*store, &["x"]).await;
    let b = create(&*store, &["x"]).await;
    assert_ne!(a.question.id, b.question.id);
    assert_ne!(
        a.choices[0].id, b.choices[0].id,
        "choice ids are unique across questions"
    );
}

/// Pages by `after` and `limit`, ascending by id, never more than `limit`.
pub async fn list_questions_pages_by_after_and_limit_ascending<S: PollStore + 'static>(
    store: Arc<S>,
) {
    let mut ids = Vec::new();
    for i in 0..5 {
        let new = new_question(&format!("Question {i}"), &["a"]);
        ids.push(
            store
                .create_question(&new, t0())
                .await
                .expect("create_question")
                .question
                .id,
        );
    }
    let all = store
        .list_questions(None, 100)
        .await
        .expect("list_questions");
    assert_eq!(all[3].text.as_str(), "Question 3");
    assert_eq!(
        page(&*store, None, 100).await,
        ids,
        "all questions, by id ascending"
    );
    let pages = [
        page(&*store, None, 2).await,
        page(&*store, Some(ids[1]), 2).await,
        page(&*store, Some(ids[3]), 2).await,
        page(&*store, Some(ids[4]), 2).await,
        page(&*store, None, 1).await,
    ];
    let expected = [&ids[..2], &ids[2..4], &ids[4..], &[], &ids[..1]];
    assert_eq!(
        pages, expected,
        "pages: first 2, 2 after the 2nd, 2 after the 4th (short), 2 after the last (empty), first 1"
    );
}

pub async fn list_questions_of_an_empty_store_is_empty<S: PollStore + 'static>(store: Arc<S>) {
    assert!(
        store
            .list_questions(None, 1000)
            .await
            .expect("list_questions")
            .is_empty()
    );
}

pub async fn unknown_question_is_question_not_found<S: PollStore + 'static>(store: Arc<S>) {
    let id = unknown_question();
    assert_err!(
        store.get_question(id).await,
        StoreError::QuestionNotFound,
        "get_question"
    );
    assert_err!(
        store.question_version(id).await,
        StoreError::QuestionNotFound,
        "question_version"
    );
    let patch = QuestionPatch::new(Some(question_text("New")), None).expect("patch");
    assert_err!(
        store.update_question(id, &patch).await,
        StoreError::QuestionNotFound,
        "update_question"
    );
    assert_err!(
        store.delete_question(id).await,
        StoreError::QuestionNotFound,
        "delete_question"
    );
}

/// Only the fields the patch sets change; choices stay; the version grows.
pub async fn update_question_changes_only_the_fields_set_and_bumps_the_version<
    S: PollStore + 'static,
>(
    store: Arc<S>,
) {
    let created = create(&*store, &["a", "b"]).await;
    let id = created.question.id;

    let renamed = patch(&*store, id, Some("Renamed?"), None).await;
    assert_eq!(renamed.question.text, question_text("Renamed?"));
    let unchanged = (
        &created.question.pub_date,
        &created.question.created_at,
        &created.choices,
    );
    let now = (
        &renamed.question.pub_date,
        &renamed.question.created_at,
        &renamed.choices,
    );
    assert_eq!(
        now, unchanged,
        "(pub_date, created_at, choices) untouched by a text patch"
    );
    assert!(
        renamed.version > created.version,
        "update bumps the version"
    );

    let redated = patch(&*store, id, None, Some("2024-02-29")).await;
    assert_eq!(
        redated.question.text,
        question_text("Renamed?"),
        "text untouched by a date patch"
    );
    assert_eq!(redated.question.pub_date, date("2024-02-29"));
    assert!(
        redated.version > renamed.version,
        "update bumps the version"
    );

    let both = patch(&*store, id, Some("Both"), Some("0001-01-01")).await;
    assert_eq!(
        (both.question.text.as_str(), both.question.pub_date),
        ("Both", date("0001-01-01"))
    );
    assert_eq!(detail(&*store, id).await, both, "a read answers the update");
}

/// Applies a patch that must succeed.
async fn patch<S: PollStore + ?Sized>(
    store: &S,
    id: QuestionId,
    text: Option<&str>,
    pub_date: Option<&str>,
) -> QuestionDetail {
    let patch =
        QuestionPatch::new(text.map(question_text), pub_date.map(date)).expect("a non-empty patch");
    store
        .update_question(id, &patch)
        .await
        .expect("update_question")
}

/// The ids of a page of questions.
async fn page<S: PollStore + ?Sized>(
    store: &S,
    after: Option<QuestionId>,
    limit: u32,
) -> Vec<QuestionId> {
    let listed = store
        .list_questions(after, limit)
        .await
        .expect("list_questions");
    listed.iter().map(|q| q.id).collect()
}

/// Deleting a question takes its choices with it, and leaves other questions alone.
pub async fn delete_question_removes_it_and_its_choices<S: PollStore + 'static>(store: Arc<S>) {
    let doomed = create(&*store, &["a", "b"]).await;
    let kept = create(&*store, &["a", "b"]).await;
    let id = doomed.question.id;
    store.delete_question(id).await.expect("delete_question");
    assert_question_gone(&*store, &doomed).await;
    assert_eq!(
        page(&*store, None, 100).await,
        [kept.question.id],
        "only the other question is listed"
    );
    assert_eq!(
        detail(&*store, kept.question.id).await,
        kept,
        "the other question is untouched"
    );
}

/// Every operation on a deleted question answers `QuestionNotFound`.
async fn assert_question_gone<S: PollStore + ?Sized>(store: &S, deleted: &QuestionDetail) {
    let id = deleted.question.id;
    assert_err!(
        store.get_question(id).await,
        StoreError::QuestionNotFound,
        "get after delete"
    );
    let choice = deleted.choices[0].id;
    assert_err!(
        store.get_choice(id, choice).await,
        StoreError::QuestionNotFound,
        "get_choice after delete"
    );
    assert_err!(
        store.add_choice(id, &choice_text("c")).await,
        StoreError::QuestionNotFound,
        "add_choice after delete"
    );
    assert_err!(
        store.delete_question(id).await,
        StoreError::QuestionNotFound,
        "second delete"
    );
}
