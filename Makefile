# poll-api — developer entry points. Every target is a thin call into cargo or ci/ scripts,
# so CI (Jenkins, GitHub Actions) and developers run exactly the same steps.
SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

BIND ?= 127.0.0.1:8080
# Development servers live here; tests use their own, so `make test` never touches dev data.
DEV_SERVICES := .local/services
TEST_SERVICES := .local/test-services
BASE_URL ?=
PACT_DIR ?= contracts/pacts

.PHONY: help
help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-20s %s\n", $$1, $$2}'

.PHONY: run
run: ## migrate and serve on $(BIND); starts local PostgreSQL + Redis unless POLL__DATABASE__URL is set
	@if [[ -z "$${POLL__DATABASE__URL:-}" ]]; then \
	  env_file=$$(POLL_SERVICES_DIR=$(DEV_SERVICES) bash ci/services.sh up); source "$$env_file"; fi; \
	  cargo build -q -p poll-server --bin poll-api; \
	  ./target/debug/poll-api migrate; \
	  echo "poll-api serving on http://$(BIND)/ (Ctrl-C stops it; 'make stop' stops the databases)"; \
	  exec ./target/debug/poll-api serve --bind $(BIND) --store postgres

.PHONY: run-memory
run-memory: ## serve on $(BIND) with the in-memory store (no database needed)
	cargo run -p poll-server --bin poll-api -- serve --bind $(BIND) --store memory

.PHONY: stop
stop: ## stop the local PostgreSQL and Redis started by `make run`
	POLL_SERVICES_DIR=$(DEV_SERVICES) bash ci/services.sh down

.PHONY: test
test: ## the whole suite: unit, use-case, adapters on real servers, HTTP black-box, contracts, scripts
	bash ci/test.sh

.PHONY: lint
lint: ## rustfmt check and clippy -D warnings
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings

.PHONY: fmt
fmt: ## format the code
	cargo fmt --all

.PHONY: services-up services-down services-status
services-up: ## start the dev PostgreSQL + Redis; prints the env file to source
	@POLL_SERVICES_DIR=$(DEV_SERVICES) bash ci/services.sh up
services-down: ## stop the dev PostgreSQL + Redis
	POLL_SERVICES_DIR=$(DEV_SERVICES) bash ci/services.sh down
services-status: ## are the dev servers running, and where
	@POLL_SERVICES_DIR=$(DEV_SERVICES) bash ci/services.sh status

.PHONY: quality coverage lint-infra test-ci
quality: ## the quality gate: fmt, clippy, file size, coverage, linters, cargo-deny, IaC
	bash ci/quality-gate.sh
coverage: ## line coverage only (threshold COVERAGE_MIN)
	bash ci/quality-gate.sh --only coverage
lint-infra: ## shellcheck, hadolint, actionlint, compose, cargo-deny, CloudFormation
	bash ci/quality-gate.sh --only shellcheck,hadolint,actionlint,compose,deny,aws
test-ci: ## tests of the ci/ scripts only
	bash ci/tests/run.sh

.PHONY: version image image-push sonar
version: ## the image version of HEAD
	@bash ci/version.sh
image: ## build the container image (needs a Docker engine)
	bash ci/image.sh
image-push: ## build and push the image to $$ECR_REGISTRY
	bash ci/image.sh --push
sonar: ## publish the reports to Sonar (only with SONAR_TOKEN)
	bash ci/sonar.sh

.PHONY: contract-verify
contract-verify: ## verify a running environment against the pacts: BASE_URL=URL [PACT_DIR=DIR] (reads POLL__DATABASE__URL, POLL__ENVIRONMENT)
	@[[ -n "$(BASE_URL)" ]] || { echo "usage: make contract-verify BASE_URL=URL [PACT_DIR=DIR]" >&2; exit 2; }
	PACT_DIR="$(PACT_DIR)" cargo run --locked -q -p poll-contract-verify -- "$(BASE_URL)"

.PHONY: pipeline-rehearsal pipeline-test lint-iac dora
pipeline-rehearsal: ## the whole delivery path rehearsed on this machine (local target)
	bash ci/rehearsal.sh
pipeline-test: ## the pipeline scripts' own fast tests (rules, DORA, local and aws targets)
	bash ci/tests/run.sh pipeline_rules pipeline_dora pipeline_local pipeline_aws
lint-iac: ## cfn-lint + checkov on deploy/aws, offline
	bash ci/lint-iac.sh
dora: ## DORA's four keys from the deployment records and git
	bash ci/dora

.PHONY: bench
bench: ## telemetry overhead, cache value, votes throughput (ratios, release builds) -> docs/benchmarks.md
	bash crates/bench/run.sh
