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

.PHONY: help setup system-deps run test test-fast bench bench-national ui docs clean

# Debian packages: Chromium (browser tests through Playwright, never `playwright install`), Noto CJK fonts
# (Chinese text in screenshots and in the generated scans the OCR tests read) and WenQuanYi Micro Hei, the font
# the PDF reader gives pdfium for CJK fonts a PDF names without embedding them (readers.PDF_FONT_DIRS: without
# it pdfium searches the system's fonts, slower, and with no CJK font at all drops characters). Installed once;
# skipped when present. `make run` works without them; PDFs with non-embedded CJK fonts need the last one.
SYSTEM_PACKAGES := chromium fonts-noto-cjk fonts-wqy-microhei
system-deps:  ## Debian packages (chromium, fonts-noto-cjk, fonts-wqy-microhei); needs root or sudo, skipped when present
	@if [ -x /usr/bin/chromium ] && fc-list 2>/dev/null | grep -qi "noto.*cjk" \
	  && [ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]; then exit 0; fi; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  ( $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(SYSTEM_PACKAGES) ) >/dev/null \
	  || echo "warning: could not install $(SYSTEM_PACKAGES); browser and scan tests will skip" >&2

help:  ## list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/\t/'

$(BIN)/.installed: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check uv==$(UV_VERSION)
	$(UV) pip install -q --compile-bytecode --python $(BIN)/python -r requirements.lock
	$(UV) pip install -q --python $(BIN)/python --no-deps -e .
	touch $@

# The dbt manifest (never committed) and the project's own bytecode are made here, once, so that the first
# `gongkai run` of a fresh clone costs what every later one does (ensure_manifest is a stat walk when fresh).
setup: $(BIN)/.installed  ## create .venv from the lock (idempotent), parse the dbt project, compile bytecode
	$(BIN)/python -c "from dagster_project.lib.warehouse.dbt_manifest import ensure_manifest; ensure_manifest()"
	$(BIN)/python -m compileall -q -j 2 dagster_project devtools expectations

run: setup  ## run the whole pipeline on data/landing; prints where the marts are
	$(BIN)/gongkai run

test: setup system-deps  ## the full test suite (CI runs this)
	$(BIN)/python -m pytest -q tests

test-fast: setup  ## unit tests only (no end-to-end pipeline)
	$(BIN)/python -m pytest -q tests -m "not integration"

bench: setup  ## parse reports/s per format; `gongkai run` seconds on 1, 1,000, 10,000 reports, +100 files to 10,000, fresh clone
	$(BIN)/python -m devtools.bench --run --run-sizes 1,1000,10000 --increment 100 --fresh-clone

bench-national: setup  ## 150,000 generated reports through `gongkai run`: seconds and peak RSS of the process tree per stage (not in make test)
	$(BIN)/python -m devtools.bench_national

ui: setup  ## Dagster UI on 127.0.0.1
	$(BIN)/gongkai ui

docs: setup  ## docs site on 127.0.0.1: dbt docs, Great Expectations Data Docs, quality and KPI report
	$(BIN)/gongkai docs

clean:  ## remove build outputs (keeps .venv)
	rm -rf warehouse dbt/target dbt/logs .pytest_cache
