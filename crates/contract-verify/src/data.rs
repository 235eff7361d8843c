//! Puts an environment's data into the state a provider state describes.
//!
//! Questions, choices and votes are written through the store's port ([`PollStore`] on the
//! environment's [`PostgresStore`]), exactly as the service writes them. Plain SQL in the
//! environment's schema does only what no port offers: emptying the data between interactions,
//! setting the identity sequences so that the next question or choice gets the consumer's id,
//! and moving every question's cache version past any the service has seen (so a cached copy
//! from an earlier interaction is never served).

use std::fmt;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context as _, anyhow, bail, ensure};
use poll_domain::{
    ChoiceId, ChoiceList, ChoiceText, Environment, IdempotencyKey, NewQuestion, PubDate,
    QuestionId, QuestionText, Vote, VoterId,
};
use poll_ports::{Clock, PollStore, StoreError, SystemClock, VoteRequest};
use poll_postgres::{PostgresSettings, PostgresStore};
use tokio_postgres::config::SslMode;
use tokio_postgres::{Client, NoTls};

use crate::states::{Fixture, QuestionFixture};

/// How long an idempotency key set up by a state is remembered (the contract's 24 hours).
const IDEMPOTENCY_TTL: std::time::Duration = std::time::Duration::from_hours(24);

/// The data of one environment, reached through its store and its schema.
pub struct ProviderData {
    store: PostgresStore,
    sql: Client,
    environment: Environment,
}

impl fmt::Debug for ProviderData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderData")
            .field("environment", &self.environment.name())
            .field("schema", &self.environment.schema())
            .finish_non_exhaustive()
    }
}

impl ProviderData {
    /// Connects to the environment's schema (creating and migrating it when needed, as the
    /// service does at start-up).
    pub async fn connect(
        settings: &PostgresSettings,
        environment: &Environment,
    ) -> anyhow::Result<Self> {
        let store = PostgresStore::connect(settings, environment)
            .map_err(|e| anyhow!("PostgreSQL settings: {e}"))?;
        store
            .migrate()
            .await
            .map_err(|e| anyhow!("migrating the schema of {:?}: {e}", environment.name()))?;
        let sql = connect_sql(settings, environment.schema()).await?;
        Ok(Self {
            store,
            sql,
            environment: environment.clone(),
        })
    }

    pub fn environment(&self) -> &Environment {
        &self.environment
    }

    /// Removes every question (with its choices, votes, voters and idempotency keys) and
    /// restarts the ids.
    pub async fn reset(&self) -> anyhow::Result<()> {
        self.sql
            .batch_execute("TRUNCATE questions RESTART IDENTITY CASCADE")
            .await
            .context("emptying the environment's questions")
    }

    /// Adds what the fixture describes to the current data.
    pub async fn apply(&self, fixture: &Fixture) -> anyhow::Result<()> {
        for &absent in &fixture.absent {
            match self.store.delete_question(question_id(absent)?).await {
                Ok(()) | Err(StoreError::QuestionNotFound) => {}
                Err(e) => return Err(store_error(&e, &format!("removing question {absent}"))),
            }
        }
        for question in &fixture.questions {
            self.create(question).await?;
        }
        self.advance_versions().await
    }

    async fn create(&self, fixture: &QuestionFixture) -> anyhow::Result<()> {
        let id = question_id(fixture.id)?;
        match self.store.get_question(id).await {
            Ok(_) => bail!(
                "question {} exists already (do two states create it?)",
                fixture.id
            ),
            Err(StoreError::QuestionNotFound) => {}
            Err(e) => return Err(store_error(&e, "reading the questions")),
        }
        let new = NewQuestion {
            text: QuestionText::parse(&fixture.text).map_err(|e| anyhow!("question_text: {e}"))?,
            pub_date: PubDate::parse(&fixture.pub_date).map_err(|e| anyhow!("pub_date: {e}"))?,
            choices: ChoiceList::default(),
        };
        self.next_id("questions", fixture.id).await?;
        let created = self
            .store
            .create_question(&new, SystemClock.now())
            .await
            .map_err(|e| store_error(&e, &format!("creating question {}", fixture.id)))?;
        ensure!(
            created.question.id == id,
            "question {} was stored as {}",
            fixture.id,
            created.question.id.get()
        );
        for choice in &fixture.choices {
            self.add_choice(id, choice.id, &choice.text).await?;
        }
        self.cast_votes(id, fixture).await
    }

    async fn add_choice(
        &self,
        question: QuestionId,
        choice: i64,
        text: &str,
    ) -> anyhow::Result<()> {
        let taken = self
            .sql
            .query_opt("SELECT question_id FROM choices WHERE id = $1", &[&choice])
            .await
            .context("reading the choices")?;
        if let Some(row) = taken {
            let owner: i64 = row.try_get(0)?;
            bail!("choice id {choice} is taken already by question {owner}");
        }
        self.next_id("choices", choice).await?;
        let text = ChoiceText::parse(text).map_err(|e| anyhow!("choice_text: {e}"))?;
        let added = self
            .store
            .add_choice(question, &text)
            .await
            .map_err(|e| store_error(&e, &format!("adding choice {choice}")))?;
        ensure!(
            added.id.get() == choice,
            "choice {choice} was stored as {}",
            added.id.get()
        );
        Ok(())
    }

