#!/usr/bin/env bash
# `make bench`: measure telemetry overhead, cache value and votes throughput as ratios, side by
# side in one run, and write docs/benchmarks.md. Starts its own PostgreSQL and Redis
# (ci/services.sh, state in .local/bench-services unless POLL_SERVICES_DIR says otherwise) and
# stops them afterwards unless they were running before. Extra arguments go to poll-bench
# (e.g. `--rounds 3 --reads 1000` for a quick look).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "$ROOT"

export POLL_SERVICES_DIR="${POLL_SERVICES_DIR:-$ROOT/.local/bench-services}"
was_running=0
bash ci/services.sh status >/dev/null 2>&1 && was_running=1
env_file="$(bash ci/services.sh up)"
# shellcheck source=/dev/null
source "$env_file"
if [[ "$was_running" == 0 ]]; then
  trap 'bash "$ROOT/ci/services.sh" down >/dev/null 2>&1 || true' EXIT
fi

# The same build as the image's (no feature churn in target/release), then the load generator.
cargo build --release --locked -p poll-server --bin poll-api
cargo build --release --locked -p poll-bench

target/release/poll-bench \
  --api target/release/poll-api \
  --out docs/benchmarks.md \
  --date "$(date -u +%Y-%m-%d)" \
  --toolchain "$(rustc -V | cut -d' ' -f1-2)" \
  "$@"
