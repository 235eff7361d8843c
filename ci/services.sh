#!/usr/bin/env bash
# Private PostgreSQL and Redis servers for development and tests.
set -euo pipefail

# shellcheck source=ci/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
  cat <<'EOF'
Usage: ci/services.sh COMMAND

Private, throw-away PostgreSQL and Redis servers on free loopback ports, for
development and tests. State (data, logs, pid files, ports) lives in
$POLL_SERVICES_DIR (default: <repo>/.local/services, git-ignored).

Commands:
  up              install the Debian packages if missing, create the PostgreSQL
                  cluster once, start both servers (reused when already up),
                  create database "poll", write <state>/env and print its path
                  on stdout (the only thing printed on stdout)
  down            stop both servers (idempotent)
  status          say whether each server runs, and on which port
  env             print the env file (export lines)
  stop-postgres   stop PostgreSQL only (to simulate an outage)
  start-postgres  start PostgreSQL again on the same port; returns once it
                  accepts connections
  freeze-postgres stop PostgreSQL's processes with SIGSTOP, connections left
                  open (a hung database rather than a refused one)
  thaw-postgres   resume them with SIGCONT
  stop-redis      stop Redis only
  start-redis     start Redis again on the same port; returns once it answers

The env file exports:
  POLL__DATABASE__URL=postgres://postgres@127.0.0.1:<port>/poll
  POLL__REDIS__URL=redis://127.0.0.1:<port>/
  POLL_TEST_PG_PORT, POLL_TEST_REDIS_PORT

Authentication is "trust" on loopback only: there are no passwords. When run
as root, PostgreSQL runs as the "postgres" system user, which must be able to
traverse to the state directory.

Environment:
  POLL_SERVICES_DIR   state directory (default <repo>/.local/services)
EOF
}

ROOT="$(repo_root)"
STATE="${POLL_SERVICES_DIR:-$ROOT/.local/services}"
PG_DIR="" PG_DATA="" PG_RUN="" PG_LOG="" REDIS_DIR="" ENV_FILE=""
PG_BIN=""

set_paths() {
  mkdir -p "$STATE"
  STATE="$(cd "$STATE" && pwd -P)"
  PG_DIR="$STATE/pg"
  PG_DATA="$PG_DIR/data"
  PG_RUN="$PG_DIR/run"
  PG_LOG="$PG_DIR/postgres.log"
  REDIS_DIR="$STATE/redis"
  ENV_FILE="$STATE/env"
}

# Serialise concurrent calls (parallel test processes) on one state dir.
# Servers are started with fd 9 closed so that they never hold the lock.
take_lock() {
  exec 9>"$STATE/.lock"
  flock -w 120 9 || die "could not lock $STATE/.lock within 120 s"
}

# ---------------------------------------------------------------- PostgreSQL

