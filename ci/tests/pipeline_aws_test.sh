#!/usr/bin/env bash
# The aws target's logic against a stand-in AWS CLI (no AWS here): the order of a
# deployment (migration image, migration task, service image), every parameter that
# deploy/aws/service.yaml needs given, records kept in S3 with conditional writes,
# promotion re-tagging in ECR without a rebuild, teardown of a branch environment.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=ci/tests/lib/assert.sh
source "$HERE/lib/assert.sh"
# shellcheck source=ci/tests/pipeline_fixtures/lib.sh
source "$HERE/pipeline_fixtures/lib.sh"

fix_repo
mkdir -p "$REPO/deploy" "$T/bin"
cp -R "$FIX_CI/../deploy/aws" "$REPO/deploy/aws"
fix_git add -A
fix_git commit -q -m "deploy/aws"
C="$(fix_git rev-parse HEAD)"
V="master-${C:0:7}"
ln -s "$FIX_HERE/fake-aws" "$T/bin/aws"
export PATH="$T/bin:$PATH" DEPLOY_TARGET=aws POLL_RECORDS_BUCKET=records-bucket RETAG_TOOL=aws
export FAKE_AWS_STATE="$T/aws-state.json" FAKE_AWS_LOG="$T/aws-calls.jsonl"
unset POLL_AWS_PROFILES ECR_REGISTRY

# The "service" behind the load balancer: the stand-in, built as the image was.
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
POLL_BUILD_VERSION="$V" POLL_BUILD_COMMIT="$C" POLL_BUILD_BRANCH=master FAKE_BUILD_OUTPUT="$T/svc" \
  bash "$FIX_HERE/fake-build.sh" 2>/dev/null
POLL__ENVIRONMENT=uat POLL__DATABASE__URL="fake://$T/svc.json" "$T/svc" migrate
POLL__ENVIRONMENT=uat POLL__DATABASE__URL="fake://$T/svc.json" "$T/svc" serve --bind "127.0.0.1:$port" >/dev/null 2>&1 &
FIX_PIDS+=("$!")
for _ in $(seq 1 50); do curl -fsS -o /dev/null "http://127.0.0.1:$port/health/live" 2>/dev/null && break; sleep 0.1; done
URL="http://127.0.0.1:$port"

cat >"$FAKE_AWS_STATE" <<JSON
{"images": {"sha256:bbb": ["feature-x-${C:0:7}", "commit-$C"], "sha256:aaa": ["$V"]},
 "stacks": {"poll-api-network": {"outputs": {"LoadBalancerSecurityGroupId": "sg-lb", "ServiceSecurityGroupId": "sg-svc"}, "parameters": {}}},
 "default_outputs": {"ClusterName": "poll-api-c", "MigrationTaskDefinitionArn": "arn:td/migrate", "PrivateSubnetIds": "subnet-a,subnet-b", "ServiceSecurityGroupId": "sg-svc"},
 "base_urls": {"poll-api-uat": "$URL"},
 "tasks": [], "objects": {},
 "secrets": {"auth-tokens": "", "database-url": "fake://$T/svc.json", "redis-url": ""}}
JSON
calls() { python3 -c 'import json,sys; [print(" ".join(json.loads(l)[:2])) for l in open(sys.argv[1])]' "$FAKE_AWS_LOG"; }
state() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$FAKE_AWS_STATE" "$1"; }

# ---- deploy uat: master's image was pushed by the CI's image job (a second build of a
# commit first built on its branch, sha256:bbb): it is indexed by commit, and it is the
# one UAT tests and promotion carries.
out="$(ci deploy uat "$V" 2>"$T/deploy.log")" || { cat "$T/deploy.log"; }
assert_eq "deploy prints the stack's BaseUrl" "$URL" "$out"
assert_match "master's build is tagged with its commit (second build of it)" "commit-$C\.aaa" "$(state 'd["images"]["sha256:aaa"]')"
assert_match "the record names the commit" "\"commit\":\"$C\"" "$(state 'd["objects"]["records-bucket/poll-api/deployments.jsonl"]["body"]')"
seq_="$(calls | grep -E '^(cloudformation deploy|ecs run-task|ecs wait|ecs describe-tasks)' | tr '\n' '|')"
assert_eq "order: migration image, migration task, wait, exit code, service image" \
  "cloudformation deploy|ecs run-task|ecs wait|ecs describe-tasks|cloudformation deploy|" "$seq_"
