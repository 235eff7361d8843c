//! Votes: counted exactly once, with voter dedupe and idempotency keys, in one transaction.

use deadpool_postgres::Transaction;
use poll_domain::{ChoiceId, IdempotencyKey, Timestamp, Vote, VoteOutcome, VoterId};
use poll_ports::{StoreError, VoteRequest};

use crate::errors::corrupt;
use crate::migrations::lock_key;
use crate::pool::Db;
use crate::sql;

const TRY_LOCK: &str = "SELECT pg_try_advisory_xact_lock($1)";
const FIND_KEY: &str = "SELECT choice_id, voter_id, created_at FROM idempotency_keys
      WHERE question_id = $1 AND key = $2";
const FORGET_KEY: &str = "DELETE FROM idempotency_keys WHERE question_id = $1 AND key = $2";
/// Locks the question row (every writer of a question takes it first) and proves it exists.
const BUMP_VERSION: &str = "UPDATE questions SET version = version + 1 WHERE id = $1";
const COUNT_VOTE: &str = "UPDATE choices SET votes = votes + 1 WHERE id = $1 AND question_id = $2";
/// `voters_question_voter_unique` turns a second vote into `DuplicateVoter`.
const INSERT_VOTER: &str =
    "INSERT INTO voters (question_id, voter_id, voted_at) VALUES ($1, $2, $3)";
const INSERT_KEY: &str =
    "INSERT INTO idempotency_keys (question_id, key, choice_id, voter_id, created_at)
     VALUES ($1, $2, $3, $4, $5)";
const PURGE_KEYS: &str = "DELETE FROM idempotency_keys WHERE created_at < $1";

/// Counts a vote. Every step runs in one transaction, so any error leaves nothing behind: no
/// count, no voter, no key.
///
/// Locks are always taken in the same order (the key's advisory lock, then the question row),
/// the order every other writer of a question follows, so concurrent writers queue and never
/// deadlock.
pub(crate) async fn cast(
    db: &Db,
    schema: &str,
    request: &VoteRequest,
) -> Result<VoteOutcome, StoreError> {
    let mut client = db.conn().await?;
    let tx = sql::begin(&mut client).await?;
    if let Some(key) = &request.idempotency_key {
        lock_key_of(&tx, schema, request, key).await?;
        if let Some(receipt) = remembered(&tx, request, key).await? {
            return Ok(VoteOutcome {
                receipt,
                replayed: true,
            });
        }
    }
    count(&tx, request).await?;
    sql::commit(tx).await?;
    Ok(VoteOutcome {
        receipt: request.vote.clone(),
        replayed: false,
    })
}

/// Takes the key's transaction-level advisory lock, or fails with `IdempotencyInFlight` when
/// another transaction holds it (the first request with this key is being counted).
async fn lock_key_of(
    tx: &Transaction<'_>,
    schema: &str,
    request: &VoteRequest,
    key: &IdempotencyKey,
) -> Result<(), StoreError> {
    let question = request.vote.question_id.get().to_be_bytes();
    let lock = lock_key(&[
        b"poll-api/vote",
        schema.as_bytes(),
        &question,
        key.as_str().as_bytes(),
    ]);
    let locked: bool = sql::query_one(tx, TRY_LOCK, &[&lock])
        .await?
        .try_get(0)
        .map_err(corrupt)?;
    if locked {
        Ok(())
    } else {
        Err(StoreError::IdempotencyInFlight)
    }
}

/// The receipt of the vote first made with this key, when it is still within the TTL and was the
/// same vote; `IdempotencyConflict` when it was another one. An expired key is deleted (in this
/// transaction) and treated as new.
async fn remembered(
    tx: &Transaction<'_>,
    request: &VoteRequest,
    key: &IdempotencyKey,
) -> Result<Option<Vote>, StoreError> {
    let vote = &request.vote;
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 2] =
        [&vote.question_id.get(), &key.as_str()];
    let Some(row) = sql::query_opt(tx, FIND_KEY, &params).await? else {
        return Ok(None);
    };
    let created_at: Timestamp = row.try_get("created_at").map_err(corrupt)?;
    let expired = time::Duration::try_from(request.idempotency_ttl)
        .ok()
        .and_then(|ttl| request.now.checked_sub(ttl))
        .is_some_and(|cutoff| created_at <= cutoff);
    if expired {
        sql::execute(tx, FORGET_KEY, &params).await?;
        return Ok(None);
    }
    let choice_id = ChoiceId::new(row.try_get("choice_id").map_err(corrupt)?).map_err(corrupt)?;
    let voter_id: Option<&str> = row.try_get("voter_id").map_err(corrupt)?;
    if choice_id == vote.choice_id && voter_id == vote.voter_id.as_ref().map(VoterId::as_str) {
        Ok(Some(vote.clone()))
    } else {
        Err(StoreError::IdempotencyConflict)
    }
}

/// Counts the vote, records its voter and key; the caller commits.
async fn count(tx: &Transaction<'_>, request: &VoteRequest) -> Result<(), StoreError> {
    let vote = &request.vote;
    let (question, choice) = (vote.question_id.get(), vote.choice_id.get());
    if sql::execute(tx, BUMP_VERSION, &[&question]).await? == 0 {
        return Err(StoreError::QuestionNotFound);
    }
    if sql::execute(tx, COUNT_VOTE, &[&choice, &question]).await? == 0 {
        return Err(StoreError::ChoiceNotOfQuestion);
    }
    let voter = vote.voter_id.as_ref().map(VoterId::as_str);
    if let Some(voter) = voter {
        sql::execute(tx, INSERT_VOTER, &[&question, &voter, &request.now]).await?;
    }
    if let Some(key) = &request.idempotency_key {
        sql::execute(
            tx,
            INSERT_KEY,
            &[&question, &key.as_str(), &choice, &voter, &request.now],
        )
        .await?;
    }
    Ok(())
}

/// Deletes the keys first used before `cutoff`.
pub(crate) async fn purge_keys(db: &Db, cutoff: Timestamp) -> Result<u64, StoreError> {
    let client = db.conn().await?;
    sql::execute(&client, PURGE_KEYS, &[&cutoff]).await
}
