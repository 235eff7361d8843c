#!/usr/bin/env bash
# The whole delivery path, rehearsed end to end on this machine (local target).
set -euo pipefail

# shellcheck source=ci/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
  cat <<'EOF'
Usage: ci/rehearsal.sh [--worktree] [--stand-in] [--keep]

In a throw-away clone of this repository's HEAD (in a temporary folder), runs the
delivery path on the local target with the real release binary, built once:

   1. a feature branch with a commit; ci/env-up: its environment comes up (build,
      schema, deployment, smoke)
   2. ci/e2e and ci/contract-verify against it
   3. merge to master (fast-forward: master's commit is the one already built)
   4. ci/env-down: deployment stopped, schema and cache keys gone (checked with psql
      and `poll-api env list`)
   5. ci/deploy uat (the same artifact re-tagged), ci/e2e and ci/contract-verify
   6. ci/promote-rc: v0.1.0-rc.1 re-tagged, staging: acceptance, e2e, perf (load), security
   7. ci/release: v0.1.0 to prod, smoke only; prod's artifact digest == the build's
   8. a second release v0.1.1 (an rc of the same verified commit), then
      ci/rollback prod: back to v0.1.0; rolling back again changes nothing
   9. the rules refusing: an rc from an unverified master commit, a release from an rc
      that did not pass staging, e2e/load against prod, an rc deployed to prod
  10. ci/dora on the records
It fails at the first broken step, and always stops every process it started and
drops what it created (its own PostgreSQL and Redis, in the temporary folder).

  --worktree   rehearse the work tree as it is (a snapshot commit of tracked and
               untracked, non-ignored files) instead of HEAD: for trying changes
               before committing them
  --stand-in   use the stand-in poll-api of ci/tests/pipeline_fixtures instead of the
               real binary: no cargo build, no PostgreSQL (the scripts' own test)
  --keep       keep the temporary folder (the records, artifacts and logs)

Environment: REHEARSAL_TARGET_DIR (cargo target dir of the build; default:
$CARGO_TARGET_DIR, else this repository's target/, so its caches are reused),
REHEARSAL_CONTRACT_CMD (replaces the provider verification command, see
ci/contract-verify), REHEARSAL_TMPDIR (default /tmp; must be traversable by the
"postgres" user when run as root).
Ends with "rehearsal: N passed, 0 failed" (steps).
EOF
}

WORKTREE=0 STAND_IN=0 KEEP=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h | --help | help) usage; exit 0 ;;
    --worktree) WORKTREE=1 ;;
    --stand-in) STAND_IN=1 ;;
    --keep) KEEP=1 ;;
    *) usage >&2; exit 2 ;;
  esac
  shift
done

ORIG="$(repo_root)"
require_cmd git
require_cmd python3
require_cmd curl
# Under /tmp by default: as root, PostgreSQL runs as "postgres", which must reach it.
WORK="$(mktemp -d "${REHEARSAL_TMPDIR:-/tmp}/poll-rehearsal.XXXXXX")"
# As root, PostgreSQL runs as "postgres", which must reach its data folder in here.
chmod 0755 "$WORK"
CLONE="$WORK/repo"
STARTED=$SECONDS
STEPS_PASSED=0
CURRENT_STEP=""

