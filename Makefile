# Every target sets up its own environment: a fresh clone needs only python3 (>= 3.11) and make.
# Production targets (enrich, refresh, digest, site) install the runtime dependencies only;
# test, lint and bench add their own extras (pyproject.toml) on top.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip install --quiet --disable-pip-version-check
# One stamp per set of extras; each is remade when pyproject.toml changes.
RUNTIME_STAMP := $(VENV)/.runtime-stamp
DEV_STAMP     := $(VENV)/.dev-stamp
ARGS   ?=

.PHONY: help install enrich refresh site digest test lint bench clean

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(PY):
	$(PYTHON) -m venv $(VENV)

$(RUNTIME_STAMP): pyproject.toml | $(PY)
	$(PIP) -e .
	touch $@

# mypy checks bench/ too, so linting needs the bench extras' packages for their types.
$(DEV_STAMP): pyproject.toml | $(PY)
	$(PIP) -e '.[test,lint,bench]'
	touch $@

install: $(RUNTIME_STAMP) ## create .venv with the runtime dependencies only

enrich: $(RUNTIME_STAMP) ## parse the list, fetch missing metadata, write catalog, outputs and README
	$(PY) -m pipeline enrich $(ARGS)

refresh: $(RUNTIME_STAMP) ## like enrich, but fetch every paper again
	$(PY) -m pipeline enrich --refresh $(ARGS)

site: $(RUNTIME_STAMP) ## build the page for readers in site/ from outputs/ (open site/index.html)
	$(PY) -m pipeline site $(ARGS)

digest: $(RUNTIME_STAMP) ## rank arXiv's latest new papers by fit to the list: outputs/digest.*
	$(PY) -m pipeline digest $(ARGS)

lint: $(DEV_STAMP) ## ruff and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: lint ## lint, then the whole test suite (no network needed)
	$(PY) -m pytest -q

bench: $(DEV_STAMP) ## benchmark requests, time and memory; writes bench/results/
	$(PY) bench/run.py

clean: ## remove the virtual environment
	rm -rf $(VENV)
