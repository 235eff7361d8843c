//! `poll-contract-verify`: verifies a running poll-api environment against the consumers' pacts.
//!
//! ```text
//! PACT_BASE_URL=https://uat.poll-api.internal POLL__ENVIRONMENT=uat POLL__DATABASE__URL=... \
//!   poll-contract-verify [BASE_URL]
//! ```
//!
//! Exit status: 0 when every interaction passed, 1 when verification failed, 2 when it could not
//! run. Provider states replace the environment's questions, choices and votes.
#![forbid(unsafe_code)]

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, anyhow};
use poll_contract_verify::{ProviderData, ProviderStates, config, run};

const USAGE: &str = "\
Usage: poll-contract-verify [BASE_URL]

Verifies the poll-api service at BASE_URL (default: $PACT_BASE_URL, then $BASE_URL) against
every pact of PACT_DIR and, when PACT_BROKER_BASE_URL is set, the Pact Broker's pacts.
Provider states are written straight into the environment's data: they REPLACE its questions.

Environment:
  POLL__DATABASE__URL     the environment's PostgreSQL (as the service reads it; required)
  POLL__DATABASE__CA_FILE CA bundle for TLS to PostgreSQL (optional)
  POLL__ENVIRONMENT       the environment's name, i.e. its schema (required; prod refused)
  POLL__AUTH__TOKENS      the service's bearer tokens, when auth is on (the first is used)
  PACT_DIR                folder of pact files, default contracts/pacts
  PACT_BROKER_BASE_URL    Pact Broker to fetch pacts from and publish results to
  PACT_BROKER_TOKEN       its bearer token (or PACT_BROKER_USERNAME and PACT_BROKER_PASSWORD)
  PACT_PROVIDER_VERSION   version results are published under (default: ci/version.sh)
  PACT_PROVIDER_BRANCH    branch results are published under (default: ci/version.sh --branch)
  PACT_PUBLISH_VERIFICATION_RESULTS  false to fetch from the broker without publishing
  PACT_CONSUMER_VERSION_SELECTORS    JSON array of consumer version selectors

Exit status: 0 passed, 1 verification failed, 2 could not verify.
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        let _ = std::io::stdout().write_all(USAGE.as_bytes());
        return ExitCode::SUCCESS;
    }
    if args.len() > 1 {
        eprint!("{USAGE}");
        return ExitCode::from(2);
    }
    poll_contract_verify::install_crypto_provider();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("poll-contract-verify: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(verify(args.into_iter().next())) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("poll-contract-verify: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn verify(base_url: Option<String>) -> anyhow::Result<bool> {
    let base_url = base_url
        .or_else(|| std::env::var("PACT_BASE_URL").ok())
        .or_else(|| std::env::var("BASE_URL").ok())
        .filter(|u| !u.trim().is_empty())
        .ok_or_else(|| anyhow!("no base URL: pass BASE_URL or set PACT_BASE_URL"))?;
    let verification = config::verification(base_url.trim())?;
    let environment = config::environment()?;
    let data = ProviderData::connect(&config::database()?, &environment)
        .await
        .context("reaching the environment's data")?;
    eprintln!(
        "verifying {} (environment {:?}) against {}",
        verification.base_url,
        environment.name(),
        verification
            .pact_dir
            .as_ref()
            .map_or_else(|| "the Pact Broker".to_owned(), |d| d.display().to_string())
    );
    let states = Arc::new(ProviderStates::new(data).await?);
    let report = run(&verification, Arc::clone(&states)).await?;
    // Leave no fixture behind.
    if let Err(e) = states.data().reset().await {
        eprintln!("warning: could not empty the environment's data after verifying: {e:#}");
    }
    // The verifier has printed each interaction and the failures already.
    writeln!(std::io::stdout().lock(), "{}", report.summary())?;
    Ok(report.passed)
}
