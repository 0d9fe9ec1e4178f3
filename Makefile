# Two commands take a fresh clone to a dashboard and to a green test suite:
#   make run    install what is needed, run the weekly job on the sandbox org
#   make test   install what the tests need (headless Chromium included), run them all

SHELL := /bin/bash
PYTHON ?= python3
TOOLS := .tools
UV := $(shell command -v uv 2>/dev/null || echo $(TOOLS)/bin/uv)
CHROMIUM ?= /usr/bin/chromium

.PHONY: run test install lint browser bench clean

$(TOOLS)/bin/uv:
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv

install: $(if $(findstring $(TOOLS),$(UV)),$(TOOLS)/bin/uv)
	$(UV) sync --locked --quiet --compile-bytecode

run: install
	$(UV) run --locked oneonone run

browser:
	@if [ -x "$(CHROMIUM)" ] && command -v chromedriver >/dev/null; then \
		echo "chromium: $$($(CHROMIUM) --version)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian chromium and chromium-driver for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then \
		sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	else \
		echo "headless Chromium is missing and cannot be installed here: the browser tests will fail"; \
	fi

lint: install
	$(UV) run --locked ruff check .
	$(UV) run --locked ruff format --check .
	$(UV) run --locked mypy

test: install browser lint
	PREFECT_SERVER_ANALYTICS_ENABLED=false $(UV) run --locked pytest -n 2 --dist loadfile

bench: install
	$(UV) run --locked python benchmarks/build_benchmark.py
	$(UV) run --locked python benchmarks/report_benchmark.py

clean:
	rm -rf out oneonone.duckdb oneonone.duckdb.wal test-artifacts .pytest_cache .mypy_cache .ruff_cache
