//! The Markdown report: medians per configuration and the ratios that are the point.

use std::fmt::Write as _;
use std::time::Duration;

use crate::client::Batch;
use crate::plan::{COMPARISONS, Measured, Options};

/// The median of `values` (not empty).
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len() % 2 == 1 {
        values[middle]
    } else {
        f64::midpoint(values[middle - 1], values[middle])
    }
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// Median figures of one configuration's batches.
struct Figures {
    throughput: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: usize,
    requests: usize,
}

fn figures(batches: &[Batch]) -> Figures {
    Figures {
        throughput: median(batches.iter().map(Batch::throughput).collect()),
        p50_ms: median(batches.iter().map(|b| millis(b.percentile(0.50))).collect()),
        p99_ms: median(batches.iter().map(|b| millis(b.percentile(0.99))).collect()),
        errors: batches.iter().map(|b| b.errors).sum(),
        requests: batches.iter().map(|b| b.requests).sum(),
    }
}

/// The ratio of medians, and the range of the per-round (paired) ratios.
fn ratios(measured: &Measured) -> (f64, f64, f64) {
    let ratio = figures(&measured.candidate).throughput / figures(&measured.baseline).throughput;
    let paired: Vec<f64> = measured
        .baseline
        .iter()
        .zip(&measured.candidate)
        .map(|(b, c)| c.throughput() / b.throughput())
        .collect();
    let low = paired.iter().copied().fold(f64::INFINITY, f64::min);
    let high = paired.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (ratio, low, high)
}

/// One line per measurement, for the terminal.
pub fn summary(results: &[Measured]) -> String {
    let mut out = String::new();
    for measured in results {
        let (ratio, low, high) = ratios(measured);
        let _ = writeln!(
            out,
            "{:<60} {:<36} {} = {ratio:.2} (rounds {low:.2}-{high:.2})",
            measured.comparison.title,
            measured.workload.describe(),
            measured.comparison.ratio_means
        );
    }
    out
}

fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let os = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|release| {
            release
                .lines()
                .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                .map(|v| v.trim_matches('"').to_owned())
        })
        .unwrap_or_else(|| "unknown OS".to_owned());
    format!("{cores} cores ({model}), {os}")
}

/// The whole report.
pub fn render(options: &Options, results: &[Measured], exported: (u64, u64)) -> String {
    let mut out = String::new();
    header(&mut out, options);
    let _ = writeln!(
        out,
        "## Summary (ratios of median throughputs; per-round paired ratios in brackets)\n\n\
         | comparison | workload | ratio | rounds |\n| --- | --- | --- | --- |"
    );
    for measured in results {
        let (ratio, low, high) = ratios(measured);
        let _ = writeln!(
            out,
            "| {} | `{}` | {}: **{ratio:.2}** | {low:.2} – {high:.2} |",
            measured.comparison.title,
            measured.workload.describe(),
            measured.comparison.ratio_means
        );
    }
    for comparison in COMPARISONS {
        details(&mut out, comparison.title, results);
    }
    let (requests, bytes) = exported;
    let _ = writeln!(
        out,
        "\nSpans really were exported by the telemetry-on servers: the OTLP sink took {requests} \
         export requests ({} KiB of protobuf) during the run.\n",
        bytes / 1024
    );
    out.push_str(READING);
    out
}

fn header(out: &mut String, options: &Options) {
    let _ = writeln!(
        out,
        "# Benchmarks\n\n\
         Written by `make bench` on {date}; do not edit by hand, run it again.\n\n\
         - Command: `make bench`, which runs `bash crates/bench/run.sh`: it starts PostgreSQL and \
         Redis (`ci/services.sh up`), builds `poll-api` and `poll-bench` in release, then runs\n  \
         `{command}`.\n\
         - Machine: {machine}; toolchain {toolchain}. Shared with other work while it ran: \
         absolute figures are noisy, the ratios are the result.\n\
         - Method: every configuration is a `poll-api serve` process (the release binary, \
         `server.workers = {workers}`) on a loopback port; the load generator (one thread) sends \
         a bounded number of requests over {connections} keep-alive connections. For each \
         comparison and workload: one warm-up batch each, then {rounds} rounds, each running the \
         two configurations one right after the other, alternating which goes first. Reported: \
         medians over the rounds.\n\
         - Telemetry on = JSON access log at `info` (to a null sink), every request traced \
         (`OTEL_TRACES_SAMPLER=always_on`) and exported over OTLP/HTTP to a local sink (on the \
         same 2 cores), Prometheus metrics recorded. Logs + metrics only = the same without an \
         OTLP endpoint. Off = `log.level = off`, no OTLP endpoint, `metrics.enabled = false`.\n\
         - Batches: {reads} requests per read batch, {votes} per vote batch.\n",
        date = options.date,
        command = options.command_line(),
        machine = machine(),
        toolchain = options.toolchain,
        workers = options.workers,
        connections = options.connections,
        rounds = options.rounds,
        reads = options.reads,
        votes = options.votes,
    );
}

