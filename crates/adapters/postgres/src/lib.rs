//! The poll store on PostgreSQL: tokio-postgres behind a deadpool pool, one schema per
//! environment, migrations embedded in the binary.
//!
//! - [`PostgresStore`] implements [`poll_ports::PollStore`] for one [`poll_domain::Environment`]:
//!   every pooled connection's `search_path` is that environment's schema.
//! - [`PostgresAdmin`] creates, drops and lists environments (`poll-api env ...`).
//! - [`PostgresSettings`] is the `database` configuration section.
//!
//! Driver errors are translated at this seam: named constraints become the port's variants
//! (`DuplicateChoice`, `DuplicateVoter`, ...), connection trouble and timeouts become
//! `Unavailable`, anything else `Unexpected`.
#![forbid(unsafe_code)]

mod choices;
mod environments;
mod errors;
mod migrations;
mod pool;
mod questions;
mod rows;
mod settings;
mod sql;
mod store;
mod tls;
mod votes;

pub use environments::{EnvironmentEntry, PostgresAdmin};
pub use errors::PostgresError;
pub use pool::PoolStatus;
pub use settings::PostgresSettings;
pub use store::PostgresStore;
