//! Reads are exact under concurrency: voters and readers interleaved through the cache, every
//! read at least the votes acknowledged before it began, never going back, and the final reads
//! exactly the acknowledged count.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::time::{Duration, Instant};

use tokio::task::{JoinError, JoinSet};

use crate::harness::{Cache, Read, TestService, id_of, spawn};

const VOTERS: u64 = 8;
const VOTES_EACH: u64 = 25;
const READERS: usize = 4;
/// The whole run, on a machine busy compiling; it takes a few seconds on an idle one.
const BUDGET: Duration = Duration::from_mins(2);

/// What the voters have done, as the readers see it.
struct Ledger {
    /// Votes sent (counted before the request goes out): no read may show more.
    sent: AtomicU64,
    /// Votes answered 201 (counted after the answer), in all and per choice.
    acknowledged: AtomicU64,
    per_choice: [AtomicU64; 2],
    voting: AtomicBool,
}

/// What one read is held to, snapshot just before it was sent.
struct Floor {
    total: u64,
    per_choice: [u64; 2],
}

impl Ledger {
    fn floor(&self) -> Floor {
        // Each counter only grows, and only after a 201: each is a lower bound on its own.
        let per_choice = [
            self.per_choice[0].load(SeqCst),
            self.per_choice[1].load(SeqCst),
        ];
        Floor {
            total: self.acknowledged.load(SeqCst),
            per_choice,
        }
    }
}

fn rethrow(joined: Result<u64, JoinError>) -> u64 {
    match joined {
        Ok(value) => value,
        Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        Err(error) => panic!("a task did not finish: {error}"),
    }
}

async fn vote_as(
    service: Arc<TestService>,
    ledger: Arc<Ledger>,
    question: i64,
    choices: [i64; 2],
    voter: u64,
) -> u64 {
    for n in 0..VOTES_EACH {
        let which = usize::from((voter + n) % 2 == 1);
        ledger.sent.fetch_add(1, SeqCst);
        service
            .vote(question, choices[which], &format!("voter-{voter}-{n}"))
            .await;
        ledger.per_choice[which].fetch_add(1, SeqCst);
        ledger.acknowledged.fetch_add(1, SeqCst);
    }
    VOTES_EACH
}

/// Reads in a loop (detail, choices, results in turn) while the voters vote, then once more.
/// Returns how many reads it made.
async fn read_loop(
    service: Arc<TestService>,
    ledger: Arc<Ledger>,
    question: i64,
    choices: [i64; 2],
    reader: usize,
) -> u64 {
    let mut last = 0;
    let mut reads: u64 = 0;
    loop {
        let last_round = !ledger.voting.load(SeqCst);
        let read = Read::ALL[(reader + usize::try_from(reads).expect("small")) % 3];
        let floor = ledger.floor();
        let body = service.get_json(&read.path(question)).await;
        let ceiling = ledger.sent.load(SeqCst);
        let total = read.total(&body);
        let at = format!("reader {reader}, read {reads} ({read:?})");
        assert!(
            total >= floor.total,
            "{at}: {total} votes, but {} were acknowledged before it began: {body}",
            floor.total
        );
        for (which, &choice) in choices.iter().enumerate() {
            let votes = read.votes_of(&body, choice);
            let acknowledged = floor.per_choice[which];
            assert!(
                votes >= acknowledged,
                "{at}: choice {choice} has {votes} votes, {acknowledged} acknowledged: {body}"
            );
        }
        assert!(total <= ceiling, "{at}: {total} votes of {ceiling} sent");
        assert!(total >= last, "{at}: went back from {last} to {total}");
        last = total;
        reads += 1;
        if last_round {
            return reads;
        }
    }
}

/// Runs the voters and readers; returns how many reads were made.
async fn stress(
    service: &Arc<TestService>,
    ledger: &Arc<Ledger>,
    question: i64,
    choices: [i64; 2],
) -> u64 {
    let mut voters = JoinSet::new();
    for voter in 0..VOTERS {
        let (service, ledger) = (Arc::clone(service), Arc::clone(ledger));
        voters.spawn(vote_as(service, ledger, question, choices, voter));
    }
    let mut readers = JoinSet::new();
    for reader in 0..READERS {
        let (service, ledger) = (Arc::clone(service), Arc::clone(ledger));
        readers.spawn(read_loop(service, ledger, question, choices, reader));
    }
    while let Some(joined) = voters.join_next().await {
        rethrow(joined);
    }
    ledger.voting.store(false, SeqCst);
    let mut reads = 0;
    while let Some(joined) = readers.join_next().await {
        reads += rethrow(joined);
    }
    reads
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_reads_never_show_fewer_votes_than_were_acknowledged_before_them() {
    let service = Arc::new(spawn("stress", Cache::Shared, &[]).await);
    let created = service.create_question("Stress?", &["a", "b"]).await;
    let question = id_of(&created);
    let choices = [id_of(&created["choices"][0]), id_of(&created["choices"][1])];
    let ledger = Arc::new(Ledger {
        sent: AtomicU64::new(0),
        acknowledged: AtomicU64::new(0),
        per_choice: [AtomicU64::new(0), AtomicU64::new(0)],
        voting: AtomicBool::new(true),
    });

    let started = Instant::now();
    let reads = tokio::time::timeout(BUDGET, stress(&service, &ledger, question, choices))
        .await
        .expect("the stress run finished within its budget");
    let acknowledged = ledger.acknowledged.load(SeqCst);
    assert_eq!(acknowledged, VOTERS * VOTES_EACH);
    eprintln!(
        "{acknowledged} votes and {reads} reads in {:?}",
        started.elapsed()
    );

    for read in Read::ALL {
        let body = service.get_json(&read.path(question)).await;
        assert_eq!(read.total(&body), acknowledged, "final {read:?}: {body}");
        for (which, &choice) in choices.iter().enumerate() {
            let expected = ledger.per_choice[which].load(SeqCst);
            assert_eq!(
                read.votes_of(&body, choice),
                expected,
                "final {read:?}: {body}"
            );
        }
    }
}
