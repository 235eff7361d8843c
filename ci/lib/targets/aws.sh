# shellcheck shell=bash
# Deployment target "aws": ECR + ECS Fargate, one CloudFormation stack per environment.
# Sourced by ci/lib/pipeline.sh when DEPLOY_TARGET=aws. Nothing here runs on the
# development machine (no AWS access there); see docs/pipeline.md, "AWS".
#
#   image      = the container image in the ECR repository of the dev account
#                (deploy/aws/ecr.yaml, IMMUTABLE tags), pushed by ci/image.sh as
#                <version>, and tagged commit-<sha> (the commit's first build; a later
#                build of the same commit: commit-<sha>.<digest12>)
#   re-tag     = ci/image.sh --retag FROM TO: a new tag on the same manifest (same digest)
#   deployment = `aws cloudformation deploy` of deploy/aws/service.yaml as the stack
#                poll-api-<env-slug> in the environment's account, in three moves:
#                MigrationImageTag=<new> (service unchanged), the migration task
#                (`poll-api migrate`) run to completion, then ImageTag=<new> (ECS rolling
#                deployment, circuit breaker with rollback; CloudFormation waits for it)
#   records    = the same JSON lines, kept in s3://$POLL_RECORDS_BUCKET/$POLL_RECORDS_KEY
#                (pulled before a script reads them, pushed with a conditional write)
#
# Accounts and credentials: deploy/aws/params/<stage>.json names the account of each stage
# (dev: branch environments and uat; staging; prod). With POLL_AWS_PROFILES=1 every call
# for an account uses the AWS CLI profile "$POLL_AWS_PROFILE_PREFIX<account>" (for example
# poll-dev, poll-staging, poll-prod: roles the CI agent may assume); otherwise the
# ambient credentials are used for everything.

AWS_PARAMS_DIR="$PIPELINE_ROOT/deploy/aws/params"
POLL_RECORDS_KEY="${POLL_RECORDS_KEY:-poll-api/deployments.jsonl}"

# aws_stage ENV — the parameter file of ENV: dev (branch environments), uat, staging, prod.
aws_stage() {
  case "$(pl_env_kind "$1")" in
    branch) echo dev ;;
    *) pl_env_kind "$1" ;;
  esac
}

# aws_param STAGE PATH — a value of deploy/aws/params/STAGE.json (PATH: dot-separated).
aws_param() {
  python3 - "$AWS_PARAMS_DIR/$1.json" "$2" <<'PY'
import json, sys
value = json.load(open(sys.argv[1], encoding="utf-8"))
for key in sys.argv[2].split("."):
    value = value[key]
print(",".join(value) if isinstance(value, list) else value)
PY
}

# aws_in STAGE ARGS... — the AWS CLI with the credentials of STAGE's account.
aws_in() {
  local stage="$1" account
  shift
  require_cmd aws "pip install awscli"
  account="$(aws_param "$stage" Account)"
  if [[ "${POLL_AWS_PROFILES:-0}" == 1 ]]; then
    AWS_PROFILE="${POLL_AWS_PROFILE_PREFIX:-poll-}$account" \
      aws --region "$(aws_param "$stage" Region)" "$@"
  else
    aws --region "$(aws_param "$stage" Region)" "$@"
  fi
}

# aws_stack ENV — the CloudFormation stack of ENV's service.
aws_stack() {
  printf 'poll-api-%s\n' "$(aws_slug "$1")"
}

# aws_slug ENV — at most 20 characters of [a-z0-9-]: uat, staging, prod, or b-<slug>-<hash>.
aws_slug() {
  local env="$1" slug
  case "$(pl_env_kind "$env")" in
    branch)
      slug="$(pl_slug "$env")"
      printf 'b-%s-%s\n' "$(printf '%s' "${slug:0:11}" | sed 's/-*$//')" \
        "$(printf '%s' "$env" | sha256sum | cut -c1-6)"
      ;;
    *) pl_env_kind "$env" ;;
  esac
}

aws_repo() {
  aws_param dev Stacks.ecr.Parameters.RepositoryName
}

export ECR_REGISTRY="${ECR_REGISTRY:-}"
aws_registry() {
  if [[ -z "$ECR_REGISTRY" ]]; then
    ECR_REGISTRY="$(aws_param dev AccountId).dkr.ecr.$(aws_param dev Region).amazonaws.com"
  fi
  printf '%s\n' "$ECR_REGISTRY"
}

# aws_image_tags VERSION — the tags of the image VERSION (one per line); fails when none.
aws_image_tags() {
  aws_in dev ecr describe-images --repository-name "$(aws_repo)" \
    --image-ids "imageTag=$1" --query 'imageDetails[0].imageTags[]' --output text 2>/dev/null \
    | tr '\t' '\n' | grep .
}

