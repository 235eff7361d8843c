//! One verification run: which pacts, against which base URL, with what result.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, bail};
use pact_models::http_utils::HttpAuth;
use pact_verifier::callback_executors::NullRequestFilterExecutor;
use pact_verifier::{
    ConsumerVersionSelector, FilterInfo, PactSource, ProviderInfo, ProviderTransport,
    PublishOptions, VerificationOptions, verify_provider_async,
};
use reqwest::Url;

use crate::executor::ProviderStates;

/// The provider name every pact for this service must carry.
pub const PROVIDER: &str = "poll-api";

/// Where pacts come from besides the folder, and where results go.
#[derive(Clone)]
pub struct Broker {
    pub url: String,
    pub auth: Option<HttpAuth>,
    /// The version results are published under (`ci/version.sh`).
    pub provider_version: Option<String>,
    pub provider_branch: Option<String>,
    pub publish: bool,
    pub selectors: Vec<ConsumerVersionSelector>,
}

impl fmt::Debug for Broker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Broker")
            .field("url", &self.url)
            .field("auth", &self.auth.as_ref().map(|_| "[redacted]"))
            .field("provider_version", &self.provider_version)
            .field("provider_branch", &self.provider_branch)
            .field("publish", &self.publish)
            .field("selectors", &self.selectors)
            .finish()
    }
}

impl Broker {
    /// The selectors used when none are configured: each consumer's main branch, what is
    /// deployed or released, and the consumers' branch named like the provider's.
    pub fn default_selectors() -> Vec<ConsumerVersionSelector> {
        pact_verifier::selectors::json_to_selectors(vec![
            serde_json::json!({"mainBranch": true}),
            serde_json::json!({"deployedOrReleased": true}),
            serde_json::json!({"matchingBranch": true}),
        ])
    }
}

/// A verification to run.
#[derive(Clone)]
pub struct Verification {
    /// The service's base URL.
    pub base_url: Url,
    /// A folder whose every `*.json` file (subfolders included) is a pact to verify.
    pub pact_dir: Option<PathBuf>,
    pub broker: Option<Broker>,
    /// Sent as `Authorization: Bearer ...` with every request (a service with auth on).
    pub bearer_token: Option<String>,
}

impl fmt::Debug for Verification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verification")
            .field("base_url", &self.base_url.as_str())
            .field("pact_dir", &self.pact_dir)
            .field("broker", &self.broker)
            .field(
                "bearer_token",
                &self.bearer_token.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

/// What a run found.
#[derive(Debug, Clone)]
pub struct Report {
    /// `true` when every interaction of every pact passed and every pact file was usable.
    pub passed: bool,
    /// The verifier's own output (interaction by interaction, then the failures), which it has
    /// also printed to stdout.
    pub output: Vec<String>,
    /// Pact files that could not be verified at all (unreadable, for another provider).
    pub unusable_pacts: Vec<String>,
    /// Why provider states could not be set up.
    pub state_failures: Vec<String>,
    /// How many interactions were verified.
    pub interactions: usize,
    /// Descriptions of the interactions that failed.
    pub failed: Vec<String>,
}

impl Report {
    /// A few lines saying what passed and what did not.
    pub fn summary(&self) -> String {
        let mut lines = vec![format!(
            "pact verification {}: {} interaction(s) verified, {} failed",
            if self.passed { "PASSED" } else { "FAILED" },
            self.interactions,
            self.failed.len()
        )];
        lines.extend(self.failed.iter().map(|d| format!("  failed: {d}")));
        lines.extend(self.state_failures.iter().map(|s| format!("  state: {s}")));
        lines.extend(self.unusable_pacts.iter().map(|p| format!("  pact: {p}")));
        lines.join("\n")
    }
}

/// The pact files of a folder: every `*.json`, subfolders included, in path order.
pub fn pact_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let entries = std::fs::read_dir(&folder)
            .with_context(|| format!("reading the pact folder {}", folder.display()))?;
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() {
                folders.push(path);
            } else if path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("json"))
            {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Why a pact file cannot be verified against this provider, if it cannot.
fn unusable(path: &Path) -> Option<String> {
    let shown = path.display();
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => return Some(format!("{shown}: unreadable: {e}")),
    };
    let json: serde_json::Value = match serde_json::from_str(&text) {
        Ok(json) => json,
        Err(e) => return Some(format!("{shown}: not JSON: {e}")),
    };
    match json.pointer("/provider/name").and_then(|n| n.as_str()) {
        Some(PROVIDER) => None,
        Some(other) => Some(format!(
            "{shown}: names provider {other:?}; pacts for this service must name {PROVIDER:?}"
        )),
        None => Some(format!("{shown}: not a pact (no provider name)")),
    }
}

fn provider_info(base_url: &Url) -> anyhow::Result<ProviderInfo> {
    let host = base_url
        .host_str()
        .with_context(|| format!("the base URL {base_url} has no host"))?
        .to_owned();
    let path = base_url.path().trim_end_matches('/').to_owned();
    Ok(ProviderInfo {
        name: PROVIDER.to_owned(),
        host,
        transports: vec![ProviderTransport {
            transport: "http".to_owned(),
            port: base_url.port_or_known_default(),
            path: (!path.is_empty()).then_some(path),
            scheme: Some(base_url.scheme().to_owned()),
        }],
        ..ProviderInfo::default()
    })
}

