#!/usr/bin/env bash
# Lint the AWS infrastructure as code: cfn-lint and checkov on deploy/aws/.
set -euo pipefail

# shellcheck source=ci/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
  cat <<'USAGE'
Usage: ci/lint-iac.sh [--install-only]

Checks the CloudFormation templates of deploy/aws/ with cfn-lint (the CloudFormation
resource specification: types, properties, references, best practices) and checkov
(security policies), and the parameter files of deploy/aws/params/ against the
templates' parameters. Both tools come from PyPI, installed once into a virtualenv at
<repo>/.local/venv (pinned versions below; override with CFN_LINT_VERSION and
CHECKOV_VERSION). checkov findings that do not apply are skipped in the templates
themselves (Metadata.checkov.skip, each with its justification; none is needed now).
The linters run in an empty network namespace (unshare -n) when possible, and checkov
with --skip-download: they never reach the network.
Exit status non-zero on any finding.
USAGE
}

ROOT="$(repo_root)"
VENV="${IAC_VENV:-$ROOT/.local/venv}"
CFN_LINT_VERSION="${CFN_LINT_VERSION:-1.58.0}"
CHECKOV_VERSION="${CHECKOV_VERSION:-3.3.30}"

install_tools() {
  require_cmd python3
  if [[ ! -x "$VENV/bin/python" ]]; then
    log "creating $VENV"
    python3 -m venv "$VENV" || die "python3 -m venv failed (install python3-venv)"
  fi
  local want=()
  "$VENV/bin/cfn-lint" --version 2>/dev/null | grep -qF "$CFN_LINT_VERSION" || want+=("cfn-lint==$CFN_LINT_VERSION")
  "$VENV/bin/checkov" --version 2>/dev/null | grep -qxF "$CHECKOV_VERSION" || want+=("checkov==$CHECKOV_VERSION")
  if [[ ${#want[@]} -gt 0 ]]; then
    log "installing ${want[*]} into $VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${want[@]}" >&2 \
      || die "pip install ${want[*]} failed"
  fi
}

check_params() {
  # Every parameter file names only parameters its templates declare, and gives every
  # parameter without a default.
  "$VENV/bin/python" - "$ROOT/deploy/aws" <<'PY'
import json, os, sys
import yaml  # comes with cfn-lint

class Loader(yaml.SafeLoader):
    pass

def any_tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)

Loader.add_multi_constructor("!", any_tag)
base = sys.argv[1]
errors = 0
for name in sorted(os.listdir(os.path.join(base, "params"))):
    with open(os.path.join(base, "params", name), encoding="utf-8") as handle:
        params = json.load(handle)
    for stack, values in params["Stacks"].items():
        template = os.path.join(base, values["Template"])
        with open(template, encoding="utf-8") as handle:
            declared = yaml.load(handle, Loader=Loader).get("Parameters", {})
        given = values.get("Parameters", {})
        for key in given:
            if key not in declared:
                print(f"params/{name}: {stack}: {key} is not a parameter of {values['Template']}")
                errors += 1
        for key, spec in declared.items():
            if "Default" not in spec and key not in given and key not in values.get("SetByPipeline", []):
                print(f"params/{name}: {stack}: {key} has no default and no value")
                errors += 1
print(f"parameter files: {errors} problems")
sys.exit(1 if errors else 0)
PY
}

# offline CMD... — run CMD without any network when the kernel lets us (a new, empty
# network namespace): the linters must not phone home, and need not.
offline() {
  if unshare -n true 2>/dev/null; then
    unshare -n "$@"
  else
    "$@"
  fi
}

main() {
  case "${1:-}" in
    -h | --help | help) usage; return 0 ;;
    --install-only) install_tools; return 0 ;;
    "") ;;
    *) usage >&2; return 2 ;;
  esac
  install_tools
  local templates=("$ROOT"/deploy/aws/*.yaml) rc=0
  log "cfn-lint $("$VENV/bin/cfn-lint" --version | awk '{print $NF}') on ${#templates[@]} templates"
  offline "$VENV/bin/cfn-lint" --non-zero-exit-code warning -- "${templates[@]}" || rc=1
  log "checkov $("$VENV/bin/checkov" --version)"
  # --skip-download: no policy metadata from the vendor's service (no network at all).
  BC_SKIP_MAPPING=TRUE offline "$VENV/bin/checkov" --skip-download --quiet --compact --framework cloudformation \
    --directory "$ROOT/deploy/aws" --skip-path params --download-external-modules false >&2 || rc=1
  log "parameter files"
  check_params || rc=1
  [[ $rc -eq 0 ]] || die "infrastructure lint failed"
  log "deploy/aws: cfn-lint and checkov clean"
}

main "$@"
