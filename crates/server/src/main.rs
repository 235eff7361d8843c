//! `poll-api`: see `poll-api --help`.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    poll_server::cli::main()
}
