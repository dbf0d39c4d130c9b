# Every target bootstraps .venv itself; `make run` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint check migrate migrate-status image clean bench-stock

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

# Stock-page latency at 10k and 1M movements on the embedded PostgreSQL (bench/stock.py); not part of `make test`.
bench-stock: $(STAMP)
	$(BIN)/python -m bench.stock

image:
	podman build -t neuropilot -f Containerfile . 2>/dev/null || docker build -t neuropilot -f Containerfile .

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
