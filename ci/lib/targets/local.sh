# shellcheck shell=bash
# Deployment target "local": one machine, no Docker. Sourced by ci/lib/pipeline.sh.
#
#   image      = the release binary (plus config/) in the artifact store
#                $PIPELINE_STATE/artifacts/<version>/{poll-api,config/,meta.json}
#   re-tag     = another <version> folder hard-linked to the same files, same digest
#   deployment = that binary started in the background (setsid, pid file, log) on its
#                own loopback port, with its own environment name (= PostgreSQL schema
#                and Redis key prefix) against the local PostgreSQL and Redis of
#                ci/services.sh; state in $PIPELINE_STATE/envs/<env>/
#   records    = $PIPELINE_STATE/deployments.jsonl
#
# Settings: PIPELINE_BUILD_CMD (default: cargo build --release --locked -p poll-server
# --bin poll-api), PIPELINE_BUILD_OUTPUT (default: <cargo target dir>/release/poll-api),
# PIPELINE_SERVICES_ENV (an env file exporting POLL__DATABASE__URL/POLL__REDIS__URL;
# default: what `ci/services.sh up` prints), PIPELINE_ALLOW_DIRTY=1 (build a tree with
# uncommitted changes; never in CI).

LOCAL_ARTIFACTS="$PIPELINE_STATE/artifacts"

local_artifact_dir() {
  pl_check_version "$1"
  printf '%s/%s\n' "$LOCAL_ARTIFACTS" "$1"
}

target_has_artifact() {
  local dir
  dir="$(local_artifact_dir "$1")"
  [[ -f "$dir/meta.json" && -x "$dir/poll-api" ]]
}

# target_artifact_field VERSION FIELD — a field of the artifact's meta.json.
target_artifact_field() {
  pl_py json-get "$(local_artifact_dir "$1")/meta.json" "$2"
}

target_artifact_digest() {
  target_artifact_field "$1" digest
}

# target_verify_artifact VERSION — the files still have the recorded digest.
target_verify_artifact() {
  local dir
  dir="$(local_artifact_dir "$1")"
  [[ "$(pl_py artifact-digest "$dir")" == "$(target_artifact_digest "$1")" ]]
}

# target_build_of_commit COMMIT — the version name COMMIT was built as.
target_build_of_commit() {
  local f="$LOCAL_ARTIFACTS/by-commit/$1"
  [[ -s "$f" ]] || return 1
  cat "$f"
}

local_write_meta() {
  local dir="$1"
  shift
  pl_py write-json "$dir/meta.json" "$@"
}

# target_retag FROM TO — record TO as another name of FROM's artifact (same files, same
# digest). Idempotent; an existing TO with other content is refused (tags are immutable).
target_retag() {
  local from="$1" to="$2" src dst tmp
  src="$(local_artifact_dir "$from")"
  dst="$(local_artifact_dir "$to")"
  target_has_artifact "$from" || die "no artifact $from to re-tag"
  if target_has_artifact "$to"; then
    [[ "$(target_artifact_digest "$to")" == "$(target_artifact_digest "$from")" ]] \
      || refuse "artifact $to already exists with another digest (tags are immutable)"
    return 0
  fi
  tmp="$LOCAL_ARTIFACTS/.tmp.$to.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  # Hard links: the very same bytes (same inode) under a second name.
  (cd "$src" && find . -type f ! -name meta.json -print0 | while IFS= read -r -d '' f; do
    mkdir -p "$tmp/$(dirname "$f")"
    ln "$f" "$tmp/$f" 2>/dev/null || cp -p "$f" "$tmp/$f"
  done)
  local_write_meta "$tmp" "version=$to" "digest=$(target_artifact_digest "$from")" \
    "commit=$(target_artifact_field "$from" commit)" \
    "commit_time=$(target_artifact_field "$from" commit_time)" \
    "build_version=$(target_artifact_field "$from" build_version)" \
    "build_branch=$(target_artifact_field "$from" build_branch)" \
    "retagged_from=$from" "created=$(date -u +%Y-%m-%dT%H:%M:%SZ)" "source=retag"
  [[ "$(pl_py artifact-digest "$tmp")" == "$(target_artifact_digest "$from")" ]] \
    || die "re-tagged copy of $from does not have its digest"
  mv -T "$tmp" "$dst"
  log "re-tagged artifact $from as $to ($(target_artifact_digest "$to"))"
}

# target_publish VERSION COMMIT BRANCH — make artifact VERSION exist for COMMIT: re-tag
# the build of COMMIT when there is one (built once per commit), else build HEAD.
target_publish() {
  local version="$1" commit="$2" branch="$3" built out tmp digest
  if target_has_artifact "$version"; then
    [[ "$(target_artifact_field "$version" commit)" == "$commit" ]] \
      || refuse "artifact $version exists for another commit"
    log "artifact $version exists ($(target_artifact_digest "$version"))"
    return 0
  fi
  if built="$(target_build_of_commit "$commit")" && target_has_artifact "$built"; then
    log "commit ${commit:0:12} was built as $built: re-tagging, not rebuilding"
    target_retag "$built" "$version"
    return 0
  fi
  [[ "$(pl_git rev-parse HEAD)" == "$commit" ]] \
    || die "artifact $version must be built from ${commit:0:12}, but HEAD is $(pl_git rev-parse --short HEAD)"
  if [[ -n "$(pl_git status --porcelain --untracked-files=normal)" && "${PIPELINE_ALLOW_DIRTY:-0}" != 1 ]]; then
    die "the work tree has uncommitted changes: an artifact is built from a commit only (PIPELINE_ALLOW_DIRTY=1 to override locally)"
  fi
  local cmd="${PIPELINE_BUILD_CMD:-cargo build --release --locked -p poll-server --bin poll-api}"
  out="${PIPELINE_BUILD_OUTPUT:-${CARGO_TARGET_DIR:-$PIPELINE_ROOT/target}/release/poll-api}"
  log "building $version from ${commit:0:12}: $cmd"
  local started=$SECONDS
  (cd "$PIPELINE_ROOT" && POLL_BUILD_VERSION="$version" POLL_BUILD_COMMIT="$commit" \
    POLL_BUILD_BRANCH="$branch" bash -c "$cmd" >&2) || die "build of $version failed"
  [[ -x "$out" ]] || die "the build did not produce $out"
  log "built in $((SECONDS - started)) s"
  tmp="$LOCAL_ARTIFACTS/.tmp.$version.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp" "$LOCAL_ARTIFACTS/by-commit"
  cp "$out" "$tmp/poll-api"
  chmod 0555 "$tmp/poll-api"
  if [[ -d "$PIPELINE_ROOT/config" ]] && [[ -n "$(ls -A "$PIPELINE_ROOT/config")" ]]; then
    cp -R "$PIPELINE_ROOT/config" "$tmp/config"
  fi
  digest="$(pl_py artifact-digest "$tmp")"
  local_write_meta "$tmp" "version=$version" "digest=$digest" "commit=$commit" \
    "commit_time=$(pl_commit_time "$commit")" "build_version=$version" "build_branch=$branch" \
    "created=$(date -u +%Y-%m-%dT%H:%M:%SZ)" "source=build"
  mv -T "$tmp" "$(local_artifact_dir "$version")"
  printf '%s\n' "$version" >"$LOCAL_ARTIFACTS/by-commit/$commit"
  log "artifact $version stored ($digest)"
}

# ---------------------------------------------------------------- services

# local_services — export POLL__DATABASE__URL and POLL__REDIS__URL of the local servers.
local_services() {
  local envfile="${PIPELINE_SERVICES_ENV:-}"
  if [[ -z "$envfile" ]]; then
    # fd 8 (our environment lock) must not leak into the long-running servers.
    envfile="$(bash "$PIPELINE_ROOT/ci/services.sh" up 8>&-)" || die "ci/services.sh up failed"
  fi
  [[ -f "$envfile" ]] || die "no services env file at $envfile"
  # shellcheck source=/dev/null
  source "$envfile"
  [[ -n "${POLL__DATABASE__URL:-}" ]] || die "$envfile does not set POLL__DATABASE__URL"
}

# local_run ENV VERSION ARGS... — run the artifact's binary for ENV in the foreground,
# with a clean environment.
local_run() {
  local env="$1" version="$2" dir
  shift 2
  dir="$(local_artifact_dir "$version")"
  local extra=()
  [[ -d "$dir/config" ]] && extra+=("POLL_CONFIG_DIR=$dir/config")
  env -i PATH="$PATH" HOME="${HOME:-/tmp}" LANG=C.UTF-8 \
    RUST_LOG="${PIPELINE_RUST_LOG:-info}" \
    POLL__ENVIRONMENT="$env" POLL__DATABASE__URL="$POLL__DATABASE__URL" \
    POLL__REDIS__URL="${POLL__REDIS__URL:-}" "${extra[@]}" \
    "$dir/poll-api" "$@"
}

