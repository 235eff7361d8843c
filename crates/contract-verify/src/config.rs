//! Settings from the process environment, shared by the binary and the tests.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, anyhow, bail};
use pact_models::http_utils::HttpAuth;
use poll_domain::Environment;
use poll_postgres::PostgresSettings;
use reqwest::Url;

use crate::verify::{Broker, Verification};

/// Reads a setting: the process environment, or a map in tests. Blank values count as unset.
type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

fn var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// `POLL__DATABASE__URL` (required) and `POLL__DATABASE__CA_FILE`, as the service reads them.
///
/// # Errors
/// When `POLL__DATABASE__URL` is not set.
pub fn database() -> anyhow::Result<PostgresSettings> {
    let url = var("POLL__DATABASE__URL").ok_or_else(|| {
        anyhow!(
            "POLL__DATABASE__URL is not set: provider states are written to the environment's \
             PostgreSQL schema, so the verifier needs the service's database URL"
        )
    })?;
    let mut settings = PostgresSettings::new(url);
    settings.ca_file = var("POLL__DATABASE__CA_FILE").map(PathBuf::from);
    Ok(settings)
}

/// `POLL__ENVIRONMENT` (or `POLL_ENVIRONMENT`), required; production names are refused, since
/// provider states replace the environment's data.
pub fn environment() -> anyhow::Result<Environment> {
    let name = var("POLL__ENVIRONMENT")
        .or_else(|| var("POLL_ENVIRONMENT"))
        .ok_or_else(|| anyhow!("POLL__ENVIRONMENT is not set: name the environment whose data the provider states replace"))?;
    if matches!(name.to_ascii_lowercase().as_str(), "prod" | "production") {
        bail!("refusing to verify {name:?}: provider states replace an environment's data");
    }
    Environment::new(&name).map_err(|e| anyhow!("POLL__ENVIRONMENT: {e}"))
}

/// The first of `POLL__AUTH__TOKENS` (comma-separated), for a service with auth on.
pub fn bearer_token() -> Option<String> {
    var("POLL__AUTH__TOKENS").and_then(|tokens| first_token(&tokens))
}

/// The verification of the service at `base_url`: the pacts of `PACT_DIR` (default
/// `contracts/pacts`), those of the Pact Broker at `PACT_BROKER_BASE_URL` when set.
pub fn verification(base_url: &str) -> anyhow::Result<Verification> {
    verification_from(base_url, &var)
}

fn verification_from(base_url: &str, var: Lookup<'_>) -> anyhow::Result<Verification> {
    let base_url = Url::parse(base_url).with_context(|| format!("base URL {base_url:?}"))?;
    let broker = broker(var)?;
    let dir = PathBuf::from(var("PACT_DIR").unwrap_or_else(|| "contracts/pacts".to_owned()));
    let pact_dir = if dir.is_dir() {
        Some(dir)
    } else if broker.is_some() && var("PACT_DIR").is_none() {
        None
    } else {
        bail!(
            "the pact folder {} does not exist (PACT_DIR)",
            dir.display()
        );
    };
    let bearer_token = var("POLL__AUTH__TOKENS").and_then(|tokens| first_token(&tokens));
    Ok(Verification {
        base_url,
        pact_dir,
        broker,
        bearer_token,
    })
}

fn first_token(tokens: &str) -> Option<String> {
    tokens
        .split(',')
        .map(str::trim)
        .find(|t| !t.is_empty())
        .map(str::to_owned)
}

/// `PACT_BROKER_BASE_URL` with `PACT_BROKER_TOKEN` (or `PACT_BROKER_USERNAME` and
/// `PACT_BROKER_PASSWORD`), `PACT_PROVIDER_VERSION` and `PACT_PROVIDER_BRANCH` (default: what
/// `ci/version.sh` says), `PACT_PUBLISH_VERIFICATION_RESULTS` (default true) and
/// `PACT_CONSUMER_VERSION_SELECTORS` (a JSON array; default main branch, deployed or released,
/// matching branch).
fn broker(var: Lookup<'_>) -> anyhow::Result<Option<Broker>> {
    let Some(url) = var("PACT_BROKER_BASE_URL") else {
        return Ok(None);
    };
    let auth = match (var("PACT_BROKER_TOKEN"), var("PACT_BROKER_USERNAME")) {
        (Some(token), _) => Some(HttpAuth::Token(token)),
        (None, Some(user)) => Some(HttpAuth::User(user, var("PACT_BROKER_PASSWORD"))),
        (None, None) => None,
    };
    let publish = var("PACT_PUBLISH_VERIFICATION_RESULTS")
        .is_none_or(|v| !matches!(v.to_ascii_lowercase().as_str(), "false" | "0" | "no"));
    let provider_version = match var("PACT_PROVIDER_VERSION") {
        Some(version) => Some(version),
        None => version_sh(&[]),
    };
    if publish && provider_version.is_none() {
        bail!(
            "publishing results needs the provider version: set PACT_PROVIDER_VERSION or run where ci/version.sh is"
        );
    }
    let selectors = match var("PACT_CONSUMER_VERSION_SELECTORS") {
        Some(json) => {
            let values: Vec<serde_json::Value> = serde_json::from_str(&json)
                .context("PACT_CONSUMER_VERSION_SELECTORS must be a JSON array of selectors")?;
            pact_verifier::selectors::json_to_selectors(values)
        }
        None => Broker::default_selectors(),
    };
    Ok(Some(Broker {
        url,
        auth,
        provider_version,
        provider_branch: var("PACT_PROVIDER_BRANCH").or_else(|| version_sh(&["--branch"])),
        publish,
        selectors,
    }))
}

