# Two commands on a fresh machine:
#   make demo   installs the package into .venv and runs examples/quickstart.py
#   make test   installs the dev extras and runs mypy --strict, the import layers contract
#               (import-linter), the documentation site build (no warnings allowed) and the whole test suite
#   make docs   builds the documentation site (mkdocs, API reference from the docstrings) into build/site/
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: demo test typecheck imports docs pytest bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.core: pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	touch $@

$(VENV)/.dev: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[dev]'
	touch $@ $(VENV)/.core $(VENV)/.docs

$(VENV)/.docs: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[docs]'
	touch $@ $(VENV)/.core

demo: $(VENV)/.core
	$(BIN)/python examples/quickstart.py

typecheck: $(VENV)/.dev
	$(BIN)/mypy --strict src examples

imports: $(VENV)/.dev
	$(BIN)/lint-imports

docs: $(VENV)/.docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict -d build/site

pytest: $(VENV)/.dev
	$(BIN)/python -m pytest

test: typecheck imports docs pytest

$(VENV)/.bench: pyproject.toml $(VENV)/.dev
	$(PIP) install -e '.[dev,bench]'
	touch $@

bench: $(VENV)/.bench
	$(BIN)/python -m benchmarks.bench_sequential
	$(BIN)/python -m benchmarks.bench_fanout
	$(BIN)/python -m benchmarks.bench_runs
	$(BIN)/python -m benchmarks.bench_resilience
	$(BIN)/python -m benchmarks.bench_cache
	$(BIN)/python -m benchmarks.bench_compile
	$(BIN)/python -m benchmarks.bench_observability
	$(BIN)/python -m benchmarks.bench_agent
	$(BIN)/python -m benchmarks.bench_streaming

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache
