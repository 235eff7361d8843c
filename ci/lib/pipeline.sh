# shellcheck shell=bash
# The delivery pipeline's shared library: environments, deployment records, promotion
# rules, artifact re-tagging and the dispatch to a deployment target. Source it after
# common.sh, do not execute it:
#
#   # shellcheck source=ci/lib/common.sh
#   source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
#   # shellcheck source=ci/lib/pipeline.sh
#   source "$(dirname "${BASH_SOURCE[0]}")/lib/pipeline.sh"
#
# Environments: "prod", "staging", "uat" (= master), anything else is a branch
# environment named after its branch. The target (DEPLOY_TARGET=local|aws) provides
# the target_* functions listed in pipeline_load_target.
#
# Exit status of every script using it: 0 done, 1 failure, 2 usage, 3 refused by a rule.

if [[ -n "${_POLL_CI_PIPELINE_LOADED:-}" ]]; then
  return 0
fi
_POLL_CI_PIPELINE_LOADED=1

# shellcheck source=ci/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PIPELINE_ROOT="$(repo_root)"
PIPELINE_STATE="${PIPELINE_STATE_DIR:-$PIPELINE_ROOT/.local/pipeline}"
PIPELINE_RECORDS="${PIPELINE_RECORDS:-$PIPELINE_STATE/deployments.jsonl}"
export PIPELINE_RECORDS
DEPLOY_TARGET="${DEPLOY_TARGET:-local}"
PIPELINE_MAIN_BRANCH="${PIPELINE_MAIN_BRANCH:-master}"
# Checks a deployment must have passed before it may be promoted.
PIPELINE_UAT_CHECKS="${PIPELINE_UAT_CHECKS:-e2e,contract}"
PIPELINE_STAGING_CHECKS="${PIPELINE_STAGING_CHECKS:-smoke,acceptance,e2e,perf,security}"
# Environments that run with bearer-token auth on (production-like).
PIPELINE_AUTH_ENVS="${PIPELINE_AUTH_ENVS:-staging prod}"
PIPELINE_READY_TIMEOUT="${PIPELINE_READY_TIMEOUT:-60}"

readonly PL_RC_RE='^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)-rc\.(0|[1-9][0-9]*)$'
readonly PL_RELEASE_RE='^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$'
readonly PL_VERSION_RE='^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$'
readonly PL_EXIT_REFUSED=3

# ---------------------------------------------------------------- basics

# pl_py ARGS... — the records/rules/DORA helper (ci/lib/pipeline.py).
pl_py() {
  python3 "$PIPELINE_ROOT/ci/lib/pipeline.py" --records "$PIPELINE_RECORDS" "$@"
}

# pl_checks ARGS... — the HTTP check suites (ci/lib/checks.py).
pl_checks() {
  python3 "$PIPELINE_ROOT/ci/lib/checks.py" "$@"
}

# refuse MESSAGE... — a promotion rule said no: log it and exit 3.
refuse() {
  log "REFUSED: $*"
  exit "$PL_EXIT_REFUSED"
}

# pl_git ARGS... — git in the repository.
pl_git() {
  git -C "$PIPELINE_ROOT" "$@"
}

# pl_env_kind NAME — prod, staging, uat or branch.
pl_env_kind() {
  case "$1" in
    prod | production) echo prod ;;
    staging) echo staging ;;
    uat) echo uat ;;
    *) echo branch ;;
  esac
}

