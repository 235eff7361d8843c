#!/usr/bin/env bash
# Each promotion rule of the pipeline refusing what it must (exit 3, "REFUSED"), and
# letting through what it may, on synthetic records and artifacts in a throw-away git
# repository. Fast: no cargo build, no database (a stand-in poll-api where one is needed).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=ci/tests/lib/assert.sh
source "$HERE/lib/assert.sh"
# shellcheck source=ci/tests/pipeline_fixtures/lib.sh
source "$HERE/pipeline_fixtures/lib.sh"

fix_repo
C1="$(fix_git rev-parse HEAD)"
mk_artifact "master-${C1:0:7}" "$C1"

# ---- rc only from a master commit that passed UAT (e2e + contract)
assert_refused "rc: refused without any UAT record" ci promote-rc --dry-run
D1="$(rec_deploy uat "master-${C1:0:7}" "$C1" success)"
assert_refused "rc: refused when UAT ran no e2e/contract" ci promote-rc --dry-run
rec_check "$D1" e2e passed
assert_refused "rc: refused when UAT passed e2e but no contract verification" ci promote-rc --dry-run
rec_check "$D1" contract failed
assert_refused "rc: refused when contract verification failed" ci promote-rc --dry-run
rec_check "$D1" contract passed
assert_eq "rc: allowed once UAT passed e2e and contract" "v0.1.0-rc.1" "$(ci promote-rc --dry-run 2>/dev/null)"
rec_check "$D1" e2e failed
assert_refused "rc: the latest result of a check wins (e2e re-run failed)" ci promote-rc --dry-run
rec_check "$D1" e2e passed
D_FAILED="$(rec_deploy uat "master-${C1:0:7}" "$C1" failed)"
assert_eq "rc: an earlier passing UAT deployment of the commit still counts" "v0.1.0-rc.1" \
  "$(ci promote-rc --dry-run 2>/dev/null)"
: "$D_FAILED"

# A commit off master, even with a (forged) passing UAT record, is refused.
fix_git checkout -q -b feature/side
C_SIDE="$(fix_commit "side work")"
mk_artifact "feature-side-${C_SIDE:0:7}" "$C_SIDE"
D_SIDE="$(rec_deploy uat "feature-side-${C_SIDE:0:7}" "$C_SIDE" success)"
rec_check "$D_SIDE" e2e passed
rec_check "$D_SIDE" contract passed
assert_refused "rc: refused for a commit that is not on master" ci promote-rc --commit "$C_SIDE" --dry-run
fix_git checkout -q master

# Another master commit that never reached UAT.
C2="$(fix_commit "unverified change")"
assert_refused "rc: refused for the master tip that did not pass UAT" ci promote-rc --dry-run
fix_git tag -a v0.9.0-rc.1 "$C2" -m "pushed by a person on an unverified commit"
assert_refused "rc: a pushed rc tag on a commit that did not pass UAT is refused" ci promote-rc v0.9.0-rc.1 --dry-run
fix_git tag -d v0.9.0-rc.1 >/dev/null
assert_eq "rc: the verified commit can still be named" "v0.1.0-rc.1" \
  "$(ci promote-rc --commit "$C1" --dry-run 2>/dev/null)"
fix_git tag -a v0.8.0-rc.2 "$C1" -m "pushed by a person on the verified commit"
assert_eq "rc: a pushed rc tag on a verified commit is accepted" "v0.8.0-rc.2" \
  "$(ci promote-rc v0.8.0-rc.2 --dry-run 2>/dev/null)"
fix_git tag -d v0.8.0-rc.2 >/dev/null
C3="$(fix_commit "verified but never built")"
D3="$(rec_deploy uat "master-${C3:0:7}" "$C3" success)"
rec_check "$D3" e2e passed
rec_check "$D3" contract passed
assert_refused "rc: refused when no artifact was built for the commit" ci promote-rc --commit "$C3" --dry-run

