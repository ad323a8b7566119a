# Quick start: `make run` (the local stack at http://127.0.0.1:8000/) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
EMULATOR_PORT ?= 5000
LAMBDA_PORT ?= 3001

.PHONY: install run import package test soak lint format typecheck browser bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	# The command-line client, .venv/bin/bank-research (its one dependency, Rich, is above).
	$(PY) -m pip install --quiet --no-deps --editable .
	touch $@

install: $(VENV)/.installed

# Settings such as LOCAL_LAMBDA_TIME_SCALE=0.05 or JOB_LEASE_SECONDS=5 reach the stack
# through the environment: `make run LOCAL_LAMBDA_TIME_SCALE=0.05` (see the README); sign-in:
# `make run API_AUTH=cognito LOCAL_USERS=alice:Alice-pass-1,bob:Bob-pass-22 LOCAL_ADMINS=alice`.
run: install
	$(PY) -m devstack.run --port $(PORT) --emulator-port $(EMULATOR_PORT) --lambda-port $(LAMBDA_PORT)

# make import FFIEC=<zip-or-folder> [AWS=1 BANKS_TABLE=name] [REFRESH=1]: load FFIEC call-report
# bulk files; REFRESH=1 then starts a batch of reports for the newest quarter imported (local)
import: install
	@test -n "$(FFIEC)" || { echo "Say which files to import: make import FFIEC=<zip-or-folder>"; exit 2; }
	$(PY) -m devstack.import_ffiec "$(FFIEC)" --emulator-port $(EMULATOR_PORT) --api-port $(PORT) $(if $(AWS),--aws,) $(if $(REFRESH),--refresh,)

# make package [COGNITO_USER_POOL_ARN=... | API_AUTH=api_key|none]: out/sam.json, linted
# (the default: people sign in to the stack's own user pool, programs send their own key)
package: install
	$(PY) -m deploy.package

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

typecheck: install
	$(VENV)/bin/mypy

# The browser tests drive Debian's Chromium (Playwright never downloads a browser here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Chromium for the browser tests (apt-get)…"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "The browser tests need Chromium: run 'sudo apt-get install -y chromium' and retry."; \
	    exit 2; \
	  fi; }

# Two workers (pytest-xdist), a test file at a time on one of them: a browser file shares
# one local stack. TEST_WORKERS=0 runs everything in this process.
TEST_WORKERS ?= 2
test: lint typecheck browser
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

# The state machines' property tests (a job's, a batch item's) with many more examples than
# `make test` runs (5 000 of 60 steps; `make soak SOAK_EXAMPLES=1000` for fewer).
soak: install
	HYPOTHESIS_PROFILE=soak $(PY) -m pytest -p no:cacheprovider tests/jobs/test_job_machine.py \
	  tests/batches/test_item_machine.py

bench: install
	$(PY) -m bench.poll
	$(PY) -m bench.search_bench
	$(PY) -m bench.profile_bench
	$(PY) -m bench.import_bench
	$(PY) -m bench.report_bench
	$(PY) -m bench.local_lambda_bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache out
