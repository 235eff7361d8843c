//! A private PostgreSQL (and Redis) for one test binary, for tests that stop or reconfigure
//! their server and so must not share it.
#![allow(
    clippy::expect_used,
    reason = "test helpers: a failed expectation is the test failing"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// A private PostgreSQL (and Redis) started by `ci/services.sh`, stopped on drop.
pub struct Services {
    script: PathBuf,
    pub state: PathBuf,
}

impl Services {
    /// Starts (or reuses) the private servers named `name`.
    pub fn up(name: &str) -> (Self, String) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../ci/services.sh");
        // Beside the shared servers' state when there is one (it is known to be reachable by
        // the `postgres` user), else under Cargo's tmp dir; never the shared servers' own.
        let state = match std::env::var_os("POLL_SERVICES_DIR") {
            Some(shared) if !shared.is_empty() => Path::new(&shared).join(name),
            _ => Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-services")),
        };
        let services = Self { script, state };
        let env_file = services.run("up");
        let env =
            std::fs::read_to_string(env_file.trim()).expect("services.sh up printed its env file");
        let url = env
            .lines()
            .find_map(|line| line.strip_prefix("export POLL__DATABASE__URL="))
            .expect("the env file exports POLL__DATABASE__URL")
            .trim_matches(['"', '\''])
            .to_owned();
        (services, url)
    }

    pub fn run(&self, command: &str) -> String {
        let output = Command::new("bash")
            .arg(&self.script)
            .arg(command)
            .env("POLL_SERVICES_DIR", &self.state)
            .output()
            .expect("run ci/services.sh");
        assert!(
            output.status.success(),
            "ci/services.sh {command} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("utf-8 output")
    }
}

impl Drop for Services {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(&self.script)
            .arg("down")
            .env("POLL_SERVICES_DIR", &self.state)
            .output();
    }
}
