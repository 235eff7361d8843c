#!/usr/bin/env bash
# Tests of ci/quality-gate.sh: the gate must fail on seeded violations (a
# too-complex, too-long function; a 401-line file) and pass on clean input.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
GATE="$HERE/../quality-gate.sh"
FIXTURES="$HERE/fixtures"
# shellcheck source=ci/tests/lib/assert.sh
source "$HERE/lib/assert.sh"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
# Fixtures build in a scratch target dir; reports go there too.
export CARGO_TARGET_DIR="$WORK/target" REPORT_DIR="$WORK/reports"

gate() { bash "$GATE" "$@" 2>&1; }

# ---- clippy: seeded complexity violation
rc=0
out="$(QUALITY_MANIFEST="$FIXTURES/too-complex/Cargo.toml" gate --only clippy)" || rc=$?
assert_eq "clippy step fails on the too-complex fixture" "1" "$rc"
assert_match "reports cognitive complexity over 15" 'cognitive complexity of \([0-9]+/15\)' "$out"
assert_match "reports a function over 80 lines" 'too many lines \([0-9]+/80\)' "$out"
assert_match "reports more than 6 arguments" 'too many arguments \(7/6\)' "$out"
assert_match "summary marks clippy FAIL" 'FAIL  clippy' "$out"
assert_match "gate says it failed" 'QUALITY GATE FAILED' "$out"
assert_true "clippy JSON report written" test -s "$REPORT_DIR/clippy.json"
assert_true "clippy JSON report holds compiler messages" \
  grep -q '"reason":"compiler-message"' "$REPORT_DIR/clippy.json"

# ---- clippy: the control passes, also through --manifest-path
assert_true "clippy step passes on the clean fixture" \
  bash "$GATE" --only clippy --manifest-path "$FIXTURES/clean/Cargo.toml"
assert_true "fmt step passes on the clean fixture" \
  bash "$GATE" --only fmt --manifest-path "$FIXTURES/clean/Cargo.toml"

# ---- coverage: measured, printed, and a threshold that fails the step
rc=0
out="$(gate --only coverage --manifest-path "$FIXTURES/clean/Cargo.toml")" || rc=$?
assert_eq "coverage step passes on the clean fixture" "0" "$rc"
assert_match "coverage figure printed" 'LINE COVERAGE: 100\.00 %' "$out"
assert_true "lcov report written" grep -q '^SF:.*clean/src/lib.rs' "$REPORT_DIR/lcov.info"
rc=0
out="$(COVERAGE_MIN=101 gate --only coverage --manifest-path "$FIXTURES/clean/Cargo.toml")" || rc=$?
assert_eq "coverage under COVERAGE_MIN fails the step" "1" "$rc"
assert_match "says it is under the threshold" 'under the threshold 101 %' "$out"

# ---- file size
mkdir -p "$WORK/big/src" "$WORK/ok/src"
for i in $(seq 1 401); do echo "// line $i"; done >"$WORK/big/src/huge.rs"
for i in $(seq 1 400); do echo "// line $i"; done >"$WORK/ok/src/fine.rs"
rc=0
out="$(gate --only filesize --size-root "$WORK/big")" || rc=$?
assert_eq "filesize fails on a 401-line file" "1" "$rc"
assert_match "filesize names the file and its length" '401 src/huge.rs' "$out"
assert_true "filesize passes on a 400-line file" bash "$GATE" --only filesize --size-root "$WORK/ok"
assert_true "filesize limit is configurable" \
  env MAX_FILE_LINES=500 bash "$GATE" --only filesize --size-root "$WORK/big"
mkdir -p "$WORK/ok/target/debug"
for i in $(seq 1 900); do echo "// generated $i"; done >"$WORK/ok/target/debug/gen.rs"
assert_true "filesize ignores target/" bash "$GATE" --only filesize --size-root "$WORK/ok"

# ---- interface
assert_true "--help exits 0" bash "$GATE" --help
assert_eq "--list names every step" \
  "fmt clippy filesize coverage shellcheck hadolint actionlint compose deny aws" \
  "$(bash "$GATE" --list | tr '\n' ' ' | sed 's/ $//')"
assert_fails "unknown step is refused" bash "$GATE" --only nosuchstep
assert_fails "missing manifest is refused" bash "$GATE" --only fmt --manifest-path "$WORK/none/Cargo.toml"

finish
