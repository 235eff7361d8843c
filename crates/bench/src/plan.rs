//! What is compared with what, and how the rounds run.

use std::io;
use std::path::PathBuf;

use crate::client::{Batch, Request, drive};
use crate::servers::{Environment, Server, Telemetry, Variant};

/// The command line.
#[derive(Debug, Clone)]
pub struct Options {
    pub api: PathBuf,
    pub out: PathBuf,
    pub rounds: usize,
    pub reads: usize,
    pub votes: usize,
    pub connections: usize,
    pub workers: usize,
    pub date: String,
    pub toolchain: String,
}

impl Options {
    pub fn parse(args: &[String]) -> Result<Self, String> {
        let mut options = Self {
            api: PathBuf::from("target/release/poll-api"),
            out: PathBuf::from("docs/benchmarks.md"),
            rounds: 5,
            reads: 3000,
            votes: 1500,
            connections: 8,
            workers: 1,
            date: String::from("(not given)"),
            toolchain: String::from("(not given)"),
        };
        for pair in args.chunks(2) {
            let [name, value] = pair else {
                return Err(format!("{} needs a value", pair[0]));
            };
            options.set(name, value)?;
        }
        if options.rounds == 0
            || options.reads == 0
            || options.votes == 0
            || options.connections == 0
        {
            return Err(
                "--rounds, --reads, --votes and --connections must be at least 1".to_owned(),
            );
        }
        Ok(options)
    }

    fn set(&mut self, name: &str, value: &str) -> Result<(), String> {
        let number = || {
            value
                .parse::<usize>()
                .map_err(|_| format!("{name}: not a number: {value}"))
        };
        match name {
            "--api" => self.api = PathBuf::from(value),
            "--out" => self.out = PathBuf::from(value),
            "--rounds" => self.rounds = number()?,
            "--reads" => self.reads = number()?,
            "--votes" => self.votes = number()?,
            "--connections" => self.connections = number()?,
            "--workers" => self.workers = number()?,
            "--date" => value.clone_into(&mut self.date),
            "--toolchain" => value.clone_into(&mut self.toolchain),
            other => return Err(format!("unknown option {other}")),
        }
        Ok(())
    }

    /// The options as given, for the report (paths as given: relative in `make bench`).
    pub fn command_line(&self) -> String {
        format!(
            "poll-bench --api {} --out {} --rounds {} --reads {} --votes {} --connections {} --workers {}",
            self.api.display(),
            self.out.display(),
            self.rounds,
            self.reads,
            self.votes,
            self.connections,
            self.workers
        )
    }
}

/// What a batch of requests does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    Detail,
    Results,
    Vote,
}

impl Workload {
    pub fn describe(self) -> &'static str {
        match self {
            Self::Detail => "GET /polls/questions/{id}/",
            Self::Results => "GET /polls/questions/{id}/results/",
            Self::Vote => "POST /polls/questions/{id}/votes/",
        }
    }

    fn requests(self, server: &Server) -> Vec<Request> {
        let question = server.question;
        match self {
            Self::Detail => vec![get(format!("/polls/questions/{question}/"))],
            Self::Results => vec![get(format!("/polls/questions/{question}/results/"))],
            Self::Vote => server
                .choices
                .iter()
                .map(|choice| Request {
                    method: "POST",
                    path: format!("/polls/questions/{question}/votes/"),
                    body: Some(format!("{{\"choice_id\":{choice}}}")),
                    expect: 201,
                })
                .collect(),
        }
    }
}

fn get(path: String) -> Request {
    Request {
        method: "GET",
        path,
        body: None,
        expect: 200,
    }
}

pub const MEMORY_OFF: Variant = Variant {
    name: "memory-telemetry-off",
    postgres: false,
    cache: false,
    telemetry: Telemetry::Off,
};
pub const MEMORY_LOGS: Variant = Variant {
    name: "memory-logs-metrics-only",
    postgres: false,
    cache: false,
    telemetry: Telemetry::LogsAndMetrics,
};
pub const MEMORY_SAMPLED: Variant = Variant {
    name: "memory-telemetry-on-10%-sampled",
    postgres: false,
    cache: false,
    telemetry: Telemetry::Sampled,
};
pub const MEMORY_ON: Variant = Variant {
    name: "memory-telemetry-on",
    postgres: false,
    cache: false,
    telemetry: Telemetry::Full,
};
pub const POSTGRES_CACHE_OFF: Variant = Variant {
    name: "postgres-redis-telemetry-off",
    postgres: true,
    cache: true,
    telemetry: Telemetry::Off,
};
pub const POSTGRES_CACHE_ON: Variant = Variant {
    name: "postgres-redis-telemetry-on",
    postgres: true,
    cache: true,
    telemetry: Telemetry::Full,
};
pub const POSTGRES_NO_CACHE: Variant = Variant {
    name: "postgres-no-cache-telemetry-on",
    postgres: true,
    cache: false,
    telemetry: Telemetry::Full,
};

/// One question the report answers with a ratio.
#[derive(Debug, Clone, Copy)]
pub struct Comparison {
    pub title: &'static str,
    pub ratio_means: &'static str,
    pub baseline: Variant,
    pub candidate: Variant,
    pub workloads: &'static [Workload],
}