# ---- release only from an rc that passed staging (smoke, acceptance, e2e, perf, security)
fix_git tag -a v0.1.0-rc.1 "$C1" -m rc
mk_retag "master-${C1:0:7}" v0.1.0-rc.1
assert_refused "release: refused without a staging record" ci release v0.1.0-rc.1 --dry-run
S1="$(rec_deploy staging v0.1.0-rc.1 "$C1" success)"
for check in acceptance e2e perf; do rec_check "$S1" "$check" passed; done
assert_refused "release: refused when the security check did not run" ci release v0.1.0-rc.1 --dry-run
rec_check "$S1" security failed
assert_refused "release: refused when the security check failed" ci release v0.1.0-rc.1 --dry-run
rec_check "$S1" security passed
rec_check "$S1" perf failed
assert_refused "release: refused when the load test failed" ci release v0.1.0-rc.1 --dry-run
rec_check "$S1" perf passed
assert_eq "release: allowed from an rc that passed staging" "v0.1.0" "$(ci release v0.1.0-rc.1 --dry-run 2>/dev/null)"
assert_eq "release: defaults to the highest rc" "v0.1.0" "$(ci release --dry-run 2>/dev/null)"
assert_refused "release: refused from something that is not an rc tag" ci release "master-${C1:0:7}" --dry-run
assert_eq "release: a release tag (CI tag build) releases its rc that passed staging" "v0.1.0" \
  "$(ci release v0.1.0 --dry-run 2>/dev/null)"
assert_refused "release: a release tag with no rc that passed staging is refused" ci release v0.5.0 --dry-run

# ---- no rebuild on promotion: the rc must be byte for byte the master build
fix_git tag -a v0.2.0-rc.1 "$C1" -m "rc of a rebuilt artifact"
mk_artifact v0.2.0-rc.1 "$C1" "a rebuild of the same commit"
printf '%s\n' "master-${C1:0:7}" >"$ARTIFACTS/by-commit/$C1"
S2="$(rec_deploy staging v0.2.0-rc.1 "$C1" success)"
for check in acceptance e2e perf security; do rec_check "$S2" "$check" passed; done
assert_refused "release: refused when the rc artifact is not the master build (rebuilt)" \
  ci release v0.2.0-rc.1 --dry-run
# Tampering with the bytes after the fact is caught by the digest.
chmod u+w "$ARTIFACTS/master-${C1:0:7}/poll-api"
cp -p "$ARTIFACTS/v0.1.0-rc.1/poll-api" "$T/saved"
printf 'tampered\n' >>"$ARTIFACTS/v0.1.0-rc.1/poll-api"
assert_refused "release: refused when the artifact's bytes no longer match its digest" \
  ci release v0.1.0-rc.1 --dry-run
cat "$T/saved" >"$ARTIFACTS/v0.1.0-rc.1/poll-api"
assert_eq "release: allowed again once the bytes match" "v0.1.0" "$(ci release v0.1.0-rc.1 --dry-run 2>/dev/null)"

# ---- the same rules hold on a direct ci/deploy
assert_refused "deploy: staging takes rc tags only" ci deploy staging "master-${C1:0:7}"
assert_refused "deploy: prod takes release tags only" ci deploy prod v0.1.0-rc.1
fix_git tag -a v0.3.0 "$C1" -m "a release tag nobody verified"
mk_retag "master-${C1:0:7}" v0.3.0
assert_refused "deploy: prod refuses a release with no rc that passed staging" ci deploy prod v0.3.0
fix_git tag -a v0.4.0-rc.1 "$C2" -m "rc of an unverified commit"
mk_artifact "master-${C2:0:7}" "$C2"
mk_retag "master-${C2:0:7}" v0.4.0-rc.1
assert_refused "deploy: staging refuses an rc whose commit did not pass UAT" ci deploy staging v0.4.0-rc.1
fix_git checkout -q feature/side
assert_refused "deploy: uat takes master commits only" ci deploy uat "feature-side-${C_SIDE:0:7}"
fix_git checkout -q master
assert_refused "tags are immutable: re-tagging another artifact as an existing version" \
  bash -c "cd '$REPO' && source ci/lib/pipeline.sh && target_retag 'master-${C2:0:7}' v0.1.0-rc.1"

# ---- production runs smoke tests only
for script in e2e acceptance perf security contract-verify; do
  assert_refused "prod: $script refused by environment name" ci "$script" http://127.0.0.1:9 --env prod
done
start_fake prod PROD_URL
for script in e2e acceptance perf security contract-verify; do
  assert_refused "prod: $script refused by what the service reports at /version" ci "$script" "$PROD_URL"
  assert_refused "prod: $script refused even when told another environment" ci "$script" "$PROD_URL" --env staging
done
assert_true "prod: smoke is allowed" ci smoke "$PROD_URL" --no-record
start_fake staging STAGING_URL
assert_true "staging: e2e is allowed" ci e2e "$STAGING_URL" --no-record

# ---- rollback and teardown
assert_refused "rollback: refused with no deployment recorded" ci rollback prod
assert_refused "rollback: --to a version that never ran in the environment" ci rollback uat --to v9.9.9
for env in uat staging prod; do
  assert_refused "env-down: refuses $env" ci env-down "$env"
done

finish
