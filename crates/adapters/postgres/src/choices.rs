//! Choices: add one, read one.

use poll_domain::{Choice, ChoiceId, ChoiceText, MAX_CHOICES, QuestionId};
use poll_ports::StoreError;

use crate::errors::corrupt;
use crate::pool::Db;
use crate::rows;
use crate::sql;

const LOCK_QUESTION: &str = "SELECT 1 FROM questions WHERE id = $1 FOR UPDATE";
const COUNT: &str = "SELECT count(*) FROM choices WHERE question_id = $1";
const INSERT: &str = "INSERT INTO choices (question_id, choice_text) VALUES ($1, $2)
     RETURNING id, question_id, choice_text, votes";
const BUMP_VERSION: &str = "UPDATE questions SET version = version + 1 WHERE id = $1";
/// One row when the question exists, with the choice's columns NULL when it has no such choice.
const GET: &str = "SELECT q.id, c.id AS c_id, c.choice_text, c.votes
       FROM questions q LEFT JOIN choices c ON c.question_id = q.id AND c.id = $2
      WHERE q.id = $1";

/// Adds a choice under the question's row lock, so that concurrent calls see each other's
/// choices: the count check holds (never a 21st), and the unique constraint
/// `choices_question_text_unique` turns a duplicate text into `DuplicateChoice`.
pub(crate) async fn add(
    db: &Db,
    question: QuestionId,
    text: &ChoiceText,
) -> Result<Choice, StoreError> {
    let mut client = db.conn().await?;
    let tx = sql::begin(&mut client).await?;
    let id = question.get();
    if sql::query_opt(&tx, LOCK_QUESTION, &[&id]).await?.is_none() {
        return Err(StoreError::QuestionNotFound);
    }
    let existing: i64 = sql::query_one(&tx, COUNT, &[&id])
        .await?
        .try_get(0)
        .map_err(corrupt)?;
    if usize::try_from(existing).map_or(true, |n| n >= MAX_CHOICES) {
        return Err(StoreError::TooManyChoices);
    }
    let choice = rows::choice(&sql::query_one(&tx, INSERT, &[&id, &text.as_str()]).await?)?;
    sql::execute(&tx, BUMP_VERSION, &[&id]).await?;
    sql::commit(tx).await?;
    Ok(choice)
}

pub(crate) async fn get(
    db: &Db,
    question: QuestionId,
    choice: ChoiceId,
) -> Result<Choice, StoreError> {
    let client = db.conn().await?;
    let row = sql::query_opt(&client, GET, &[&question.get(), &choice.get()])
        .await?
        .ok_or(StoreError::QuestionNotFound)?;
    rows::joined_choice(&row, question)?.ok_or(StoreError::ChoiceNotFound)
}
