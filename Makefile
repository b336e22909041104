# gongkai — one-command setup, run and test. Everything installs from requirements.lock (pinned).
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
UV_VERSION := 0.13.9

# Quiet and offline (see ../shared/TOOLCHAIN.md P16-P20).
export DAGSTER_DISABLE_TELEMETRY := 1
export DAGSTER_DG_UPDATE_CHECK_ENABLED := 0
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export GX_ANALYTICS_ENABLED := false

.PHONY: help setup run test test-fast bench ui docs clean

help:  ## list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/\t/'

$(BIN)/.installed: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check uv==$(UV_VERSION)
	$(UV) pip install -q --compile-bytecode --python $(BIN)/python -r requirements.lock
	$(UV) pip install -q --python $(BIN)/python --no-deps -e .
	touch $@

setup: $(BIN)/.installed  ## create .venv from the lock (idempotent)

run: setup  ## run the whole pipeline on data/landing; prints where the marts are
	$(BIN)/gongkai run

test: setup  ## the full test suite (CI runs this)
	$(BIN)/python -m pytest -q tests

test-fast: setup  ## unit tests only (no end-to-end pipeline)
	$(BIN)/python -m pytest -q tests -m "not integration"

bench: setup  ## parse throughput per format, and `gongkai run` seconds on 1 (fixed overhead), 1,000 and 10,000 generated reports
	$(BIN)/python -m devtools.bench --run --run-sizes 1,1000,10000

ui: setup  ## Dagster UI on 127.0.0.1
	$(BIN)/gongkai ui

docs: setup  ## dbt docs site on 127.0.0.1
	$(BIN)/gongkai docs

clean:  ## remove build outputs (keeps .venv)
	rm -rf warehouse dbt/target dbt/logs .pytest_cache
