# shellcheck shell=bash
# Tiny assertion helpers for the plain-bash tests in ci/tests/.
# Each test file sources this, calls the assert_* helpers, then `finish`,
# which prints "N passed, M failed" and exits non-zero on any failure.

_T_PASSED=0
_T_FAILED=0

_t_pass() {
  _T_PASSED=$((_T_PASSED + 1))
  printf 'ok     %s\n' "$1"
}

_t_fail() {
  _T_FAILED=$((_T_FAILED + 1))
  printf 'FAILED %s\n' "$1"
  shift
  local line
  for line in "$@"; do
    printf '         %s\n' "$line"
  done
}

# assert_eq NAME EXPECTED ACTUAL
assert_eq() {
  if [[ "$2" == "$3" ]]; then
    _t_pass "$1"
  else
    _t_fail "$1" "expected: [$2]" "actual:   [$3]"
  fi
}

# assert_match NAME REGEX ACTUAL
assert_match() {
  if [[ "$3" =~ $2 ]]; then
    _t_pass "$1"
  else
    _t_fail "$1" "expected to match: $2" "actual: [$3]"
  fi
}

# assert_true NAME CMD... — passes when CMD exits 0.
assert_true() {
  local name="$1"
  shift
  local out rc=0
  out="$("$@" 2>&1)" || rc=$?
  if [[ $rc -eq 0 ]]; then
    _t_pass "$name"
  else
    _t_fail "$name" "command failed (exit $rc): $*" "${out: -2000}"
  fi
}

# assert_fails NAME CMD... — passes when CMD exits non-zero.
assert_fails() {
  local name="$1"
  shift
  local out rc=0
  out="$("$@" 2>&1)" || rc=$?
  if [[ $rc -ne 0 ]]; then
    _t_pass "$name"
  else
    _t_fail "$name" "command succeeded but should fail: $*" "${out: -2000}"
  fi
}

# finish — print the closing count line and exit 1 on any failure.
finish() {
  printf '%d passed, %d failed\n' "$_T_PASSED" "$_T_FAILED"
  [[ $_T_FAILED -eq 0 ]]
}
