# Two commands on a fresh machine:
#   make demo   installs the package with what the examples need (the `examples` extra) into .venv,
#               vendors mermaid.js for the web demo when npm is there, and runs examples/quickstart.py
#   make test   installs the dev extras and runs mypy --strict, the import layers contract
#               (import-linter), the documentation site build (no warnings allowed) and the whole test suite
#   make docs   builds the documentation site (mkdocs, API reference from the docstrings) into build/site/
#   make dist   builds the wheel and the sdist into dist/
#   make mermaid  copies mermaid.min.js from the npm package to examples/static/ (the web demo's graph, offline)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: demo test typecheck imports docs pytest bench bench-compare clean dist mermaid

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.core: pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	touch $@

$(VENV)/.dev: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[dev]'
	touch $@ $(VENV)/.core $(VENV)/.docs $(VENV)/.examples

$(VENV)/.docs: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[docs]'
	touch $@ $(VENV)/.core

$(VENV)/.examples: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[examples]'
	touch $@ $(VENV)/.core

demo: $(VENV)/.examples
	@if ! command -v npm >/dev/null 2>&1; then echo "npm not found: examples/stream_server.py shows its graph as text (make mermaid needs npm)"; \
	elif ! $(MAKE) --no-print-directory mermaid; then echo "mermaid.js could not be fetched: examples/stream_server.py shows its graph as text"; fi
	$(BIN)/python examples/quickstart.py

# mermaid.js from its npm package (3 MB, not in git), kept in a cache; the web demo serves it
MERMAID_JS := examples/static/mermaid.min.js
NPM_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/tta-dev-primitives/npm

$(MERMAID_JS):
	test -f $(NPM_CACHE)/node_modules/mermaid/dist/mermaid.min.js \
		|| npm install --prefix $(NPM_CACHE) --no-audit --no-fund --silent mermaid@11
	mkdir -p $(dir $@)
	cp $(NPM_CACHE)/node_modules/mermaid/dist/mermaid.min.js $@

mermaid: $(MERMAID_JS)

$(VENV)/.build: | $(BIN)/python
	$(PIP) install 'build>=1.2'
	touch $@

dist: $(VENV)/.build
	rm -rf dist
	$(BIN)/python -m build --outdir dist .

typecheck: $(VENV)/.dev
	$(BIN)/mypy --strict src examples

imports: $(VENV)/.dev
	$(BIN)/lint-imports

docs: $(VENV)/.docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict -d build/site

pytest: $(VENV)/.dev
	$(BIN)/python -m pytest

test: typecheck imports docs pytest
# the site `docs` just built: the browser tests open it instead of building it again
test: export TTA_BUILT_SITE := build/site

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

# every benchmark on BASE's package and on this checkout's, alternating, 3 rounds:
# make bench-compare BASE=<commit> [BENCH="bench_sequential bench_cache"] [ROUNDS=3]
bench-compare: $(VENV)/.bench
	@test -n "$(BASE)" || { echo "usage: make bench-compare BASE=<commit> [BENCH=...] [ROUNDS=3]"; exit 2; }
	$(BIN)/python -m benchmarks.compare --base $(BASE) --rounds $(or $(ROUNDS),3) $(BENCH)

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache dist
