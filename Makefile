# mpbook: the two commands a learner needs are `make lab` and `make test`.
# Everything runs inside .venv, created on first use from requirements.txt.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# pip is re-run only when the requirements or the package metadata change.
STAMP := $(VENV)/.mpbook-installed
# `make notebooks NOTEBOOKS=notebooks/01-basics.ipynb` re-runs one chapter; empty means all.
NOTEBOOKS ?=
LAB_ARGS ?=
# Jupyter refuses to run as root unless told; root is normal in a container or a CI machine.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root,)

.PHONY: help venv lab test test-core e2e test-matrix test-versions test-package test-notebooks notebooks lint format clean bench bench-quick

help:
	@echo "make lab          open the book in JupyterLab (creates .venv on first use)"
	@echo "make test         run the whole test suite: package tests and every chapter under nbval"
	@echo "make test-matrix  the whole suite under every start method: spawn, forkserver, fork"
	@echo "make test-versions  the whole suite on every Python 3.10-3.14 found on this machine"
	@echo "make test-core    only the core sections of every chapter, each in a fresh kernel"
	@echo "make e2e          every chapter run in a real JupyterLab and browser (needs chromium)"
	@echo "make notebooks    re-execute every chapter in place under spawn (refreshes stored outputs)"
	@echo "make lint         ruff check and format check, notebooks included"
	@echo "make bench        the benchmarks (5 to 10 minutes): results in benchmarks/results/"
	@echo "make bench-quick  the benchmarks at small sizes (about a minute), to check the harness"
	@echo "Choose the start method with MPBOOK_START_METHOD=spawn|forkserver|fork (default spawn)."

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

lab: $(STAMP)
	$(BIN)/mpbook list
	$(BIN)/jupyter lab $(ALLOW_ROOT) $(LAB_ARGS) notebooks/00-start-here.ipynb

# pytest's settings (nbval in full mode, sanitize file, cell timeout) live in pyproject.toml,
# so a plain `pytest` on a machine without make runs exactly the same suite.
test: $(STAMP)
	$(BIN)/python -m pytest

# The whole suite once per start method this platform offers (fork is missing on Windows).
METHODS ?= $(shell $(PYTHON) -c "import multiprocessing as m; print(*[x for x in ('spawn', 'forkserver', 'fork') if x in m.get_all_start_methods()])")
test-matrix: $(STAMP)
	@for method in $(METHODS); do \
		echo "== MPBOOK_START_METHOD=$$method"; \
		MPBOOK_START_METHOD=$$method $(BIN)/python -m pytest -q -p no:cacheprovider || exit 1; \
	done

# The whole suite on every CPython 3.10-3.14 found here, each in its own .venv-X.Y from requirements.txt.
# VERSIONS="3.12 3.13" limits it to those. Every version runs, even after one fails; the summary says which.
VERSIONS ?=
test-versions:
	@failed=""; \
	for python in $$($(PYTHON) tools/find_pythons.py $(VERSIONS)); do \
		version=$$($$python -c "import sys; print('%d.%d' % sys.version_info[:2])"); \
		echo "== Python $$version ($$python)"; \
		started=$$(date +%s); \
		$(MAKE) --no-print-directory test VENV=.venv-$$version PYTHON=$$python || failed="$$failed $$version"; \
		echo "== Python $$version took $$(( $$(date +%s) - started )) s"; \
	done; \
	if [ -n "$$failed" ]; then echo "== failed on:$$failed"; exit 1; fi

# A real JupyterLab driven by Debian's chromium: `apt-get install chromium` first (.ci/run does).
e2e: $(STAMP)
	$(BIN)/python -m pip install --quiet -r requirements-e2e.txt
	MPBOOK_E2E=1 $(BIN)/python -m pytest tests/e2e -v -p no:cacheprovider

# Only the core sections of every chapter, each in a fresh kernel: the short path runs on its own.
test-core: $(STAMP)
	MPBOOK_CORE_PATH=1 $(BIN)/python -m pytest tests/test_core_path.py -v -p no:cacheprovider

test-package: $(STAMP)
	$(BIN)/python -m pytest tests

test-notebooks: $(STAMP)
	$(BIN)/python -m pytest notebooks

notebooks: $(STAMP)
	$(BIN)/python tools/run_notebooks.py $(NOTEBOOKS)

# The book's recipes against Pool, ProcessPoolExecutor, joblib and Dask (benchmarks/README.md).
# Run them on a quiet machine: other programs' load shows up as lower speedups.
# BENCH_ARGS passes options on, e.g. BENCH_ARGS="--wait-quiet 600 --only cpu,tiny".
BENCH_ARGS ?=
bench: $(STAMP)
	$(BIN)/python -m mpbook.bench $(BENCH_ARGS)

bench-quick: $(STAMP)
	$(BIN)/python -m mpbook.bench --quick $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build src/*.egg-info
