#!/usr/bin/env bash
# Stand-in for `cargo build --release -p poll-server --bin poll-api` in the pipeline's
# fast tests: bakes POLL_BUILD_VERSION/COMMIT/BRANCH into a copy of fake-poll-api, as
# the compiler bakes them into the real binary. FAKE_BROKEN=1 builds one that never
# gets ready. Writes $FAKE_BUILD_OUTPUT.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${FAKE_BUILD_OUTPUT:?FAKE_BUILD_OUTPUT is not set}"
mkdir -p "$(dirname "$out")"
sed -e "s|@@VERSION@@|${POLL_BUILD_VERSION:?}|" -e "s|@@COMMIT@@|${POLL_BUILD_COMMIT:?}|" \
  -e "s|@@BRANCH@@|${POLL_BUILD_BRANCH:-}|" -e "s|@@BROKEN@@|${FAKE_BROKEN:-0}|" \
  "$here/fake-poll-api" >"$out.tmp"
chmod 0755 "$out.tmp"
mv -f "$out.tmp" "$out"
echo "fake build of ${POLL_BUILD_VERSION} done" >&2