cleanup() {
  local rc=$?
  set +e
  if [[ $rc -ne 0 ]]; then
    log "REHEARSAL FAILED${CURRENT_STEP:+ at step: $CURRENT_STEP} (exit $rc)"
    local f
    for f in "$CLONE"/.local/pipeline/envs/*/service.log; do
      [[ -f "$f" ]] || continue
      log "last lines of $(basename "$(dirname "$f")")/service.log:"
      tail -n 15 "$f" >&2
    done
  fi
  log "cleaning up"
  # Every service process this rehearsal started: the pid files of its environments,
  # checked to be binaries of its own artifact store.
  local pidfile pid
  for pidfile in "$CLONE"/.local/pipeline/envs/*/pid; do
    [[ -f "$pidfile" ]] || continue
    pid="$(tr -dc '0-9' <"$pidfile")"
    if [[ -n "$pid" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$WORK/"; then
      kill -TERM "$pid" 2>/dev/null
      for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      kill -KILL "$pid" 2>/dev/null
    fi
  done
  # Its own PostgreSQL and Redis: every schema and key goes with them.
  if [[ -d "$WORK/services" ]]; then
    POLL_SERVICES_DIR="$WORK/services" bash "$ORIG/ci/services.sh" down >/dev/null 2>&1 \
      || warn "could not stop the rehearsal's PostgreSQL/Redis in $WORK/services"
  fi
  if [[ $KEEP -eq 1 ]]; then
    log "kept $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() {
  CURRENT_STEP="$*"
  STEP_STARTED=$SECONDS
  log "==== $* ===="
}

passed() {
  STEPS_PASSED=$((STEPS_PASSED + 1))
  log "---- ok ($((SECONDS - STEP_STARTED)) s): $CURRENT_STEP"
}

fail() {
  die "rehearsal: $*"
}

g() {
  git -C "$CLONE" -c user.name="rehearsal" -c user.email="rehearsal@poll-api.invalid" "$@"
}

# run SCRIPT ARGS... — a pipeline script in the clone; stdout returned.
run() {
  local script="$1"
  shift
  (cd "$CLONE" && bash "ci/$script" "$@")
}

# expect_refused WHAT SCRIPT ARGS... — the script must exit 3 (a rule refused).
expect_refused() {
  local what="$1" rc=0
  shift
  run "$@" >/dev/null 2>"$WORK/refused.log" || rc=$?
  if [[ $rc -ne 3 ]] || ! grep -q REFUSED "$WORK/refused.log"; then
    cat "$WORK/refused.log" >&2
    fail "$what: expected a refusal (exit 3), got exit $rc"
  fi
  log "refused as it must be: $(grep -m1 REFUSED "$WORK/refused.log" | sed 's/^\[[^]]*\] //')"
}

# version_field URL FIELD
version_field() {
  curl -fsS --max-time 5 "$1/version" | python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2"
}

artifact_field() {
  python3 "$CLONE/ci/lib/pipeline.py" json-get "$CLONE/.local/pipeline/artifacts/$1/meta.json" "$2"
}

# ------------------------------------------------------------------ the clone

step "throw-away clone of $( ((WORKTREE)) && echo "the work tree" || echo HEAD)"
git clone -q --no-hardlinks "$ORIG" "$CLONE"
g remote remove origin # nothing this rehearsal does can reach the real repository
if ((WORKTREE)); then
  (cd "$CLONE" && git ls-files -z | xargs -0 -r rm -f)
  (cd "$ORIG" && git ls-files -z -co --exclude-standard | xargs -0 -r tar -cf - --no-recursion) \
    | tar -xf - -C "$CLONE"
  g add -A
  if ! g diff --cached --quiet; then
    g commit -q -m "rehearsal: snapshot of the work tree"
  fi
fi
g checkout -q -B master
# The CI's own variables would make ci/version.sh describe the CI's ref, not the clone's.
unset GITHUB_HEAD_REF GITHUB_REF_NAME GITHUB_REF_TYPE GITHUB_SHA BRANCH_NAME CHANGE_BRANCH \
  TAG_NAME GIT_BRANCH GIT_COMMIT PIPELINE_STATE_DIR PIPELINE_RECORDS POLL_API_TOKEN \
  PIPELINE_PUSH_TAGS POLL__DATABASE__URL POLL__REDIS__URL POLL__ENVIRONMENT
export DEPLOY_TARGET=local GIT_COMMITTER_NAME=rehearsal GIT_COMMITTER_EMAIL=rehearsal@poll-api.invalid
if ((STAND_IN)); then
  export PIPELINE_BUILD_CMD="bash ci/tests/pipeline_fixtures/fake-build.sh"
  export FAKE_BUILD_OUTPUT="$WORK/build/poll-api" PIPELINE_BUILD_OUTPUT="$WORK/build/poll-api"
  printf 'export POLL__DATABASE__URL=fake://%s/db.json\nexport POLL__REDIS__URL=\n' "$WORK" >"$WORK/services.env"
  export PIPELINE_SERVICES_ENV="$WORK/services.env"
  export PIPELINE_CONTRACT_CMD="${REHEARSAL_CONTRACT_CMD:-python3 ci/lib/checks.py smoke \"\$PACT_BASE_URL\"}"
else
  export POLL_SERVICES_DIR="$WORK/services"
  export CARGO_TARGET_DIR="${REHEARSAL_TARGET_DIR:-${CARGO_TARGET_DIR:-$ORIG/target}}"
  if [[ -n "${REHEARSAL_CONTRACT_CMD:-}" ]]; then
    export PIPELINE_CONTRACT_CMD="$REHEARSAL_CONTRACT_CMD"
  fi
fi
log "clone at $(g rev-parse --short HEAD) in $CLONE"
passed

# ------------------------------------------------------------------ branch environment

BRANCH="feature/rehearsal-$(date -u +%H%M%S)"
step "feature branch $BRANCH: its environment comes up (ci/env-up)"
g checkout -q -b "$BRANCH"
mkdir -p "$CLONE/docs"
mkdir -p "$CLONE/docs"
printf 'Rehearsed change, %s.\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$CLONE/docs/rehearsal-change.txt"
g add docs/rehearsal-change.txt
g commit -q -m "Rehearsal: a change on a feature branch"
COMMIT="$(g rev-parse HEAD)"
FEATURE_VERSION="$(cd "$CLONE" && bash ci/version.sh)"
URL_F="$(run env-up)" || fail "ci/env-up failed"
[[ "$(version_field "$URL_F" environment)" == "$BRANCH" ]] || fail "the branch environment does not serve $BRANCH"
[[ "$(version_field "$URL_F" commit)" == "$COMMIT"* ]] || fail "the branch environment does not run $COMMIT"
BUILD_DIGEST="$(artifact_field "$FEATURE_VERSION" digest)"
log "branch environment at $URL_F, artifact $FEATURE_VERSION $BUILD_DIGEST"
[[ "$(run env-up 2>/dev/null)" == "$URL_F" ]] || fail "ci/env-up is not idempotent"
passed

step "e2e and contract verification against the branch environment"
run e2e "$URL_F" >&2 || fail "e2e failed on $BRANCH"
run contract-verify "$URL_F" >&2 || fail "contract verification failed on $BRANCH"
passed

step "merge $BRANCH to master"
g checkout -q master
g merge -q --ff-only "$BRANCH"
[[ "$(g rev-parse HEAD)" == "$COMMIT" ]] || fail "master is not at the merged commit"
passed

step "ci/env-down $BRANCH: deployment and data removed, nothing else"
SCHEMA="$(python3 "$CLONE/ci/lib/pipeline.py" schema "$BRANCH")"
BIN="$CLONE/.local/pipeline/artifacts/$FEATURE_VERSION/poll-api"
# Data in the branch environment (and its cache), and a bystander environment that must
# survive the teardown.
qid="$(curl -fsS -X POST -H 'Content-Type: application/json' \
  -d '{"question_text":"Left behind?","pub_date":"2026-01-01","choices":["yes","no"]}' \
  "$URL_F/polls/questions/" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')" \
  || fail "could not write to the branch environment"
curl -fsS -o /dev/null "$URL_F/polls/questions/$qid/" && curl -fsS -o /dev/null "$URL_F/polls/questions/$qid/results/"
if ((STAND_IN)); then
  services_env="$WORK/services.env"
else
  services_env="$WORK/services/env"
fi
with_services() {
  # shellcheck source=/dev/null
  (set -a && source "$services_env" && set +a && "$@")
}
with_services env POLL__ENVIRONMENT=rehearsal-bystander "$BIN" env create rehearsal-bystander >/dev/null \
  || fail "could not create the bystander environment"
if ((!STAND_IN)); then
  # shellcheck disable=SC2016 # expanded by the inner bash
  keys_before="$(with_services bash -c 'redis-cli -u "$POLL__REDIS__URL" --scan --pattern "poll:$1:*" | wc -l' _ "$SCHEMA")"
  log "before env-down: question $qid in schema $SCHEMA, $keys_before Redis keys under poll:$SCHEMA:"
fi
run env-down "$BRANCH" >&2 || fail "ci/env-down failed"
with_services env POLL__ENVIRONMENT=rehearsal-bystander "$BIN" env list | grep -qF rehearsal-bystander \
  || fail "env-down of $BRANCH removed another environment"
with_services env POLL__ENVIRONMENT=rehearsal-bystander "$BIN" env drop rehearsal-bystander >/dev/null
log "the bystander environment survived"
if curl -fsS --max-time 2 -o /dev/null "$URL_F/health/live" 2>/dev/null; then
  fail "the branch environment still answers at $URL_F"
fi
if ((!STAND_IN)); then
  # shellcheck source=/dev/null
  source "$WORK/services/env"
  left="$(psql -X -q -tA -d "$POLL__DATABASE__URL" -c "SELECT count(*) FROM pg_namespace WHERE nspname = '$SCHEMA'")"
  [[ "$left" == 0 ]] || fail "schema $SCHEMA still exists"
  listed="$(POLL__ENVIRONMENT=uat "$CLONE/.local/pipeline/artifacts/$FEATURE_VERSION/poll-api" env list)"
  ! grep -qF "$SCHEMA" <<<"$listed" || fail "poll-api env list still lists $SCHEMA"
  keys="$(redis-cli -u "$POLL__REDIS__URL" --scan --pattern "poll:${SCHEMA}:*" | wc -l)"
  [[ "$keys" == 0 ]] || fail "$keys Redis keys of $BRANCH are left"
  unset POLL__DATABASE__URL POLL__REDIS__URL
  log "schema $SCHEMA and its Redis keys are gone (psql, poll-api env list, redis-cli)"
fi
run env-down "$BRANCH" >&2 || fail "ci/env-down is not idempotent"
passed

# ------------------------------------------------------------------ UAT

step "UAT: master deployed (same artifact, re-tagged) and verified"
URL_U="$(run deploy uat)" || fail "ci/deploy uat failed"
MASTER_VERSION="$(cd "$CLONE" && bash ci/version.sh)"
[[ "$(artifact_field "$MASTER_VERSION" digest)" == "$BUILD_DIGEST" ]] || fail "uat's artifact was rebuilt"
run e2e "$URL_U" >&2 || fail "e2e failed on uat"
run contract-verify "$URL_U" >&2 || fail "contract verification failed on uat"
passed

# ------------------------------------------------------------------ staging

step "ci/promote-rc: v0.1.0-rc.1 to staging (acceptance, e2e, perf, security)"
RC="$(run promote-rc --version 0.1.0)" || fail "ci/promote-rc failed"
[[ "$RC" == v0.1.0-rc.1 ]] || fail "expected v0.1.0-rc.1, got $RC"
[[ "$(g rev-parse "$RC^{commit}")" == "$COMMIT" ]] || fail "$RC is not on the verified commit"
[[ "$(artifact_field "$RC" digest)" == "$BUILD_DIGEST" ]] || fail "the rc artifact was rebuilt"
[[ "$(run promote-rc --version 0.1.0 2>/dev/null)" == "$RC" ]] || fail "ci/promote-rc is not idempotent"
passed

# ------------------------------------------------------------------ production

step "ci/release: v0.1.0 to prod, smoke only"
URL_P="$(run release "$RC")" || fail "ci/release failed"
[[ "$(g rev-parse "v0.1.0^{commit}")" == "$COMMIT" ]] || fail "v0.1.0 is not on the verified commit"
PROD_DIGEST="$(artifact_field v0.1.0 digest)"
[[ "$PROD_DIGEST" == "$BUILD_DIGEST" ]] || fail "prod's artifact $PROD_DIGEST is not the build's $BUILD_DIGEST"
[[ "$(stat -c %i "$CLONE/.local/pipeline/artifacts/v0.1.0/poll-api")" == \
  "$(stat -c %i "$CLONE/.local/pipeline/artifacts/$FEATURE_VERSION/poll-api")" ]] \
  || fail "prod's binary is not the very file that was built"
[[ "$(version_field "$URL_P" environment)" == prod ]] || fail "prod does not serve environment prod"
[[ "$(version_field "$URL_P" commit)" == "$COMMIT"* ]] || fail "prod does not run $COMMIT"
log "prod runs v0.1.0 = $PROD_DIGEST, the artifact built once for ${COMMIT:0:12}"
checks="$(python3 "$CLONE/ci/lib/pipeline.py" --records "$CLONE/.local/pipeline/deployments.jsonl" live prod --field checks_passed)"
[[ "$checks" == smoke ]] || fail "prod ran checks other than smoke: $checks"
[[ "$(run release "$RC" 2>/dev/null)" == "$URL_P" ]] || fail "ci/release is not idempotent"
passed

step "a second release v0.1.1, then ci/rollback prod"
RC2="$(run promote-rc)" || fail "ci/promote-rc (second) failed"
[[ "$RC2" == v0.1.1-rc.1 ]] || fail "expected v0.1.1-rc.1, got $RC2"
run release "$RC2" >/dev/null || fail "ci/release $RC2 failed"
[[ "$(python3 "$CLONE/ci/lib/pipeline.py" --records "$CLONE/.local/pipeline/deployments.jsonl" live prod --field version)" == v0.1.1 ]] \
  || fail "prod does not run v0.1.1"
URL_R="$(run rollback prod)" || fail "ci/rollback prod failed"
[[ "$URL_R" == "$URL_P" ]] || fail "prod moved from $URL_P to $URL_R"
live="$(python3 "$CLONE/ci/lib/pipeline.py" --records "$CLONE/.local/pipeline/deployments.jsonl" live prod)"
if ! grep -q '"version": "v0.1.0"' <<<"$live" || ! grep -q '"action": "rollback"' <<<"$live"; then
  fail "prod is not back on v0.1.0 by rollback: $live"
fi
run smoke "$URL_R" --env prod >&2 || fail "smoke after the rollback failed"
[[ "$(run rollback prod 2>/dev/null)" == "$URL_P" ]] || fail "ci/rollback is not idempotent"
passed

# ------------------------------------------------------------------ the rules refusing

step "the rules refuse what they must"
g commit -q --allow-empty -m "Rehearsal: an unverified change on master"
expect_refused "an rc from a master commit that did not pass UAT" promote-rc
g tag -a v0.2.0-rc.1 "$COMMIT" -m "an rc that never went through staging"
(cd "$CLONE" && bash -c 'source ci/lib/pipeline.sh && target_retag "$1" v0.2.0-rc.1' _ "$FEATURE_VERSION") \
  || fail "could not re-tag for the refusal test"
expect_refused "a release from an rc that did not pass staging" release v0.2.0-rc.1
expect_refused "e2e against production" e2e "$URL_P"
expect_refused "a load test against production" perf "$URL_P"
expect_refused "contract verification against production" contract-verify "$URL_P" --env prod
expect_refused "an rc deployed straight to production" deploy prod v0.1.0-rc.1
expect_refused "a branch build deployed to staging" deploy staging "$MASTER_VERSION"
[[ "$(version_field "$URL_P" version)" == "$(artifact_field v0.1.0 build_version)" ]] \
  || fail "a refused step changed production"
passed

step "DORA metrics from the records and the history"
(cd "$CLONE" && bash ci/dora) >&2 || fail "ci/dora failed"
(cd "$CLONE" && python3 ci/lib/pipeline.py --records .local/pipeline/deployments.jsonl history) >&2
passed

CURRENT_STEP=""
log "rehearsal done in $((SECONDS - STARTED)) s"
echo "rehearsal: $STEPS_PASSED passed, 0 failed"
