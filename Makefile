# Quick start: `make run` (the local stack at http://127.0.0.1:8000/) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
EMULATOR_PORT ?= 5000

.PHONY: install run test lint format typecheck bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

run: install
	$(PY) -m devstack.run --port $(PORT) --emulator-port $(EMULATOR_PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

typecheck: install
	$(VENV)/bin/mypy

test: lint typecheck
	$(PY) -m pytest

bench: install
	$(PY) -m bench.poll

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache out
