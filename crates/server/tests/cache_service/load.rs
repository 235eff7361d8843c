//! A steady stream of mixed requests (the three reads and votes) from a few tasks, each answer
//! recorded with its latency and the phase of the test it was sent in. Nothing panics in the
//! tasks: every failure is recorded, and the test asserts on the whole report at the end.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::harness::{Read, TestService};

const TASKS: usize = 3;
/// A bound on each task, whatever happens to the test's phases.
const MAX_REQUESTS_PER_TASK: u64 = 5_000;
/// A breath between two requests of one task, so the stream is steady rather than a flood.
const PACE: Duration = Duration::from_millis(2);

/// The phases of an outage test; every request is tagged with the one it began in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Healthy = 0,
    Outage = 1,
    Recovered = 2,
}

impl Phase {
    fn from_index(index: usize) -> Self {
        match index {
            0 => Self::Healthy,
            1 => Self::Outage,
            _ => Self::Recovered,
        }
    }
}

/// One request's outcome.
#[derive(Debug)]
pub struct Sample {
    pub phase: Phase,
    pub what: String,
    pub elapsed: Duration,
    /// Why the answer was not the expected one, if it was not.
    pub failure: Option<String>,
}

/// The request stream's target and shared counters.
struct Shared {
    client: reqwest::Client,
    base: String,
    question: i64,
    choices: Vec<i64>,
    stop: AtomicBool,
    phase: AtomicUsize,
    completed: AtomicU64,
    acknowledged: AtomicU64,
}

pub struct Load {
    shared: Arc<Shared>,
    tasks: JoinSet<Vec<Sample>>,
}

impl Load {
    /// Starts the tasks on the question (its choices get the votes).
    pub fn start(service: &TestService, question: i64, choices: &[i64]) -> Self {
        let shared = Arc::new(Shared {
            client: service.client.clone(),
            base: service.address.clone(),
            question,
            choices: choices.to_vec(),
            stop: AtomicBool::new(false),
            phase: AtomicUsize::new(Phase::Healthy as usize),
            completed: AtomicU64::new(0),
            acknowledged: AtomicU64::new(0),
        });
        let mut tasks = JoinSet::new();
        for task in 0..TASKS {
            tasks.spawn(run(Arc::clone(&shared), task));
        }
        Self { shared, tasks }
    }

    pub fn set_phase(&self, phase: Phase) {
        self.shared.phase.store(phase as usize, SeqCst);
    }

