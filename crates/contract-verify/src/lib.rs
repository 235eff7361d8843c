//! Pact provider verification of poll-api.
//!
//! Every pact in `contracts/pacts/` (whatever language wrote it) and, when configured, every
//! pact the Pact Broker selects, is replayed against a running service; provider states are
//! set through the store's port on the environment's own data (never through an HTTP back
//! door). The same code serves the cargo tests (a fresh service on a loopback port with a fresh
//! environment) and CI agents (`poll-contract-verify` against a deployed environment).
//!
//! ```no_run
//! use std::sync::Arc;
//! use poll_contract_verify::{ProviderData, ProviderStates, config, run};
//!
//! # async fn example() -> anyhow::Result<bool> {
//! let data = ProviderData::connect(&config::database()?, &config::environment()?).await?;
//! let states = Arc::new(ProviderStates::new(data).await?);
//! let report = run(&config::verification("http://127.0.0.1:8080")?, states).await?;
//! eprintln!("{}", report.summary());
//! Ok(report.passed)
//! # }
//! ```
#![forbid(unsafe_code)]

pub mod config;
mod data;
mod executor;
pub mod states;
mod verify;

pub use data::ProviderData;

/// Installs rustls' ring crypto provider as the process default, unless one is installed.
///
/// The pact crates turn on reqwest's `rustls-no-provider`: building any reqwest client before a
/// provider is installed panics. Call it first thing (the verifier itself installs the same
/// provider, but only when it builds its own client).
pub fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}
pub use executor::ProviderStates;
pub use verify::{Broker, PROVIDER, Report, Verification, pact_files, run};