# ---------------------------------------------------------------- deployments

local_pid() {
  local f
  f="$(pl_env_dir "$1")/pid"
  [[ -s "$f" ]] && tr -dc '0-9' <"$f"
}

# local_ours PID — the process is a poll-api started from our artifact store.
local_ours() {
  local pid="$1"
  pid_alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$LOCAL_ARTIFACTS/"
}

target_stop() {
  local env="$1" dir pid port
  dir="$(pl_env_dir "$env")"
  pid="$(local_pid "$env" || true)"
  if [[ -n "$pid" ]] && local_ours "$pid"; then
    log "stopping $env (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 20))
    while pid_alive "$pid" && ((SECONDS < deadline)); do
      sleep 0.1
    done
    if pid_alive "$pid"; then
      warn "$env did not stop in 20 s: killing it"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.2
    fi
  fi
  rm -f "$dir/pid"
  port="$(cat "$dir/port" 2>/dev/null || true)"
  if [[ -n "$port" ]]; then
    wait_for_port_closed "$port" 10 || warn "port $port of $env still open"
  fi
}

local_ensure_token() {
  local env="$1" dir
  dir="$(pl_env_dir "$env")"
  if [[ ! -s "$dir/token" ]]; then
    (umask 077 && python3 -c 'import secrets; print(secrets.token_urlsafe(32))' >"$dir/token")
  fi
}

# target_token ENV — the bearer token of ENV ("" when auth is off there). Never logged.
target_token() {
  local f
  f="$(pl_env_dir "$1")/token"
  if [[ -s "$f" ]]; then
    cat "$f"
  fi
}

# target_deploy ENV VERSION — stop the running one, migrate, start VERSION, wait for
# /health/ready; prints the BASE_URL.
target_deploy() {
  local env="$1" version="$2" dir port pid base_url log_file
  dir="$(pl_env_dir "$env")"
  mkdir -p "$dir"
  printf '%s\n' "$env" >"$dir/name"
  local_services
  if pl_needs_auth "$env"; then
    local_ensure_token "$env"
  else
    rm -f "$dir/token"
  fi
  log_file="$dir/service.log"
  target_stop "$env"
  log "migrating the schema of $env"
  if ! local_run "$env" "$version" migrate >>"$log_file" 2>&1; then
    tail -n 20 "$log_file" >&2 || true
    log "migration of $env failed"
    return 1
  fi
  port="$(cat "$dir/port" 2>/dev/null || true)"
  if [[ -z "$port" ]] || port_open "$port"; then
    port="$(free_port)"
    printf '%s\n' "$port" >"$dir/port"
  fi
  base_url="http://127.0.0.1:$port"
  local tokens=()
  [[ -s "$dir/token" ]] && tokens=("POLL__AUTH__TOKENS=$(cat "$dir/token")")
  printf '\n==== %s deploy %s on %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$version" "$base_url" >>"$log_file"
  (
    cd "$dir" || exit 1
    local art extra=()
    art="$(local_artifact_dir "$version")"
    [[ -d "$art/config" ]] && extra+=("POLL_CONFIG_DIR=$art/config")
    exec 8>&- 9>&-
    setsid env -i PATH="$PATH" HOME="${HOME:-/tmp}" LANG=C.UTF-8 \
      RUST_LOG="${PIPELINE_RUST_LOG:-info}" POLL__ENVIRONMENT="$env" \
      POLL__DATABASE__URL="$POLL__DATABASE__URL" POLL__REDIS__URL="${POLL__REDIS__URL:-}" \
      "${tokens[@]}" "${extra[@]}" \
      "$art/poll-api" serve --bind "127.0.0.1:$port" --store postgres \
      </dev/null >>"$log_file" 2>&1 &
    printf '%s\n' "$!" >"$dir/pid"
  )
  pid="$(local_pid "$env")"
  local deadline=$((SECONDS + PIPELINE_READY_TIMEOUT))
  until curl -fsS --max-time 2 -o /dev/null "$base_url/health/ready" 2>/dev/null; do
    if ! pid_alive "$pid"; then
      tail -n 30 "$log_file" >&2 || true
      log "$env: the process exited before it was ready"
      return 1
    fi
    if ((SECONDS >= deadline)); then
      tail -n 30 "$log_file" >&2 || true
      log "$env: not ready within ${PIPELINE_READY_TIMEOUT} s"
      return 1
    fi
    sleep 0.2
  done
  printf '%s\n' "$base_url" >"$dir/base_url"
  printf '%s\n' "$version" >"$dir/version"
  printf '%s\n' "$base_url"
}