# pl_check_env_name NAME — die unless NAME is a usable environment name.
pl_check_env_name() {
  local name="$1"
  [[ -n "$name" ]] || die "empty environment name"
  ((${#name} <= 200)) || die "environment name longer than 200 characters: $name"
  [[ "$name" != *$'\n'* && "$name" != *$'\r'* ]] || die "environment name with a line break"
  case "$name" in
    master | main | "$PIPELINE_MAIN_BRANCH") die "'$name' is not an environment: master deploys to uat" ;;
  esac
}

# pl_slug TEXT — the version.sh slug of TEXT.
pl_slug() {
  bash "$PIPELINE_ROOT/ci/version.sh" --slug "$1"
}

# pl_env_dir NAME — the state folder of environment NAME (one per name, collision-free).
pl_env_dir() {
  local name="$1" slug
  if [[ "$name" =~ ^[a-z0-9][a-z0-9-]{0,40}$ ]]; then
    printf '%s/envs/%s\n' "$PIPELINE_STATE" "$name"
  else
    slug="$(pl_slug "$name")"
    printf '%s/envs/%s-%s\n' "$PIPELINE_STATE" "$slug" \
      "$(printf '%s' "$name" | sha256sum | cut -c1-8)"
  fi
}

# pl_needs_auth NAME — true when environment NAME runs with bearer tokens.
pl_needs_auth() {
  local e
  for e in $PIPELINE_AUTH_ENVS; do
    [[ "$e" == "$1" ]] && return 0
  done
  return 1
}

# pl_lock NAME — hold an exclusive lock on environment NAME until the script exits
# (one deployment at a time per environment).
pl_lock() {
  local dir
  dir="$PIPELINE_STATE/locks"
  mkdir -p "$dir"
  exec 8>"$dir/$(basename "$(pl_env_dir "$1")").lock"
  flock -w "${PIPELINE_LOCK_TIMEOUT:-600}" 8 || die "environment $1 is locked by another deployment"
}

# ---------------------------------------------------------------- git and versions

# pl_commit_of REF — the full commit id REF points at.
pl_commit_of() {
  pl_git rev-parse --verify --quiet "$1^{commit}" || die "no such commit or tag: $1"
}

# pl_main_ref — the ref of the main branch: local master, else origin/master.
pl_main_ref() {
  local ref
  for ref in "refs/heads/$PIPELINE_MAIN_BRANCH" "refs/remotes/origin/$PIPELINE_MAIN_BRANCH"; do
    if pl_git show-ref --verify --quiet "$ref"; then
      printf '%s\n' "$ref"
      return 0
    fi
  done
  die "no branch $PIPELINE_MAIN_BRANCH (local or origin) in this repository"
}

# pl_on_main COMMIT — true when COMMIT is in the history of the main branch.
pl_on_main() {
  pl_git merge-base --is-ancestor "$1" "$(pl_main_ref)" 2>/dev/null
}

# pl_commit_time COMMIT — committer time, RFC 3339 UTC.
pl_commit_time() {
  TZ=UTC pl_git show -s --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ "$1"
}

# pl_head_version — the version of HEAD (ci/version.sh).
pl_head_version() {
  (cd "$PIPELINE_ROOT" && bash ci/version.sh)
}

# pl_check_version VERSION — die unless VERSION is a valid tag name.
pl_check_version() {
  [[ "$1" =~ $PL_VERSION_RE ]] || die "not a valid version/tag: '$1'"
}

pl_is_rc() { [[ "$1" =~ $PL_RC_RE ]]; }
pl_is_release() { [[ "$1" =~ $PL_RELEASE_RE ]]; }

# pl_rc_base TAG — vX.Y.Z of vX.Y.Z-rc.N.
pl_rc_base() {
  printf '%s\n' "${1%-rc.*}"
}

# pl_tag_commit TAG — the commit a tag points at (dies if the tag does not exist).
pl_tag_commit() {
  pl_git rev-parse --verify --quiet "refs/tags/$1^{commit}" || die "no such tag: $1"
}

# pl_tag_create TAG COMMIT MESSAGE — annotated tag; idempotent when TAG is already at COMMIT.
pl_tag_create() {
  local tag="$1" commit="$2" msg="$3" existing
  if existing="$(pl_git rev-parse --verify --quiet "refs/tags/$tag^{commit}")"; then
    [[ "$existing" == "$commit" ]] || refuse "tag $tag exists at $existing, not at $commit (tags are never moved)"
    log "tag $tag already at ${commit:0:12}"
    return 0
  fi
  local who="${GIT_COMMITTER_NAME:-poll-api pipeline}" mail="${GIT_COMMITTER_EMAIL:-pipeline@poll-api.invalid}"
  pl_git -c user.name="$who" -c user.email="$mail" tag -a "$tag" "$commit" -m "$msg"
  log "tagged ${commit:0:12} as $tag"
  if [[ "${PIPELINE_PUSH_TAGS:-0}" == 1 ]]; then
    pl_git push "${PIPELINE_GIT_REMOTE:-origin}" "refs/tags/$tag" >&2 || die "could not push tag $tag"
  fi
}

# ---------------------------------------------------------------- records

# pl_record_deployment KEY=VALUE... — append a deployment record.
pl_record_deployment() {
  pl_py record-deployment "target=$DEPLOY_TARGET" "$@"
  target_records_push
}

# pl_record_check KEY=VALUE... — append a check record.
pl_record_check() {
  pl_py record-check "$@"
  target_records_push
}

# pl_live_field ENV FIELD — a field of the deployment serving ENV now ("" when none).
pl_live_field() {
  pl_py live "$1" --field "$2" 2>/dev/null || true
}

# ---------------------------------------------------------------- rules

# rule_uat_passed COMMIT — refuse unless a UAT deployment of COMMIT passed its checks.
rule_uat_passed() {
  local commit="$1" why
  pl_on_main "$commit" || refuse "commit ${commit:0:12} is not on $PIPELINE_MAIN_BRANCH: an rc is cut from $PIPELINE_MAIN_BRANCH only"
  if ! why="$(pl_py gate uat --commit "$commit" --require "$PIPELINE_UAT_CHECKS" 2>&1 >/dev/null)"; then
    refuse "commit ${commit:0:12} did not pass UAT (${PIPELINE_UAT_CHECKS}): $why"
  fi
}

# rule_staging_passed RC_TAG — refuse unless a staging deployment of RC_TAG passed its checks.
rule_staging_passed() {
  local rc="$1" why
  if ! why="$(pl_py gate staging --version "$rc" --require "$PIPELINE_STAGING_CHECKS" 2>&1 >/dev/null)"; then
    refuse "$rc did not pass staging (${PIPELINE_STAGING_CHECKS}): $why"
  fi
}

# pl_json FIELD — a field of the JSON object on stdin.
pl_json() {
  python3 -c 'import json, sys; v = json.load(sys.stdin).get(sys.argv[1]); print("" if v is None else v)' "$1"
}

# pl_uat_tested COMMIT FIELD — a field (version, digest, id) of the latest UAT deployment of
# COMMIT that passed the UAT checks: the artifact that promotion must carry, byte for byte.
pl_uat_tested() {
  local dep
  dep="$(pl_py gate uat --commit "$1" --require "$PIPELINE_UAT_CHECKS" 2>/dev/null)" || return 1
  pl_json "$2" <<<"$dep"
}

# rule_same_artifact VERSION COMMIT — refuse unless VERSION's artifact is byte for byte the
# master build of COMMIT that passed UAT (promotion re-tags, it never rebuilds).
rule_same_artifact() {
  local version="$1" commit="$2" tested expected digest
  tested="$(pl_uat_tested "$commit" version)" \
    || refuse "no UAT deployment of ${commit:0:12} passed: there is no tested artifact to promote"
  expected="$(pl_uat_tested "$commit" digest)"
  target_has_artifact "$version" || refuse "no artifact $version"
  digest="$(target_artifact_digest "$version")"
  [[ -n "$digest" && "$digest" == "$expected" ]] \
    || refuse "artifact $version ($digest) is not the one UAT tested for ${commit:0:12} ($tested, $expected): rebuilt artifacts are never promoted"
  [[ "$(target_artifact_field "$version" commit)" == "$commit" ]] \
    || refuse "artifact $version was built from another commit"
  target_verify_artifact "$version" || refuse "artifact $version does not match its recorded digest"
}

# rule_deployable ENV VERSION ACTION — every rule a deployment of VERSION to ENV must meet.
rule_deployable() {
  local env="$1" version="$2" action="$3" kind commit rc_ok="" rc
  kind="$(pl_env_kind "$env")"
  case "$kind" in
    branch) : ;;
    uat)
      commit="$(target_artifact_field "$version" commit)"
      pl_on_main "$commit" || refuse "uat runs $PIPELINE_MAIN_BRANCH only; ${commit:0:12} is not on it"
      ;;
    staging)
      if [[ "$action" == rollback ]]; then
        return 0
      fi
      pl_is_rc "$version" || refuse "staging deploys rc tags (vX.Y.Z-rc.N) only, not $version"
      commit="$(pl_tag_commit "$version")"
      rule_uat_passed "$commit"
      rule_same_artifact "$version" "$commit"
      ;;
    prod)
      pl_is_release "$version" || refuse "prod deploys release tags (vX.Y.Z) only, not $version"
      commit="$(pl_tag_commit "$version")"
      rule_same_artifact "$version" "$commit"
      if [[ "$action" == rollback ]]; then
        # A rollback redeploys a release that production already ran successfully.
        pl_py gate prod --version "$version" --require smoke >/dev/null 2>&1 \
          || refuse "$version never ran successfully in prod: not a rollback target"
        return 0
      fi
      # The release must come from an rc of the same commit that passed staging.
      for rc in $(pl_git tag --list "${version}-rc.*" --points-at "$commit" | sort -V -r); do
        if pl_py gate staging --version "$rc" --require "$PIPELINE_STAGING_CHECKS" >/dev/null 2>&1 \
          && [[ "$(target_artifact_digest "$rc")" == "$(target_artifact_digest "$version")" ]]; then
          rc_ok="$rc"
          break
        fi
      done
      [[ -n "$rc_ok" ]] || refuse "$version: no rc of it at ${commit:0:12} passed staging with this artifact"
      ;;
  esac
}

