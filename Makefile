# Every target bootstraps .venv itself; `make run` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint check migrate migrate-status doctor backup restore backup-verify image clean bench-stock bench-spreadsheets bench fuzz

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is needed"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/neuropilot serve

test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

# `make test` fuzzes every operation with a fixed seed and 25 examples; this digs deeper with a new seed
# (printed, so a failure can be replayed with FUZZ_SEED=…).
FUZZ_EXAMPLES ?= 200
fuzz: $(STAMP)
	@seed=$${FUZZ_SEED:-$$(date +%s)}; echo "fuzz seed $$seed, $(FUZZ_EXAMPLES) examples per operation and phase"; \
	NEUROPILOT_FUZZ_SEED=$$seed NEUROPILOT_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -q tests/fuzz/test_schemathesis.py

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
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

# CSV export memory (100k rows within 30 MB of idle RSS) and CSV import speed (5,000 items < 5 s) on
# `neuropilot serve` (bench/spreadsheets.py, docs/performance.md); not part of `make test`.
bench-spreadsheets: $(STAMP)
	$(BIN)/python -m bench.spreadsheets

# The HTTP load benchmark (bench/http.py, docs/performance.md): a throwaway PostgreSQL, NeuroPilot under wrk,
# pgbench running the same transactions, and the Express peer when ../shared/bench exists. Options: make bench
# BENCH_ARGS="--workers 2 --duration 20 --peer off --profile" (python -m bench.http --help lists them all).
bench: $(STAMP)
	$(BIN)/python -m bench.http $(BENCH_ARGS)

image:
	podman build -t neuropilot -f Containerfile . 2>/dev/null || docker build -t neuropilot -f Containerfile .

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