target_has_artifact() {
  aws_image_tags "$1" >/dev/null
}

target_artifact_digest() {
  aws_in dev ecr describe-images --repository-name "$(aws_repo)" --image-ids "imageTag=$1" \
    --query 'imageDetails[0].imageDigest' --output text
}

# target_artifact_field VERSION FIELD — digest, commit (from the commit-<sha> tag),
# build_version (the branch tag it was pushed as), commit_time (git).
target_artifact_field() {
  local version="$1" field="$2" tags commit
  tags="$(aws_image_tags "$version")" || return 1
  commit="$(grep -m1 -oE '^commit-[0-9a-f]{40}' <<<"$tags" | sed 's/^commit-//' || true)"
  case "$field" in
    digest) target_artifact_digest "$version" ;;
    commit) [[ -n "$commit" ]] && printf '%s\n' "$commit" ;;
    build_version) grep -v -E '^(commit-|v[0-9])' <<<"$tags" | head -n 1 ;;
    commit_time) [[ -n "$commit" ]] && pl_commit_time "$commit" ;;
    *) return 1 ;;
  esac
}

# ECR stores content-addressed manifests: a tag's digest is its content's.
target_verify_artifact() {
  target_has_artifact "$1"
}

target_build_of_commit() {
  local tags
  tags="$(aws_image_tags "commit-$1")" || return 1
  grep -v -E '^(commit-|v[0-9])' <<<"$tags" | head -n 1
}

target_retag() {
  local from="$1" to="$2"
  if target_has_artifact "$to"; then
    [[ "$(target_artifact_digest "$to")" == "$(target_artifact_digest "$from")" ]] \
      || refuse "image $to already exists with another digest (tags are immutable)"
    return 0
  fi
  ECR_REGISTRY="$(aws_registry)" IMAGE_NAME="$(aws_repo)" \
    bash "$PIPELINE_ROOT/ci/image.sh" --retag "$from" "$to" >&2 || die "re-tagging $from as $to failed"
}

# target_publish VERSION COMMIT BRANCH — build and push the image once per commit.
target_publish() {
  local version="$1" commit="$2" built
  if target_has_artifact "$version"; then
    # Pushed by the CI's image job (ci/image.sh --push): tag it with its commit too. The
    # first build of a commit gets commit-<sha>; another build of the same commit (a CI
    # that builds master again) gets commit-<sha>.<digest>, tags being immutable.
    if ! aws_image_tags "$version" | grep -q '^commit-'; then
      if target_build_of_commit "$commit" >/dev/null; then
        local digest
        digest="$(target_artifact_digest "$version")"
        target_retag "$version" "commit-$commit.${digest:7:12}"
      else
        target_retag "$version" "commit-$commit"
      fi
    fi
    return 0
  fi
  if built="$(target_build_of_commit "$commit")"; then
    target_retag "$built" "$version"
    return 0
  fi
  [[ "$(pl_git rev-parse HEAD)" == "$commit" ]] || die "image $version must be built from ${commit:0:12}"
  ECR_REGISTRY="$(aws_registry)" IMAGE_NAME="$(aws_repo)" \
    bash "$PIPELINE_ROOT/ci/image.sh" build --push --version "$version" >&2 || die "image build/push failed"
  target_retag "$version" "commit-$commit"
}

# aws_stack_output STAGE STACK KEY
aws_stack_output() {
  aws_in "$1" cloudformation describe-stacks --stack-name "$2" \
    --query "Stacks[0].Outputs[?OutputKey=='$3'].OutputValue" --output text 2>/dev/null
}

