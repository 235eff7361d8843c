#!/usr/bin/env bash
# ci/dora on a synthetic history: a git repository whose commits have fixed times and a
# records file with fixed deployment times, so every one of the four keys is known.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=ci/tests/lib/assert.sh
source "$HERE/lib/assert.sh"
DORA="$HERE/../dora"

T="$(mktemp -d)"
trap 'rm -rf "$T"' EXIT
G="$T/repo"
git init -q -b master "$G"
commit_at() {
  GIT_COMMITTER_DATE="$1" GIT_AUTHOR_DATE="$1" git -C "$G" -c user.name=t -c user.email=t@example.invalid \
    commit -q --allow-empty -m "$2"
  git -C "$G" rev-parse HEAD
}
C1="$(commit_at 2025-11-30T00:00:00Z one)"
C2="$(commit_at 2026-01-02T00:00:00Z two)"
commit_at 2026-01-03T00:00:00Z two-b >/dev/null # C2B: brought by d2 with C3
C3="$(commit_at 2026-01-03T12:00:00Z three)"
C4="$(commit_at 2026-01-05T00:00:00Z four)"

R="$T/deployments.jsonl"
rec() { # id env version commit commit_time time result action [rolls_back]
  printf '{"type":"deployment","id":"%s","environment":"%s","version":"%s","commit":"%s","commit_time":"%s","time":"%s","result":"%s","action":"%s","rolls_back":%s,"checks":["smoke"]}\n' \
    "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "${9:-null}" >>"$R"
}
# Noise that must not count: UAT and staging deployments, a check record.
rec u1 uat master-a "$C4" 2026-01-05T00:00:00Z 2026-01-05T00:10:00Z success deploy
rec s1 staging v0.2.0-rc.1 "$C4" 2026-01-05T00:00:00Z 2026-01-05T00:30:00Z success deploy
printf '{"type":"check","deployment":"u1","check":"e2e","result":"passed","time":"2026-01-05T00:11:00Z"}\n' >>"$R"
# Production: d0 (before the window) brought C1; d1 brings C2; d2 brings C2B and C3 and is
# rolled back by d3 an hour later; d4 (C4) fails; d5 (C4 again) succeeds two hours later.
rec d0 prod v0.0.1 "$C1" 2025-11-30T00:00:00Z 2025-12-01T00:00:00Z success deploy
rec d1 prod v0.1.0 "$C2" 2026-01-02T00:00:00Z 2026-01-02T06:00:00Z success deploy
rec d2 prod v0.1.1 "$C3" 2026-01-03T12:00:00Z 2026-01-04T00:00:00Z success deploy
rec d3 prod v0.1.0 "$C2" 2026-01-02T00:00:00Z 2026-01-04T01:00:00Z success rollback '"d2"'
rec d4 prod v0.2.0 "$C4" 2026-01-05T00:00:00Z 2026-01-05T02:00:00Z failed deploy
rec d5 prod v0.2.0 "$C4" 2026-01-05T00:00:00Z 2026-01-05T04:00:00Z success deploy

dora() { bash "$DORA" --records "$R" --now 2026-01-08T00:00:00Z --days 7 "$@"; }
J="$(dora --repo "$G" --json)"
get() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); [d:=d[k] for k in sys.argv[2].split(".")]; print(d)' "$J" "$1"; }

assert_eq "frequency: 3 successful changes in 7 days" 3 "$(get deployment_frequency.deployments)"
assert_eq "frequency: per week" 3.0 "$(get deployment_frequency.per_week)"
assert_eq "frequency: per day" 0.4286 "$(get deployment_frequency.per_day)"
assert_eq "frequency: band" high "$(get deployment_frequency.band)"
# Lead times: C2 6 h (d1; C1 went out with d0), C2B 24 h and C3 12 h (d2), C4 4 h (d5; C2B
# and C3 not counted again) -> median 9 h. d0 is outside the window.
assert_eq "lead time: every commit once" 4 "$(get lead_time_for_changes.commits)"
assert_eq "lead time: median 9 h" 32400.0 "$(get lead_time_for_changes.median_seconds)"
assert_eq "lead time: band" elite "$(get lead_time_for_changes.band)"
# Failures: d2 (rolled back) and d4 (failed), out of d1, d2, d4, d5.
assert_eq "change failure rate: 2 of 4" "2/4" "$(get change_failure_rate.failed)/$(get change_failure_rate.deployments)"
assert_eq "change failure rate: 0.5" 0.5 "$(get change_failure_rate.rate)"
assert_eq "change failure rate: band" low "$(get change_failure_rate.band)"
# Restores: d2 -> d3 1 h, d4 -> d5 2 h -> median 1.5 h.
assert_eq "time to restore: median 1.5 h" 5400.0 "$(get time_to_restore.median_seconds)"
assert_eq "time to restore: both restored" "2/0" "$(get time_to_restore.restored)/$(get time_to_restore.unrestored)"
assert_eq "time to restore: band" high "$(get time_to_restore.band)"

# Without git: lead time from each deployment's own commit_time (6 h, 12 h, 4 h -> 6 h).
J="$(dora --repo "$T/no-such-repo" --json)"
assert_eq "lead time without git: the records' commit times" 21600.0 "$(get lead_time_for_changes.median_seconds)"

# An open failure: nothing succeeded after it.
R2="$T/open.jsonl"
cp "$R" "$R2"
printf '{"type":"deployment","id":"d6","environment":"prod","version":"v0.3.0","commit":"%s","time":"2026-01-07T00:00:00Z","result":"failed","action":"deploy","checks":[]}\n' "$C4" >>"$R2"
J="$(bash "$DORA" --records "$R2" --now 2026-01-08T00:00:00Z --days 7 --repo "$G" --json)"
assert_eq "time to restore: an open failure is counted as unrestored" 1 "$(get time_to_restore.unrestored)"
assert_eq "change failure rate: 3 of 5 with it" 0.6 "$(get change_failure_rate.rate)"

# The table.
table="$(dora --repo "$G")"
assert_match "table: deployment frequency row" 'deployment frequency +0\.43/day, 3\.00/week \(3 deployments\) +high' "$table"
assert_match "table: lead time row" 'lead time for changes +median 9h 0m over 4 commits +elite' "$table"
assert_match "table: change failure rate row" 'change failure rate +50\.0% \(2 of 4\) +low' "$table"
assert_match "table: time to restore row" 'time to restore +median 1h 30m \(2 restored, 0 open\) +high' "$table"

# No records at all: no crash, n/a everywhere.
empty="$(bash "$DORA" --records "$T/none.jsonl" --repo "$G")"
assert_match "no records: n/a" 'change failure rate +n/a' "$empty"
assert_fails "bad --days refused" bash "$DORA" --records "$R" --days abc

finish
