#!/usr/bin/env bash
# Runs every ci/tests/*_test.sh and prints one closing count line.
set -euo pipefail

# shellcheck source=ci/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

if is_help "${1:-}"; then
  cat <<'EOF2'
Usage: ci/tests/run.sh [NAME...]

Runs every ci/tests/*_test.sh (or only those named, e.g. "version"), each in
its own bash, and ends with "N passed, M failed": the sum of the files' own
closing lines (a file that fails without one counts as one failure).
Exits non-zero when any file fails.
EOF2
  exit 0
fi

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
files=()
if [[ $# -gt 0 ]]; then
  for name in "$@"; do
    files+=("$HERE/${name%_test.sh}_test.sh")
  done
else
  for f in "$HERE"/*_test.sh; do
    files+=("$f")
  done
fi

out="$(mktemp)"
trap 'rm -f "$out"' EXIT
passed=0 failed=0 failed_files=()
for f in "${files[@]}"; do
  [[ -f "$f" ]] || die "no such test file: $f"
  log "running $(basename "$f")"
  rc=0
  bash "$f" 2>&1 | tee "$out" | sed -E 's/^([0-9]+ passed, [0-9]+ failed)$/  (\1)/' || rc=$?
  last="$(tail -n 1 "$out")"
  if [[ "$last" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
    passed=$((passed + BASH_REMATCH[1]))
    failed=$((failed + BASH_REMATCH[2]))
  fi
  if [[ $rc -ne 0 ]]; then
    failed_files+=("$(basename "$f")")
    if ! [[ "$last" =~ [1-9][0-9]*\ failed$ ]]; then
      failed=$((failed + 1))
    fi
  fi
done
if [[ ${#failed_files[@]} -gt 0 ]]; then
  log "failed: ${failed_files[*]}"
fi
echo "$passed passed, $failed failed"
[[ ${#failed_files[@]} -eq 0 ]]
