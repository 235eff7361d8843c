# shellcheck shell=bash
# Fixtures shared by ci/tests/pipeline_*_test.sh: a throw-away git repository holding a
# copy of this ci/ folder, with the pipeline pointed at the stand-in poll-api (no cargo
# build, no PostgreSQL): fake-build.sh "compiles" it, fake:///... is its database.

FIX_HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
FIX_CI="$(cd "$FIX_HERE/../.." && pwd)"

# fix_repo — create $T (temp dir) and $REPO (a git repository on master with ci/), export
# the pipeline settings. Registers cleanup of everything on EXIT.
fix_repo() {
  T="$(mktemp -d)"
  REPO="$T/repo"
  mkdir -p "$REPO"
  cp -R "$FIX_CI" "$REPO/ci"
  rm -rf "$REPO/ci/tests"
  mkdir -p "$REPO/ci/tests"
  cp -R "$FIX_HERE" "$REPO/ci/tests/pipeline_fixtures"
  printf '/.local\n' >"$REPO/.gitignore"
  git -C "$REPO" init -q -b master
  fix_git add -A
  fix_git commit -q -m "initial"
  printf 'export POLL__DATABASE__URL=fake://%s/db.json\nexport POLL__REDIS__URL=\n' "$T" >"$T/services.env"
  export PIPELINE_BUILD_CMD="bash ci/tests/pipeline_fixtures/fake-build.sh"
  export FAKE_BUILD_OUTPUT="$T/build/poll-api" PIPELINE_BUILD_OUTPUT="$T/build/poll-api"
  export PIPELINE_SERVICES_ENV="$T/services.env"
  export PIPELINE_CONTRACT_CMD="python3 ci/lib/checks.py smoke \"\$PACT_BASE_URL\" >/dev/null"
  export PIPELINE_READY_TIMEOUT=10
  export DEPLOY_TARGET=local
  unset PIPELINE_STATE_DIR PIPELINE_RECORDS POLL_API_TOKEN PIPELINE_PUSH_TAGS
  # CI variables of the machine running the tests would change ci/version.sh's answer.
  unset GITHUB_HEAD_REF GITHUB_REF_NAME GITHUB_REF_TYPE GITHUB_SHA BRANCH_NAME CHANGE_BRANCH TAG_NAME GIT_BRANCH GIT_COMMIT
  RECORDS="$REPO/.local/pipeline/deployments.jsonl"
  ARTIFACTS="$REPO/.local/pipeline/artifacts"
  trap fix_cleanup EXIT
}

# fix_cleanup — stop every stand-in started under $T, remove $T.
fix_cleanup() {
  local pidfile pid
  if [[ -n "${T:-}" && -d "$T" ]]; then
    while IFS= read -r -d '' pidfile; do
      pid="$(tr -dc '0-9' <"$pidfile")"
      if [[ -n "$pid" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$T/"; then
        kill "$pid" 2>/dev/null || true
      fi
    done < <(find "$T" -name pid -type f -print0 2>/dev/null)
    for pid in "${FIX_PIDS[@]}"; do
      kill "$pid" 2>/dev/null || true
    done
    rm -rf "$T"
  fi
}
FIX_PIDS=()

fix_git() {
  git -C "$REPO" -c user.name=pipeline-test -c user.email=pipeline-test@example.invalid "$@"
}

# fix_commit MESSAGE — a new commit on the checked-out branch; prints its id.
fix_commit() {
  printf '%s\n' "$1" >>"$REPO/changes.txt"
  fix_git add changes.txt
  fix_git commit -q -m "$1"
  fix_git rev-parse HEAD
}

# ci SCRIPT ARGS... — run a pipeline script inside $REPO.
ci() {
  local script="$1"
  shift
  (cd "$REPO" && bash "ci/$script" "$@")
}

# py ARGS... — the records helper on $RECORDS.
py() {
  python3 "$REPO/ci/lib/pipeline.py" --records "$RECORDS" "$@"
}

# mk_artifact VERSION COMMIT [CONTENT] — an artifact as a build would store it.
mk_artifact() {
  local version="$1" commit="$2" content="${3:-binary of $1}" dir
  dir="$ARTIFACTS/$version"
  mkdir -p "$dir" "$ARTIFACTS/by-commit"
  printf '#!/bin/sh\n# %s\n' "$content" >"$dir/poll-api"
  chmod 0555 "$dir/poll-api"
  py write-json "$dir/meta.json" "version=$version" "digest=$(py artifact-digest "$dir")" \
    "commit=$commit" "commit_time=2026-01-01T00:00:00Z" "build_version=$version" \
    "build_branch=master" "source=build"
  printf '%s\n' "$version" >"$ARTIFACTS/by-commit/$commit"
}

# mk_retag FROM TO — TO as another name of FROM (as target_retag does).
mk_retag() {
  local from="$ARTIFACTS/$1" to="$ARTIFACTS/$2"
  mkdir -p "$to"
  ln "$from/poll-api" "$to/poll-api"
  py write-json "$to/meta.json" "version=$2" "digest=$(py json-get "$from/meta.json" digest)" \
    "commit=$(py json-get "$from/meta.json" commit)" "commit_time=2026-01-01T00:00:00Z" \
    "build_version=$1" "source=retag" "retagged_from=$1"
}

# rec_deploy ENV VERSION COMMIT RESULT [KEY=VALUE...] — a deployment record; prints its id.
rec_deploy() {
  local env="$1" version="$2" commit="$3" result="$4" id
  shift 4
  id="dep-$RANDOM$RANDOM"
  py record-deployment "id=$id" "environment=$env" "version=$version" "commit=$commit" \
    "digest=$(py json-get "$ARTIFACTS/$version/meta.json" digest 2>/dev/null || echo sha256:none)" \
    "result=$result" "checks=$([[ $result == success ]] && echo smoke)" "$@"
  printf '%s\n' "$id"
}

# rec_check DEPLOYMENT CHECK RESULT
rec_check() {
  py record-check "deployment=$1" "check=$2" "result=$3"
}

# start_fake ENV PORT_VAR — start the stand-in (environment ENV) on a free port; sets
# the variable named PORT_VAR to its base URL.
start_fake() {
  local env="$1" port
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  POLL_BUILD_VERSION=v0.0.0 POLL_BUILD_COMMIT=0000000 FAKE_BUILD_OUTPUT="$T/fake-$port" \
    bash "$FIX_HERE/fake-build.sh" 2>/dev/null
  POLL__ENVIRONMENT="$env" POLL__DATABASE__URL="fake://$T/standalone.json" \
    "$T/fake-$port" migrate
  POLL__ENVIRONMENT="$env" POLL__DATABASE__URL="fake://$T/standalone.json" \
    "$T/fake-$port" serve --bind "127.0.0.1:$port" --store postgres >/dev/null 2>&1 &
  FIX_PIDS+=("$!")
  local _
  for _ in $(seq 1 50); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/health/live" 2>/dev/null && break
    sleep 0.1
  done
  printf -v "$2" '%s' "http://127.0.0.1:$port"
}

# assert_refused NAME CMD... — CMD exits 3 (refused by a rule) with "REFUSED" in its log.
assert_refused() {
  local name="$1" out rc=0
  shift
  out="$("$@" 2>&1)" || rc=$?
  if [[ $rc -eq 3 && "$out" == *REFUSED* ]]; then
    _t_pass "$name"
    printf '         %s\n' "$(grep -m1 REFUSED <<<"$out" | sed 's/^\[[^]]*\] //')"
  else
    _t_fail "$name" "expected exit 3 with REFUSED, got exit $rc" "${out: -1500}"
  fi
}
