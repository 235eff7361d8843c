//! A redis-server of the test's own on a free port, so that killing, hanging and flushing it
//! cannot disturb other tests. Killed when dropped, also when the test panics.
//!
//! It runs as a child process (not daemonized): its pid is the child's, with no pid file to
//! race on, and it stays in the test's process group, so a test runner that kills a timed-out
//! test's group takes it along.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use deadpool_redis::redis;

/// How long a starting redis-server may take to answer PING on a busy machine.
const START_DEADLINE: Duration = Duration::from_secs(20);

#[derive(Debug)]
pub struct PrivateRedis {
    child: Option<Child>,
    port: u16,
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("address")
        .port()
}

impl PrivateRedis {
    /// Starts a server on a free port; returns once it answers PING.
    pub async fn start() -> Self {
        let mut server = Self {
            child: None,
            port: free_port(),
        };
        server.restart().await;
        server
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Starts the (stopped) server again on the same port, empty; returns once it answers.
    pub async fn restart(&mut self) {
        assert!(self.child.is_none(), "the server still runs");
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--logfile", ""])
            .arg("--dir")
            .arg(std::env::temp_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is installed (ci/services.sh installs it)");
        self.child = Some(child);
        self.wait_until_it_answers().await;
    }

    async fn wait_until_it_answers(&mut self) {
        let deadline = Instant::now() + START_DEADLINE;
        while !answers_ping(&self.url()).await {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                panic!("redis-server on port {} exited: {status}", self.port);
            }
            assert!(
                Instant::now() < deadline,
                "redis-server on port {} did not answer within {START_DEADLINE:?}",
                self.port
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// SIGKILL: no goodbye to the clients; returns once the process is gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // A stopped process dies of SIGKILL too; continuing it first is harmless.
            self.signal("-CONT");
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Sends a signal (`-STOP`, `-CONT`) to the running server.
    pub fn signal(&self, signal: &str) {
        let Some(child) = &self.child else { return };
        let status = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .stderr(Stdio::null())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill {signal} failed");
    }

    /// FLUSHALL on this private server (never on a shared one).
    pub async fn flush(&self) {
        let mut conn = crate::harness::raw_connection(&self.url()).await;
        let () = redis::cmd("FLUSHALL")
            .query_async(&mut conn)
            .await
            .expect("FLUSHALL");
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Whether Redis answers PING, through a plain connection (not the code under test).
async fn answers_ping(url: &str) -> bool {
    let Ok(client) = redis::Client::open(url) else {
        return false;
    };
    let bound = Duration::from_secs(1);
    let Ok(Ok(mut conn)) =
        tokio::time::timeout(bound, client.get_multiplexed_async_connection()).await
    else {
        return false;
    };
    let command = redis::cmd("PING");
    let reply = command.query_async::<String>(&mut conn);
    matches!(tokio::time::timeout(bound, reply).await, Ok(Ok(pong)) if pong == "PONG")
}
