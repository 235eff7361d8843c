//! Values and helpers shared by the cases.

use std::time::Duration;

use poll_domain::{
    ChoiceId, ChoiceList, ChoiceText, IdempotencyKey, NewQuestion, PubDate, QuestionDetail,
    QuestionId, QuestionText, Timestamp, Vote, VoterId,
};
use poll_ports::{PollStore, VoteRequest};
use time::macros::datetime;

/// The TTL of idempotency keys in the cases (the service's: 24 hours).
pub const TTL: Duration = Duration::from_hours(24);

/// A fixed instant (whole seconds: every store keeps at least microseconds).
pub fn t0() -> Timestamp {
    datetime!(2026-11-30 10:00:00 UTC)
}

/// `t0` plus `hours`.
pub fn hours_after_t0(hours: i64) -> Timestamp {
    t0() + time::Duration::hours(hours)
}

pub fn question_text(text: &str) -> QuestionText {
    QuestionText::parse(text).expect("fixture: valid question text")
}

pub fn choice_text(text: &str) -> ChoiceText {
    ChoiceText::parse(text).expect("fixture: valid choice text")
}

pub fn date(text: &str) -> PubDate {
    PubDate::parse(text).expect("fixture: valid date")
}

pub fn new_question(text: &str, choices: &[&str]) -> NewQuestion {
    NewQuestion {
        text: question_text(text),
        pub_date: date("2019-10-20"),
        choices: ChoiceList::new(choices.iter().map(|c| choice_text(c)).collect())
            .expect("fixture: valid choice list"),
    }
}

/// `count` distinct choice texts `c0`, `c1`, ...
pub fn numbered(count: usize) -> Vec<String> {
    (0..count).map(|i| format!("c{i}")).collect()
}

/// Creates a question with the given choices, or panics naming the failure.
pub async fn create<S: PollStore + ?Sized>(store: &S, choices: &[&str]) -> QuestionDetail {
    store
        .create_question(&new_question("What's up?", choices), t0())
        .await
        .expect("create_question must succeed on a fresh store")
}

/// The detail of a question that must exist.
pub async fn detail<S: PollStore + ?Sized>(store: &S, id: QuestionId) -> QuestionDetail {
    store
        .get_question(id)
        .await
        .expect("get_question of an existing question must succeed")
}

/// The vote count of each choice of a question, in choice order.
pub async fn counts<S: PollStore + ?Sized>(store: &S, id: QuestionId) -> Vec<i64> {
    detail(store, id)
        .await
        .choices
        .iter()
        .map(|c| c.votes)
        .collect()
}

/// A question id that no store hands out in a case (the largest id).
pub fn unknown_question() -> QuestionId {
    QuestionId::new(i64::MAX).expect("positive")
}

pub fn unknown_choice() -> ChoiceId {
    ChoiceId::new(i64::MAX).expect("positive")
}

pub fn vote(question: QuestionId, choice: ChoiceId, voter: Option<&str>) -> Vote {
    Vote {
        question_id: question,
        choice_id: choice,
        voter_id: voter.map(|v| VoterId::parse(v).expect("fixture: valid voter id")),
    }
}

/// A request for `vote`, with an optional key, made at `now`, keys kept for [`TTL`].
pub fn request(vote: Vote, key: Option<&str>, now: Timestamp) -> VoteRequest {
    VoteRequest {
        vote,
        idempotency_key: key.map(|k| IdempotencyKey::parse(k).expect("fixture: valid key")),
        idempotency_ttl: TTL,
        now,
    }
}

/// The current version of a question that must exist.
pub async fn version_of<S: PollStore + ?Sized>(store: &S, id: QuestionId) -> i64 {
    store
        .question_version(id)
        .await
        .expect("question_version of an existing question")
}
