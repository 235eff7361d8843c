#!/usr/bin/env bash
# Tests of ci/image.sh in --dry-run mode (no Docker engine needed): build
# arguments, tags, push, promotion by re-tagging.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
IMAGE="$HERE/../image.sh"
# shellcheck source=ci/tests/lib/assert.sh
source "$HERE/lib/assert.sh"

REG=123456789012.dkr.ecr.eu-west-1.amazonaws.com
# ECR_REGISTRY is unset unless a test sets REGISTRY for that call.
img() {
  local vars=()
  [[ -n "${REGISTRY:-}" ]] && vars+=("ECR_REGISTRY=$REGISTRY")
  [[ -n "${TOOL:-}" ]] && vars+=("RETAG_TOOL=$TOOL")
  env -u ECR_REGISTRY -u IMAGE_NAME -u RETAG_TOOL "${vars[@]}" bash "$IMAGE" "$@"
}

out="$(img --dry-run --version v1.2.3 2>&1 >/dev/null)"
assert_match "build uses docker/Dockerfile" 'docker build -f [^ ]*docker/Dockerfile' "$out"
assert_match "build passes VERSION" '--build-arg VERSION=v1\.2\.3' "$out"
assert_match "build passes GIT_COMMIT" '--build-arg GIT_COMMIT=[0-9a-f]{40}' "$out"
assert_match "build passes GIT_BRANCH" '--build-arg GIT_BRANCH=[^ ]+' "$out"
assert_eq "build prints the local ref" "poll-api:v1.2.3" "$(img --dry-run --version v1.2.3 2>/dev/null)"
assert_eq "ref uses ci/version.sh" "poll-api:$(bash "$HERE/../version.sh")" "$(img --ref)"

out="$(REGISTRY=$REG img --dry-run --push --version main-abc1234 2>&1)"
assert_match "push logs in to ECR" "docker login --username AWS --password-stdin $REG" "$out"
assert_match "push pushes the registry ref" "docker push $REG/poll-api:main-abc1234" "$out"
assert_fails "push without ECR_REGISTRY fails" img --dry-run --push --version v1.0.0

out="$(REGISTRY=$REG TOOL=buildx img --dry-run --retag main-abc1234 v1.0.0-rc.1 2>&1)"
assert_match "retag with buildx copies the manifest" \
  "imagetools create --tag $REG/poll-api:v1\\.0\\.0-rc\\.1 $REG/poll-api:main-abc1234" "$out"
out="$(REGISTRY=$REG TOOL=crane img --dry-run --retag v1.0.0-rc.1 v1.0.0 2>&1)"
assert_match "retag with crane" "crane tag $REG/poll-api:v1\\.0\\.0-rc\\.1 v1\\.0\\.0" "$out"
out="$(REGISTRY=$REG TOOL=aws img --dry-run --retag v1.0.0-rc.1 v1.0.0 2>&1)"
assert_match "retag with the ECR API" "aws ecr put-image --repository-name poll-api --image-tag v1\\.0\\.0" "$out"
assert_fails "retag refuses an invalid tag" env ECR_REGISTRY=$REG bash "$IMAGE" --dry-run --retag a 'b/c'
assert_fails "retag needs a registry" img --dry-run --retag a b
assert_fails "build refuses an invalid version" img --dry-run --version 'Not A Tag'
assert_true "--help exits 0" bash "$IMAGE" --help

finish
