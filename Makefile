# Pilotgate. `make run` for the embedded app, `make test` for the suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run up install migrate demo test test-fast lint format bench clean vendor-plotly lighthouse

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

## Benchmarks on PostgreSQL and Redis (they create and drop their own data; see README).
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/pilotgate_bench
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/9
bench: install
	-createdb -h 127.0.0.1 -U postgres pilotgate_bench 2>/dev/null
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py migrate --noinput -v 0
	DATABASE_URL=$(BENCH_DATABASE_URL) BENCH_REDIS_URL=$(BENCH_REDIS_URL) $(PY) manage.py bench_ingest $(BENCH_INGEST_ARGS)
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) $(PY) manage.py bench_dispatch $(BENCH_DISPATCH_ARGS)
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py bench_dashboard $(BENCH_DASHBOARD_ARGS)
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) $(PY) manage.py bench_webhooks $(BENCH_WEBHOOKS_ARGS)
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py bench_audit $(BENCH_AUDIT_ARGS)
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py bench_import $(BENCH_IMPORT_ARGS)

## Lighthouse 12.2.3 (npm) and a cold dashboard load (Playwright) in Debian's Chromium, on a
## server started as make run starts one; bin/measure_frontend.py has the details and targets.
lighthouse: demo
	$(PY) bin/measure_frontend.py $(MEASURE_ARGS)

## plotly.js: a custom bundle of plotly.js's core (with scatter) plus the bar and heatmap
## traces, the only types the product draws, built with esbuild by bin/build_plotly.js into
## static/vendor/plotly-custom-<version>/ (committed: running needs no npm), then its CSS
## regenerated. Pin plotly.js in package.json to the Python plotly package's version
## (tests/test_plotly_css.py checks).
vendor-plotly:
	npm ci --no-audit --no-fund --silent
	rm -rf static/vendor/plotly-*
	node bin/build_plotly.js
	$(PY) bin/plotly_css.py

clean:
	rm -rf var/ .venv/