    /// Returns once `more` further requests have been answered; fails after `within`.
    pub async fn wait_for(&self, more: u64, within: Duration) {
        let target = self.shared.completed.load(SeqCst) + more;
        let deadline = Instant::now() + within;
        while self.shared.completed.load(SeqCst) < target {
            assert!(
                Instant::now() < deadline,
                "the load made {} of {target} requests within {within:?}",
                self.shared.completed.load(SeqCst)
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Stops the tasks and returns every sample and the number of votes acknowledged.
    pub async fn finish(mut self) -> Report {
        self.shared.stop.store(true, SeqCst);
        let mut samples = Vec::new();
        while let Some(joined) = self.tasks.join_next().await {
            samples.extend(joined.expect("a load task failed"));
        }
        Report {
            samples,
            acknowledged: self.shared.acknowledged.load(SeqCst),
        }
    }
}

async fn run(shared: Arc<Shared>, task: usize) -> Vec<Sample> {
    let mut samples = Vec::new();
    for n in 0..MAX_REQUESTS_PER_TASK {
        if shared.stop.load(SeqCst) {
            break;
        }
        samples.push(one_request(&shared, task, n).await);
        shared.completed.fetch_add(1, SeqCst);
        tokio::time::sleep(PACE).await;
    }
    samples
}

/// Request `n` of `task`: a vote every fourth time, else one of the three reads in turn.
async fn one_request(shared: &Shared, task: usize, n: u64) -> Sample {
    let phase = Phase::from_index(shared.phase.load(SeqCst));
    let started = Instant::now();
    let slot = usize::try_from(n % 4).expect("small");
    let (what, failure) = match Read::ALL.get(slot) {
        Some(&read) => (format!("{read:?}"), read_once(shared, read).await),
        None => ("vote".to_owned(), vote_once(shared, task, n).await),
    };
    Sample {
        phase,
        what,
        elapsed: started.elapsed(),
        failure,
    }
}

/// A read, held to the votes acknowledged before it began.
async fn read_once(shared: &Shared, read: Read) -> Option<String> {
    let floor = shared.acknowledged.load(SeqCst);
    let url = format!("{}{}", shared.base, read.path(shared.question));
    let response = match shared.client.get(url).send().await {
        Ok(response) => response,
        Err(error) => return Some(format!("no answer: {error}")),
    };
    if response.status() != StatusCode::OK {
        return Some(format!("status {}", response.status()));
    }
    let body: Value = match response.json().await {
        Ok(body) => body,
        Err(error) => return Some(format!("unreadable body: {error}")),
    };
    let total = read.total(&body);
    (total < floor).then(|| format!("{total} votes shown, {floor} acknowledged before: {body}"))
}

async fn vote_once(shared: &Shared, task: usize, n: u64) -> Option<String> {
    let choice = shared.choices[usize::try_from(n).expect("small") % shared.choices.len()];
    let url = format!("{}/polls/questions/{}/votes/", shared.base, shared.question);
    let body = json!({"choice_id": choice, "voter_id": format!("load-{task}-{n}")});
    match shared.client.post(url).json(&body).send().await {
        Ok(response) if response.status() == StatusCode::CREATED => {
            shared.acknowledged.fetch_add(1, SeqCst);
            None
        }
        Ok(response) => Some(format!("status {}", response.status())),
        Err(error) => Some(format!("no answer: {error}")),
    }
}

/// Everything the load saw.
#[derive(Debug)]
pub struct Report {
    pub samples: Vec<Sample>,
    pub acknowledged: u64,
}

impl Report {
    pub fn count(&self, phase: Phase) -> usize {
        self.samples.iter().filter(|s| s.phase == phase).count()
    }

    /// How many requests of the phase took `at_least` or longer.
    pub fn slower_than(&self, phase: Phase, at_least: Duration) -> usize {
        self.samples
            .iter()
            .filter(|s| s.phase == phase && s.elapsed >= at_least)
            .count()
    }

    /// Asserts that every request got the expected answer.
    pub fn assert_no_failures(&self) {
        let failures: Vec<String> = self
            .samples
            .iter()
            .filter_map(|s| {
                let why = s.failure.as_ref()?;
                Some(format!(
                    "{:?} {} after {:?}: {why}",
                    s.phase, s.what, s.elapsed
                ))
            })
            .collect();
        assert!(
            failures.is_empty(),
            "{} of {} requests failed:\n{}",
            failures.len(),
            self.samples.len(),
            failures.join("\n")
        );
    }

    /// Asserts that no request took `bound` or longer; returns the p99 and the slowest.
    pub fn assert_each_faster_than(&self, bound: Duration) -> (Duration, Duration) {
        let mut elapsed: Vec<Duration> = self.samples.iter().map(|s| s.elapsed).collect();
        elapsed.sort_unstable();
        let slowest = elapsed.last().copied().unwrap_or_default();
        let p99 = elapsed
            .get(elapsed.len() * 99 / 100)
            .copied()
            .unwrap_or_default();
        let slow: Vec<String> = self
            .samples
            .iter()
            .filter(|s| s.elapsed >= bound)
            .map(|s| format!("{:?} {} took {:?}", s.phase, s.what, s.elapsed))
            .collect();
        assert!(
            slow.is_empty(),
            "{} requests took {bound:?} or more (p99 {p99:?}):\n{}",
            slow.len(),
            slow.join("\n")
        );
        (p99, slowest)
    }
}
