# Two commands set everything up on a fresh machine:
#   make run    start the app on the bundled graph
#   make test   ruff, mypy and the whole pytest suite
# Both create .venv, install the package with its extras and the system packages the browser tests
# need (Debian's chromium; CI runs as root). A second run is quick: each step leaves a stamp.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SYSTEM_STAMP := $(VENV)/.system-stamp
PORT ?= 8501

.PHONY: run test lint typecheck pytest bytecode package-test graph bench fuzz loadtest docs clean system-deps help

help:
	@echo "make run    - start the app on the bundled graph (http://localhost:$(PORT))"
	@echo "make test   - ruff + mypy + pytest (installs everything first)"
	@echo "make graph  - check the evidence records (graph/records/) and rebuild the Turtle generated from them"
	@echo "make docs   - build the documentation site into docs/_build/html"
	@echo "make package-test - build wheel and sdist, install every extra set into fresh venvs, run their commands"
	@echo "make bench  - benchmarks side by side (not part of make test)"
	@echo "make fuzz   - the property-based security tests with many examples (make test runs 50 each)"
	@echo "make loadtest - 20 users on the endpoint and 20 on the app for 5 minutes (Debian's wrk)"

$(STAMP): pyproject.toml hatch_build.py src/kgexplorer/assets/shipped.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@# The build hook copies YASGUI out of its npm package (`npm pack`, see assets/shipped.toml): Debian's npm.
	@command -v npm >/dev/null 2>&1 || { [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1 && \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; } || \
		echo "npm is missing and this is not root: install Debian's 'npm' (the build copies YASGUI from npm)"
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[app,server]" --group test --group dev --group docs
	@# The editable install's build hook placed every asset of shipped.toml (vis-network, YASGUI): check them.
	$(BIN)/python -m kgexplorer._assets
	@touch $(STAMP)

# Debian's chromium for the end-to-end tests. Playwright never downloads a browser here.
$(SYSTEM_STAMP):
	@if command -v chromium >/dev/null 2>&1; then \
		echo "chromium: $$(chromium --version 2>/dev/null)"; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "chromium is missing and this is not root: browser tests will be skipped (install Debian's 'chromium')."; \
	fi
	@mkdir -p $(VENV) && touch $(SYSTEM_STAMP)

system-deps: $(SYSTEM_STAMP)

# Streamlit's source watcher checks every loaded module against the project folder on each run (0.5 s of the
# first page with .venv inside it; docs/decisions/app-cold-start.md): off, unless `make run WATCH=auto`.
WATCH ?= none
run: bytecode
	$(BIN)/streamlit run app.py --server.port $(PORT) --server.headless true --browser.gatherUsageStats false --server.fileWatcherType $(WATCH)

test: $(STAMP) $(SYSTEM_STAMP) lint typecheck pytest

# An editable install compiles nothing ahead, and where PYTHONDONTWRITEBYTECODE is set no byte code is ever
# written: every start of the app compiled the whole package again (0.4 s of its first page), every query worker
# the modules it imports (50 ms; docs/decisions/app-cold-start.md). Compiled before the app, the suite and the
# benchmark run: 0.3 s once, 0.06 s when nothing changed (__pycache__ is git-ignored).
bytecode: $(STAMP)
	@$(BIN)/python -m compileall -q src/kgexplorer

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# Four workers on CI's two cores: the suite waits (browsers, servers, worker processes) more than it computes. On
# two workers `make test` used 1.08 cores (/usr/bin/time: 950 s of CPU in 14:36, other tests running beside it);
# on four, alone, 1.43 (830 s in 9:38).
pytest: bytecode
	$(BIN)/pytest -n 4 --dist loadgroup -m "not package" --durations=15

# The packaging test in full: `make test` builds and installs one representative set (app + endpoint);
# this also installs the library alone and the endpoint alone, and writes test-artifacts/install-sizes.json.
package-test: $(STAMP) $(SYSTEM_STAMP)
	$(BIN)/pytest -n 2 --dist loadgroup tests/test_packaging.py

# The Turtle built from the evidence records (claims.ttl, sources.ttl, events.ttl …), after their checks.
graph: $(STAMP)
	$(BIN)/kgexplorer records build

docs: $(STAMP)
	$(BIN)/python -m sphinx -W --keep-going -q -b html docs docs/_build/html
	@echo "open docs/_build/html/index.html"

# What `make bench` needs besides the package: the `bench` dependency group (rdflib-endpoint for the endpoint
# section, the oxigraph server), Debian's wrk (the endpoint section's load) and chromium (the cold-start and
# graph-drawing sections), and the data in ../shared/data (never copied into the repository).
BENCH_STAMP := $(VENV)/.bench-stamp
BENCH_DATA := ../shared/data/lubm/lubm1.nt.gz ../shared/data/lubm/lubm10.nt.gz ../shared/data/lubm/lubm50.nt.gz \
	../shared/data/lubm/queries/q14.rq ../shared/data/hetionet/hetionet-v1.0-nodes.tsv.gz \
	../shared/data/hetionet/hetionet-v1.0-edges-subset.sif.gz
$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet --group bench
	@test -x $(BIN)/oxigraph || { echo "the oxigraph server is missing from $(BIN) (the oxigraph wheel of the bench group)"; exit 2; }
	@touch $(BENCH_STAMP)

bench: bytecode $(BENCH_STAMP)
	@missing=""; for tool in wrk chromium; do command -v $$tool >/dev/null 2>&1 || missing="$$missing $$tool"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 2; \
		else \
			echo "make bench needs Debian's$$missing and this is not root: apt-get install -y$$missing"; exit 2; \
		fi; \
	fi
	@for f in $(BENCH_DATA); do test -f $$f || { echo "the benchmark data is missing: $$f (../shared/data beside the checkout; see its README)"; exit 2; }; done
	$(BIN)/python -m bench

# Property-based tests with many examples; `make test` runs the same properties with 50 each.
fuzz: $(STAMP)
	KGX_FUZZ_EXAMPLES=$${KGX_FUZZ_EXAMPLES:-5000} $(BIN)/pytest -n 2 -o timeout=1800 tests/security -k property --hypothesis-show-statistics

# 20 users on the endpoint and 20 on the app for 5 minutes, runaways mixed in; stops by itself (Debian's wrk).
loadtest: $(STAMP)
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = "0" ] && apt-get update -qq && apt-get install -y -qq wrk >/dev/null; } || { echo "wrk is missing: apt-get install -y wrk"; exit 2; }
	$(BIN)/python -m bench.loadtest --duration $${DURATION:-300} --users $${USERS:-20}

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis build dist
	find src -name __pycache__ -type d -prune -exec rm -rf {} +
