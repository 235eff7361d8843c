//! Rows read back from the database, turned into domain values.
//!
//! The stored values were validated on the way in; one that no longer passes the domain's rules
//! is a broken invariant (`StoreError::Unexpected`), never silently passed on.

use poll_domain::{
    Choice, ChoiceId, ChoiceText, PubDate, Question, QuestionId, QuestionText, Timestamp,
};
use poll_ports::StoreError;
use tokio_postgres::Row;

use crate::errors::corrupt;

/// Reads `id, question_text, pub_date, created_at`.
pub(crate) fn question(row: &Row) -> Result<Question, StoreError> {
    let id: i64 = row.try_get("id").map_err(corrupt)?;
    let text: &str = row.try_get("question_text").map_err(corrupt)?;
    let pub_date: time::Date = row.try_get("pub_date").map_err(corrupt)?;
    let created_at: Timestamp = row.try_get("created_at").map_err(corrupt)?;
    Ok(Question {
        id: QuestionId::new(id).map_err(corrupt)?,
        text: QuestionText::parse(text).map_err(corrupt)?,
        pub_date: PubDate::from_date(pub_date).map_err(corrupt)?,
        created_at,
    })
}

/// Reads `id, question_id, choice_text, votes`.
pub(crate) fn choice(row: &Row) -> Result<Choice, StoreError> {
    let id: i64 = row.try_get("id").map_err(corrupt)?;
    let question_id: i64 = row.try_get("question_id").map_err(corrupt)?;
    let text: &str = row.try_get("choice_text").map_err(corrupt)?;
    Ok(Choice {
        id: ChoiceId::new(id).map_err(corrupt)?,
        question_id: QuestionId::new(question_id).map_err(corrupt)?,
        text: ChoiceText::parse(text).map_err(corrupt)?,
        votes: row.try_get("votes").map_err(corrupt)?,
    })
}

pub(crate) fn choices(rows: &[Row]) -> Result<Vec<Choice>, StoreError> {
    rows.iter().map(choice).collect()
}

/// A choice from a row of `questions LEFT JOIN choices` (`c_id`, `choice_text`, `votes`), or
/// `None` when the question had no choice to join.
pub(crate) fn joined_choice(
    row: &Row,
    question_id: QuestionId,
) -> Result<Option<Choice>, StoreError> {
    let Some(id) = row.try_get::<_, Option<i64>>("c_id").map_err(corrupt)? else {
        return Ok(None);
    };
    let text: &str = row.try_get("choice_text").map_err(corrupt)?;
    Ok(Some(Choice {
        id: ChoiceId::new(id).map_err(corrupt)?,
        question_id,
        text: ChoiceText::parse(text).map_err(corrupt)?,
        votes: row.try_get("votes").map_err(corrupt)?,
    }))
}
