//! Requests written byte by byte (chunked bodies, exact headers), for what an HTTP client
//! library will not send.

use std::collections::HashMap;
use std::io::{Read as _, Write as _};

use crate::helpers::TestApp;

impl TestApp {
    /// Sends raw bytes over a new connection and reads the whole answer (`Connection: close`).
    pub async fn raw_http(&self, request: Vec<u8>) -> RawResponse {
        let port = self.port;
        tokio::task::spawn_blocking(move || {
            let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
            stream.write_all(&request).expect("write");
            let mut answer = Vec::new();
            let _ = stream.read_to_end(&mut answer);
            RawResponse::parse(&answer)
        })
        .await
        .expect("raw request")
    }
}

/// An HTTP/1.1 answer read from a socket.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl RawResponse {
    fn parse(answer: &[u8]) -> Self {
        let text = String::from_utf8_lossy(answer);
        let (head, body) = text.split_once("\r\n\r\n").expect("a full HTTP answer");
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
            .expect("a status line");
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        Self {
            status,
            headers,
            body: body.to_owned(),
        }
    }
}