fn details(out: &mut String, title: &str, results: &[Measured]) {
    let _ = writeln!(
        out,
        "\n## {title}\n\n| workload | configuration | req/s (median) | p50 ms | p99 ms | requests | errors |\n\
         | --- | --- | --- | --- | --- | --- | --- |"
    );
    for measured in results.iter().filter(|m| m.comparison.title == title) {
        for (variant, batches) in [
            (measured.comparison.baseline, &measured.baseline),
            (measured.comparison.candidate, &measured.candidate),
        ] {
            let f = figures(batches);
            let _ = writeln!(
                out,
                "| `{}` | {} | {:.0} | {:.2} | {:.2} | {} | {} |",
                measured.workload.describe(),
                variant.name,
                f.throughput,
                f.p50_ms,
                f.p99_ms,
                f.requests,
                f.errors
            );
        }
    }
}

const READING: &str = "## How to read this\n\n\
- **Telemetry overhead**: on the memory store a request costs tens of microseconds, so the ratio \
shows the CPU that the access-log line, the spans (request, use case, SQL, Redis) and their \
export, and the histogram cost per request, at its worst (every request sampled, the exporter and \
the sink on the same 2 cores as the server and the load generator). The 10 %-sampled row shows \
how much of it is export (sampled-out spans are still created, not exported); the logs + metrics \
row shows the share of the log line and the histogram. With PostgreSQL behind the requests the \
same work is a smaller share of each request: those ratios are closer to what production sees.\n\
- **Cache value**: reads served from Redis (one `HGET` plus the version probe on PostgreSQL that \
keeps reads exact) against reads that always run the detail query on PostgreSQL. A hit still \
costs a PostgreSQL round trip, so where the detail query is as cheap as here (one indexed join \
over at most 20 choices, on a local server) a ratio below 1 means the cache costs more than it \
saves; it pays only when the detail query is what loads PostgreSQL.\n\
- **Votes**: a vote on PostgreSQL is a transaction that commits to disk (the contract's \
durability), against a mutex-guarded map on the memory store.\n\
- Errors must be 0; any other status than the expected one counts as an error.\n";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::count_f64;

    fn batch(requests: usize, millis: u64) -> Batch {
        Batch {
            requests,
            errors: 0,
            elapsed: Duration::from_millis(millis),
            latencies: (1..=100).map(Duration::from_micros).collect(),
        }
    }

    #[test]
    fn medians_and_percentiles() {
        assert!((median(vec![3.0, 1.0, 2.0]) - 2.0).abs() < f64::EPSILON);
        assert!((median(vec![4.0, 1.0, 2.0, 3.0]) - 2.5).abs() < f64::EPSILON);
        let b = batch(1000, 500);
        assert!((b.throughput() - 2000.0).abs() < 1e-9);
        assert_eq!(b.percentile(0.5), Duration::from_micros(51));
        assert_eq!(b.percentile(0.99), Duration::from_micros(99));
        assert!((count_f64(3) - 3.0).abs() < f64::EPSILON);
    }

    #[test]
    fn the_report_states_the_command_and_the_ratios() {
        let options = Options::parse(&[]).expect("defaults");
        let comparison = COMPARISONS[0];
        let measured = Measured {
            comparison,
            workload: comparison.workloads[0],
            baseline: vec![batch(1000, 500), batch(1000, 500)],
            candidate: vec![batch(1000, 1000), batch(1000, 1000)],
        };
        let text = render(&options, std::slice::from_ref(&measured), (3, 4096));
        assert!(text.contains("`make bench`"), "{text}");
        assert!(
            text.contains("poll-bench --api target/release/poll-api"),
            "{text}"
        );
        assert!(text.contains("**0.50**"), "{text}");
        assert!(text.contains("3 export requests (4 KiB"), "{text}");
        assert!(summary(&[measured]).contains("= 0.50 (rounds 0.50-0.50)"));
    }
}
