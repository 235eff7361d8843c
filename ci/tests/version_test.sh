#!/usr/bin/env bash
# Tests of ci/version.sh: slug rules (slashes, case, length, odd characters),
# tags, CI variables of GitHub Actions and Jenkins.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VERSION_SH="$HERE/../version.sh"
# shellcheck source=ci/tests/lib/assert.sh
source "$HERE/lib/assert.sh"

# Run version.sh with none of the CI variables of the machine running the tests.
clean() {
  env -u GITHUB_HEAD_REF -u GITHUB_REF_NAME -u GITHUB_REF_TYPE -u GITHUB_SHA \
    -u BRANCH_NAME -u CHANGE_BRANCH -u TAG_NAME -u GIT_BRANCH -u GIT_COMMIT "$@"
}
ver() { clean bash "$VERSION_SH" "$@"; }
slug() { bash "$VERSION_SH" --slug "$1"; }

DOCKER_TAG_RE='^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$'

# ---- slug rules
assert_eq "slug: slash becomes dash" "feature-add-votes" "$(slug 'feature/add-votes')"
assert_eq "slug: nested slashes" "dependabot-cargo-serde-1-0-200" "$(slug 'dependabot/cargo/serde-1.0.200')"
assert_eq "slug: upper case lowered" "feature-add-votes" "$(slug 'Feature/ADD_Votes')"
assert_eq "slug: runs collapse to one dash" "fix-double-dash" "$(slug 'fix//double--dash')"
assert_eq "slug: leading and trailing junk trimmed" "weird" "$(slug '-_-weird-_-')"
assert_eq "slug: dots and underscores" "release-1-2-3-hotfix" "$(slug 'release/1.2.3_hotfix')"
assert_eq "slug: spaces and punctuation" "wip-it-s-fine-really" "$(slug 'WIP: it'"'"'s fine (really)!')"
assert_eq "slug: non-ascii characters" "n-code-bra-ch" "$(slug 'ünïcode/brañch')"
assert_eq "slug: digits kept" "123-issue-42" "$(slug '123/issue-42')"
assert_eq "slug: only junk gives detached" "detached" "$(slug '///')"
assert_eq "slug: empty gives detached" "detached" "$(slug '')"
long="$(printf 'a%.0s' $(seq 1 100))"
assert_eq "slug: cut to 48 characters" "${long:0:48}" "$(slug "$long")"
# 47 letters then a separator: the cut must not leave a trailing dash.
edge="$(printf 'b%.0s' $(seq 1 47))/cdef"
assert_eq "slug: no trailing dash after the cut" "${edge:0:47}" "$(slug "$edge")"
assert_eq "slug: 48 exactly kept" "${long:0:48}" "$(slug "${long:0:48}")"

# ---- against a real repository
REPO="$(mktemp -d)"
trap 'rm -rf "$REPO"' EXIT
g() { git -C "$REPO" -c user.name=ci-test -c user.email=ci-test@example.invalid "$@"; }
g init -q -b main
g commit -q --allow-empty -m first
SHA="$(g rev-parse HEAD)"
S7="${SHA:0:7}"
in_repo() { (cd "$REPO" && "$@"); }

assert_eq "git: branch main" "main-$S7" "$(in_repo ver)"
g checkout -q -b 'Feature/Add-Votes'
assert_eq "git: branch slugged" "feature-add-votes-$S7" "$(in_repo ver)"
g tag v1.2.3-rc.1
assert_eq "git: rc tag at HEAD" "v1.2.3-rc.1" "$(in_repo ver)"
g tag v1.2.3
assert_eq "git: release tag wins over rc tag" "v1.2.3" "$(in_repo ver)"
g commit -q --allow-empty -m second
SHA2="$(g rev-parse HEAD)"
assert_eq "git: tag not at HEAD is ignored" "feature-add-votes-${SHA2:0:7}" "$(in_repo ver)"
g tag v2.0
g tag nightly
assert_eq "git: tags that are no release tag are ignored" "feature-add-votes-${SHA2:0:7}" "$(in_repo ver)"
g checkout -q --detach HEAD
assert_eq "git: detached HEAD" "detached-${SHA2:0:7}" "$(in_repo ver)"
g checkout -q "$SHA"
assert_eq "git: detached HEAD at a tag gives the tag" "v1.2.3" "$(in_repo ver)"

