#!/usr/bin/env bash
# Publishes the quality reports to SonarCloud/SonarQube, only when SONAR_TOKEN is set.
set -euo pipefail

# shellcheck source=ci/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
  cat <<'EOF2'
Usage: ci/sonar.sh [EXTRA_SCANNER_ARGS...]

Runs the Sonar scanner with sonar-project.properties and the reports that
ci/quality-gate.sh wrote (target/quality/lcov.info, target/quality/clippy.json).
Without SONAR_TOKEN it prints that the scan is skipped and exits 0.

Environment:
  SONAR_TOKEN          the analysis token (secret; from the CI's credentials)
  SONAR_HOST_URL       server URL (default: SonarCloud)
  SONAR_ORGANIZATION   SonarCloud organization key
Scanner: `sonar-scanner` when on PATH, else the npm package @sonar/scan.
EOF2
}

if is_help "${1:-}"; then
  usage
  exit 0
fi

if [[ -z "${SONAR_TOKEN:-}" ]]; then
  log "Sonar scan skipped: SONAR_TOKEN is not set"
  exit 0
fi

ROOT="$(repo_root)"
cd "$ROOT"
for report in target/quality/lcov.info target/quality/clippy.json; do
  [[ -s "$report" ]] || warn "$report is missing: run ci/quality-gate.sh first (the scan goes on without it)"
done

args=(
  "-Dsonar.projectVersion=$(bash ci/version.sh)"
  "-Dsonar.host.url=${SONAR_HOST_URL:-https://sonarcloud.io}"
)
if [[ -n "${SONAR_ORGANIZATION:-}" ]]; then
  args+=("-Dsonar.organization=$SONAR_ORGANIZATION")
fi
args+=("$@")

# The token reaches the scanner through the environment (SONAR_TOKEN), never
# on the command line.
if command -v sonar-scanner >/dev/null 2>&1; then
  sonar-scanner "${args[@]}"
else
  require_cmd npx "Node.js, for the npm package @sonar/scan"
  npx --yes @sonar/scan@5 "${args[@]}"
fi
