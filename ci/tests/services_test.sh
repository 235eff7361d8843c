#!/usr/bin/env bash
# Tests of ci/services.sh on a private state dir: up, idempotent up, outage
# and recovery of each server on the same port, down.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SERVICES="$HERE/../services.sh"
# shellcheck source=ci/tests/lib/assert.sh
source "$HERE/lib/assert.sh"

STATE="$(mktemp -d /tmp/poll-services-test.XXXXXX)"
export POLL_SERVICES_DIR="$STATE"
cleanup() {
  bash "$SERVICES" down >/dev/null 2>&1 || true
  rm -rf "$STATE"
}
trap cleanup EXIT

svc() { bash "$SERVICES" "$@" 2>/dev/null; }

out="$(svc up)"
assert_eq "up prints only the env file path on stdout" "$STATE/env" "$out"
assert_true "env file exists" test -s "$STATE/env"
# shellcheck source=/dev/null
source "$STATE/env"
assert_match "database URL" '^postgres://postgres@127\.0\.0\.1:[0-9]+/poll$' "$POLL__DATABASE__URL"
assert_match "redis URL" '^redis://127\.0\.0\.1:[0-9]+/$' "$POLL__REDIS__URL"
assert_match "postgres port exported" '^[0-9]+$' "$POLL_TEST_PG_PORT"
assert_match "redis port exported" '^[0-9]+$' "$POLL_TEST_REDIS_PORT"
assert_true "ports differ" test "$POLL_TEST_PG_PORT" != "$POLL_TEST_REDIS_PORT"

PSQL="$(find /usr/lib/postgresql -path '*/bin/psql' 2>/dev/null | sort -V | tail -n 1)"
pg_query() { "$PSQL" -X -q -tA "$POLL__DATABASE__URL" -c "$1" 2>/dev/null; }
redis_ping() { redis-cli -h 127.0.0.1 -p "$POLL_TEST_REDIS_PORT" PING 2>/dev/null; }

assert_eq "postgres answers, database poll" "poll" "$(pg_query 'SELECT current_database()')"
assert_eq "postgres listens on loopback only" "127.0.0.1" "$(pg_query 'SHOW listen_addresses')"
assert_eq "max_connections tuned" "200" "$(pg_query 'SHOW max_connections')"
assert_eq "redis answers" "PONG" "$(redis_ping)"
assert_eq "redis saves nothing" "save" "$(redis-cli -p "$POLL_TEST_REDIS_PORT" CONFIG GET save 2>/dev/null | head -n 1)"
assert_true "status: both running" bash "$SERVICES" status

pg_before="$POLL_TEST_PG_PORT" redis_before="$POLL_TEST_REDIS_PORT"
assert_eq "up again reuses the servers" "$STATE/env" "$(svc up)"
# shellcheck source=/dev/null
source "$STATE/env"
assert_eq "same postgres port after a second up" "$pg_before" "$POLL_TEST_PG_PORT"
assert_eq "same redis port after a second up" "$redis_before" "$POLL_TEST_REDIS_PORT"

assert_true "stop-postgres" svc stop-postgres
assert_fails "postgres refuses connections while stopped" pg_query 'SELECT 1'
assert_fails "status: non-zero while one is stopped" bash "$SERVICES" status
assert_true "stop-postgres again is fine" svc stop-postgres
assert_true "start-postgres" svc start-postgres
assert_eq "postgres back on the same port" "1" "$(pg_query 'SELECT 1')"

assert_true "stop-redis" svc stop-redis
assert_fails "redis refuses connections while stopped" redis-cli -h 127.0.0.1 -p "$POLL_TEST_REDIS_PORT" PING
assert_true "start-redis" svc start-redis
assert_eq "redis back on the same port" "PONG" "$(redis_ping)"

assert_match "env prints the exports" 'export POLL__DATABASE__URL=' "$(svc env)"
assert_true "down" svc down
assert_fails "postgres stopped after down" pg_query 'SELECT 1'
assert_fails "redis stopped after down" redis-cli -h 127.0.0.1 -p "$POLL_TEST_REDIS_PORT" PING
assert_true "down again is fine" svc down
assert_true "--help exits 0" bash "$SERVICES" --help
assert_fails "unknown command fails" bash "$SERVICES" bogus

finish
