//! Use cases over the memory store: the policies that sit above the store contract.
#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing
use std::sync::Arc;

use poll_app::{AppError, AppSettings, PollService};
use poll_domain::{
    ChoiceList, ChoiceText, IdempotencyKey, Limit, NewQuestion, PageRequest, PubDate, QuestionId,
    QuestionPatch, QuestionText, Vote, VoterId,
};
use poll_memory::MemoryStore;
use poll_ports::{NoCache, SystemClock};

type Service = PollService<MemoryStore, NoCache, SystemClock>;

fn service() -> Service {
    PollService::new(
        Arc::new(MemoryStore::new()),
        Arc::new(NoCache),
        Arc::new(SystemClock),
        AppSettings::default(),
    )
}

fn new_question(text: &str, choices: &[&str]) -> NewQuestion {
    NewQuestion {
        text: QuestionText::parse(text).unwrap(),
        pub_date: PubDate::parse("2026-11-30").unwrap(),
        choices: ChoiceList::new(
            choices
                .iter()
                .map(|c| ChoiceText::parse(c).unwrap())
                .collect(),
        )
        .unwrap(),
    }
}

fn vote(detail: &poll_domain::QuestionDetail, index: usize, voter: Option<&str>) -> Vote {
    Vote {
        question_id: detail.question.id,
        choice_id: detail.choices[index].id,
        voter_id: voter.map(|v| VoterId::parse(v).unwrap()),
    }
}

#[tokio::test]
async fn a_listing_reports_the_next_cursor_only_when_more_remain() {
    let service = service();
    for i in 0..5 {
        service
            .create_question(new_question(&format!("Q{i}"), &[]))
            .await
            .unwrap();
    }
    let limit = Limit::new(2).unwrap();
    let first = service
        .list_questions(PageRequest { after: None, limit })
        .await
        .unwrap();
    assert_eq!(first.questions.len(), 2);
    let cursor = first.next_after.expect("more remain after the first page");
    assert_eq!(cursor, first.questions[1].id);

    let third = service
        .list_questions(PageRequest {
            after: QuestionId::new(4).ok(),
            limit,
        })
        .await
        .unwrap();
    assert_eq!(third.questions.len(), 1);
    assert_eq!(third.next_after, None);

    let exact = service
        .list_questions(PageRequest {
            after: QuestionId::new(3).ok(),
            limit,
        })
        .await
        .unwrap();
    assert_eq!(exact.questions.len(), 2);
    assert_eq!(exact.next_after, None, "a full last page has no next link");
}

#[tokio::test]
async fn results_order_choices_by_votes_then_id_and_count_every_vote() {
    let service = service();
    let detail = service
        .create_question(new_question("Lunch?", &["Soup", "Salad", "Pie"]))
        .await
        .unwrap();
    for (index, voter) in [(2, "a"), (2, "b"), (1, "c")] {
        service
            .cast_vote(vote(&detail, index, Some(voter)), None)
            .await
            .unwrap();
    }
    let results = service.results(detail.question.id).await.unwrap();
    let order: Vec<&str> = results.choices.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(order, ["Pie", "Salad", "Soup"]);
    assert_eq!(results.total_votes, 3);
    assert_eq!(service.stats().votes_counted(), 3);
}

#[tokio::test]
async fn a_replayed_vote_counts_nothing() {
    let service = service();
    let detail = service
        .create_question(new_question("Tea?", &["Yes", "No"]))
        .await
        .unwrap();
    let key = IdempotencyKey::parse("retry-1").unwrap();
    let first = service
        .cast_vote(vote(&detail, 0, None), Some(key.clone()))
        .await
        .unwrap();
    let again = service
        .cast_vote(vote(&detail, 0, None), Some(key.clone()))
        .await
        .unwrap();
    assert!(!first.replayed);
    assert!(again.replayed);
    assert_eq!(
        service
            .results(detail.question.id)
            .await
            .unwrap()
            .total_votes,
        1
    );
    assert_eq!(service.stats().votes_counted(), 1);

    let conflict = service.cast_vote(vote(&detail, 1, None), Some(key)).await;
    assert!(
        matches!(conflict, Err(AppError::IdempotencyConflict)),
        "{conflict:?}"
    );
}

#[tokio::test]
async fn a_choice_of_another_question_is_not_found_on_this_one() {
    let service = service();
    let one = service
        .create_question(new_question("One", &["A"]))
        .await
        .unwrap();
    let two = service
        .create_question(new_question("Two", &["B"]))
        .await
        .unwrap();
    let result = service.get_choice(one.question.id, two.choices[0].id).await;
    assert!(
        matches!(result, Err(AppError::ChoiceNotFound)),
        "{result:?}"
    );

    let foreign_vote = Vote {
        question_id: one.question.id,
        choice_id: two.choices[0].id,
        voter_id: None,
    };
    let result = service.cast_vote(foreign_vote, None).await;
    assert!(
        matches!(result, Err(AppError::ChoiceNotOfQuestion)),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_patch_changes_only_what_it_sets() {
    let service = service();
    let detail = service
        .create_question(new_question("Old", &["A"]))
        .await
        .unwrap();
    let patch = QuestionPatch::new(Some(QuestionText::parse("New").unwrap()), None).unwrap();
    let updated = service
        .update_question(detail.question.id, patch)
        .await
        .unwrap();
    assert_eq!(updated.question.text.as_str(), "New");
    assert_eq!(updated.question.pub_date, detail.question.pub_date);
    assert_eq!(updated.choices, detail.choices);
}

#[tokio::test]
async fn a_deleted_question_is_gone_with_its_choices() {
    let service = service();
    let detail = service
        .create_question(new_question("Bye", &["A"]))
        .await
        .unwrap();
    service.delete_question(detail.question.id).await.unwrap();
    assert!(matches!(
        service.get_question(detail.question.id).await,
        Err(AppError::QuestionNotFound)
    ));
    assert!(matches!(
        service.list_choices(detail.question.id).await,
        Err(AppError::QuestionNotFound)
    ));
    assert!(matches!(
        service.delete_question(detail.question.id).await,
        Err(AppError::QuestionNotFound)
    ));
}
