//! Statements prepared once per connection (`prepare_cached`), errors translated to the port's.

use deadpool_postgres::GenericClient;
use poll_ports::StoreError;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use crate::errors::from_db;

/// Statement parameters.
pub(crate) type Params<'a> = [&'a (dyn ToSql + Sync)];

pub(crate) async fn execute<C: GenericClient>(
    client: &C,
    sql: &str,
    params: &Params<'_>,
) -> Result<u64, StoreError> {
    let statement = client.prepare_cached(sql).await.map_err(from_db)?;
    client.execute(&statement, params).await.map_err(from_db)
}

pub(crate) async fn query<C: GenericClient>(
    client: &C,
    sql: &str,
    params: &Params<'_>,
) -> Result<Vec<Row>, StoreError> {
    let statement = client.prepare_cached(sql).await.map_err(from_db)?;
    client.query(&statement, params).await.map_err(from_db)
}

pub(crate) async fn query_one<C: GenericClient>(
    client: &C,
    sql: &str,
    params: &Params<'_>,
) -> Result<Row, StoreError> {
    let statement = client.prepare_cached(sql).await.map_err(from_db)?;
    client.query_one(&statement, params).await.map_err(from_db)
}

pub(crate) async fn query_opt<C: GenericClient>(
    client: &C,
    sql: &str,
    params: &Params<'_>,
) -> Result<Option<Row>, StoreError> {
    let statement = client.prepare_cached(sql).await.map_err(from_db)?;
    client.query_opt(&statement, params).await.map_err(from_db)
}
