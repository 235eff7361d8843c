//! A minimal HTTP/1.1 keep-alive client (sized bodies only, which is all poll-api sends) and the
//! load driver: a bounded number of requests over a fixed number of connections.

use std::io;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;

/// One request of a workload.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: &'static str,
    pub path: String,
    pub body: Option<String>,
    /// The status every answer must have.
    pub expect: u16,
}

/// One keep-alive connection.
pub struct Connection {
    stream: BufReader<TcpStream>,
    head: String,
}

impl Connection {
    pub async fn open(port: u16) -> io::Result<Self> {
        let stream = TcpStream::connect(("127.0.0.1", port)).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream: BufReader::new(stream),
            head: String::with_capacity(512),
        })
    }

    /// Sends `request`, returns the status and the body.
    pub async fn send(&mut self, request: &Request) -> io::Result<(u16, Vec<u8>)> {
        let body = request.body.as_deref().unwrap_or_default();
        let mut out = format!(
            "{} {} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: {}\r\n",
            request.method,
            request.path,
            body.len()
        );
        if request.body.is_some() {
            out.push_str("content-type: application/json\r\n");
        }
        out.push_str("\r\n");
        out.push_str(body);
        self.stream.get_mut().write_all(out.as_bytes()).await?;
        self.read_response().await
    }

    async fn read_response(&mut self) -> io::Result<(u16, Vec<u8>)> {
        let mut status = 0;
        let mut length = 0;
        let mut first = true;
        loop {
            self.head.clear();
            if self.stream.read_line(&mut self.head).await? == 0 {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "closed"));
            }
            let line = self.head.trim_end();
            if first {
                status = parse_status(line)?;
                first = false;
            } else if line.is_empty() {
                break;
            } else if let Some((name, value)) = line.split_once(':') {
                length = header_length(name, value.trim(), length)?;
            }
        }
        let mut body = vec![0; length];
        self.stream.read_exact(&mut body).await?;
        Ok((status, body))
    }
}

fn parse_status(line: &str) -> io::Result<u16> {
    line.split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, line.to_owned()))
}

fn header_length(name: &str, value: &str, current: usize) -> io::Result<usize> {
    if name.eq_ignore_ascii_case("content-length") {
        return value
            .parse()
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "content-length"));
    }
    if name.eq_ignore_ascii_case("transfer-encoding") {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "chunked bodies are not expected from poll-api",
        ));
    }
    Ok(current)
}

/// What one batch measured.
#[derive(Debug, Clone)]
pub struct Batch {
    pub requests: usize,
    pub errors: usize,
    pub elapsed: Duration,
    /// Each request's latency, sorted.
    pub latencies: Vec<Duration>,
}

impl Batch {
    pub fn throughput(&self) -> f64 {
        count_f64(self.requests) / self.elapsed.as_secs_f64()
    }

    pub fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let last = self.latencies.len() - 1;
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "an index within the sample"
        )]
        let index = ((count_f64(last) * p).round() as usize).min(last);
        self.latencies[index]
    }
}

#[allow(
    clippy::cast_precision_loss,
    reason = "request counts are far below 2^52"
)]
pub fn count_f64(n: usize) -> f64 {
    n as f64
}

/// Sends `total` requests, cycling through `requests`, over `connections` connections at once.
pub async fn drive(
    port: u16,
    requests: &[Request],
    total: usize,
    connections: usize,
) -> io::Result<Batch> {
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(connections);
    for lane in 0..connections {
        let share = total / connections + usize::from(lane < total % connections);
        let requests = requests.to_vec();
        tasks.push(tokio::spawn(async move {
            lane_of(port, &requests, lane, share).await
        }));
    }
    let mut batch = Batch {
        requests: 0,
        errors: 0,
        elapsed: Duration::ZERO,
        latencies: Vec::with_capacity(total),
    };
    for task in tasks {
        let (errors, latencies) = task.await.map_err(io::Error::other)??;
        batch.requests += latencies.len();
        batch.errors += errors;
        batch.latencies.extend(latencies);
    }
    batch.elapsed = started.elapsed();
    batch.latencies.sort_unstable();
    Ok(batch)
}

async fn lane_of(
    port: u16,
    requests: &[Request],
    lane: usize,
    share: usize,
) -> io::Result<(usize, Vec<Duration>)> {
    let mut connection = Connection::open(port).await?;
    let mut latencies = Vec::with_capacity(share);
    let mut errors = 0;
    for i in 0..share {
        let request = &requests[(lane + i) % requests.len()];
        let sent = Instant::now();
        let (status, _) = connection.send(request).await?;
        latencies.push(sent.elapsed());
        if status != request.expect {
            errors += 1;
        }
    }
    Ok((errors, latencies))
}