pub const COMPARISONS: [Comparison; 6] = [
    Comparison {
        title: "Telemetry overhead, memory store (CPU cost of logs + traces + metrics alone)",
        ratio_means: "throughput with telemetry / without",
        baseline: MEMORY_OFF,
        candidate: MEMORY_ON,
        workloads: &[Workload::Detail, Workload::Vote],
    },
    Comparison {
        title: "Telemetry overhead, memory store, 10 % of traces sampled (a production setting)",
        ratio_means: "throughput with telemetry / without",
        baseline: MEMORY_OFF,
        candidate: MEMORY_SAMPLED,
        workloads: &[Workload::Detail],
    },
    Comparison {
        title: "Share of trace export, memory store (all telemetry vs logs + metrics only)",
        ratio_means: "throughput with traces exported / logs + metrics only",
        baseline: MEMORY_LOGS,
        candidate: MEMORY_ON,
        workloads: &[Workload::Detail],
    },
    Comparison {
        title: "Telemetry overhead, PostgreSQL + Redis (as deployed)",
        ratio_means: "throughput with telemetry / without",
        baseline: POSTGRES_CACHE_OFF,
        candidate: POSTGRES_CACHE_ON,
        workloads: &[Workload::Detail, Workload::Vote],
    },
    Comparison {
        title: "Cache value, PostgreSQL store (Redis cache vs `--no-cache`)",
        ratio_means: "throughput with the cache / without",
        baseline: POSTGRES_NO_CACHE,
        candidate: POSTGRES_CACHE_ON,
        workloads: &[Workload::Detail, Workload::Results],
    },
    Comparison {
        title: "Votes, memory store vs PostgreSQL (both with telemetry)",
        ratio_means: "PostgreSQL throughput / memory",
        baseline: MEMORY_ON,
        candidate: POSTGRES_CACHE_ON,
        workloads: &[Workload::Vote],
    },
];

/// The batches of one workload of one comparison: `baseline[i]` and `candidate[i]` ran in the
/// same round, one right after the other.
#[derive(Debug, Clone)]
pub struct Measured {
    pub comparison: Comparison,
    pub workload: Workload,
    pub baseline: Vec<Batch>,
    pub candidate: Vec<Batch>,
}

/// Starts every server, runs every comparison, stops the servers.
pub async fn run_plan(options: &Options, env: &Environment) -> io::Result<Vec<Measured>> {
    let variants = [
        MEMORY_OFF,
        MEMORY_LOGS,
        MEMORY_SAMPLED,
        MEMORY_ON,
        POSTGRES_CACHE_OFF,
        POSTGRES_CACHE_ON,
        POSTGRES_NO_CACHE,
    ];
    let mut servers = Vec::with_capacity(variants.len());
    for variant in variants {
        servers.push(Server::start(variant, env).await?);
    }
    let outcome = measure_all(options, &servers).await;
    for server in servers {
        server.stop(env).await?;
    }
    outcome
}

async fn measure_all(options: &Options, servers: &[Server]) -> io::Result<Vec<Measured>> {
    let find = |variant: Variant| {
        servers
            .iter()
            .find(|s| s.variant == variant)
            .ok_or_else(|| io::Error::other(format!("no server {}", variant.name)))
    };
    let mut results = Vec::new();
    for comparison in COMPARISONS {
        let pair = (find(comparison.baseline)?, find(comparison.candidate)?);
        for &workload in comparison.workloads {
            results.push(measure(options, comparison, workload, pair).await?);
        }
    }
    Ok(results)
}

/// A warm-up batch each, then `rounds` rounds, alternating which of the two goes first.
async fn measure(
    options: &Options,
    comparison: Comparison,
    workload: Workload,
    (baseline, candidate): (&Server, &Server),
) -> io::Result<Measured> {
    let total = match workload {
        Workload::Vote => options.votes,
        Workload::Detail | Workload::Results => options.reads,
    };
    let batch = |server: &Server| {
        let requests = workload.requests(server);
        let port = server.port;
        async move { drive(port, &requests, total, options.connections).await }
    };
    batch(baseline).await?;
    batch(candidate).await?;
    let mut measured = Measured {
        comparison,
        workload,
        baseline: Vec::with_capacity(options.rounds),
        candidate: Vec::with_capacity(options.rounds),
    };
    for round in 0..options.rounds {
        if round % 2 == 0 {
            measured.baseline.push(batch(baseline).await?);
            measured.candidate.push(batch(candidate).await?);
        } else {
            measured.candidate.push(batch(candidate).await?);
            measured.baseline.push(batch(baseline).await?);
        }
    }
    Ok(measured)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn parses_the_command_line() {
        let options = Options::parse(&args(&["--rounds", "3", "--reads", "10", "--api", "x"]))
            .expect("valid");
        assert_eq!(
            (options.rounds, options.reads, options.votes),
            (3, 10, 1500)
        );
        assert!(
            options
                .command_line()
                .contains("--api x --out docs/benchmarks.md --rounds 3")
        );
        for bad in [
            &["--rounds"][..],
            &["--rounds", "x"],
            &["--nope", "1"],
            &["--rounds", "0"],
        ] {
            assert!(Options::parse(&args(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn every_comparison_has_distinct_configurations_and_workloads() {
        for comparison in COMPARISONS {
            assert_ne!(
                comparison.baseline, comparison.candidate,
                "{}",
                comparison.title
            );
            assert!(!comparison.workloads.is_empty());
            for workload in comparison.workloads {
                assert!(
                    workload.describe().starts_with("GET ")
                        || workload.describe().starts_with("POST ")
                );
            }
        }
    }
}
