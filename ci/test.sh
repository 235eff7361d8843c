#!/usr/bin/env bash
# The whole test suite, as `make test` and CI run it.
set -euo pipefail

# shellcheck source=ci/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
  cat <<'EOF2'
Usage: ci/test.sh [--no-services] [--keep-services] [-- NEXTEST_ARGS...]

Runs the whole suite:
  1. private PostgreSQL and Redis for the tests (ci/services.sh up, state in
     $POLL_SERVICES_DIR, default <repo>/.local/test-services), their env file
     sourced (POLL__DATABASE__URL, POLL__REDIS__URL, ...);
  2. cargo nextest run --workspace (unit, use-case, adapters on the real
     servers, HTTP black-box on the PostgreSQL store, contracts), then the
     HTTP black-box suite once more on the memory store;
  3. cargo test --workspace --doc (doc tests: nextest does not run them);
  4. ci/tests/run.sh (tests of the ci/ scripts);
  5. ci/rehearsal.sh (branch -> UAT -> staging -> production -> rollback, in a
     throw-away clone of HEAD, with one release build).
The test servers are stopped at the end unless they were running before or
--keep-services is given.

  --no-services     do not start servers (use POLL__DATABASE__URL etc. as set)
  --keep-services   leave the servers running
EOF2
}

ROOT="$(repo_root)"
cd "$ROOT"

services=1 keep=0 nextest_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h | --help | help) usage; exit 0 ;;
    --no-services) services=0 ;;
    --keep-services) keep=1 ;;
    --) shift; nextest_args=("$@"); break ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
  shift
done

if [[ "$services" == 1 ]]; then
  POLL_SERVICES_DIR="$(test_services_dir)"
  export POLL_SERVICES_DIR
  log "test servers: ci/services.sh with POLL_SERVICES_DIR=$POLL_SERVICES_DIR"
  was_running=0
  bash ci/services.sh status >/dev/null 2>&1 && was_running=1
  env_file="$(bash ci/services.sh up)"
  # shellcheck source=/dev/null
  source "$env_file"
  if [[ "$was_running" == 0 && "$keep" == 0 ]]; then
    trap 'bash "$ROOT/ci/services.sh" down || true' EXIT
  fi
fi

if ! cargo nextest --version >/dev/null 2>&1; then
  log "installing cargo-nextest"
  cargo install --locked cargo-nextest >&2 || die "cargo install cargo-nextest failed"
fi

# In CI, nextest's `ci` profile (.config/nextest.toml): a one-off failure on the shared 2-core
# machine is retried once and reported as FLAKY.
profile=default
[[ "${CI:-}" == true ]] && profile=ci

log "cargo nextest run --workspace (HTTP black-box suite on the PostgreSQL store)"
POLL_TEST_STORE=postgres cargo nextest run --profile "$profile" --workspace --no-fail-fast "${nextest_args[@]}"

log "HTTP black-box suite again, on the memory store"
POLL_TEST_STORE=memory cargo nextest run --profile "$profile" --workspace --no-fail-fast -E 'binary(api)'

log "doc tests"
cargo test --workspace --doc

log "tests of the ci/ scripts"
bash ci/tests/run.sh

log "the delivery pipeline, rehearsed end to end on the local target"
bash ci/rehearsal.sh