    async fn cast_votes(
        &self,
        question: QuestionId,
        fixture: &QuestionFixture,
    ) -> anyhow::Result<()> {
        for choice in &fixture.choices {
            for _ in 0..choice.votes {
                self.cast(question, choice.id, None, None).await?;
            }
        }
        for (key, choice) in &fixture.keyed_votes {
            let key = IdempotencyKey::parse(key).map_err(|e| anyhow!("idempotency key: {e}"))?;
            self.cast(question, *choice, None, Some(key)).await?;
        }
        for (voter, choice) in &fixture.voters {
            let voter = VoterId::parse(voter).map_err(|e| anyhow!("voter: {e}"))?;
            self.cast(question, *choice, Some(voter), None).await?;
        }
        Ok(())
    }

    async fn cast(
        &self,
        question: QuestionId,
        choice: i64,
        voter_id: Option<VoterId>,
        idempotency_key: Option<IdempotencyKey>,
    ) -> anyhow::Result<()> {
        let choice_id = ChoiceId::new(choice).map_err(|e| anyhow!("choice id {choice}: {e}"))?;
        let request = VoteRequest {
            vote: Vote {
                question_id: question,
                choice_id,
                voter_id,
            },
            idempotency_key,
            idempotency_ttl: IDEMPOTENCY_TTL,
            now: SystemClock.now(),
        };
        self.store
            .cast_vote(&request)
            .await
            .map(drop)
            .map_err(|e| store_error(&e, &format!("voting for choice {choice}")))
    }

    /// Makes `id` the next value of the table's identity.
    async fn next_id(&self, table: &str, id: i64) -> anyhow::Result<()> {
        self.sql
            .execute(
                "SELECT setval(pg_get_serial_sequence($1, 'id'), $2, false)",
                &[&table, &id],
            )
            .await
            .with_context(|| format!("setting the next id of {table} to {id}"))?;
        Ok(())
    }

    /// Moves every question's version to a value no earlier interaction has seen: nanoseconds
    /// since the epoch (versions only grow by one per write, far slower than the clock).
    async fn advance_versions(&self) -> anyhow::Result<()> {
        self.sql
            .execute(
                "UPDATE questions \
                 SET version = (extract(epoch FROM clock_timestamp()) * 1000000000)::bigint + version",
                &[],
            )
            .await
            .context("advancing the questions' versions")?;
        Ok(())
    }
}

fn question_id(id: i64) -> anyhow::Result<QuestionId> {
    QuestionId::new(id).map_err(|e| anyhow!("question id {id}: {e}"))
}

/// A store error with what was being done and the error's cause chain.
fn store_error(error: &StoreError, doing: &str) -> anyhow::Error {
    let mut message = format!("{doing}: {error}");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let _ = write!(message, ": {cause}");
        source = cause.source();
    }
    anyhow!(message)
}

/// A plain SQL session whose `search_path` is the environment's schema, with TLS as the
/// service uses it (none with `sslmode=disable`).
async fn connect_sql(settings: &PostgresSettings, schema: &str) -> anyhow::Result<Client> {
    let mut config: tokio_postgres::Config = settings
        .url
        .parse()
        .map_err(|_| anyhow!("POLL__DATABASE__URL is not a PostgreSQL URL"))?;
    config.connect_timeout(settings.connect_timeout());
    config.application_name("poll-contract-verify");
    // The schema is [a-z0-9_] by construction; quoted all the same.
    let options = format!(
        "{} -c search_path=\"{schema}\"",
        config.get_options().unwrap_or_default()
    );
    config.options(options.trim());
    if config.get_ssl_mode() == SslMode::Disable {
        let (client, connection) = config
            .connect(NoTls)
            .await
            .context("connecting to PostgreSQL")?;
        tokio::spawn(connection);
        Ok(client)
    } else {
        let (client, connection) = config
            .connect(tls(settings.ca_file.as_deref())?)
            .await
            .context("connecting to PostgreSQL")?;
        tokio::spawn(connection);
        Ok(client)
    }
}

fn tls(ca_file: Option<&Path>) -> anyhow::Result<tokio_postgres_rustls::MakeRustlsConnect> {
    let roots = match ca_file {
        Some(path) => {
            use rustls::pki_types::CertificateDer;
            use rustls::pki_types::pem::PemObject as _;
            let mut roots = rustls::RootCertStore::empty();
            for certificate in CertificateDer::pem_file_iter(path)
                .with_context(|| format!("reading the CA file {}", path.display()))?
            {
                roots.add(
                    certificate.with_context(|| format!("a certificate of {}", path.display()))?,
                )?;
            }
            roots
        }
        None => rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        },
    };
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}
