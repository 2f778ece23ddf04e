# ZeroDash developer commands. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CDK := node_modules/.bin/cdk
CDK_FLAGS := --no-notices --no-version-reporting
# Fraction of the month the apps are awake, for `make cost`.
AWAKE ?= 0.1

.PHONY: help dev test lint format synth deploy image status cost bench clean

help: ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

# The virtualenv is rebuilt whenever a requirements file changes.
$(BIN)/.installed: requirements.txt requirements-dev.txt pyproject.toml $(wildcard examples/*/requirements.txt zerodash_runtime/build/requirements.txt)
	@echo "==> Creating $(VENV) and installing Python dependencies"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@# ZeroDash's own packages (zerodash, zerodash_runtime, infra and the Lambdas' common/scaler/waker), editable.
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	@echo "==> Installing the pinned AWS CDK CLI"
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The app `make dev` and `make image` work on (default: the first app in cdk.json; `make image`: all).
APP ?=

dev: $(BIN)/.installed ## Run one app locally against a local S3, as in its container (APP=name, default: the first)
	$(BIN)/python -m scripts.dev $(if $(APP),--app $(APP))

test: $(BIN)/.installed node_modules/.installed ## Lint, then run every test (unit, infra, browser, container, deploy smoke)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

lint: $(BIN)/.installed ## Lint and check formatting
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(BIN)/.installed ## Fix lint findings and format the code
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

synth: $(BIN)/.installed node_modules/.installed ## Synthesize every stack offline into cdk.out
	$(CDK) synth $(CDK_FLAGS) --quiet

# Extra flags for scripts/deploy.py, e.g. DEPLOY_ARGS="--jobs 4 --require-approval never" or "--no-build".
DEPLOY_ARGS ?=

deploy: $(BIN)/.installed node_modules/.installed ## Deploy: Stateful stack, build+push only the images missing from ECR, then every stack
	$(BIN)/python -m scripts.deploy $(DEPLOY_ARGS)

status: $(BIN)/.installed ## Show each app's state, last request and time to sleep (needs AWS credentials)
	$(BIN)/python -m zerodash status

cost: $(BIN)/.installed ## Monthly cost at us-east-1 list prices, next to the always-on architecture (AWAKE=0.1)
	@# jsii (under the in-process synth) prints a banner about Node 20; the report does not depend on it.
	JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 $(BIN)/python -m zerodash cost --awake-fraction $(AWAKE)

image: $(BIN)/.installed ## Build the apps' images (APP=name for one; docker if it runs, else buildah)
	$(BIN)/python -m zerodash.images build $(APP)

bench: $(BIN)/.installed ## Benchmarks: speed and memory vs the article's way (needs apt's wrk), scale-to-zero simulation
	for b in startup memory callbacks load; do PYTHONPATH=. $(BIN)/python -m bench.perf.$$b || exit 1; done
	PYTHONPATH=.:lambdas $(BIN)/python -m bench.simulate
	PYTHONPATH=.:lambdas $(BIN)/python -m bench.wake_budget

clean: ## Remove build output (keeps .venv and node_modules)
	rm -rf cdk.out .pytest_cache .ruff_cache .build
