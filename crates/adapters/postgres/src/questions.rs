//! Questions: create, list, read, update, delete.

use poll_domain::{
    NewQuestion, PubDate, Question, QuestionDetail, QuestionId, QuestionPatch, QuestionText,
    Timestamp,
};
use poll_ports::StoreError;

use crate::errors::corrupt;
use crate::pool::Db;
use crate::rows;
use crate::sql;

const INSERT_QUESTION: &str =
    "INSERT INTO questions (question_text, pub_date, created_at) VALUES ($1, $2, $3)
     RETURNING id, question_text, pub_date, created_at, version";
const INSERT_CHOICE: &str = "INSERT INTO choices (question_id, choice_text) VALUES ($1, $2)
     RETURNING id, question_id, choice_text, votes";
const LIST: &str = "SELECT id, question_text, pub_date, created_at FROM questions
     WHERE id > $1 ORDER BY id LIMIT $2";
/// The question and its choices in one statement, hence from one snapshot: the version always
/// matches the choices and votes read with it.
const DETAIL: &str = "SELECT q.id, q.question_text, q.pub_date, q.created_at, q.version,
            c.id AS c_id, c.choice_text, c.votes
       FROM questions q LEFT JOIN choices c ON c.question_id = q.id
      WHERE q.id = $1
      ORDER BY c.id";
const VERSION: &str = "SELECT version FROM questions WHERE id = $1";
/// Also locks the question row: no choice or vote of it can change until commit, so the choices
/// read next in the same transaction match the version returned.
const UPDATE: &str = "UPDATE questions
        SET question_text = COALESCE($2, question_text),
            pub_date = COALESCE($3, pub_date),
            version = version + 1
      WHERE id = $1
  RETURNING id, question_text, pub_date, created_at, version";
const CHOICES: &str =
    "SELECT id, question_id, choice_text, votes FROM choices WHERE question_id = $1 ORDER BY id";
/// Choices, voters and idempotency keys go with it (`ON DELETE CASCADE`).
const DELETE: &str = "DELETE FROM questions WHERE id = $1";

pub(crate) async fn create(
    db: &Db,
    new: &NewQuestion,
    created_at: Timestamp,
) -> Result<QuestionDetail, StoreError> {
    let mut client = db.conn().await?;
    let tx = sql::begin(&mut client).await?;
    let row = sql::query_one(
        &tx,
        INSERT_QUESTION,
        &[&new.text.as_str(), &new.pub_date.date(), &created_at],
    )
    .await?;
    let question = rows::question(&row)?;
    let version: i64 = row.try_get("version").map_err(corrupt)?;
    // One statement per choice, in order, so that ids follow the order given.
    let mut choices = Vec::with_capacity(new.choices.len());
    for text in new.choices.as_slice() {
        let row = sql::query_one(&tx, INSERT_CHOICE, &[&question.id.get(), &text.as_str()]).await?;
        choices.push(rows::choice(&row)?);
    }
    sql::commit(tx).await?;
    Ok(QuestionDetail {
        question,
        choices,
        version,
    })
}

pub(crate) async fn list(
    db: &Db,
    after: Option<QuestionId>,
    limit: u32,
) -> Result<Vec<Question>, StoreError> {
    let client = db.conn().await?;
    let after = after.map_or(0, QuestionId::get);
    let found = sql::query(&client, LIST, &[&after, &i64::from(limit)]).await?;
    found.iter().map(rows::question).collect()
}

pub(crate) async fn get(db: &Db, id: QuestionId) -> Result<QuestionDetail, StoreError> {
    let client = db.conn().await?;
    let found = sql::query(&client, DETAIL, &[&id.get()]).await?;
    let first = found.first().ok_or(StoreError::QuestionNotFound)?;
    let question = rows::question(first)?;
    let version: i64 = first.try_get("version").map_err(corrupt)?;
    let mut choices = Vec::with_capacity(found.len());
    for row in &found {
        choices.extend(rows::joined_choice(row, question.id)?);
    }
    Ok(QuestionDetail {
        question,
        choices,
        version,
    })
}

pub(crate) async fn version(db: &Db, id: QuestionId) -> Result<i64, StoreError> {
    let client = db.conn().await?;
    let row = sql::query_opt(&client, VERSION, &[&id.get()]).await?;
    row.ok_or(StoreError::QuestionNotFound)?
        .try_get(0)
        .map_err(corrupt)
}

pub(crate) async fn update(
    db: &Db,
    id: QuestionId,
    patch: &QuestionPatch,
) -> Result<QuestionDetail, StoreError> {
    let mut client = db.conn().await?;
    let tx = sql::begin(&mut client).await?;
    let text = patch.text().map(QuestionText::as_str);
    let pub_date = patch.pub_date().map(PubDate::date);
    let row = sql::query_opt(&tx, UPDATE, &[&id.get(), &text, &pub_date])
        .await?
        .ok_or(StoreError::QuestionNotFound)?;
    let question = rows::question(&row)?;
    let version: i64 = row.try_get("version").map_err(corrupt)?;
    let choices = rows::choices(&sql::query(&tx, CHOICES, &[&id.get()]).await?)?;
    sql::commit(tx).await?;
    Ok(QuestionDetail {
        question,
        choices,
        version,
    })
}

pub(crate) async fn delete(db: &Db, id: QuestionId) -> Result<(), StoreError> {
    let client = db.conn().await?;
    match sql::execute(&client, DELETE, &[&id.get()]).await? {
        0 => Err(StoreError::QuestionNotFound),
        _ => Ok(()),
    }
}