fn sources(
    verification: &Verification,
    unusable_pacts: &mut Vec<String>,
) -> anyhow::Result<Vec<PactSource>> {
    let mut sources = Vec::new();
    if let Some(dir) = &verification.pact_dir {
        for file in pact_files(dir)? {
            match unusable(&file) {
                Some(why) => unusable_pacts.push(why),
                None => sources.push(PactSource::File(file.to_string_lossy().into_owned())),
            }
        }
    }
    if let Some(broker) = &verification.broker {
        sources.push(PactSource::BrokerWithDynamicConfiguration {
            provider_name: PROVIDER.to_owned(),
            broker_url: broker.url.clone(),
            enable_pending: true,
            include_wip_pacts_since: None,
            provider_tags: Vec::new(),
            provider_branch: broker.provider_branch.clone(),
            selectors: broker.selectors.clone(),
            auth: broker.auth.clone(),
            links: Vec::new(),
        });
    }
    if sources.is_empty() && unusable_pacts.is_empty() {
        match &verification.pact_dir {
            Some(dir) => bail!(
                "no pact to verify: {} has no *.json file and no broker is set",
                dir.display()
            ),
            None => bail!("no pact to verify: neither a pact folder nor a broker is set"),
        }
    }
    Ok(sources)
}

/// Verifies every pact of the verification's sources against its base URL, setting provider
/// states with `states`.
///
/// # Errors
/// When the run cannot start (no pacts at all, a base URL without host) or the verifier gives
/// up; a failed verification is an `Ok` report with `passed == false`.
pub async fn run(
    verification: &Verification,
    states: Arc<ProviderStates>,
) -> anyhow::Result<Report> {
    let mut unusable_pacts = Vec::new();
    let sources = sources(verification, &mut unusable_pacts)?;
    let provider = provider_info(&verification.base_url)?;
    let mut custom_headers = HashMap::new();
    if let Some(token) = &verification.bearer_token {
        custom_headers.insert("Authorization".to_owned(), format!("Bearer {token}"));
    }
    let options = VerificationOptions::<NullRequestFilterExecutor> {
        request_timeout: 10_000,
        custom_headers,
        coloured_output: false,
        no_pacts_is_error: true,
        // The contract has no redirects: one is a mismatch, not something to follow.
        follow_redirects: false,
        ..VerificationOptions::default()
    };
    let publish = verification
        .broker
        .as_ref()
        .filter(|b| b.publish)
        .map(|b| PublishOptions {
            provider_version: b.provider_version.clone(),
            build_url: std::env::var("BUILD_URL").ok().filter(|u| !u.is_empty()),
            provider_tags: Vec::new(),
            provider_branch: b.provider_branch.clone(),
        });

    let result = if sources.is_empty() {
        None
    } else {
        Some(
            verify_provider_async(
                provider,
                sources,
                FilterInfo::None,
                Vec::new(),
                &options,
                publish.as_ref(),
                &states,
                None,
            )
            .await
            .context("the pact verifier failed")?,
        )
    };
    let (verified, output, interactions, failed) = match result {
        Some(result) => (
            result.result,
            result.output,
            result.interaction_results.len(),
            result.errors.iter().map(|(d, _)| d.clone()).collect(),
        ),
        None => (false, Vec::new(), 0, Vec::new()),
    };
    Ok(Report {
        passed: verified && unusable_pacts.is_empty() && interactions > 0,
        output,
        unusable_pacts,
        state_failures: states.failures(),
        interactions,
        failed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_info_keeps_port_path_and_scheme() {
        let info = provider_info(&Url::parse("http://127.0.0.1:4321/").unwrap()).unwrap();
        assert_eq!(info.host, "127.0.0.1");
        assert_eq!(
            info.transports[0].base_url(&info.host),
            "http://127.0.0.1:4321"
        );
        let prefixed = provider_info(&Url::parse("https://uat.internal/poll/").unwrap()).unwrap();
        assert_eq!(
            prefixed.transports[0].base_url(&prefixed.host),
            "https://uat.internal:443/poll"
        );
    }

    #[test]
    fn pact_files_are_found_in_subfolders_in_order() {
        let dir = std::env::temp_dir().join(format!("pact-files-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("team-b")).unwrap();
        for name in [
            "b.json",
            "a.json",
            "notes.md",
            "x.json.1.tmp",
            "team-b/c.JSON",
        ] {
            std::fs::write(dir.join(name), "{}").unwrap();
        }
        let found = pact_files(&dir).unwrap();
        let names: Vec<_> = found
            .iter()
            .map(|p| p.strip_prefix(&dir).unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a.json", "b.json", "team-b/c.JSON"]);
        assert!(
            unusable(&dir.join("a.json"))
                .unwrap()
                .contains("not a pact")
        );
        std::fs::write(dir.join("a.json"), r#"{"provider":{"name":"Poll API"}}"#).unwrap();
        assert!(
            unusable(&dir.join("a.json"))
                .unwrap()
                .contains("\"Poll API\"")
        );
        std::fs::write(dir.join("a.json"), r#"{"provider":{"name":"poll-api"}}"#).unwrap();
        assert_eq!(unusable(&dir.join("a.json")), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_broker_token_never_shows() {
        let broker = Broker {
            url: "https://broker.internal".into(),
            auth: Some(HttpAuth::Token("s3cret".into())),
            provider_version: None,
            provider_branch: None,
            publish: true,
            selectors: Broker::default_selectors(),
        };
        assert_eq!(broker.selectors.len(), 3);
        assert!(!format!("{broker:?}").contains("s3cret"));
    }
}