# aws_deploy_stack STAGE ENV IMAGE_TAG MIGRATION_TAG
aws_deploy_stack() {
  local stage="$1" env="$2" image="$3" migration="$4" network overrides=() lb_sg svc_sg
  # uat shares the dev account's network stack.
  network="$(aws_param "$stage" Stacks.network.StackName 2>/dev/null || aws_param dev Stacks.network.StackName)"
  lb_sg="$(aws_stack_output "$stage" "$network" LoadBalancerSecurityGroupId)"
  svc_sg="$(aws_stack_output "$stage" "$network" ServiceSecurityGroupId)"
  [[ -n "$lb_sg" && "$lb_sg" != None && -n "$svc_sg" && "$svc_sg" != None ]] \
    || die "no security groups from the stack $network: deploy deploy/aws/network-security.yaml first"
  mapfile -t overrides < <(python3 - "$AWS_PARAMS_DIR/$stage.json" <<'PY'
import json, sys
params = json.load(open(sys.argv[1], encoding="utf-8"))["Stacks"]["service"]["Parameters"]
for key, value in params.items():
    print(f"{key}={','.join(value) if isinstance(value, list) else value}")
PY
  )
  aws_in "$stage" cloudformation deploy --no-fail-on-empty-changeset \
    --stack-name "$(aws_stack "$env")" \
    --template-file "$PIPELINE_ROOT/deploy/aws/service.yaml" \
    --capabilities CAPABILITY_IAM \
    --tags service=poll-api "environment=$(aws_slug "$env")" \
    --parameter-overrides "${overrides[@]}" \
    "EnvironmentName=$env" "StackSlug=$(aws_slug "$env")" \
    "ImageRepositoryUri=$(aws_registry)/$(aws_repo)" \
    "ImageTag=$image" "MigrationImageTag=$migration" \
    "LoadBalancerSecurityGroupId=$lb_sg" "ServiceSecurityGroupId=$svc_sg" \
    "DeletionProtection=$([[ $stage == dev && $(pl_env_kind "$env") == branch ]] && echo false || echo true)" >&2
}

# aws_run_task STAGE ENV COMMAND... — run the migration task definition with COMMAND and
# wait for its exit status.
aws_run_task() {
  local stage="$1" env="$2" stack cluster taskdef subnets sg arn code overrides
  shift 2
  stack="$(aws_stack "$env")"
  cluster="$(aws_stack_output "$stage" "$stack" ClusterName)"
  taskdef="$(aws_stack_output "$stage" "$stack" MigrationTaskDefinitionArn)"
  subnets="$(aws_stack_output "$stage" "$stack" PrivateSubnetIds)"
  sg="$(aws_stack_output "$stage" "$stack" ServiceSecurityGroupId)"
  overrides="$(python3 -c 'import json,sys; print(json.dumps({"containerOverrides":[{"name":"poll-api","command":sys.argv[1:]}]}))' "$@")"
  arn="$(aws_in "$stage" ecs run-task --cluster "$cluster" --task-definition "$taskdef" \
    --launch-type FARGATE --overrides "$overrides" \
    --network-configuration "awsvpcConfiguration={subnets=[$subnets],securityGroups=[$sg],assignPublicIp=DISABLED}" \
    --query 'tasks[0].taskArn' --output text)" || die "could not start: poll-api $*"
  log "waiting for poll-api $* ($arn)"
  aws_in "$stage" ecs wait tasks-stopped --cluster "$cluster" --tasks "$arn" || die "poll-api $* did not stop"
  code="$(aws_in "$stage" ecs describe-tasks --cluster "$cluster" --tasks "$arn" \
    --query 'tasks[0].containers[0].exitCode' --output text)"
  [[ "$code" == 0 ]] || die "poll-api $* failed (exit $code); see CloudWatch Logs /poll-api/$(aws_slug "$env")"
}

# target_deploy ENV VERSION — migrate with the new image, then roll the service to it.
target_deploy() {
  local env="$1" version="$2" stage current
  stage="$(aws_stage "$env")"
  current="$(aws_in "$stage" cloudformation describe-stacks --stack-name "$(aws_stack "$env")" \
    --query "Stacks[0].Parameters[?ParameterKey=='ImageTag'].ParameterValue" --output text 2>/dev/null || true)"
  [[ -n "$current" && "$current" != None ]] || current="$version"
  log "stack $(aws_stack "$env") ($stage account): migration image $version"
  aws_deploy_stack "$stage" "$env" "$current" "$version" || return 1
  aws_run_task "$stage" "$env" migrate || return 1
  log "stack $(aws_stack "$env"): service image $version (rolling, circuit breaker on)"
  aws_deploy_stack "$stage" "$env" "$version" "$version" || return 1
  target_base_url "$env"
}

target_base_url() {
  aws_stack_output "$(aws_stage "$1")" "$(aws_stack "$1")" BaseUrl
}

# target_stop ENV — no task left running (the stack stays).
target_stop() {
  local stage stack
  stage="$(aws_stage "$1")"
  stack="$(aws_stack "$1")"
  aws_in "$stage" ecs update-service --cluster "$(aws_stack_output "$stage" "$stack" ClusterName)" \
    --service poll-api --desired-count 0 >/dev/null 2>&1 || true
}

# After a failed deployment CloudFormation and the ECS circuit breaker have rolled the
# service back: the previous deployment keeps serving (false = not left down).
target_on_failed_deploy() {
  return 1
}

target_teardown() {
  target_stop "$1"
}

