#!/usr/bin/env bash
# The local target end to end on the stand-in poll-api (no cargo build, no database):
# branch environments up and down (and pruned), records and their fields, idempotent
# steps, a failed deployment recorded and rolled back, processes and ports cleaned up.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=ci/tests/lib/assert.sh
source "$HERE/lib/assert.sh"
# shellcheck source=ci/tests/pipeline_fixtures/lib.sh
source "$HERE/pipeline_fixtures/lib.sh"

fix_repo
envs_in_db() { cat "$T/db.json" 2>/dev/null || echo '[]'; }
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get(sys.argv[2]))' "$1" "$2"; }
answers() { curl -fsS --max-time 2 -o /dev/null "$1/health/live" 2>/dev/null; }

# ---- a branch environment comes up
fix_git checkout -q -b feature/votes
C1="$(fix_commit "votes")"
V1="feature-votes-${C1:0:7}"
URL="$(ci env-up 2>"$T/env-up.log")" || { cat "$T/env-up.log"; exit 1; }
assert_match "env-up prints a loopback BASE_URL" '^http://127\.0\.0\.1:[0-9]+$' "$URL"
assert_true "the environment answers" answers "$URL"
assert_eq "it serves its own environment name" "feature/votes" \
  "$(curl -fsS "$URL/version" | python3 -c 'import json,sys; print(json.load(sys.stdin)["environment"])')"
assert_match "its schema was created" '"feature/votes"' "$(envs_in_db)"
assert_true "the artifact is stored with its digest" test -x "$ARTIFACTS/$V1/poll-api"
assert_eq "env-up again: same environment, nothing redeployed" "$URL" "$(ci env-up 2>/dev/null)"
assert_eq "one deployment recorded" 1 "$(grep -c '"type":"deployment"' "$RECORDS")"
REC="$(py live feature/votes)"
for key in id environment version commit digest time result checks_passed base_url target; do
  assert_match "the record has $key" "\"$key\": " "$REC"
done
assert_eq "record: version" "$V1" "$(field "$REC" version)"
assert_eq "record: commit" "$C1" "$(field "$REC" commit)"
assert_eq "record: result" success "$(field "$REC" result)"
assert_eq "record: digest is the artifact's" "$(py json-get "$ARTIFACTS/$V1/meta.json" digest)" "$(field "$REC" digest)"
assert_fails "env-up refuses a VERSION that is not HEAD's" ci env-up feature/votes master-0000000

# ---- checks are recorded against the live deployment, resolved from the BASE_URL
assert_true "e2e passes" ci e2e "$URL"
assert_match "e2e recorded against the deployment" '(^|,)e2e(,|$)' "$(py live feature/votes --field checks_passed)"

# ---- merge and tear down
fix_git checkout -q master
fix_git merge -q --ff-only feature/votes
PID="$(cat "$REPO/.local/pipeline/envs/feature-votes-"*/pid)"
assert_true "env-down removes the environment" ci env-down feature/votes
assert_fails "its process is gone" kill -0 "$PID"
assert_fails "it no longer answers" answers "$URL"
assert_eq "its schema is gone, nothing else touched" '[]' "$(envs_in_db)"
assert_match "the teardown is recorded" '"environment":"feature/votes","time":"[^"]+","type":"teardown"' "$(cat "$RECORDS")"
assert_true "env-down again is a no-op" ci env-down feature/votes

# ---- prune: the environment of a deleted branch goes
fix_git checkout -q -b feature/abandoned
fix_commit "abandoned" >/dev/null
URL_A="$(ci env-up 2>/dev/null)"
fix_git checkout -q master
fix_git branch -q -D feature/abandoned
assert_eq "prune --dry-run lists it" "feature/abandoned" "$(ci env-down --prune --dry-run 2>/dev/null)"
assert_true "prune removes it" ci env-down --prune
assert_fails "the pruned environment is down" answers "$URL_A"
assert_eq "prune again finds nothing" "" "$(ci env-down --prune --dry-run 2>/dev/null)"

# ---- uat: deploy is idempotent
URL_U="$(ci deploy uat 2>/dev/null)"
N="$(grep -c '"type":"deployment"' "$RECORDS")"
assert_eq "deploy uat again: nothing to do" "$URL_U" "$(ci deploy uat 2>/dev/null)"
assert_eq "...and nothing recorded" "$N" "$(grep -c '"type":"deployment"' "$RECORDS")"
assert_eq "uat reuses the commit's artifact (re-tag, same digest)" \
  "$(py json-get "$ARTIFACTS/$V1/meta.json" digest)" "$(py json-get "$ARTIFACTS/master-${C1:0:7}/meta.json" digest)"

# ---- a failed deployment is recorded; rollback brings the previous version back
C2="$(fix_commit "broken change")"
out="$(FAKE_BROKEN=1 ci deploy uat 2>&1)" && rc=0 || rc=$?
assert_eq "a deployment that never gets ready fails" 1 "$rc"
assert_match "...with a clear message" 'failed: did not become ready' "$out"
LATEST="$(py latest uat)"
assert_eq "the failure is recorded" failed "$(field "$LATEST" result)"
assert_eq "...for the new version" "master-${C2:0:7}" "$(field "$LATEST" version)"
assert_fails "uat is down (stopped, not half-running)" answers "$URL_U"
URL_R="$(ci rollback uat 2>/dev/null)"
assert_true "rollback brings uat back" answers "$URL_R"
assert_eq "...on the previous version" "master-${C1:0:7}" "$(py live uat --field version)"
assert_eq "...recorded as a rollback" rollback "$(py live uat --field action)"
assert_eq "rollback again changes nothing" "$URL_R" "$(ci rollback uat 2>/dev/null)"
J="$(ci dora --env uat --json)"
assert_match "DORA counts the failed deployment" '"failed": 1' "$J"
assert_match "...and its restore" '"restored": 1' "$J"

# ---- auth on production-like environments: the token is generated, kept private, used
# shellcheck disable=SC2016 # expanded by the inner bash
assert_true "staging and prod run with auth, uat without" \
  bash -c 'cd "$1" && source ci/lib/pipeline.sh && pl_needs_auth staging && pl_needs_auth prod && ! pl_needs_auth uat' _ "$REPO"

# ---- processes: everything started is stopped by its own script
(cd "$REPO" && bash -c 'source ci/lib/pipeline.sh && target_stop uat') 2>/dev/null
assert_fails "no stand-in left running" pgrep -f "$T/repo/.local/pipeline/artifacts/"

finish