find_pg_bin() {
  local dir
  dir="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null \
    | sort -V | tail -n 1 || true)"
  if [[ -n "$dir" && -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
    PG_BIN="$dir"
    return 0
  fi
  return 1
}

ensure_pg_installed() {
  if ! find_pg_bin; then
    ensure_apt_packages postgresql
    find_pg_bin || die "PostgreSQL binaries not found under /usr/lib/postgresql/*/bin"
  fi
}

# pg_run CMD... — run a PostgreSQL server binary as the right user.
pg_run() {
  if is_root; then
    (cd / && runuser -u postgres -- "$@" 9>&-)
  else
    "$@" 9>&-
  fi
}

pg_port_file() { printf '%s\n' "$STATE/pg.port"; }
redis_port_file() { printf '%s\n' "$STATE/redis.port"; }

read_port() {
  local f="$1"
  [[ -s "$f" ]] && tr -dc '0-9' <"$f"
}

prepare_pg_dirs() {
  if is_root; then
    id -u postgres >/dev/null 2>&1 \
      || die "running as root but there is no 'postgres' system user (install Debian's postgresql package)"
    chmod o+rx,g+rx "$STATE" 2>/dev/null || true
    if ! (cd / && runuser -u postgres -- test -x "$STATE"); then
      die "the 'postgres' user cannot reach $STATE (a parent directory is not traversable). " \
        "PostgreSQL refuses to run as root, so it runs as 'postgres'. " \
        "Set POLL_SERVICES_DIR to a traversable directory, e.g. POLL_SERVICES_DIR=/tmp/poll-services"
    fi
    mkdir -p "$PG_DIR"
    chown postgres: "$PG_DIR"
    chmod 0700 "$PG_DIR"
    pg_run mkdir -p "$PG_RUN"
  else
    mkdir -p "$PG_DIR" "$PG_RUN"
    chmod 0700 "$PG_DIR"
  fi
}

pg_initialised() {
  [[ -f "$PG_DATA/PG_VERSION" ]]
}

init_pg() {
  pg_initialised && return 0
  log "creating PostgreSQL cluster in $PG_DATA"
  pg_run "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust \
    --encoding=UTF8 --no-locale >&2 || die "initdb failed"
  local hba
  hba="$(cat <<'EOF'
# Written by ci/services.sh: trust on loopback only, no passwords.
# TYPE  DATABASE  USER  ADDRESS        METHOD
local   all       all                  trust
host    all       all   127.0.0.1/32   trust
EOF
)"
  printf '%s\n' "$hba" | pg_run tee "$PG_DATA/pg_hba.conf" >/dev/null
  printf "\n# Settings for the poll-api test servers (ci/services.sh).\ninclude_if_exists = 'poll.conf'\n" \
    | pg_run tee -a "$PG_DATA/postgresql.conf" >/dev/null
}

# write_pg_conf PORT — the per-start settings, port included.
write_pg_conf() {
  local port="$1" sockdir="$PG_RUN"
  # A unix socket path is limited to 107 bytes; without room, TCP only.
  if (( ${#sockdir} + 20 > 107 )); then
    warn "state path too long for a unix socket; PostgreSQL listens on TCP only"
    sockdir=""
  fi
  pg_run tee "$PG_DATA/poll.conf" >/dev/null <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sockdir'
max_connections = 200
shared_buffers = 128MB
logging_collector = off
EOF
}

pg_process_running() {
  pg_initialised && pg_run "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1
}

pg_running() {
  local port
  port="$(read_port "$(pg_port_file)" || true)"
  [[ -n "$port" ]] && pg_process_running && port_open "$port"
}

pg_ready() {
  "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$1" -U postgres -d postgres
}

# start_pg PORT — start the server on PORT and wait until it takes queries.
start_pg() {
  local port="$1"
  if port_open "$port"; then
    die "port $port is taken by another process; cannot start PostgreSQL there"
  fi
  write_pg_conf "$port"
  log "starting $("$PG_BIN/postgres" --version) on 127.0.0.1:$port"
  if ! pg_run "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start >&2; then
    tail -n 30 "$PG_LOG" >&2 || true
    die "PostgreSQL did not start (log: $PG_LOG)"
  fi
  local deadline=$((SECONDS + 60))
  until pg_ready "$port"; do
    ((SECONDS < deadline)) || die "PostgreSQL on port $port does not accept connections (log: $PG_LOG)"
    sleep 0.2
  done
  printf '%s\n' "$port" >"$(pg_port_file)"
}

ensure_poll_db() {
  local port="$1" exists
  exists="$("$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = 'poll'")"
  if [[ "$exists" != "1" ]]; then
    log "creating database poll"
    "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres \
      -c 'CREATE DATABASE poll' >&2
  fi
}

stop_pg() {
  if [[ -z "$PG_BIN" ]] && ! find_pg_bin; then
    return 0
  fi
  pg_process_running || return 0
  log "stopping PostgreSQL"
  pg_run "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >&2 \
    || die "pg_ctl stop failed (log: $PG_LOG)"
  local port
  port="$(read_port "$(pg_port_file)" || true)"
  if [[ -n "$port" ]]; then
    wait_for_port_closed "$port" 30 || die "PostgreSQL port $port still open after stop"
  fi
}

# signal_pg SIGNAL — send SIGNAL to the postmaster and every backend of this cluster.
# SIGSTOP freezes the server with its connections open: a hung database, not a refused one.
signal_pg() {
  local signal="$1" master
  [[ -s "$PG_DATA/postmaster.pid" ]] || die "PostgreSQL is not running (no postmaster.pid)"
  master="$(head -n 1 "$PG_DATA/postmaster.pid" | tr -dc '0-9')"
  [[ -n "$master" ]] || die "no pid in $PG_DATA/postmaster.pid"
  local pids
  pids="$(pgrep -P "$master" || true)"
  # shellcheck disable=SC2086 # one pid a word
  kill -s "$signal" $pids "$master"
  log "sent SIG$signal to PostgreSQL (postmaster $master)"
}

# pg_up [reuse-only] — make PostgreSQL run; picks a port unless one is recorded
# and free. With reuse-only, insist on the recorded port.
pg_up() {
  local mode="${1:-}" port
  ensure_pg_installed
  prepare_pg_dirs
  init_pg
  port="$(read_port "$(pg_port_file)" || true)"
  if pg_running; then
    log "PostgreSQL already runs on 127.0.0.1:$port"
    return 0
  fi
  if pg_process_running; then
    # Running, but not where we expect: restart it cleanly.
    stop_pg
  fi
  if [[ "$mode" == reuse-only ]]; then
    [[ -n "$port" ]] || die "no recorded PostgreSQL port; run 'ci/services.sh up' first"
  elif [[ -z "$port" ]] || port_open "$port"; then
    port="$(free_port)"
  fi
  start_pg "$port"
}

# ---------------------------------------------------------------- Redis

redis_pidfile() { printf '%s\n' "$REDIS_DIR/redis.pid"; }

ensure_redis_installed() {
  if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
    ensure_apt_packages redis-server redis-tools
  fi
  require_cmd redis-server
  require_cmd redis-cli
}

redis_pid() {
  local f
  f="$(redis_pidfile)"
  [[ -s "$f" ]] && tr -dc '0-9' <"$f"
}

redis_running() {
  local port pid
  port="$(read_port "$(redis_port_file)" || true)"
  pid="$(redis_pid || true)"
  [[ -n "$port" ]] && pid_alive "$pid" \
    && [[ "$(redis-cli -h 127.0.0.1 -p "$port" PING 2>/dev/null)" == "PONG" ]]
}

start_redis() {
  local port="$1"
  if port_open "$port"; then
    die "port $port is taken by another process; cannot start Redis there"
  fi
  mkdir -p "$REDIS_DIR"
  rm -f "$(redis_pidfile)"
  log "starting Redis $(redis-server --version | awk '{print $3}' | sed 's/^v=//') on 127.0.0.1:$port"
  redis-server --port "$port" --bind 127.0.0.1 --protected-mode yes \
    --save '' --appendonly no --daemonize yes \
    --pidfile "$(redis_pidfile)" --logfile "$REDIS_DIR/redis.log" --dir "$REDIS_DIR" >&2 9>&- \
    || die "redis-server failed to start (log: $REDIS_DIR/redis.log)"
  local deadline=$((SECONDS + 30))
  until [[ "$(redis-cli -h 127.0.0.1 -p "$port" PING 2>/dev/null)" == "PONG" ]]; do
    if ((SECONDS >= deadline)); then
      tail -n 20 "$REDIS_DIR/redis.log" >&2 || true
      die "Redis on port $port does not answer PING (log: $REDIS_DIR/redis.log)"
    fi
    sleep 0.2
  done
  printf '%s\n' "$port" >"$(redis_port_file)"
}

stop_redis() {
  local port pid
  port="$(read_port "$(redis_port_file)" || true)"
  pid="$(redis_pid || true)"
  if pid_alive "$pid"; then
    log "stopping Redis"
    if [[ -n "$port" ]]; then
      redis-cli -h 127.0.0.1 -p "$port" SHUTDOWN NOSAVE >/dev/null 2>&1 || true
    fi
    local deadline=$((SECONDS + 15))
    while pid_alive "$pid" && ((SECONDS < deadline)); do
      sleep 0.1
    done
    if pid_alive "$pid"; then
      kill "$pid" 2>/dev/null || true
      sleep 1
      if pid_alive "$pid"; then
        kill -9 "$pid" 2>/dev/null || true
      fi
    fi
    if [[ -n "$port" ]]; then
      wait_for_port_closed "$port" 15 || die "Redis port $port still open after stop"
    fi
  fi
  rm -f "$(redis_pidfile)"
}

redis_up() {
  local mode="${1:-}" port
  ensure_redis_installed
  port="$(read_port "$(redis_port_file)" || true)"
  if redis_running; then
    log "Redis already runs on 127.0.0.1:$port"
    return 0
  fi
  # A stale or foreign process under our pid file: clear it first.
  if pid_alive "$(redis_pid || true)"; then
    stop_redis
  fi
  if [[ "$mode" == reuse-only ]]; then
    [[ -n "$port" ]] || die "no recorded Redis port; run 'ci/services.sh up' first"
  elif [[ -z "$port" ]] || port_open "$port"; then
    port="$(free_port)"
    # Never hand out PostgreSQL's port.
    while [[ "$port" == "$(read_port "$(pg_port_file)" || true)" ]]; do
      port="$(free_port)"
    done
  fi
  start_redis "$port"
}

# ---------------------------------------------------------------- env file

write_env() {
  local pg_port redis_port tmp
  pg_port="$(read_port "$(pg_port_file)")"
  redis_port="$(read_port "$(redis_port_file)")"
  tmp="$ENV_FILE.tmp.$$"
  {
    printf '# Written by ci/services.sh; source it: . %q\n' "$ENV_FILE"
    printf 'export %s=%q\n' \
      POLL__DATABASE__URL "postgres://postgres@127.0.0.1:${pg_port}/poll" \
      POLL__REDIS__URL "redis://127.0.0.1:${redis_port}/" \
      POLL_TEST_PG_PORT "$pg_port" \
      POLL_TEST_REDIS_PORT "$redis_port" \
      POLL_SERVICES_DIR "$STATE"
  } >"$tmp"
  mv -f "$tmp" "$ENV_FILE"
}

# ---------------------------------------------------------------- commands

cmd_up() {
  take_lock
  pg_up
  ensure_poll_db "$(read_port "$(pg_port_file)")"
  redis_up
  write_env
  log "services up; env file: $ENV_FILE"
  printf '%s\n' "$ENV_FILE"
}

cmd_down() {
  take_lock
  stop_redis
  stop_pg
  log "services down"
}

cmd_status() {
  local rc=0 port
  find_pg_bin || true
  port="$(read_port "$(pg_port_file)" || true)"
  if [[ -n "$PG_BIN" ]] && pg_running; then
    echo "postgres: running on 127.0.0.1:$port (data $PG_DATA)"
  else
    echo "postgres: stopped${port:+ (port $port reserved)}"
    rc=3
  fi
  port="$(read_port "$(redis_port_file)" || true)"
  if command -v redis-cli >/dev/null 2>&1 && redis_running; then
    echo "redis: running on 127.0.0.1:$port (pid $(redis_pid))"
  else
    echo "redis: stopped${port:+ (port $port reserved)}"
    rc=3
  fi
  return "$rc"
}

cmd_env() {
  [[ -f "$ENV_FILE" ]] || die "no env file at $ENV_FILE; run 'ci/services.sh up' first"
  cat "$ENV_FILE"
}

main() {
  local cmd="${1:-}"
  if [[ -z "$cmd" ]] || is_help "$cmd"; then
    usage
    [[ -n "$cmd" ]] && return 0
    return 2
  fi
  set_paths
  case "$cmd" in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    env) cmd_env ;;
    stop-postgres) take_lock; stop_pg ;;
    start-postgres)
      take_lock
      pg_up reuse-only
      ;;
    freeze-postgres) take_lock; signal_pg STOP ;;
    thaw-postgres) take_lock; signal_pg CONT ;;
    stop-redis) take_lock; stop_redis ;;
    start-redis)
      take_lock
      redis_up reuse-only
      ;;
    *)
      usage >&2
      die "unknown command: $cmd"
      ;;
  esac
}

main "$@"
