# FOIA Tracker: the two set-up commands are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
FOIA_TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
PYTEST_ARGS ?=
# Exact versions (with hashes) of everything: the app and its test, postgres, e2e and lint extras.
LOCK   := requirements.lock
UV_VERSION := 0.13.9

export FLASK_APP := app.py
# Let Python cache compiled modules (and pytest its rewritten test modules) even where the environment says not to
# (PYTHONDONTWRITEBYTECODE): the suite starts dozens of Python processes (servers, schedulers, commands), and each
# would compile the app again from source (collecting the tests alone: 25 s instead of 10 s).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: install install-test check-system lock run test test-pg test-e2e lint clean help

help:
	@echo "make run       install, migrate, load demo data and the agency directory, serve http://127.0.0.1:$(PORT) (SQLite)"
	@echo "make test      install test dependencies and run the test suite on SQLite"
	@echo "make test-pg   run the same suite on PostgreSQL at FOIA_TEST_DATABASE_URL"
	@echo "make test-e2e  browser tests (Playwright + Debian's Chromium at /usr/bin/chromium; axe-core)"
	@echo "make lint     ruff, mypy (foia/) and the import-linter layer contracts"
	@echo "make lock      re-resolve $(LOCK) from pyproject.toml (after changing a dependency)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# One environment for every target: the locked versions, then the project itself without
# letting pip resolve anything again.
$(VENV)/.installed: $(LOCK) pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

install: $(VENV)/.installed

install-test: install check-system

# WeasyPrint (PDF letters) loads Pango at run time: say which package is missing, in one line.
check-system: | $(BIN)/python
	@$(BIN)/python -c "import ctypes.util, sys; sys.exit(ctypes.util.find_library('pango-1.0') is None)" \
	  || { echo "Missing the Pango library that PDF letters need: apt-get install libpango-1.0-0 libpangoft2-1.0-0"; exit 1; }

# Resolve pyproject.toml (all extras) for Python 3.11+ on any platform, with hashes.
lock: | $(BIN)/python
	$(BIN)/pip install --quiet "uv==$(UV_VERSION)"
	$(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 \
	  --extra test --extra postgres --extra e2e --extra lint \
	  --generate-hashes --custom-compile-command "make lock" --quiet -o $(LOCK)

run: export FOIA_DEMO = 1
run: export FOIA_BASE_URL ?= http://127.0.0.1:$(PORT)
run: install check-system
	$(BIN)/flask db upgrade
	$(BIN)/flask foia demo
	@echo "FOIA Tracker on http://127.0.0.1:$(PORT) with the reminder scheduler (Ctrl-C stops both)"
	@bash -c 'trap "trap - INT TERM EXIT; kill 0" INT TERM EXIT; \
	  $(BIN)/flask foia scheduler & \
	  PORT=$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py app:app & \
	  wait -n'


test: install check-system
	$(BIN)/python -m pytest -m "not e2e" $(PYTEST_ARGS)

test-pg: install check-system
	FOIA_TEST_DATABASE_URL=$(FOIA_TEST_DATABASE_URL) $(BIN)/python -m pytest -m "not e2e" $(PYTEST_ARGS)

test-e2e: install check-system
	$(BIN)/python -m pytest -m e2e tests/e2e $(PYTEST_ARGS)

# Style and bugs (ruff), types (mypy on foia/), and the layer contracts (import-linter): all in pyproject.toml.
lint: install
	$(BIN)/ruff check foia tests bench migrations scripts app.py
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .hypothesis
