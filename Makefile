# OMS: `make run` starts everything locally, `make test` runs lint and every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= us-east-1
export PYTHONPATH := $(CURDIR)/local:$(CURDIR)/shared:$(CURDIR)

VENV := .venv
PY := $(VENV)/bin/python
SAM := .venv-sam/bin/sam
CHECKOV := .venv-checkov/bin/checkov

.PHONY: help venv tools lambda-env browser app run demo test test-fast lint format build deploy mutation bench events docs clean

help: ## Show the targets and the variables they take
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'
	@echo
	@echo "Variables:"
	@echo "  ARGS=...          passed on to the command: make run ARGS=\"--port 3001 --verbose\","
	@echo "                    make test ARGS=\"tests/unit -k stock\", make deploy ARGS=--guided"
	@echo "  PYTHON313=path    the Python 3.13 to build the environments with (else found on PATH, pyenv, uv)"
	@echo "  OMS_PORT, OMS_TIME_SCALE, OMS_HOST   defaults for make run's --port, --time-scale, --host"

venv: ## Create the development environment (Python 3.13) if it is missing
	@scripts/bootstrap.sh $(VENV) requirements-dev.txt

tools: ## SAM CLI and checkov, each in an environment of its own
	@scripts/bootstrap.sh .venv-sam requirements-tools.txt
	@scripts/bootstrap.sh .venv-checkov requirements-checkov.txt

lambda-env: ## The functions' own environment (runtime boto3 + the layer's requirements)
	@scripts/bootstrap.sh .venv-lambda requirements-lambda.txt

app: ## The admin app's one dependency (htm's standalone Preact, pinned in admin_app/package-lock.json) copied beside its modules
	@[ -f admin_app/node_modules/htm/preact/standalone.module.js ] || npm ci --silent --no-audit --no-fund --prefix admin_app
	@mkdir -p admin_app/public/js/vendor
	@cp -p admin_app/node_modules/htm/preact/standalone.module.js admin_app/public/js/vendor/preact-htm.js

run: venv lambda-env app ## Run the whole system locally (moto, no AWS account, no Docker)
	@$(PY) -m oms_local $(ARGS)

demo: venv lambda-env app ## Send sample webhooks to the local stack (starting one if none runs) and narrate
	@$(PY) -m oms_local.demo $(ARGS)

browser: ## What the browser tests drive: Debian's chromium (installed if missing) and axe-core (npm)
	@command -v chromium >/dev/null || { echo "==> installing Debian's chromium"; \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -qq chromium >/dev/null; }
	@[ -f tests/e2e/browser/node_modules/axe-core/axe.min.js ] || npm ci --silent --prefix tests/e2e/browser

test: venv lambda-env tools browser app lint ## Lint, then every test (unit, integration, end-to-end, reliability, security)
	@echo "==> tests: unit, integration, end-to-end, reliability, security (2 workers)"
	@$(PY) -m pytest -n 2 --dist loadfile -m "not browser" $(ARGS)
	@echo "==> browser tests (Chromium), alone"
	@$(PY) -m pytest -m browser $(ARGS) || [ $$? -eq 5 ]  # 5: ARGS chose no browser test

test-fast: venv ## The unit tier: the pure core through in-memory ports (seconds)
	@$(PY) -m pytest tests/unit -q $(ARGS)

lint: venv tools ## ruff, mypy, sam validate --lint, cfn-lint, checkov
	@echo "==> ruff check"
	@$(VENV)/bin/ruff check .
	@echo "==> ruff format --check"
	@$(VENV)/bin/ruff format --check .
	@echo "==> mypy (shared, local, scripts, then each function)"
	@$(VENV)/bin/mypy
	@# Each handler is a module named app: one mypy run per function (same config, shared cache).
	@for f in functions/*/app.py; do $(VENV)/bin/mypy --no-error-summary $$f || exit 1; done
	@echo "==> sam validate --lint"
	@$(SAM) validate --lint
	@echo "==> cfn-lint"
	@$(VENV)/bin/cfn-lint template.yaml
	@echo "==> checkov"
	@$(CHECKOV) --config-file .checkov.yaml --skip-download --quiet --compact -f template.yaml

format: venv ## Apply ruff's formatting and safe fixes
	@$(VENV)/bin/ruff check --fix .
	@$(VENV)/bin/ruff format .

build: tools ## sam build (every function and the shared layer, for arm64)
	@PATH="$$(dirname $$(scripts/find-python.sh)):$$PATH" $(SAM) build

deploy: build ## sam deploy (first time: make deploy ARGS=--guided)
	@$(SAM) deploy $(ARGS)

mutation: venv ## Mutation testing of the modules that carry guarantees; prints each score and the survivors (about an hour)
	@$(PY) -m scripts.mutation $(ARGS)

bench: venv ## Benchmarks: cold start, own-code time, AWS calls and cost per order, local throughput
	@$(PY) -m benchmarks $(ARGS)

events: venv ## Regenerate the sample events in events/ (signed with the demo secrets)
	@$(PY) -m scripts.generate_events

docs: venv ## Regenerate docs/events.md and docs/openapi.json from the code
	@$(PY) -m scripts.generate_docs

clean: ## Remove everything the Makefile and its commands created (environments, build output, caches, local stack files)
	rm -rf .venv .venv-sam .venv-checkov .venv-lambda .aws-sam .pytest_cache .mypy_cache .ruff_cache \
		.hypothesis .oms-local .oms-local.json benchmarks/.work mutants admin_app/node_modules \
		admin_app/public/js/vendor tests/e2e/browser/node_modules test-output
	find . -name __pycache__ -type d -prune -not -path './.git/*' -exec rm -rf {} +
