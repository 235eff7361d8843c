use std::sync::Arc;
use std::time::Duration;

use poll_domain::{
    Choice, ChoiceId, ChoiceText, IdempotencyKey, NewQuestion, PageRequest, Question,
    QuestionDetail, QuestionId, QuestionPatch, Results, Vote, VoteOutcome,
};
use poll_ports::{Clock, DetailCache, PollStore, VoteRequest};
use tracing::instrument;

use crate::{AppError, ComponentStatus, Readiness, ServiceStats};

/// Policies of the use cases that deployments may tune.
#[derive(Debug, Clone)]
pub struct AppSettings {
    /// How long an `Idempotency-Key` answers with the first response (24 hours by contract).
    pub idempotency_ttl: Duration,
}

impl Default for AppSettings {
    fn default() -> Self {
        Self {
            idempotency_ttl: Duration::from_hours(24),
        }
    }
}

/// One page of the question list, and where the next one starts when more remain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub questions: Vec<Question>,
    pub next_after: Option<QuestionId>,
}

/// The use cases, over a store (system of record), a cache of question details and a clock.
#[derive(Debug)]
pub struct PollService<S: ?Sized, C: ?Sized, K: ?Sized> {
    store: Arc<S>,
    cache: Arc<C>,
    clock: Arc<K>,
    settings: AppSettings,
    stats: ServiceStats,
}

impl<S, C, K> PollService<S, C, K>
where
    S: PollStore + ?Sized,
    C: DetailCache + ?Sized,
    K: Clock + ?Sized,
{
    pub fn new(store: Arc<S>, cache: Arc<C>, clock: Arc<K>, settings: AppSettings) -> Self {
        Self {
            store,
            cache,
            clock,
            settings,
            stats: ServiceStats::default(),
        }
    }

    pub fn stats(&self) -> &ServiceStats {
        &self.stats
    }

    #[instrument(skip_all)]
    pub async fn create_question(&self, new: NewQuestion) -> Result<QuestionDetail, AppError> {
        let created = self.store.create_question(&new, self.clock.now()).await?;
        self.fill_cache(&created).await;
        Ok(created)
    }

    #[instrument(skip(self))]
    pub async fn list_questions(&self, page: PageRequest) -> Result<Page, AppError> {
        let limit = page.limit.get();
        // One extra row tells whether another page follows without a COUNT.
        let mut questions = self
            .store
            .list_questions(page.after, u32::from(limit) + 1)
            .await?;
        let next_after = if questions.len() > usize::from(limit) {
            questions.truncate(usize::from(limit));
            questions.last().map(|q| q.id)
        } else {
            None
        };
        Ok(Page {
            questions,
            next_after,
        })
    }

    #[instrument(skip(self))]
    pub async fn get_question(&self, id: QuestionId) -> Result<QuestionDetail, AppError> {
        self.current_detail(id).await
    }

    #[instrument(skip(self, patch))]
    pub async fn update_question(
        &self,
        id: QuestionId,
        patch: QuestionPatch,
    ) -> Result<QuestionDetail, AppError> {
        let updated = self.store.update_question(id, &patch).await?;
        self.fill_cache(&updated).await;
        Ok(updated)
    }

    #[instrument(skip(self))]
    pub async fn delete_question(&self, id: QuestionId) -> Result<(), AppError> {
        self.store.delete_question(id).await?;
        // A left-over entry could never be served (its version probe finds no question), so a
        // failure here only wastes cache memory until the entry expires.
        if self.cache.remove(id).await.is_err() {
            self.stats.cache.error();
        }
        Ok(())
    }

    #[instrument(skip(self))]
    pub async fn list_choices(&self, id: QuestionId) -> Result<Vec<Choice>, AppError> {
        Ok(self.current_detail(id).await?.choices)
    }

    #[instrument(skip(self, text))]
    pub async fn add_choice(&self, id: QuestionId, text: ChoiceText) -> Result<Choice, AppError> {
        Ok(self.store.add_choice(id, &text).await?)
    }

    #[instrument(skip(self))]
    pub async fn get_choice(
        &self,
        question: QuestionId,
        choice: ChoiceId,
    ) -> Result<Choice, AppError> {
        let detail = self.current_detail(question).await?;
        detail
            .choices
            .into_iter()
            .find(|c| c.id == choice)
            .ok_or(AppError::ChoiceNotFound)
    }

    #[instrument(skip(self, vote, key), fields(question_id = %vote.question_id, choice_id = %vote.choice_id))]
    pub async fn cast_vote(
        &self,
        vote: Vote,
        key: Option<IdempotencyKey>,
    ) -> Result<VoteOutcome, AppError> {
        let request = VoteRequest {
            vote,
            idempotency_key: key,
            idempotency_ttl: self.settings.idempotency_ttl,
            now: self.clock.now(),
        };
        let outcome = self.store.cast_vote(&request).await?;
        if !outcome.replayed {
            self.stats.vote_counted();
        }
        Ok(outcome)
    }

    #[instrument(skip(self))]
    pub async fn results(&self, id: QuestionId) -> Result<Results, AppError> {
        Ok(Results::tally(&self.current_detail(id).await?))
    }

    /// Forgets idempotency keys older than their window; returns how many were removed.
    pub async fn purge_expired_idempotency_keys(&self) -> Result<u64, AppError> {
        let cutoff = self.clock.now() - self.settings.idempotency_ttl;
        Ok(self.store.purge_idempotency_keys(cutoff).await?)
    }

    pub async fn readiness(&self) -> Readiness {
        let postgres = match self.store.ping().await {
            Ok(()) => ComponentStatus::Up,
            Err(_) => ComponentStatus::Down,
        };
        let redis = match self.cache.ping().await {
            Ok(true) => ComponentStatus::Up,
            Ok(false) => ComponentStatus::Disabled,
            Err(_) => ComponentStatus::Down,
        };
        Readiness { postgres, redis }
    }

    /// The detail as of now: a cached copy only when its version is the store's current one.
    ///
    /// Every write bumps the version in the same transaction, so a copy whose version equals
    /// the one read here holds exactly the committed state: stale entries are never served.
    ///
    /// A cache that just failed is not asked to store the copy: a read pays at most one cache
    /// timeout when Redis hangs.
    async fn current_detail(&self, id: QuestionId) -> Result<QuestionDetail, AppError> {
        let cache_answered = match self.cache.get(id).await {
            Ok(Some(cached)) => {
                if self.store.question_version(id).await? == cached.version {
                    self.stats.cache.hit();
                    return Ok(cached);
                }
                self.stats.cache.stale();
                true
            }
            Ok(None) => {
                self.stats.cache.miss();
                true
            }
            Err(_) => {
                self.stats.cache.error();
                false
            }
        };
        let detail = self.store.get_question(id).await?;
        if cache_answered {
            self.fill_cache(&detail).await;
        }
        Ok(detail)
    }

    async fn fill_cache(&self, detail: &QuestionDetail) {
        if self.cache.put(detail).await.is_err() {
            self.stats.cache.error();
        }
    }
}