# ---------------------------------------------------------------- deployment

# pl_deploy ENV VERSION ACTION [ROLLS_BACK_ID] — deploy an existing artifact, smoke-test
# it, record the result; prints the BASE_URL. ACTION is deploy or rollback.
pl_deploy() {
  local env="$1" version="$2" action="$3" rolls_back="${4:-}"
  local id commit digest build_version commit_time previous base_url="" result=success reason=""
  local left_down="" token=""
  target_has_artifact "$version" || die "no artifact $version"
  target_verify_artifact "$version" || refuse "artifact $version does not match its recorded digest"
  commit="$(target_artifact_field "$version" commit)"
  digest="$(target_artifact_digest "$version")"
  build_version="$(target_artifact_field "$version" build_version)"
  commit_time="$(target_artifact_field "$version" commit_time || true)"
  previous="$(pl_live_field "$env" version)"
  id="$(pl_py new-id "$env")"
  log "deploying $version (${digest:0:19}…, commit ${commit:0:12}) to $env [$action]${previous:+, replacing $previous}"
  if base_url="$(target_deploy "$env" "$version")"; then
    token="$(target_token "$env")"
    if POLL_API_TOKEN="$token" pl_checks smoke "$base_url" --expect-version "$build_version" \
      --expect-commit "$commit" --expect-environment "$env" >&2; then
      log "$env is up at $base_url with $version"
    else
      result=failed reason="smoke test failed"
    fi
  else
    result=failed reason="did not become ready"
  fi
  if [[ "$result" != success ]] && target_on_failed_deploy "$env"; then
    left_down=1
  fi
  pl_record_deployment "id=$id" "environment=$env" "version=$version" "commit=$commit" \
    "commit_time=$commit_time" "digest=$digest" "build_version=$build_version" \
    "base_url=$base_url" "action=$action" "rolls_back=$rolls_back" \
    "previous_version=$previous" "result=$result" "reason=$reason" \
    "checks=$([[ $result == success ]] && echo smoke)" "left_down=${left_down:+true}"
  if [[ "$result" != success ]]; then
    die "deployment of $version to $env failed: $reason ($([[ -n "$left_down" ]] && echo "environment stopped" || echo "the previous deployment keeps serving"); log: $(target_log_hint "$env")). Roll back with: ci/rollback $env"
  fi
  printf '%s\n' "$base_url"
}

