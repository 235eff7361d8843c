//! The poll API binary's library: settings, telemetry, the composition root and the CLI.
//!
//! `main` only calls [`cli::main`]; tests drive [`Application`] directly (bind port 0, read the
//! port, run until a shutdown future completes).
#![forbid(unsafe_code)]

mod build_info;
pub mod cli;
mod error;
mod metrics;
pub mod settings;
mod startup;
pub mod telemetry;

pub use build_info::build_info;
pub use error::ServerError;
pub use settings::{LogFormat, MetricsSettings, Secret, Settings, StoreKind};
pub use startup::{Application, shutdown_signal};
pub use telemetry::Telemetry;