# target_token ENV — the first bearer token of ENV, for the checks run by the CI agent.
target_token() {
  local stage arn
  stage="$(aws_stage "$1")"
  arn="$(aws_param "$stage" Stacks.service.Parameters.AuthTokensSecretArn)"
  aws_in "$stage" secretsmanager get-secret-value --secret-id "$arn" --query SecretString \
    --output text 2>/dev/null | cut -d, -f1
}

# target_service_env ENV — POLL__DATABASE__URL/POLL__REDIS__URL of ENV (contract
# verification writes provider states there: an agent inside the VPC only).
target_service_env() {
  local stage
  stage="$(aws_stage "$1")"
  POLL__DATABASE__URL="$(aws_in "$stage" secretsmanager get-secret-value --query SecretString --output text \
    --secret-id "$(aws_param "$stage" Stacks.service.Parameters.DatabaseUrlSecretArn)")"
  POLL__REDIS__URL="$(aws_in "$stage" secretsmanager get-secret-value --query SecretString --output text \
    --secret-id "$(aws_param "$stage" Stacks.service.Parameters.RedisUrlSecretArn)")"
  export POLL__DATABASE__URL POLL__REDIS__URL
}

# The schema is created by the migration task of the first deployment.
target_env_create() {
  log "aws: the schema of $1 is created by the deployment's migration task (poll-api migrate)"
}

# target_env_drop ENV VERSION — `poll-api env drop ENV` as a task, then the stack goes.
target_env_drop() {
  local env="$1" stage
  stage="$(aws_stage "$env")"
  if aws_in "$stage" cloudformation describe-stacks --stack-name "$(aws_stack "$env")" >/dev/null 2>&1; then
    aws_run_task "$stage" "$env" env drop "$env"
    aws_in "$stage" cloudformation delete-stack --stack-name "$(aws_stack "$env")"
    aws_in "$stage" cloudformation wait stack-delete-complete --stack-name "$(aws_stack "$env")" \
      || die "stack $(aws_stack "$env") was not deleted"
  fi
}

# The drop task succeeded (exit 0) and the stack is gone.
target_env_gone() {
  ! aws_in "$(aws_stage "$1")" cloudformation describe-stacks --stack-name "$(aws_stack "$1")" >/dev/null 2>&1
}

target_log_hint() {
  printf 'CloudWatch Logs /poll-api/%s\n' "$(aws_slug "$1")"
}

# ---------------------------------------------------------------- records in S3

AWS_RECORDS_ETAG=""
AWS_RECORDS_BASE=0

target_records_pull() {
  local bucket="${POLL_RECORDS_BUCKET:?POLL_RECORDS_BUCKET (S3 bucket of the deployment records) is not set}"
  mkdir -p "$(dirname "$PIPELINE_RECORDS")"
  AWS_RECORDS_ETAG="$(aws_in dev s3api head-object --bucket "$bucket" --key "$POLL_RECORDS_KEY" \
    --query ETag --output text 2>/dev/null || true)"
  if [[ -n "$AWS_RECORDS_ETAG" && "$AWS_RECORDS_ETAG" != None ]]; then
    aws_in dev s3api get-object --bucket "$bucket" --key "$POLL_RECORDS_KEY" --if-match "$AWS_RECORDS_ETAG" \
      "$PIPELINE_RECORDS" >/dev/null || die "could not fetch s3://$bucket/$POLL_RECORDS_KEY"
  else
    AWS_RECORDS_ETAG=""
    : >"$PIPELINE_RECORDS"
  fi
  AWS_RECORDS_BASE="$(wc -l <"$PIPELINE_RECORDS")"
}

# target_records_push — upload the records with a conditional write; on a concurrent
# update, fetch theirs, append ours again, retry.
target_records_push() {
  local bucket="$POLL_RECORDS_BUCKET" ours attempt cond=()
  ours="$(tail -n +"$((AWS_RECORDS_BASE + 1))" "$PIPELINE_RECORDS")"
  for attempt in 1 2 3 4 5; do
    if [[ -n "$AWS_RECORDS_ETAG" ]]; then cond=(--if-match "$AWS_RECORDS_ETAG"); else cond=(--if-none-match '*'); fi
    if aws_in dev s3api put-object --bucket "$bucket" --key "$POLL_RECORDS_KEY" --body "$PIPELINE_RECORDS" \
      --server-side-encryption aws:kms "${cond[@]}" >/dev/null 2>&1; then
      target_records_pull
      return 0
    fi
    warn "records changed meanwhile (attempt $attempt): merging"
    target_records_pull
    [[ -z "$ours" ]] || printf '%s\n' "$ours" >>"$PIPELINE_RECORDS"
  done
  die "could not store the deployment records in s3://$bucket/$POLL_RECORDS_KEY"
}
