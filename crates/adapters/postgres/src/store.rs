use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use poll_domain::{
    Choice, ChoiceId, ChoiceText, Environment, NewQuestion, Question, QuestionDetail, QuestionId,
    QuestionPatch, Timestamp, VoteOutcome,
};
use poll_ports::{PollStore, StoreError, VoteRequest};

use crate::errors::PostgresError;
use crate::pool::{Db, PoolStatus};
use crate::settings::PostgresSettings;
use crate::{choices, migrations, questions, votes};

/// The poll store of one environment, in that environment's PostgreSQL schema.
///
/// Cheap to clone (the pool is shared). Every pooled connection has `search_path` set to the
/// environment's schema, so statements are unqualified and prepared once per connection.
#[derive(Clone)]
pub struct PostgresStore {
    db: Db,
    environment: Environment,
    operation_timeout: Duration,
}

impl PostgresStore {
    /// Prepares the store; opens no connection, so it succeeds while PostgreSQL is down (the
    /// store answers `Unavailable` until the server is back, then recovers by itself).
    ///
    /// # Errors
    /// Only for settings that cannot work: an unparsable URL, an empty pool, zero timeouts.
    pub fn connect(
        settings: &PostgresSettings,
        environment: &Environment,
    ) -> Result<Self, PostgresError> {
        Ok(Self {
            db: Db::new(settings, Some(environment.schema()))?,
            environment: environment.clone(),
            operation_timeout: settings.operation_timeout(),
        })
    }

    /// Runs one operation within the operation timeout, or answers `Unavailable`.
    ///
    /// The connect and acquire timeouts cover a database that refuses or never accepts; this
    /// covers one that accepted and then stopped answering mid-operation. A write cut off here
    /// may still commit (its answer was lost, as with any network failure); a vote retried with
    /// its idempotency key is then answered as a replay.
    async fn bounded<T>(
        &self,
        operation: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        tokio::time::timeout(self.operation_timeout, operation)
            .await
            .unwrap_or_else(|elapsed| Err(StoreError::Unavailable(Box::new(elapsed))))
    }

    /// Creates the environment's schema if needed and applies the embedded migrations that are
    /// missing. Idempotent, and safe when several replicas run it at once.
    pub async fn migrate(&self) -> Result<(), PostgresError> {
        let mut client = self.db.conn().await?;
        migrations::migrate(&mut client, &self.environment).await
    }

    pub fn environment(&self) -> &Environment {
        &self.environment
    }

    /// The connection pool's figures, for metrics.
    pub fn pool_status(&self) -> PoolStatus {
        self.db.status()
    }
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore")
            .field("environment", &self.environment.name())
            .field("schema", &self.environment.schema())
            .field("pool", &self.db.status())
            .field("operation_timeout", &self.operation_timeout)
            .finish()
    }
}

#[async_trait]
impl PollStore for PostgresStore {
    async fn create_question(
        &self,
        new: &NewQuestion,
        created_at: Timestamp,
    ) -> Result<QuestionDetail, StoreError> {
        self.bounded(questions::create(&self.db, new, created_at))
            .await
    }

    async fn list_questions(
        &self,
        after: Option<QuestionId>,
        limit: u32,
    ) -> Result<Vec<Question>, StoreError> {
        self.bounded(questions::list(&self.db, after, limit)).await
    }

    async fn get_question(&self, id: QuestionId) -> Result<QuestionDetail, StoreError> {
        self.bounded(questions::get(&self.db, id)).await
    }

    async fn question_version(&self, id: QuestionId) -> Result<i64, StoreError> {
        self.bounded(questions::version(&self.db, id)).await
    }

    async fn update_question(
        &self,
        id: QuestionId,
        patch: &QuestionPatch,
    ) -> Result<QuestionDetail, StoreError> {
        self.bounded(questions::update(&self.db, id, patch)).await
    }

    async fn delete_question(&self, id: QuestionId) -> Result<(), StoreError> {
        self.bounded(questions::delete(&self.db, id)).await
    }

    async fn add_choice(
        &self,
        question: QuestionId,
        text: &ChoiceText,
    ) -> Result<Choice, StoreError> {
        self.bounded(choices::add(&self.db, question, text)).await
    }

    async fn get_choice(
        &self,
        question: QuestionId,
        choice: ChoiceId,
    ) -> Result<Choice, StoreError> {
        self.bounded(choices::get(&self.db, question, choice)).await
    }

    async fn cast_vote(&self, request: &VoteRequest) -> Result<VoteOutcome, StoreError> {
        self.bounded(votes::cast(&self.db, self.environment.schema(), request))
            .await
    }

    async fn purge_idempotency_keys(&self, cutoff: Timestamp) -> Result<u64, StoreError> {
        votes::purge_keys(&self.db, cutoff).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.bounded(self.db.ping()).await
    }
}