/// The output of `ci/version.sh ARGS`, found in the current folder or one above it.
fn version_sh(args: &[&str]) -> Option<String> {
    let cwd = std::env::current_dir().ok()?;
    let script = cwd
        .ancestors()
        .map(|dir| dir.join("ci/version.sh"))
        .find(|path| path.is_file())?;
    let root = script.parent().and_then(Path::parent)?;
    let output = Command::new("bash")
        .arg(&script)
        .args(args)
        .current_dir(root)
        .output()
        .ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let text = text.trim();
    (output.status.success() && !text.is_empty()).then(|| text.to_owned())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned().filter(|v| !v.is_empty())
    }

    fn pacts() -> String {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../contracts/pacts").to_owned()
    }

    #[test]
    fn a_folder_alone_needs_no_broker() {
        let dir = pacts();
        let v = verification_from(
            "http://127.0.0.1:8080",
            &lookup(&[("PACT_DIR", &dir), ("POLL__AUTH__TOKENS", " ,t1,t2")]),
        )
        .unwrap();
        assert!(v.pact_dir.is_some() && v.broker.is_none());
        assert_eq!(v.bearer_token.as_deref(), Some("t1"));
        let missing = verification_from("http://x", &lookup(&[("PACT_DIR", "/nonexistent")]));
        assert!(missing.unwrap_err().to_string().contains("does not exist"));
    }

    #[test]
    fn the_broker_is_read_with_its_defaults() {
        let dir = pacts();
        let v = verification_from(
            "http://127.0.0.1:8080",
            &lookup(&[
                ("PACT_DIR", &dir),
                ("PACT_BROKER_BASE_URL", "https://broker.internal"),
                ("PACT_BROKER_TOKEN", "s3cret"),
                ("PACT_PROVIDER_VERSION", "main-abc1234"),
                ("PACT_PROVIDER_BRANCH", "main"),
            ]),
        )
        .unwrap();
        let broker = v.broker.expect("a broker");
        assert!(broker.publish);
        assert!(matches!(broker.auth, Some(HttpAuth::Token(ref t)) if t == "s3cret"));
        assert_eq!(broker.provider_version.as_deref(), Some("main-abc1234"));
        assert_eq!(broker.selectors.len(), 3);

        let custom = broker_from_pairs(&[
            ("PACT_BROKER_BASE_URL", "https://broker.internal"),
            ("PACT_BROKER_USERNAME", "ci"),
            ("PACT_BROKER_PASSWORD", "pw"),
            ("PACT_PUBLISH_VERIFICATION_RESULTS", "false"),
            ("PACT_PROVIDER_BRANCH", "main"),
            ("PACT_CONSUMER_VERSION_SELECTORS", r#"[{"branch": "main"}]"#),
        ]);
        assert!(!custom.publish);
        assert!(
            matches!(custom.auth, Some(HttpAuth::User(ref u, Some(ref p))) if u == "ci" && p == "pw")
        );
        assert_eq!(custom.selectors.len(), 1);
        assert_eq!(custom.selectors[0].branch.as_deref(), Some("main"));
    }

    fn broker_from_pairs(pairs: &[(&str, &str)]) -> Broker {
        broker(&lookup(pairs)).unwrap().expect("a broker")
    }

    #[test]
    fn bad_selectors_are_refused() {
        let error = broker(&lookup(&[
            ("PACT_BROKER_BASE_URL", "https://broker.internal"),
            ("PACT_PUBLISH_VERIFICATION_RESULTS", "false"),
            ("PACT_PROVIDER_BRANCH", "main"),
            ("PACT_CONSUMER_VERSION_SELECTORS", "main"),
        ]))
        .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("PACT_CONSUMER_VERSION_SELECTORS")
        );
    }
}
