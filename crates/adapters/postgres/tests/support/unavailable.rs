//! What the outage tests assert: an operation answers `Unavailable` within the contract's 2 s.

use std::time::{Duration, Instant};

use poll_domain::{
    ChoiceList, ChoiceText, NewQuestion, PubDate, QuestionDetail, QuestionText, Vote,
};
use poll_ports::{StoreError, VoteRequest};
use time::macros::datetime;

/// The contract: a 503 within 2 s when PostgreSQL cannot answer.
pub const BUDGET: Duration = Duration::from_secs(2);

/// Runs `call`, asserting it fails with `Unavailable` within the budget.
pub async fn assert_unavailable_within_budget<T: std::fmt::Debug>(
    what: &str,
    call: impl Future<Output = Result<T, StoreError>>,
) {
    let started = Instant::now();
    let result = call.await;
    let elapsed = started.elapsed();
    assert!(
        matches!(result, Err(StoreError::Unavailable(_))),
        "{what} while PostgreSQL cannot answer: {result:?}"
    );
    assert!(
        elapsed < BUDGET,
        "{what} took {elapsed:?} to fail; the budget is {BUDGET:?}"
    );
}

/// A question with one choice.
pub fn one_choice_question(text: &str) -> NewQuestion {
    NewQuestion {
        text: QuestionText::parse(text).expect("text"),
        pub_date: PubDate::parse("2020-01-01").expect("date"),
        choices: ChoiceList::new(vec![ChoiceText::parse("yes").expect("choice")]).expect("choices"),
    }
}

/// An anonymous vote for the question's first choice.
pub fn vote_for_first_choice(detail: &QuestionDetail) -> VoteRequest {
    VoteRequest {
        vote: Vote {
            question_id: detail.question.id,
            choice_id: detail.choices[0].id,
            voter_id: None,
        },
        idempotency_key: None,
        idempotency_ttl: Duration::from_hours(24),
        now: datetime!(2026-01-01 0:00 UTC),
    }
}
