# Every target sets up its own environment: a fresh clone needs only python3 (>= 3.11) and make.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
ARGS   ?=

.PHONY: help enrich refresh test lint bench clean

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

enrich: $(STAMP) ## parse the list, fetch missing metadata, write catalog, outputs and README
	$(PY) -m pipeline enrich $(ARGS)

refresh: $(STAMP) ## like enrich, but fetch every paper again
	$(PY) -m pipeline enrich --refresh $(ARGS)

lint: $(STAMP) ## ruff and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: lint ## lint, then the whole test suite (no network needed)
	$(PY) -m pytest -q

bench: $(STAMP) ## benchmark requests, time and memory; writes bench/results/
	$(PY) bench/run.py

clean: ## remove the virtual environment
	rm -rf $(VENV)
