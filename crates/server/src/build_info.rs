//! The identity of this build, stamped at compile time by CI
//! (`POLL_BUILD_VERSION`, `POLL_BUILD_COMMIT`, `POLL_BUILD_BRANCH`).

use poll_http::BuildInfo;

/// This build, running in `environment`.
pub fn build_info(environment: &str) -> BuildInfo {
    BuildInfo {
        version: option_env!("POLL_BUILD_VERSION")
            .unwrap_or(env!("CARGO_PKG_VERSION"))
            .to_owned(),
        commit: option_env!("POLL_BUILD_COMMIT")
            .unwrap_or("unknown")
            .to_owned(),
        branch: option_env!("POLL_BUILD_BRANCH")
            .unwrap_or("unknown")
            .to_owned(),
        environment: environment.to_owned(),
    }
}
