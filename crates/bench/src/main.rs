//! `poll-bench`: what telemetry costs, what the cache is worth, and what PostgreSQL costs a vote,
//! as RATIOS measured side by side in one run (the machine is shared and noisy; absolute figures
//! are reported but not the point).
//!
//! It starts release builds of `poll-api` in several configurations on loopback ports (and an
//! OTLP sink for their spans), then for each comparison runs rounds of a bounded number of
//! requests against the two configurations alternately (ABBA order), and writes the medians and
//! their ratios to a Markdown report. `make bench` runs it (see `crates/bench/run.sh`).
//!
//! Usage: `poll-bench --api PATH --out PATH [--rounds N] [--reads N] [--votes N]
//! [--connections N] [--workers N] [--date TEXT] [--toolchain TEXT]`; PostgreSQL and Redis from
//! `POLL__DATABASE__URL` and `POLL__REDIS__URL`.
#![forbid(unsafe_code)]

mod client;
mod plan;
mod report;
mod servers;

use std::io::{self, Write as _};
use std::process::ExitCode;
use std::sync::atomic::Ordering;

use crate::plan::{Options, run_plan};
use crate::servers::{Environment, start_sink};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match Options::parse(&args) {
        Ok(options) => options,
        Err(message) => return fail(&message),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return fail(&error.to_string()),
    };
    match runtime.block_on(run(&options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(&error.to_string()),
    }
}

fn fail(message: &str) -> ExitCode {
    let _ = writeln!(io::stderr(), "poll-bench: {message}");
    ExitCode::FAILURE
}

async fn run(options: &Options) -> io::Result<()> {
    let (sink_port, sink) = start_sink().await?;
    let env = Environment {
        api: options.api.clone(),
        database_url: non_empty_var("POLL__DATABASE__URL"),
        redis_url: non_empty_var("POLL__REDIS__URL"),
        sink_port,
        workers: options.workers,
    };
    let results = run_plan(options, &env).await?;
    let exported = (
        sink.requests.load(Ordering::Relaxed),
        sink.bytes.load(Ordering::Relaxed),
    );
    let markdown = report::render(options, &results, exported);
    std::fs::write(&options.out, &markdown)?;
    let mut out = io::stdout().lock();
    writeln!(out, "{}", report::summary(&results))?;
    writeln!(out, "written: {}", options.out.display())?;
    Ok(())
}

fn non_empty_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}
