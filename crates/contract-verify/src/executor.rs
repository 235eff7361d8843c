//! The verifier's provider-state callback: set-up applies a state's fixture, tear-down empties
//! the data again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use anyhow::anyhow;
use async_trait::async_trait;
use pact_models::provider_states::ProviderState;
use pact_verifier::callback_executors::ProviderStateExecutor;
use serde_json::Value;

use crate::data::ProviderData;
use crate::states;

/// Applies provider states to one environment's data.
///
/// Every interaction starts from empty data: tear-down (which the verifier runs after each
/// interaction) empties it, and a set-up that failed empties it before the next one (the
/// verifier skips tear-down then). An interaction without a state runs on empty data.
#[derive(Debug)]
pub struct ProviderStates {
    data: ProviderData,
    /// Set when a set-up failed half-way: the next set-up starts by emptying the data.
    dirty: tokio::sync::Mutex<bool>,
    failures: Mutex<Vec<String>>,
}

impl ProviderStates {
    /// Empties the environment's data and returns the executor.
    pub async fn new(data: ProviderData) -> anyhow::Result<Self> {
        data.reset().await?;
        Ok(Self {
            data,
            dirty: tokio::sync::Mutex::new(false),
            failures: Mutex::new(Vec::new()),
        })
    }

    /// Why set-ups failed, one line per failed state, in order. The verifier itself reports
    /// only that "one or more of the setup state change handlers has failed".
    pub fn failures(&self) -> Vec<String> {
        self.failures.lock().map(|f| f.clone()).unwrap_or_default()
    }

    /// The environment's data, for checks after a run.
    pub fn data(&self) -> &ProviderData {
        &self.data
    }

    async fn set_up(&self, state: &ProviderState) -> anyhow::Result<HashMap<String, Value>> {
        if state.name.trim().is_empty() {
            // The verifier's call for an interaction without a state.
            return Ok(HashMap::new());
        }
        let fixture = states::parse(&state.name, &state.params).map_err(|e| anyhow!(e))?;
        self.data
            .apply(&fixture)
            .await
            .map_err(|e| anyhow!("provider state {:?} could not be set up: {e:#}", state.name))?;
        Ok(fixture.values())
    }
}

#[async_trait]
impl ProviderStateExecutor for ProviderStates {
    async fn call(
        self: Arc<Self>,
        _interaction_id: Option<String>,
        provider_state: &ProviderState,
        setup: bool,
        _client: Option<&reqwest::Client>,
    ) -> anyhow::Result<HashMap<String, Value>> {
        let mut dirty = self.dirty.lock().await;
        if !setup {
            self.data.reset().await?;
            *dirty = false;
            return Ok(HashMap::new());
        }
        if *dirty {
            self.data.reset().await?;
            *dirty = false;
        }
        match self.set_up(provider_state).await {
            Ok(values) => Ok(values),
            Err(error) => {
                *dirty = true;
                let message = format!("{error:#}");
                eprintln!("provider state failed: {message}");
                if let Ok(mut failures) = self.failures.lock() {
                    failures.push(message);
                }
                Err(error)
            }
        }
    }

    fn teardown(&self) -> bool {
        true
    }
}
