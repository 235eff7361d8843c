//! A scripted HTTP server on loopback: answers in order, one per connection, and records
//! every request it saw.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use poll_client::{Client, RetryPolicy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An answer to give: status, extra headers, body. `None` answers nothing (a hang).
pub type Answer = Option<(u16, Vec<(&'static str, String)>, String)>;

pub struct Script {
    pub base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Script {
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn client(&self) -> Client {
        Client::builder(&self.base)
            .retry_policy(
                RetryPolicy::new(3).backoff(Duration::from_millis(5), Duration::from_millis(20)),
            )
            .build()
            .unwrap()
    }
}

/// Test builds carry the pact crates, which turn on reqwest's `rustls-no-provider`: without a
/// provider installed, building a reqwest client panics.
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[allow(clippy::unnecessary_wraps)] // an answer of the script, which may also be a hang
pub fn ok(status: u16, body: &str) -> Answer {
    Some((
        status,
        vec![("Content-Type", "application/json".into())],
        body.to_owned(),
    ))
}

#[allow(clippy::unnecessary_wraps)] // an answer of the script, which may also be a hang
pub fn unavailable(retry_after: &str) -> Answer {
    Some((
        503,
        vec![
            ("Content-Type", "application/problem+json".into()),
            ("Retry-After", retry_after.to_owned()),
        ],
        r#"{"type":"about:blank","title":"Service Unavailable","status":503,"detail":"database unreachable"}"#
            .to_owned(),
    ))
}

/// Serves the answers in order, one per connection, then 500s.
pub async fn serve(answers: Vec<Answer>) -> Script {
    install_crypto();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let answers = Arc::new(Mutex::new(VecDeque::from(answers)));
    let record = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let answer = answers
                .lock()
                .unwrap()
                .pop_front()
                .unwrap_or_else(|| Some((500, vec![], "script exhausted".into())));
            let record = Arc::clone(&record);
            tokio::spawn(async move { answer_one(stream, answer, &record).await });
        }
    });
    Script { base, seen }
}

async fn answer_one(mut stream: TcpStream, answer: Answer, record: &Mutex<Vec<Seen>>) {
    let mut buffer = Vec::new();
    let mut chunk = [0_u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            return;
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let method = request_line.next().unwrap_or_default().to_owned();
    let target = request_line.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    while buffer.len() < head_end + 4 + length {
        let n = stream.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            break;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    let body = String::from_utf8_lossy(&buffer[head_end + 4..]).into_owned();
    record.lock().unwrap().push(Seen {
        method,
        target,
        headers,
        body,
    });

    let Some((status, headers, body)) = answer else {
        tokio::time::sleep(Duration::from_secs(30)).await;
        return;
    };
    let mut response = format!(
        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        let _ = write!(response, "{name}: {value}\r\n");
    }
    response.push_str("\r\n");
    response.push_str(&body);
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}