target_base_url() {
  local f
  f="$(pl_env_dir "$1")/base_url"
  [[ -s "$f" ]] || return 1
  cat "$f"
}

target_log_hint() {
  printf '%s\n' "$(pl_env_dir "$1")/service.log"
}

# target_env_create ENV VERSION — the environment's schema (idempotent; migrates it).
target_env_create() {
  local_services
  local_run "$1" "$2" env create "$1" >&2 || die "poll-api env create $1 failed"
}

# target_env_drop ENV VERSION — drop the schema and the Redis keys of ENV.
target_env_drop() {
  local env="$1" version="$2" schema
  local_services
  local_run "$env" "$version" env drop "$env" >&2 || die "poll-api env drop $env failed"
  schema="$(pl_py schema "$env")"
  if [[ "${POLL__REDIS__URL:-}" == redis://* ]] && command -v redis-cli >/dev/null 2>&1; then
    # The service keeps its cache under poll:<schema>:*; remove what is left.
    redis-cli -u "$POLL__REDIS__URL" --scan --pattern "poll:${schema}:*" \
      | xargs -r -n 100 redis-cli -u "$POLL__REDIS__URL" UNLINK >/dev/null
  fi
}

local_psql() {
  local bin
  bin="$(command -v psql || find /usr/lib/postgresql -path '*/bin/psql' 2>/dev/null | sort -V | tail -n 1)"
  [[ -n "$bin" ]] || die "psql not found"
  "$bin" -X -q -tA -d "$POLL__DATABASE__URL" "$@"
}

# target_env_gone ENV [VERSION] — true when neither the schema nor a Redis key of ENV is
# left: checked with psql (PostgreSQL URLs), with `poll-api env list` of VERSION's binary
# when given, and with redis-cli.
target_env_gone() {
  local env="$1" version="${2:-}" schema n keys
  local_services
  schema="$(pl_py schema "$env")"
  if [[ "$POLL__DATABASE__URL" == postgres://* || "$POLL__DATABASE__URL" == postgresql://* ]]; then
    n="$(local_psql -c "SELECT count(*) FROM pg_namespace WHERE nspname = '$schema'")"
    if [[ "$n" != 0 ]]; then
      log "schema $schema of $env still exists"
      return 1
    fi
  fi
  if [[ -n "$version" ]] && target_has_artifact "$version"; then
    local listed
    listed="$(local_run "$env" "$version" env list)" || die "poll-api env list failed"
    if awk -v a="$env" -v b="$schema" '{ for (i = 1; i <= NF; i++) if ($i == a || $i == b) found = 1 } END { exit !found }' <<<"$listed"; then
      log "poll-api env list still shows $env"
      return 1
    fi
  fi
  if [[ "${POLL__REDIS__URL:-}" == redis://* ]] && command -v redis-cli >/dev/null 2>&1; then
    keys="$(redis-cli -u "$POLL__REDIS__URL" --scan --pattern "poll:${schema}:*" | head -n 1)"
    if [[ -n "$keys" ]]; then
      log "Redis keys poll:${schema}:* of $env still exist"
      return 1
    fi
  fi
}

# target_teardown ENV — stop ENV and remove its state folder (its log is kept).
target_teardown() {
  local env="$1" dir
  dir="$(pl_env_dir "$env")"
  target_stop "$env"
  if [[ -d "$dir" ]]; then
    mkdir -p "$PIPELINE_STATE/logs"
    if [[ -f "$dir/service.log" ]]; then
      mv "$dir/service.log" "$PIPELINE_STATE/logs/$(basename "$dir")-$(date -u +%Y%m%dT%H%M%SZ).log"
    fi
    rm -rf "$dir"
  fi
}

# target_on_failed_deploy ENV — after a failed deployment: stop what was started (the old
# process was replaced already); true = the environment is left down.
target_on_failed_deploy() {
  target_stop "$1" || true
  return 0
}

# target_service_env ENV — export POLL__DATABASE__URL and POLL__REDIS__URL of ENV.
target_service_env() {
  local_services
  export POLL__DATABASE__URL POLL__REDIS__URL="${POLL__REDIS__URL:-}"
}

target_records_pull() { :; }
target_records_push() { :; }
