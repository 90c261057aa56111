# One command to run the service, one to run the tests; each sets itself up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test test-corpus lint bench install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## make run: migrate the embedded SQLite database, create the demo client, serve on 127.0.0.1:$(PORT)
run: $(STAMP)
	$(BIN)/lms-bridge db upgrade
	$(BIN)/lms-bridge clients demo --url http://127.0.0.1:$(PORT)/xapi
	PORT=$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

## make test: lint, types, import contracts, then the whole suite on SQLite and PostgreSQL
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

## make test-corpus: the same emitter checks on the full real-world xAPI corpus (kept outside the
## repository for its licences); fails when it is absent
LMS_BRIDGE_XAPI_CORPUS ?= $(abspath $(CURDIR)/../shared/xapi-corpus)
test-corpus: $(STAMP)
	@test -f "$(LMS_BRIDGE_XAPI_CORPUS)/SOURCES.tsv" || { echo "make test-corpus: no xAPI corpus at $(LMS_BRIDGE_XAPI_CORPUS) (set LMS_BRIDGE_XAPI_CORPUS=/path/to/xapi-corpus)" >&2; exit 1; }
	LMS_BRIDGE_XAPI_CORPUS="$(LMS_BRIDGE_XAPI_CORPUS)" $(BIN)/pytest -n 2 tests/corpus $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## make bench: start a server on a fresh database and measure it (DATABASE_URL selects PostgreSQL)
bench: $(STAMP)
	$(BIN)/python -m bench --spawn "$(or $(DATABASE_URL),sqlite:///$(CURDIR)/instance/bench.db)" $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