assert_eq "the migration task runs 'poll-api migrate'" "[['migrate']]" "$(state 'd["tasks"]')"
assert_eq "the service runs the version" "$V" "$(state 'd["stacks"]["poll-api-uat"]["parameters"]["ImageTag"]')"
assert_eq "the environment name is passed" "uat" "$(state 'd["stacks"]["poll-api-uat"]["parameters"]["EnvironmentName"]')"
assert_eq "security groups come from the network stack" "sg-lb sg-svc" \
  "$(state '" ".join([d["stacks"]["poll-api-uat"]["parameters"][k] for k in ("LoadBalancerSecurityGroupId","ServiceSecurityGroupId")])')"
missing="$(python3 - "$REPO/deploy/aws/service.yaml" "$FAKE_AWS_STATE" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
params = re.search(r"^Parameters:\n(.*?)^\S", text, re.S | re.M).group(1)
names, current, has_default = [], None, {}
for line in params.splitlines():
    m = re.match(r"^  (\w+):\s*$", line)
    if m:
        current = m.group(1); names.append(current); has_default[current] = False
    elif current and re.match(r"^    Default:", line):
        has_default[current] = True
given = json.load(open(sys.argv[2]))["stacks"]["poll-api-uat"]["parameters"]
print(" ".join(n for n in names if not has_default[n] and n not in given))
PY
)"
assert_eq "every service.yaml parameter without a default is given" "" "$missing"
assert_match "the deployment record is in S3" '"environment":"uat"' "$(state 'd["objects"]["records-bucket/poll-api/deployments.jsonl"]["body"]')"
assert_true "the first write of the records is conditional (if-none-match)" grep -q 'if-none-match' "$FAKE_AWS_LOG"

# ---- UAT checks recorded in S3, then an rc re-tagged in ECR (never rebuilt)
export PIPELINE_CONTRACT_CMD="true"
assert_true "e2e against uat" ci e2e "$URL"
assert_true "contract verification against uat" ci contract-verify "$URL"
body="$(state 'd["objects"]["records-bucket/poll-api/deployments.jsonl"]["body"]')"
assert_match "the check results are in S3 too" '"check":"contract".*' "$body"
rm -f "$REPO/.local/pipeline/deployments.jsonl" # another agent: only S3 holds the records
assert_eq "promote-rc reads the records from S3 and re-tags" "v0.1.0-rc.1" "$(ci promote-rc --no-deploy 2>"$T/rc.log" || cat "$T/rc.log" >&2)"
assert_eq "the rc tag is on the image UAT tested, not the branch build" "sha256:aaa" \
  "$(state '[k for k, v in d["images"].items() if "v0.1.0-rc.1" in v][0]')"
assert_true "no image was built" bash -c "! grep -q 'docker' '$FAKE_AWS_LOG'"

# ---- teardown of a branch environment: env drop task, then the stack goes
python3 - "$FAKE_AWS_STATE" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["stacks"]["poll-api-b-feature-x-" + __import__("hashlib").sha256(b"feature/x").hexdigest()[:6]] = {
    "outputs": dict(d["default_outputs"]), "parameters": {"ImageTag": "x"}}
json.dump(d, open(sys.argv[1], "w"))
PY
printf '{"type":"deployment","id":"b1","environment":"feature/x","version":"%s","commit":"%s","result":"success","action":"deploy","checks":["smoke"],"time":"2026-01-01T00:00:00Z"}\n' "$V" "$C" >"$T/rec"
python3 - "$FAKE_AWS_STATE" "$T/rec" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
obj = d["objects"]["records-bucket/poll-api/deployments.jsonl"]
obj["body"] += open(sys.argv[2]).read()
obj["etag"] = '"changed"'
json.dump(d, open(sys.argv[1], "w"))
PY
assert_true "env-down feature/x" ci env-down feature/x
assert_eq "the drop task ran 'poll-api env drop feature/x'" "['env', 'drop', 'feature/x']" "$(state 'd["tasks"][-1]')"
assert_eq "the branch stack is deleted" "0" "$(state 'sum(1 for k in d["stacks"] if k.startswith("poll-api-b-"))')"
assert_match "the teardown is in S3" '"type":"teardown"' "$(state 'd["objects"]["records-bucket/poll-api/deployments.jsonl"]["body"]')"
assert_refused "env-down refuses uat on aws too" ci env-down uat

finish