# ---------------------------------------------------------------- checks

# pl_version_env BASE_URL — the environment the service at BASE_URL says it serves.
pl_version_env() {
  curl -fsS --max-time 5 "${1%/}/version" 2>/dev/null \
    | python3 -c 'import json,sys; print(json.load(sys.stdin).get("environment",""))' 2>/dev/null || true
}

# pl_version_commit BASE_URL — the commit the service at BASE_URL was built from.
pl_version_commit() {
  curl -fsS --max-time 5 "${1%/}/version" 2>/dev/null \
    | python3 -c 'import json,sys; print(json.load(sys.stdin).get("commit",""))' 2>/dev/null || true
}

# pl_resolve_env BASE_URL [ENV] — ENV, else the environment recorded for BASE_URL, else "".
pl_resolve_env() {
  local url="$1" env="${2:-}"
  if [[ -n "$env" ]]; then
    printf '%s\n' "$env"
    return 0
  fi
  pl_py env-for-url "$url" 2>/dev/null || true
}

# pl_guard_smoke_only CHECK BASE_URL ENV — production runs smoke tests only: refuse any
# other check whose target is production, by name or by what the service reports.
pl_guard_smoke_only() {
  local check="$1" url="$2" env="$3" served
  [[ "$check" == smoke ]] && return 0
  if [[ -n "$env" && "$(pl_env_kind "$env")" == prod ]]; then
    refuse "production runs smoke tests only: '$check' against $env is not allowed"
  fi
  served="$(pl_version_env "$url")"
  if [[ -n "$served" && "$(pl_env_kind "$served")" == prod ]]; then
    refuse "production runs smoke tests only: $url serves environment '$served'; '$check' is not allowed"
  fi
  if [[ "${PIPELINE_ACTIVE_ENV_KIND:-}" == prod ]]; then
    refuse "production runs smoke tests only: '$check' inside a production step is not allowed"
  fi
}

