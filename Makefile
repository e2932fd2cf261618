# Pilotgate. `make run` for the embedded app, `make test` for the suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run up install migrate demo test test-fast lint format bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py seed_demo

## Embedded default: SQLite, filesystem broker, demo data; web + worker + beat. Ctrl-C stops.
run: demo
	DEBUG=$${DEBUG:-1} bin/run-stack embedded

## Full stack natively against an existing PostgreSQL and Redis (DATABASE_URL, REDIS_URL).
up: install
	bin/run-stack native

test: install
	$(PY) -m pytest -n $${PYTEST_WORKERS:-2} $(PYTEST_ARGS)

test-fast: install
	$(PY) -m pytest -x -q -m "not browser" $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install
	$(PY) manage.py bench

clean:
	rm -rf var/ .venv/
