#!/usr/bin/env bash
# Builds, pushes and re-tags the poll-api container image.
set -euo pipefail

# shellcheck source=ci/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
  cat <<'EOF'
Usage:
  ci/image.sh [build] [--push] [--version V] [--dry-run]
  ci/image.sh --retag FROM TO [--dry-run]
  ci/image.sh --ref [--version V]

build (default)  docker build -f docker/Dockerfile, tagged
                 [$ECR_REGISTRY/]$IMAGE_NAME:<version>, with the build args
                 VERSION (ci/version.sh), GIT_COMMIT and GIT_BRANCH.
  --push         also push it to $ECR_REGISTRY (required), logging in with
                 `aws ecr get-login-password` unless ECR_LOGIN=0.
--retag FROM TO  give the image already pushed as tag FROM the tag TO as
                 well, without rebuilding (promotion: same digest). Uses
                 `docker buildx imagetools create`, else `crane tag`, else
                 `aws ecr batch-get-image` + `aws ecr put-image` (or the one
                 named by RETAG_TOOL=buildx|crane|aws).
--ref            print the image reference and exit.
--version V      use V instead of ci/version.sh.
--dry-run        print the commands instead of running them.

On success the image reference (and, after a push, nothing else) is printed
on stdout; logs go to stderr.

Environment:
  IMAGE_NAME     repository name (default poll-api)
  ECR_REGISTRY   e.g. <account>.dkr.ecr.<region>.amazonaws.com
  AWS_REGION     region for the ECR login and API calls
  DOCKER_BUILD_ARGS  extra arguments for docker build (word-split)
EOF
}

ROOT="$(repo_root)"
IMAGE_NAME="${IMAGE_NAME:-poll-api}"
REGISTRY="${ECR_REGISTRY:-}"
DRY_RUN=""

run() {
  if [[ -n "$DRY_RUN" ]]; then
    printf '+ %s\n' "$*" >&2
  else
    log "+ $*"
    "$@"
  fi
}

image_ref() {
  printf '%s%s:%s\n' "${REGISTRY:+$REGISTRY/}" "$IMAGE_NAME" "$1"
}

valid_tag() {
  [[ "$1" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]]
}

ecr_login() {
  [[ "${ECR_LOGIN:-1}" == 0 ]] && return 0
  [[ -n "$DRY_RUN" ]] && { printf '+ aws ecr get-login-password | docker login --username AWS --password-stdin %s\n' "$REGISTRY" >&2; return 0; }
  require_cmd aws "AWS CLI, to log in to ECR"
  log "logging in to $REGISTRY"
  aws ecr get-login-password ${AWS_REGION:+--region "$AWS_REGION"} \
    | docker login --username AWS --password-stdin "$REGISTRY" >&2
}

cmd_build() {
  local version="$1" push="$2" ref commit branch
  valid_tag "$version" || die "not a valid image tag: $version"
  ref="$(image_ref "$version")"
  commit="$(bash "$ROOT/ci/version.sh" --commit)"
  branch="$(bash "$ROOT/ci/version.sh" --branch)"
  [[ -n "$DRY_RUN" ]] || require_cmd docker
  local extra=()
  if [[ -n "${DOCKER_BUILD_ARGS:-}" ]]; then
    read -r -a extra <<<"$DOCKER_BUILD_ARGS"
  fi
  run env DOCKER_BUILDKIT=1 docker build \
    -f "$ROOT/docker/Dockerfile" \
    --build-arg "VERSION=$version" \
    --build-arg "GIT_COMMIT=$commit" \
    --build-arg "GIT_BRANCH=$branch" \
    --label "org.opencontainers.image.created=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    -t "$ref" "${extra[@]}" "$ROOT"
  if [[ "$push" == 1 ]]; then
    [[ -n "$REGISTRY" ]] || die "--push needs ECR_REGISTRY"
    ecr_login
    run docker push "$ref"
  fi
  printf '%s\n' "$ref"
}

