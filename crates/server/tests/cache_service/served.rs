//! `poll-api serve` as a child process (the real binary, configured only by variables), killed
//! when dropped; its stderr goes to a file that is shown when it fails to start.

use std::collections::HashMap;
use std::fs::File;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::harness::config_dir;
use crate::private_redis::free_port;

/// A binary on a busy machine: loading, migrating nothing, binding.
const START_DEADLINE: Duration = Duration::from_mins(1);

pub struct Served {
    child: Child,
    log: PathBuf,
    pub address: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

impl Served {
    /// `poll-api serve ARGS --bind <free port>` with exactly `variables` as its environment,
    /// once it answers `/health/live`. A free port may be taken between picking and binding
    /// it, hence a few attempts.
    pub async fn start(
        args: &[&str],
        variables: HashMap<String, String>,
        client: &reqwest::Client,
    ) -> Self {
        for _ in 0..3 {
            let mut candidate = Self::spawn(args, &variables);
            if candidate.came_up(client).await {
                return candidate;
            }
        }
        panic!("poll-api serve {args:?} did not come up");
    }

    fn spawn(args: &[&str], variables: &HashMap<String, String>) -> Self {
        let port = free_port();
        let log = std::env::temp_dir().join(format!("poll-api-{}.log", uuid::Uuid::new_v4()));
        let child = Command::new(env!("CARGO_BIN_EXE_poll-api"))
            .arg("serve")
            .args(args)
            .args(["--bind", &format!("127.0.0.1:{port}")])
            .env_clear()
            .envs(variables)
            .env("POLL_CONFIG_DIR", config_dir())
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&log).expect("a log file"))
            .spawn()
            .expect("poll-api runs");
        Self {
            child,
            log,
            address: format!("http://127.0.0.1:{port}"),
        }
    }

    /// Whether it came up (answers `/health/live`); false when it exited first.
    async fn came_up(&mut self, client: &reqwest::Client) -> bool {
        let deadline = Instant::now() + START_DEADLINE;
        let live = format!("{}/health/live", self.address);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                eprintln!("poll-api exited before answering ({status}):\n{log}");
                return false;
            }
            let answer = client.get(&live).timeout(Duration::from_secs(1)).send();
            if answer.await.is_ok_and(|r| r.status() == StatusCode::OK) {
                return true;
            }
            assert!(
                Instant::now() < deadline,
                "poll-api did not come up within {START_DEADLINE:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
