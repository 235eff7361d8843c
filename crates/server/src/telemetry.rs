//! Logging with `tracing`: set up once per process (tests call it from every test).

use std::sync::Once;

use tracing_subscriber::EnvFilter;

use crate::settings::LogFormat;

static INIT: Once = Once::new();

/// Installs the global subscriber: JSON lines or human-readable text on stderr, filtered by
/// `RUST_LOG` when set, else by `level`. Later calls do nothing.
pub fn init(format: LogFormat, level: &str) {
    INIT.call_once(|| {
        let filter = EnvFilter::try_from_default_env()
            .or_else(|_| EnvFilter::try_new(level))
            .unwrap_or_else(|_| EnvFilter::new("info"));
        let builder = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr);
        // `try_init` fails only when another subscriber is already installed; keep that one.
        let _ = match format {
            LogFormat::Json => builder.json().with_current_span(true).try_init(),
            LogFormat::Pretty => builder.try_init(),
        };
    });
}

/// For tests: quiet unless `TEST_LOG` is set, then human-readable through the test harness's
/// capture (`cargo test -- --nocapture` shows it live).
pub fn init_for_tests() {
    if std::env::var_os("TEST_LOG").is_none() {
        return;
    }
    INIT.call_once(|| {
        let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("debug"));
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .try_init();
    });
}
