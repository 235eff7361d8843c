#!/usr/bin/env bash
# Prints the image version of the checked-out commit.
set -euo pipefail

# shellcheck source=ci/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
  cat <<'EOF'
Usage: ci/version.sh [--slug TEXT | --branch | --commit] [--help]

Prints the image version of HEAD on stdout:
  - the tag, when this is a tag build of vX.Y.Z or vX.Y.Z-rc.N;
  - otherwise <branch-slug>-<short-sha> (7 hex digits).

Tag build: the CI says so (GitHub: GITHUB_REF_TYPE=tag with GITHUB_REF_NAME;
Jenkins: TAG_NAME), or, outside CI or when the CI names no ref, HEAD is exactly
at such a tag (a release tag wins over an rc tag on the same commit). A CI
branch build (GITHUB_REF_TYPE=branch; Jenkins BRANCH_NAME/GIT_BRANCH without TAG_NAME)
always gets the branch form, even on a tagged commit.

Branch, first found: GITHUB_HEAD_REF (pull requests), GITHUB_REF_NAME (branch
builds), CHANGE_BRANCH and BRANCH_NAME (Jenkins), GIT_BRANCH (Jenkins git
plugin, "origin/" removed), then git. A detached HEAD has slug "detached".

Slug: lower case; every run of characters outside [a-z0-9] becomes one "-";
leading/trailing "-" removed; at most 48 characters. The result is always a
valid Docker tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}).

  --slug TEXT   print the slug of TEXT and exit (used by the tests)
  --branch      print the branch name (unslugged; the tag on tag builds)
  --commit      print the full commit hash
EOF
}

readonly TAG_RE='^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-rc\.(0|[1-9][0-9]*))?$'
readonly DOCKER_TAG_RE='^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$'
readonly SLUG_MAX=48

# slug TEXT — the branch slug of TEXT.
slug() {
  local s
  s="$(printf '%s' "$1" | LC_ALL=C tr '[:upper:]' '[:lower:]' \
    | LC_ALL=C sed -E 's/[^a-z0-9]+/-/g; s/^-+//; s/-+$//')"
  s="${s:0:SLUG_MAX}"
  s="$(printf '%s' "$s" | sed -E 's/-+$//')"
  printf '%s\n' "${s:-detached}"
}

is_release_tag() {
  [[ "$1" =~ $TAG_RE ]]
}

in_git() {
  git rev-parse --git-dir >/dev/null 2>&1
}

# The tag of HEAD, if HEAD is exactly at a release or rc tag.
git_tag_at_head() {
  in_git || return 0
  local tags release rc
  tags="$(git tag --points-at HEAD --list 'v*' 2>/dev/null || true)"
  [[ -n "$tags" ]] || return 0
  release="$(grep -E '^v[0-9]+\.[0-9]+\.[0-9]+$' <<<"$tags" | sort -V | tail -n 1 || true)"
  rc="$(grep -E -- '-rc\.[0-9]+$' <<<"$tags" | sort -V | tail -n 1 || true)"
  local t
  for t in "$release" "$rc"; do
    if [[ -n "$t" ]] && is_release_tag "$t"; then
      printf '%s\n' "$t"
      return 0
    fi
  done
}

# ci_ref_kind — "tag", "branch" or "" (unknown: not a CI run that names its ref).
ci_ref_kind() {
  if [[ -n "${GITHUB_REF_TYPE:-}" ]]; then
    printf '%s\n' "$GITHUB_REF_TYPE"
  elif [[ -n "${TAG_NAME:-}" ]]; then
    echo tag
  elif [[ -n "${BRANCH_NAME:-}${CHANGE_BRANCH:-}${GITHUB_HEAD_REF:-}${GIT_BRANCH:-}" ]]; then
    echo branch
  fi
}

ci_tag() {
  if [[ "${GITHUB_REF_TYPE:-}" == tag ]]; then
    printf '%s\n' "${GITHUB_REF_NAME:-}"
  else
    printf '%s\n' "${TAG_NAME:-}"
  fi
}

branch_name() {
  if [[ -n "${GITHUB_HEAD_REF:-}" ]]; then
    printf '%s\n' "$GITHUB_HEAD_REF"
  elif [[ "${GITHUB_REF_TYPE:-}" == branch && -n "${GITHUB_REF_NAME:-}" ]]; then
    printf '%s\n' "$GITHUB_REF_NAME"
  elif [[ -n "${CHANGE_BRANCH:-}" ]]; then
    printf '%s\n' "$CHANGE_BRANCH"
  elif [[ -n "${BRANCH_NAME:-}" ]]; then
    printf '%s\n' "$BRANCH_NAME"
  elif [[ -n "${GIT_BRANCH:-}" ]]; then
    printf '%s\n' "${GIT_BRANCH#origin/}"
  elif in_git; then
    local b
    b="$(git rev-parse --abbrev-ref HEAD 2>/dev/null || true)"
    [[ "$b" == HEAD ]] && b=""
    printf '%s\n' "$b"
  fi
}

full_sha() {
  local sha=""
  if in_git; then
    sha="$(git rev-parse HEAD 2>/dev/null || true)"
  fi
  sha="${sha:-${GITHUB_SHA:-${GIT_COMMIT:-}}}"
  [[ "$sha" =~ ^[0-9a-fA-F]{7,}$ ]] || die "cannot tell the commit: not in a git repository and no GITHUB_SHA/GIT_COMMIT"
  printf '%s\n' "$sha" | tr '[:upper:]' '[:lower:]'
}

short_sha() {
  local sha
  sha="$(full_sha)"
  printf '%s\n' "${sha:0:7}"
}

compute_version() {
  local kind tag="" sha
  kind="$(ci_ref_kind)"
  case "$kind" in
    tag) tag="$(ci_tag)" ;;
    branch) tag="" ;;
    *) tag="$(git_tag_at_head)" ;;
  esac
  if [[ -n "$tag" ]]; then
    if is_release_tag "$tag"; then
      printf '%s\n' "$tag"
      return 0
    fi
    # Some other tag: version it like a branch of that name.
    sha="$(short_sha)"
    printf '%s-%s\n' "$(slug "$tag")" "$sha"
    return 0
  fi
  sha="$(short_sha)"
  printf '%s-%s\n' "$(slug "$(branch_name)")" "$sha"
}

main() {
  case "${1:-}" in
    -h | --help | help)
      usage
      return 0
      ;;
    --slug)
      [[ $# -eq 2 ]] || die "--slug takes one argument"
      slug "$2"
      return 0
      ;;
    --branch)
      if [[ "$(ci_ref_kind)" == tag ]]; then
        ci_tag
      else
        branch_name
      fi
      return 0
      ;;
    --commit)
      full_sha
      return 0
      ;;
    "") ;;
    *)
      usage >&2
      die "unknown argument: $1"
      ;;
  esac
  local v
  v="$(compute_version)"
  [[ "$v" =~ $DOCKER_TAG_RE ]] || die "computed version is not a valid Docker tag: $v"
  printf '%s\n' "$v"
}

main "$@"
