//! An in-memory [`PollStore`]: the whole store contract, without durability.
//!
//! Every method takes one lock for its whole duration, which makes each call atomic (and the
//! idempotency "in flight" case impossible: a second request with the same key waits for the
//! first and is then answered as a replay). Meant for tests and for `--store memory`.
#![forbid(unsafe_code)]

mod state;

use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use poll_domain::{
    Choice, ChoiceId, ChoiceText, NewQuestion, Question, QuestionDetail, QuestionId, QuestionPatch,
    Timestamp, VoteOutcome,
};
use poll_ports::{PollStore, StoreError, VoteRequest};

use crate::state::State;

/// The store; cheap to create, one per test.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave a half-applied change: every mutation
        // validates first and writes last, so the state is still consistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl PollStore for MemoryStore {
    async fn create_question(
        &self,
        new: &NewQuestion,
        created_at: Timestamp,
    ) -> Result<QuestionDetail, StoreError> {
        Ok(self.lock().create_question(new, created_at))
    }

    async fn list_questions(
        &self,
        after: Option<QuestionId>,
        limit: u32,
    ) -> Result<Vec<Question>, StoreError> {
        Ok(self.lock().list_questions(after, limit))
    }

    async fn get_question(&self, id: QuestionId) -> Result<QuestionDetail, StoreError> {
        self.lock().detail(id)
    }

    async fn question_version(&self, id: QuestionId) -> Result<i64, StoreError> {
        self.lock().detail(id).map(|d| d.version)
    }

    async fn update_question(
        &self,
        id: QuestionId,
        patch: &QuestionPatch,
    ) -> Result<QuestionDetail, StoreError> {
        self.lock().update_question(id, patch)
    }

    async fn delete_question(&self, id: QuestionId) -> Result<(), StoreError> {
        self.lock().delete_question(id)
    }

    async fn add_choice(
        &self,
        question: QuestionId,
        text: &ChoiceText,
    ) -> Result<Choice, StoreError> {
        self.lock().add_choice(question, text)
    }

    async fn get_choice(
        &self,
        question: QuestionId,
        choice: ChoiceId,
    ) -> Result<Choice, StoreError> {
        let detail = self.lock().detail(question)?;
        detail
            .choices
            .into_iter()
            .find(|c| c.id == choice)
            .ok_or(StoreError::ChoiceNotFound)
    }

    async fn cast_vote(&self, request: &VoteRequest) -> Result<VoteOutcome, StoreError> {
        self.lock().cast_vote(request)
    }

    async fn purge_idempotency_keys(&self, cutoff: Timestamp) -> Result<u64, StoreError> {
        Ok(self.lock().purge_idempotency_keys(cutoff))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}
