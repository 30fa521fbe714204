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

.PHONY: help venv lab test test-core test-grader-as-root e2e site site-test test-matrix test-versions test-package test-notebooks notebooks lint format clean bench bench-quick

help:
	@echo "make lab          open the book in JupyterLab (creates .venv on first use)"
	@echo "make test         run the whole test suite: package tests and every chapter under nbval"
	@echo "make test-matrix  the whole suite under every start method: spawn, forkserver, fork"
	@echo "make test-versions  the whole suite on every Python 3.10-3.14 found on this machine"
	@echo "make test-core    only the core sections of every chapter, each in a fresh kernel"
	@echo "make test-grader-as-root  as a grading container runs it: the learner's code as nobody (needs root)"
	@echo "make e2e          every chapter run in a real JupyterLab and browser (needs chromium)"
	@echo "make site         the book as a static website in site/_build/html (nothing re-executed)"
	@echo "make site-test    build the website, then check it in a real browser (needs chromium)"
	@echo "make notebooks    re-execute every chapter in place under spawn (refreshes stored outputs)"
	@echo "make lint         ruff check and format check, notebooks included; mypy on src/"
	@echo "make bench        the benchmarks (5 to 10 minutes): results in benchmarks/results/"
	@echo "make bench-quick  the benchmarks at small sizes (about a minute), to check the harness"
	@echo "make wheelhouse   every package the book needs, for every platform and Python, in wheelhouse/"
	@echo "make test-wheelhouse  build a wheelhouse for this machine, install from it offline, run doctor"
	@echo "Choose the start method with MPBOOK_START_METHOD=spawn|forkserver|fork (default spawn)."

# `make lab FROM_WHEELHOUSE=../wheelhouse` installs from an instructor's wheelhouse (`make wheelhouse`),
# with no network at all.
FROM_WHEELHOUSE ?=
PIP_SOURCE := $(if $(FROM_WHEELHOUSE),--no-index --find-links $(FROM_WHEELHOUSE),)

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet $(PIP_SOURCE) --upgrade pip
	$(BIN)/python -m pip install --quiet $(PIP_SOURCE) -r requirements.txt
	touch $(STAMP)

# tools/lab/ holds JupyterLab settings for the book: a terminal opened in JupyterLab gets the venv
# (`mpbook` and `python` are the book's), where a login shell would reset PATH.
lab: $(STAMP)
	$(BIN)/mpbook list
	JUPYTER_CONFIG_PATH="$(CURDIR)/tools/lab$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}" \
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

# The book as a static website in site/_build/html, from the notebooks' stored outputs (nothing runs):
# Sphinx + myst-nb, configured in site/conf.py. Needs only requirements-site.txt, not the whole book.
site:
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements-site.txt
	$(BIN)/python tools/build_site.py

# The built website in Debian's chromium (as `make e2e`): every page with its images and no console
# errors, every internal link, search, folded solutions. Screenshots in e2e-artifacts/.
site-test: $(STAMP) site
	$(BIN)/python -m pip install --quiet -r requirements-e2e.txt
	MPBOOK_E2E=1 MPBOOK_SITE_TEST=1 $(BIN)/python -m pytest tests/e2e/test_site.py -v -p no:cacheprovider

# Only the core sections of every chapter, each in a fresh kernel: the short path runs on its own.
test-core: $(STAMP)
	MPBOOK_CORE_PATH=1 $(BIN)/python -m pytest tests/test_core_path.py -v -p no:cacheprovider

# A grading container: the grader is root and the learner's code runs as `nobody`, which needs a Python
# and a book every user can read. So: the system's Python, the book installed (not editable) in a venv in
# the temporary folder, then the trust-boundary tests, which must not skip the root-only ones.
SYSTEM_PYTHON ?= /usr/bin/python3
test-grader-as-root:
	@test "$$(id -u)" = 0 || { echo "make test-grader-as-root: run it as root (a grading container is)"; exit 1; }
	@venv=$$(mktemp -d) && chmod 755 $$venv && trap 'rm -rf $$venv' EXIT && \
	$(SYSTEM_PYTHON) -m venv $$venv && \
	$$venv/bin/python -m pip install --quiet $(PIP_SOURCE) ".[book,test]" && \
	MPBOOK_GRADER_AS_ROOT=1 $$venv/bin/python -m pytest tests/test_trust_boundary.py -v -p no:cacheprovider

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

# Every package the book needs (requirements.txt, pip, the build backend), as wheels for Linux x86_64 and
# aarch64, macOS x86_64 and arm64, Windows amd64, CPython 3.10-3.14, in one folder an instructor hands
# out (INSTRUCTORS.md). WHEELHOUSE_PLATFORMS=here: only this machine and its Python. Otherwise
# comma-separated lists, e.g. WHEELHOUSE_PLATFORMS=windows-amd64,macos-arm64 WHEELHOUSE_PYTHONS=3.12,3.13.
WHEELHOUSE ?= wheelhouse
WHEELHOUSE_PLATFORMS ?=
WHEELHOUSE_PYTHONS ?=
.PHONY: wheelhouse test-wheelhouse
wheelhouse: $(STAMP)
	$(BIN)/python tools/wheelhouse.py --dest $(WHEELHOUSE) \
		$(if $(WHEELHOUSE_PLATFORMS),--platforms $(WHEELHOUSE_PLATFORMS)) \
		$(if $(WHEELHOUSE_PYTHONS),--pythons $(WHEELHOUSE_PYTHONS))
	du -sh $(WHEELHOUSE)

# Slow (needs the network; ~40 s here): a wheelhouse for this machine only, an empty venv installed from it
# with no network (no index, an unreachable proxy), then `mpbook doctor` from that venv.
test-wheelhouse: $(STAMP)
	MPBOOK_WHEELHOUSE_TEST=1 $(BIN)/python -m pytest tests/test_wheelhouse.py -v -s -p no:cacheprovider -m slow

lint: $(STAMP)
	$(BIN)/python -m pip install --quiet $(PIP_SOURCE) -e ".[lint]"
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache build src/*.egg-info site/_build