# ---- GitHub Actions variables
assert_eq "github: tag build" "v2.0.0-rc.3" \
  "$(in_repo clean GITHUB_REF_TYPE=tag GITHUB_REF_NAME=v2.0.0-rc.3 bash "$VERSION_SH")"
assert_eq "github: branch build on a tagged commit keeps the branch form" "feature-x-$S7" \
  "$(in_repo clean GITHUB_REF_TYPE=branch GITHUB_REF_NAME=feature/x bash "$VERSION_SH")"
assert_eq "github: pull request uses the head branch" "feature-pr-$S7" \
  "$(in_repo clean GITHUB_REF_TYPE=branch GITHUB_REF_NAME=12/merge GITHUB_HEAD_REF=feature/PR bash "$VERSION_SH")"
assert_eq "github: tag that is no release tag" "nightly-build-$S7" \
  "$(in_repo clean GITHUB_REF_TYPE=tag GITHUB_REF_NAME=nightly-build bash "$VERSION_SH")"
assert_eq "github: master" "master-$S7" \
  "$(in_repo clean GITHUB_REF_TYPE=branch GITHUB_REF_NAME=master bash "$VERSION_SH")"

# ---- Jenkins variables
assert_eq "jenkins: tag build" "v1.0.0" "$(in_repo clean TAG_NAME=v1.0.0 BRANCH_NAME=v1.0.0 bash "$VERSION_SH")"
assert_eq "jenkins: branch build" "release-2024-q1-$S7" \
  "$(in_repo clean BRANCH_NAME=release/2024-Q1 bash "$VERSION_SH")"
assert_eq "jenkins: change request uses CHANGE_BRANCH" "feature-y-$S7" \
  "$(in_repo clean BRANCH_NAME=PR-12 CHANGE_BRANCH=feature/y bash "$VERSION_SH")"
assert_eq "jenkins: GIT_BRANCH without origin/" "hotfix-z-$S7" \
  "$(in_repo clean GIT_BRANCH=origin/hotfix/z bash "$VERSION_SH")"

# ---- length and validity
longbranch="feature/$(printf 'Very-Long_Name.%.0s' $(seq 1 20))"
v="$(in_repo clean GITHUB_REF_TYPE=branch GITHUB_REF_NAME="$longbranch" bash "$VERSION_SH")"
assert_match "long branch: valid Docker tag" "$DOCKER_TAG_RE" "$v"
assert_eq "long branch: slug + dash + sha" "$(slug "$longbranch")-$S7" "$v"
s="$(slug "$longbranch")"
assert_true "long branch: slug at most 48 characters" test "${#s}" -le 48
assert_true "long branch: version at most 128 characters" test "${#v}" -le 128
assert_match "long branch: ends with the short sha" "-$S7\$" "$v"

# ---- outside a repository
NOGIT="$(mktemp -d)"
assert_eq "no git: GITHUB_SHA used" "topic-abcdef1" \
  "$(cd "$NOGIT" && clean GIT_CEILING_DIRECTORIES="$NOGIT" GITHUB_REF_TYPE=branch GITHUB_REF_NAME=topic \
    GITHUB_SHA=ABCDEF1234567890 bash "$VERSION_SH")"
assert_fails "no git and no sha: fails" \
  bash -c "cd '$NOGIT' && GIT_CEILING_DIRECTORIES='$NOGIT' env -u GITHUB_SHA -u GIT_COMMIT BRANCH_NAME=x bash '$VERSION_SH'"
rmdir "$NOGIT"

# ---- --branch and --commit (build metadata for the image)
assert_eq "--branch: raw branch name" "Feature/Add-Votes" \
  "$(cd "$REPO" && git checkout -q 'Feature/Add-Votes' && clean bash "$VERSION_SH" --branch)"
assert_eq "--branch: pull request head" "feature/PR" \
  "$(in_repo clean GITHUB_REF_TYPE=branch GITHUB_REF_NAME=12/merge GITHUB_HEAD_REF=feature/PR bash "$VERSION_SH" --branch)"
assert_eq "--branch: tag build gives the tag" "v3.0.0" \
  "$(in_repo clean GITHUB_REF_TYPE=tag GITHUB_REF_NAME=v3.0.0 bash "$VERSION_SH" --branch)"
assert_eq "--commit: full hash" "$SHA2" "$(in_repo clean bash "$VERSION_SH" --commit)"

# ---- interface
assert_true "--help exits 0" bash "$VERSION_SH" --help
assert_fails "unknown argument fails" bash "$VERSION_SH" --bogus

finish