# pl_run_check CHECK BASE_URL ENV RECORD CMD... — run a check command; when RECORD is 1
# and ENV has a live deployment serving BASE_URL, record the result against it.
pl_run_check() {
  local check="$1" url="$2" env="$3" record="$4" dep="" dep_commit="" served_commit rc=0
  local token="${POLL_API_TOKEN:-}"
  shift 4
  if [[ "$record" == 1 && -n "$env" ]]; then
    dep="$(pl_live_field "$env" id)"
    dep_commit="$(pl_live_field "$env" commit)"
  fi
  if [[ -z "$token" && -n "$env" ]]; then
    token="$(target_token "$env")"
  fi
  log "running $check against $url${env:+ ($env)}"
  POLL_API_TOKEN="$token" "$@" || rc=$?
  if [[ -n "$dep" ]]; then
    served_commit="$(pl_version_commit "$url")"
    if [[ -n "$served_commit" && "$dep_commit" != "$served_commit"* && "$served_commit" != "$dep_commit"* ]]; then
      warn "$url serves commit ${served_commit:0:12}, not ${dep_commit:0:12} of deployment $dep: result not recorded"
    else
      pl_record_check "deployment=$dep" "environment=$env" "version=$(pl_live_field "$env" version)" \
        "commit=$dep_commit" "check=$check" "result=$([[ $rc -eq 0 ]] && echo passed || echo failed)"
    fi
  elif [[ "$record" == 1 ]]; then
    warn "no live deployment recorded for ${env:-$url}: result not recorded"
  fi
  if [[ $rc -eq 0 ]]; then
    log "$check passed"
  else
    log "$check FAILED"
  fi
  return "$rc"
}

# pl_check_cli CHECK USAGE_FN ARGS... — the common command line of the check scripts:
#   BASE_URL [--env ENV] [--no-record] [-- EXTRA...]
# Sets CHECK_URL, CHECK_ENV, CHECK_RECORD and CHECK_EXTRA (array).
pl_check_cli() {
  local check="$1" usage_fn="$2"
  shift 2
  # Globals for the calling script.
  # shellcheck disable=SC2034
  CHECK_URL="" CHECK_ENV="" CHECK_RECORD=1 CHECK_EXTRA=()
  while [[ $# -gt 0 ]]; do
    case "$1" in
      -h | --help | help)
        "$usage_fn"
        exit 0
        ;;
      --env)
        [[ $# -ge 2 ]] || die "--env needs a value"
        CHECK_ENV="$2"
        shift 2
        ;;
      --no-record)
        # shellcheck disable=SC2034
        CHECK_RECORD=0
        shift
        ;;
      --)
        shift
        CHECK_EXTRA=("$@")
        break
        ;;
      -*)
        # An option of the suite; its value, if any, follows it (a BASE_URL never
        # starts with "-", and a value never with "http").
        CHECK_EXTRA+=("$1")
        if [[ "$1" != *=* && $# -ge 2 && "$2" != -* && ! "$2" =~ ^https?:// ]]; then
          CHECK_EXTRA+=("$2")
          shift
        fi
        shift
        ;;
      *)
        [[ -z "$CHECK_URL" ]] || {
          "$usage_fn" >&2
          exit 2
        }
        CHECK_URL="${1%/}"
        shift
        ;;
    esac
  done
  if [[ -z "$CHECK_URL" ]]; then
    "$usage_fn" >&2
    exit 2
  fi
  [[ "$CHECK_URL" =~ ^https?://[^/]+$ ]] || die "BASE_URL must be http(s)://host[:port], got: $CHECK_URL"
  CHECK_ENV="$(pl_resolve_env "$CHECK_URL" "$CHECK_ENV")"
  pl_guard_smoke_only "$check" "$CHECK_URL" "$CHECK_ENV"
}

# ---------------------------------------------------------------- target

# pipeline_load_target — source ci/lib/targets/$DEPLOY_TARGET.sh and check its interface.
pipeline_load_target() {
  local file="$PIPELINE_ROOT/ci/lib/targets/$DEPLOY_TARGET.sh" fn
  [[ "$DEPLOY_TARGET" =~ ^[a-z0-9]+$ && -f "$file" ]] || die "unknown DEPLOY_TARGET '$DEPLOY_TARGET' (local or aws)"
  # shellcheck source=/dev/null
  source "$file"
  for fn in target_publish target_has_artifact target_artifact_field target_artifact_digest \
    target_build_of_commit target_retag target_verify_artifact target_deploy target_stop \
    target_token target_env_create target_env_drop target_env_gone target_teardown \
    target_base_url target_log_hint target_records_pull target_records_push \
    target_on_failed_deploy target_service_env; do
    declare -F "$fn" >/dev/null || die "target $DEPLOY_TARGET lacks $fn"
  done
  mkdir -p "$PIPELINE_STATE"
  target_records_pull
}

pipeline_load_target
