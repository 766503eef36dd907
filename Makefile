# Một Cửa — developer entry points. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.motcua-installed
SERVICES := gateway catalogue dossier scheduler notification
INSTALL_SOURCES := proto/pyproject.toml services/platform/pyproject.toml \
	$(foreach s,$(SERVICES),services/$(s)/pyproject.toml) tools/devstack/pyproject.toml requirements-dev.txt
EDITABLES := -e ./proto -e './services/platform[embedded,testing]' \
	$(foreach s,$(SERVICES),-e ./services/$(s)) -e ./tools/devstack -r requirements-dev.txt
PYTEST_ARGS ?=

.PHONY: help install proto proto-check contracts contracts-check lint test test-unit deploy-check compose-smoke run migrate bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): $(INSTALL_SOURCES)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check uv 2>/dev/null || true
	@if [ -x $(BIN)/uv ]; then \
		$(BIN)/uv pip install -q --python $(BIN)/python $(EDITABLES) ; \
	else \
		$(BIN)/python -m pip install -q --disable-pip-version-check $(EDITABLES) ; \
	fi
	@touch $@
	@echo "installed into $(VENV)"

install: $(STAMP) ## Create .venv and install every package and test tool (idempotent)
	@bash tools/ensure_system_tools.sh

proto: $(STAMP) ## Regenerate the Python code of the contracts in proto/
	$(BIN)/python tools/gen_proto.py

proto-check: $(STAMP) ## Fail when the generated contract code is stale
	$(BIN)/python tools/gen_proto.py --check

contracts: $(STAMP) ## Regenerate the published contracts: contracts/openapi.json, contracts/asyncapi.yaml
	$(BIN)/python tools/gen_contracts.py

contracts-check: $(STAMP) ## Fail when contracts/ differs from what the code generates (run `make contracts`)
	$(BIN)/python tools/gen_contracts.py --check

lint: $(STAMP) ## Static checks (ruff)
	$(BIN)/ruff check proto/tests services tools tests-e2e deploy/tests

test: install proto-check contracts-check lint ## Install what is missing and run every test (what CI runs)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-unit: $(STAMP) ## Only the fast unit tests
	$(BIN)/python -m pytest -m "not integration and not e2e" $(PYTEST_ARGS)

deploy-check: install ## Static checks of Dockerfiles, docker-compose.yml and deploy/k8s (no Docker needed)
	$(BIN)/python -m pytest deploy/tests -q $(PYTEST_ARGS)

compose-smoke: ## Needs a Docker engine: start the compose stack from .env, wait until healthy, probe /readyz, stop
	@test -f .env || { echo "compose-smoke: cp .env.example .env and set POSTGRES_PASSWORD first" >&2; exit 1; }
	docker compose up -d --build --wait --wait-timeout 600 || { docker compose logs --tail 50; docker compose down; exit 1; }
	curl -fsS http://127.0.0.1:8080/readyz; s=$$?; docker compose down; exit $$s

run: $(STAMP) ## Start the whole system on this machine (embedded Postgres and broker unless configured)
	$(BIN)/python -m motcua_devstack run

migrate: $(STAMP) ## Apply every service's migrations (to MOTCUA_DATABASE_URL or the embedded server)
	$(BIN)/python -m motcua_devstack migrate

bench: $(STAMP) ## Benchmarks: start their own stack and print figures (not part of `make test`)
	$(BIN)/python -m motcua_devstack bench $(BENCH)

clean: ## Remove the virtualenv and caches (keeps .data/)
	rm -rf $(VENV) .pytest_cache .ruff_cache
