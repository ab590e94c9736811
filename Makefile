# lakebook's two everyday commands: `make up` (set up and run the workspace) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.install-stamp
UI_TESTS_STAMP := extension/ui-tests/node_modules/.install-stamp
PYTEST_ARGS ?=

# The system packages README lists for the test suite (Debian's; nothing is downloaded).
TEST_SYSTEM_BINARIES := /usr/bin/chromium /usr/bin/redis-server
# PostgreSQL's server binaries sit in a folder named after its version: any version will do.
POSTGRES_INITDB = $(firstword $(wildcard /usr/lib/postgresql/*/bin/initdb))

.PHONY: install up test test-faults test-prerequisites lint check lock clean bench bench-gateway bench-kernel bench-transform bench-launch bench-papermill bench-row-groups bench-forked-runs bench-run-lookup bench-cli bench-sse bench-cold-start bench-lake-lookup bench-ingest-fields

install: $(STAMP) $(UI_TESTS_STAMP)

# One editable install of everything, pinned by constraints.txt (the lock CI tested).
$(STAMP): pyproject.toml constraints.txt extension/package.json extension/package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -c constraints.txt -e ".[dev]"
	touch $(STAMP)

# Galata/Playwright for the browser tests (tests/lab/test_ui_galata.py), from the committed lock.
# No browser download: the tests drive Debian's /usr/bin/chromium.
$(UI_TESTS_STAMP): extension/ui-tests/package.json extension/ui-tests/package-lock.json
	cd extension/ui-tests && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
	touch $(UI_TESTS_STAMP)

up: install
	$(BIN)/lakebook up

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	cd extension && npm run lint

# The front end's unit tests (vitest) first, so pytest's summary line stays the last one.
# Said once, before anything is installed or run, instead of failing tests 20 minutes in.
test-prerequisites:
	@missing=""; for binary in $(TEST_SYSTEM_BINARIES); do \
		[ -x "$$binary" ] || missing="$$missing $$(basename $$binary)"; done; \
	[ -n "$(POSTGRES_INITDB)" ] && [ -x "$(POSTGRES_INITDB)" ] || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
		echo "make test needs Debian's$$missing (the browser tests', the shared rate limiter's and the PostgreSQL tests'): apt-get install$$missing" >&2; \
		exit 2; fi

test: test-prerequisites lint
	cd extension && npm test
	$(BIN)/pytest $(PYTEST_ARGS)

# The fault-injection tests alone (they run in `make test` too): services killed by PID under load.
test-faults: install
	$(BIN)/pytest tests/faults

# Regenerate the lock after changing dependencies in pyproject.toml.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --upgrade pip
	.lock-venv/bin/python -m pip install ".[dev]"
	.lock-venv/bin/python -m pip freeze --exclude lakebook > constraints.txt
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) extension/node_modules extension/ui-tests/node_modules extension/lib extension/lakebook/lab/labextension

# Benchmarks (not tests): results go to benchmarks/results/*.json; see benchmarks/README.md.
# One at a time: each benchmark would skew the others on a small machine.
bench: bench-gateway bench-kernel bench-transform bench-launch bench-papermill bench-row-groups bench-forked-runs bench-run-lookup bench-cli bench-sse bench-cold-start bench-lake-lookup bench-ingest-fields

bench-gateway: install
	command -v wrk >/dev/null || apt-get install -y wrk
	$(BIN)/python -m benchmarks.gateway

bench-kernel: install
	$(BIN)/python -m benchmarks.kernel

bench-transform: install
	$(BIN)/python -m benchmarks.transform

bench-launch: install
	$(BIN)/python -m benchmarks.launch

bench-papermill: install
	$(BIN)/python -m benchmarks.papermill

bench-row-groups: install
	$(BIN)/python -m benchmarks.row_groups

bench-forked-runs: install
	$(BIN)/python -m benchmarks.forked_runs

bench-run-lookup: install
	$(BIN)/python -m benchmarks.run_lookup

bench-cli: install
	$(BIN)/python -m benchmarks.cli_startup

bench-sse: install
	$(BIN)/python -m benchmarks.sse_latency

bench-cold-start: install
	$(BIN)/python -m benchmarks.cold_start

bench-lake-lookup: install
	$(BIN)/python -m benchmarks.lake_lookup

bench-ingest-fields: install
	$(BIN)/python -m benchmarks.ingest_fields
