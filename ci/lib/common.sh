# shellcheck shell=bash
# Shared helpers for every script under ci/. Source it, do not execute it:
#
#   # shellcheck source=ci/lib/common.sh
#   source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
#
# Safe under `set -euo pipefail`. Logs go to stderr so that a script's stdout
# stays machine-readable.

if [[ -n "${_POLL_CI_COMMON_LOADED:-}" ]]; then
  return 0
fi
_POLL_CI_COMMON_LOADED=1

# Let `set -e` reach into $(...) too, so a failing helper stops the script.
shopt -s inherit_errexit 2>/dev/null || true

# Name shown in log lines: the script that sourced us (or the shell).
CI_LOG_NAME="${CI_LOG_NAME:-$(basename "${0:-ci}")}"

# log MESSAGE... — one line on stderr, prefixed with the time and the script name.
log() {
  printf '[%s %s] %s\n' "$(date -u +%H:%M:%S)" "$CI_LOG_NAME" "$*" >&2
}

# warn MESSAGE... — like log, marked as a warning.
warn() {
  log "WARNING: $*"
}

# die MESSAGE... — log an error and exit 1.
die() {
  log "ERROR: $*"
  exit 1
}

# repo_root — absolute path of the repository (the folder holding ci/).
repo_root() {
  local here
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
  printf '%s\n' "$here"
}

# is_root — true when running as uid 0.
is_root() {
  [[ "$(id -u)" -eq 0 ]]
}

# as_root CMD... — run CMD as root: directly when we are root, else through sudo.
as_root() {
  if is_root; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo -n "$@"
  else
    die "need root for: $* (not root and no sudo)"
  fi
}

# require_cmd CMD [HINT] — die unless CMD is on PATH.
require_cmd() {
  local cmd="$1" hint="${2:-}"
  if ! command -v "$cmd" >/dev/null 2>&1; then
    die "required command not found: ${cmd}${hint:+ (${hint})}"
  fi
}

# apt_installed PKG — true when the Debian package PKG is installed.
apt_installed() {
  local status
  status="$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)"
  [[ "$status" == "install ok installed" ]]
}

_POLL_APT_UPDATED="${_POLL_APT_UPDATED:-}"

# ensure_apt_packages PKG... — install the missing Debian packages, non-interactively.
# Runs `apt-get update` once per process, and only when something is missing.
# Services that a package would start at install time (postgresql's default
# cluster, redis on 6379) are kept from starting with a temporary policy-rc.d.
ensure_apt_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    apt_installed "$pkg" || missing+=("$pkg")
  done
  if [[ ${#missing[@]} -eq 0 ]]; then
    return 0
  fi
  require_cmd apt-get "ensure_apt_packages works on Debian/Ubuntu only"
  log "installing Debian packages: ${missing[*]}"
  if [[ -z "$_POLL_APT_UPDATED" ]]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 \
      || die "apt-get update failed"
    _POLL_APT_UPDATED=1
  fi
  local policy=/usr/sbin/policy-rc.d created_policy=""
  if [[ ! -e "$policy" ]]; then
    if printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null 2>&1; then
      as_root chmod 0755 "$policy"
      created_policy=1
    fi
  fi
  local rc=0
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends "${missing[@]}" >&2 || rc=$?
  if [[ -n "$created_policy" ]]; then
    as_root rm -f "$policy"
  fi
  [[ $rc -eq 0 ]] || die "apt-get install failed for: ${missing[*]}"
}

# ensure_pip_tool CMD PKG — make CMD available, installing the PyPI package PKG
# with pip when it is missing.
ensure_pip_tool() {
  local cmd="$1" pkg="$2"
  command -v "$cmd" >/dev/null 2>&1 && return 0
  require_cmd python3
  log "installing $pkg from PyPI (for $cmd)"
  python3 -m pip install --quiet --disable-pip-version-check "$pkg" >&2 \
    || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "$pkg" >&2 \
    || die "pip install $pkg failed"
  hash -r
  command -v "$cmd" >/dev/null 2>&1 || die "$pkg installed but $cmd is not on PATH"
}

# port_open PORT [HOST] — true when something accepts TCP connections there.
port_open() {
  local port="$1" host="${2:-127.0.0.1}"
  timeout 2 bash -c "exec 3<>/dev/tcp/${host}/${port}" 2>/dev/null
}

# free_port — print a TCP port that is free on the loopback interface now.
free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 - <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
    return 0
  fi
  local i port
  for i in $(seq 1 200); do
    port=$((20000 + (RANDOM * 32768 + RANDOM + i) % 40000))
    if ! port_open "$port"; then
      printf '%s\n' "$port"
      return 0
    fi
  done
  die "no free loopback port found"
}

# wait_for_port PORT [TIMEOUT_SECONDS] [HOST] — wait until the port accepts
# connections; returns 1 on timeout.
wait_for_port() {
  local port="$1" timeout_s="${2:-30}" host="${3:-127.0.0.1}"
  local deadline=$((SECONDS + timeout_s))
  until port_open "$port" "$host"; do
    if ((SECONDS >= deadline)); then
      return 1
    fi
    sleep 0.2
  done
}

# wait_for_port_closed PORT [TIMEOUT_SECONDS] [HOST] — the opposite.
wait_for_port_closed() {
  local port="$1" timeout_s="${2:-30}" host="${3:-127.0.0.1}"
  local deadline=$((SECONDS + timeout_s))
  while port_open "$port" "$host"; do
    if ((SECONDS >= deadline)); then
      return 1
    fi
    sleep 0.2
  done
}

# pid_alive PID — true when the process exists.
pid_alive() {
  [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null
}

# test_services_dir — the state dir for the test servers (ci/services.sh):
# $POLL_SERVICES_DIR if set, else <repo>/.local/test-services. As root,
# PostgreSQL runs as "postgres", which must reach that folder: a clone under a
# private home is not reachable, so a folder under /tmp is used then.
test_services_dir() {
  if [[ -n "${POLL_SERVICES_DIR:-}" ]]; then
    printf '%s\n' "$POLL_SERVICES_DIR"
    return 0
  fi
  local root
  root="$(repo_root)"
  if is_root && id -u postgres >/dev/null 2>&1 \
    && ! (cd / && runuser -u postgres -- test -x "$root" 2>/dev/null); then
    printf '/tmp/poll-test-services-%s\n' "$(printf '%s' "$root" | cksum | cut -d' ' -f1)"
    return 0
  fi
  printf '%s\n' "$root/.local/test-services"
}

# is_help ARG — true for -h/--help/help.
is_help() {
  [[ "${1:-}" == "-h" || "${1:-}" == "--help" || "${1:-}" == "help" ]]
}