cmd_retag() {
  local from="$1" to="$2" src dst
  valid_tag "$from" || die "not a valid image tag: $from"
  valid_tag "$to" || die "not a valid image tag: $to"
  [[ -n "$REGISTRY" ]] || die "--retag works on pushed images: set ECR_REGISTRY"
  src="$(image_ref "$from")"
  dst="$(image_ref "$to")"
  log "promoting $src -> $dst (no rebuild)"
  case "$(retag_tool)" in
    buildx)
      ecr_login
      run docker buildx imagetools create --tag "$dst" "$src"
      ;;
    crane)
      ecr_login
      run crane tag "$src" "$to"
      ;;
    aws) retag_with_ecr_api "$from" "$to" ;;
    *) die "unknown RETAG_TOOL '${RETAG_TOOL:-}' (buildx, crane or aws)" ;;
  esac
  printf '%s\n' "$dst"
}

# retag_tool — RETAG_TOOL if set, else the first of buildx, crane, aws found.
retag_tool() {
  if [[ -n "${RETAG_TOOL:-}" ]]; then
    printf '%s\n' "$RETAG_TOOL"
  elif docker buildx version >/dev/null 2>&1; then
    echo buildx
  elif command -v crane >/dev/null 2>&1; then
    echo crane
  elif command -v aws >/dev/null 2>&1; then
    echo aws
  elif [[ -n "$DRY_RUN" ]]; then
    echo buildx
  else
    die "no tool to re-tag with: need docker buildx, crane or the AWS CLI"
  fi
}

# Manifest copy through the ECR API: the new tag points at the same digest.
retag_with_ecr_api() {
  local from="$1" to="$2" manifest media_type
  local region=()
  if [[ -n "${AWS_REGION:-}" ]]; then
    region=(--region "$AWS_REGION")
  fi
  if [[ -n "$DRY_RUN" ]]; then
    printf '+ aws ecr batch-get-image --repository-name %s --image-ids imageTag=%s\n' "$IMAGE_NAME" "$from" >&2
    printf '+ aws ecr put-image --repository-name %s --image-tag %s --image-manifest <manifest>\n' "$IMAGE_NAME" "$to" >&2
    return 0
  fi
  manifest="$(aws ecr batch-get-image "${region[@]}" --repository-name "$IMAGE_NAME" \
    --image-ids "imageTag=$from" --query 'images[0].imageManifest' --output text)"
  media_type="$(aws ecr batch-get-image "${region[@]}" --repository-name "$IMAGE_NAME" \
    --image-ids "imageTag=$from" --query 'images[0].imageManifestMediaType' --output text)"
  [[ -n "$manifest" && "$manifest" != None ]] || die "image $IMAGE_NAME:$from not found in ECR"
  local out rc=0
  out="$(aws ecr put-image "${region[@]}" --repository-name "$IMAGE_NAME" --image-tag "$to" \
    --image-manifest "$manifest" --image-manifest-media-type "$media_type" 2>&1)" || rc=$?
  if [[ $rc -ne 0 ]]; then
    # Re-running a promotion is fine: the tag already points at this manifest.
    [[ "$out" == *ImageAlreadyExistsException* ]] || die "aws ecr put-image failed: $out"
    log "$IMAGE_NAME:$to already points at this image"
  fi
}

main() {
  local mode=build push=0 version="" from="" to=""
  while [[ $# -gt 0 ]]; do
    case "$1" in
      -h | --help | help) usage; return 0 ;;
      build) mode=build ;;
      --push) push=1 ;;
      --dry-run) DRY_RUN=1 ;;
      --ref) mode=ref ;;
      --version) [[ $# -ge 2 ]] || die "--version needs a value"; version="$2"; shift ;;
      --retag)
        [[ $# -ge 3 ]] || die "--retag needs FROM and TO"
        mode=retag from="$2" to="$3"
        shift 2
        ;;
      *) usage >&2; die "unknown argument: $1" ;;
    esac
    shift
  done
  case "$mode" in
    build)
      [[ -n "$version" ]] || version="$(bash "$ROOT/ci/version.sh")"
      cmd_build "$version" "$push"
      ;;
    ref)
      [[ -n "$version" ]] || version="$(bash "$ROOT/ci/version.sh")"
      image_ref "$version"
      ;;
    retag) cmd_retag "$from" "$to" ;;
  esac
}

main "$@"
