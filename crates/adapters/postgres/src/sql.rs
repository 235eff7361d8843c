//! Statements prepared once per connection (`prepare_cached`), errors translated to the port's,
//! each statement (transaction control included) in a span of its own with the attributes of
//! the database client semantic conventions: `db.system.name`, `db.operation.name` and
//! `db.query.text` (the statement with its `$n` placeholders: parameter values are never
//! recorded).

use std::fmt;

use deadpool_postgres::{GenericClient, Object, Transaction};
use poll_ports::StoreError;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;
use tracing::Instrument as _;

use crate::errors::from_db;

/// Statement parameters.
pub(crate) type Params<'a> = [&'a (dyn ToSql + Sync)];

pub(crate) async fn execute<C: GenericClient>(
    client: &C,
    sql: &str,
    params: &Params<'_>,
) -> Result<u64, StoreError> {
    async {
        let statement = client.prepare_cached(sql).await.map_err(from_db)?;
        client.execute(&statement, params).await.map_err(from_db)
    }
    .instrument(span(sql))
    .await
}

pub(crate) async fn query<C: GenericClient>(
    client: &C,
    sql: &str,
    params: &Params<'_>,
) -> Result<Vec<Row>, StoreError> {
    async {
        let statement = client.prepare_cached(sql).await.map_err(from_db)?;
        client.query(&statement, params).await.map_err(from_db)
    }
    .instrument(span(sql))
    .await
}

pub(crate) async fn query_one<C: GenericClient>(
    client: &C,
    sql: &str,
    params: &Params<'_>,
) -> Result<Row, StoreError> {
    async {
        let statement = client.prepare_cached(sql).await.map_err(from_db)?;
        client.query_one(&statement, params).await.map_err(from_db)
    }
    .instrument(span(sql))
    .await
}

pub(crate) async fn query_opt<C: GenericClient>(
    client: &C,
    sql: &str,
    params: &Params<'_>,
) -> Result<Option<Row>, StoreError> {
    async {
        let statement = client.prepare_cached(sql).await.map_err(from_db)?;
        client.query_opt(&statement, params).await.map_err(from_db)
    }
    .instrument(span(sql))
    .await
}

/// `BEGIN`, in its span.
pub(crate) async fn begin(client: &mut Object) -> Result<Transaction<'_>, StoreError> {
    client
        .transaction()
        .instrument(span("BEGIN"))
        .await
        .map_err(from_db)
}

/// `COMMIT`, in its span.
pub(crate) async fn commit(tx: Transaction<'_>) -> Result<(), StoreError> {
    tx.commit()
        .instrument(span("COMMIT"))
        .await
        .map_err(from_db)
}

/// The span of one statement, named by its summary (`SELECT questions`, `COMMIT`).
pub(crate) fn span(sql: &str) -> tracing::Span {
    tracing::info_span!(
        "db.query",
        otel.name = %Summary(sql),
        otel.kind = "client",
        db.system.name = "postgresql",
        db.operation.name = operation(sql),
        db.query.text = sql,
    )
}

/// The statement's first keyword: `SELECT`, `INSERT`, `UPDATE`, `DELETE`, `BEGIN`...
fn operation(sql: &str) -> &str {
    sql.split_whitespace().next().unwrap_or_default()
}

/// The table a statement is about: after `INTO` (INSERT), `UPDATE`, or `FROM`.
fn target(sql: &str) -> Option<&str> {
    let mut words = sql.split_whitespace();
    let operation = words.next()?;
    if operation.eq_ignore_ascii_case("UPDATE") {
        return words.next();
    }
    let marker = if operation.eq_ignore_ascii_case("INSERT") {
        "INTO"
    } else {
        "FROM"
    };
    words.skip_while(|w| !w.eq_ignore_ascii_case(marker)).nth(1)
}

/// `{operation} {table}` (low cardinality: never a value), or the operation alone.
struct Summary<'a>(&'a str);

impl fmt::Display for Summary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(operation(self.0))?;
        match target(self.0) {
            Some(table) => write!(f, " {table}"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_are_summarised_by_operation_and_table() {
        let cases = [
            ("SELECT id FROM questions WHERE id > $1", "SELECT questions"),
            (
                "INSERT INTO choices (question_id, choice_text) VALUES ($1, $2)",
                "INSERT choices",
            ),
            (
                "UPDATE questions SET version = version + 1 WHERE id = $1",
                "UPDATE questions",
            ),
            (
                "DELETE FROM idempotency_keys WHERE created_at < $1",
                "DELETE idempotency_keys",
            ),
            ("SELECT pg_try_advisory_xact_lock($1)", "SELECT"),
            ("COMMIT", "COMMIT"),
        ];
        for (sql, summary) in cases {
            assert_eq!(Summary(sql).to_string(), summary, "{sql}");
        }
    }
}
