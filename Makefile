# Every target installs what it needs: Poetry into .tools/, the project into .venv/.
PYTHON ?= python3
POETRY_VERSION := 2.5.1
TOOLS := .tools
POETRY := $(TOOLS)/poetry/bin/poetry
VENV_STAMP := .venv/.installed
DEMO_STAMP := .venv/.demo
# The project's tools from .venv, found as `poetry run` finds them, without Poetry's start (0.8 s a command).
RUN := PATH="$(CURDIR)/.venv/bin:$$PATH" VIRTUAL_ENV="$(CURDIR)/.venv"

# Python may write its bytecode caches: without them every pytest worker compiles the package and
# rewrites every test module's asserts afresh on each run (some environments set this variable).
unexport PYTHONDONTWRITEBYTECODE

.DEFAULT_GOAL := help
.PHONY: help install test test-fast lint format typecheck check demo bench docs docs-serve clean codegen

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(POETRY): tools/poetry-simple-index/pyproject.toml tools/poetry-simple-index/poetry_simple_index/__init__.py
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || { echo "Python >= 3.10 is required"; exit 1; }
	$(PYTHON) -m venv $(TOOLS)/poetry
	$(TOOLS)/poetry/bin/pip install --quiet --disable-pip-version-check "poetry==$(POETRY_VERSION)" ./tools/poetry-simple-index
	@touch $@

$(VENV_STAMP): $(POETRY) pyproject.toml poetry.lock
	$(POETRY) check --lock
	$(POETRY) sync --all-extras --compile
	@touch $@

install: $(VENV_STAMP)  ## Install Poetry (if missing) and the project with its dev tools

# The whole suite runs two pytest-xdist workers a core: about half of its time a worker waits (on the
# command line's subprocesses, loopback servers, timeouts and retry pauses under test), and a second
# worker keeps the core busy meanwhile. On the 2-core machine, idle: 4 workers 2 min 31 s, 3 workers
# 2 min 51 s, 2 workers 3 min 32 s, for the same 271 s of CPU (CONTRIBUTING.md, "The loop").
# worksteal: an idle worker takes tests queued for another (tests/conftest.py puts the longest first,
# so none is left for the end).
TEST_WORKERS ?= $(shell $(PYTHON) -c "import os; print(2 * (os.cpu_count() or 1))" 2>/dev/null || echo 2)

test: $(VENV_STAMP)  ## Run the whole test suite (what .ci/run runs)
	$(RUN) pytest -n $(TEST_WORKERS) --dist worksteal

# The fast set waits less (no subprocesses or loopback servers) and each worker pays the collection
# (about 3.5 s of CPU), so it takes one worker more than the cores, not two a core. On the 2-core
# machine: 3 workers 24.3 to 26.9 s, 2 workers 24.5 to 29.7 s (CONTRIBUTING.md, "The loop").
FAST_WORKERS ?= $(shell $(PYTHON) -c "import os; print((os.cpu_count() or 1) + 1)" 2>/dev/null || echo 2)

test-fast: $(VENV_STAMP)  ## The suite without the `system` tests (reliability, loopback, subprocesses, examples, docs build, bench)
	$(RUN) pytest -n $(FAST_WORKERS) --dist worksteal -m "not system"

lint: $(VENV_STAMP)  ## ruff check + ruff format --check
	$(RUN) ruff check .
	$(RUN) ruff format --check .

format: $(VENV_STAMP)  ## Apply ruff fixes and formatting
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

typecheck: $(VENV_STAMP)  ## mypy --strict on the package and the tests
	$(RUN) mypy

codegen: $(VENV_STAMP)  ## Regenerate builders, one-request methods, raw views, root exports, method tables
	$(RUN) python tools/codegen.py

check: lint typecheck  ## Lint and type-check (what pre-commit runs)

bench: $(VENV_STAMP)  ## Benchmarks against the alternatives (bench/); not part of `make test`
	$(POETRY) sync --all-extras --with bench
	$(RUN) python -m bench

# The demo needs the SDK's runtime alone: the lock's pins of it (hash-checked) into .venv with pip, no
# Poetry and no dev tools. A .venv that `make install` made already has them; `make install` later
# completes this one.
$(DEMO_STAMP): poetry.lock tools/demo_requirements.py
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || { echo "Python >= 3.10 is required"; exit 1; }
	@if [ -f $(VENV_STAMP) ] && [ $(VENV_STAMP) -nt poetry.lock ]; then touch $@; else \
		$(PYTHON) -m venv .venv && \
		$(PYTHON) tools/demo_requirements.py > .venv/demo-requirements.txt && \
		.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes \
			-r .venv/demo-requirements.txt && \
		touch $@; fi

demo: $(DEMO_STAMP)  ## Streamed, typed chat plus history calls (emulator unless FASTGPT_BASE_URL/FASTGPT_API_KEY are set)
	.venv/bin/python -m examples.demo

docs: $(VENV_STAMP)  ## Build the documentation site into site/ (mkdocs --strict, offline)
	$(RUN) mkdocs build --strict

docs-serve: $(VENV_STAMP)  ## Serve the documentation on http://127.0.0.1:8000, rebuilt on every change
	$(RUN) mkdocs serve --strict --dev-addr 127.0.0.1:8000

clean:  ## Remove the environments and caches
	rm -rf .venv $(TOOLS) .mypy_cache .ruff_cache .pytest_cache site
