# The whole setup is `make run` and `make test`; everything else is a helper.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint typecheck migrations-check pytest bench lock clean

# Re-installs only when the lock file or pyproject changes (idempotent).
$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# A local development server: DEBUG on, SQLite under var/, demo data loaded once.
run: export DEBUG ?= 1
run: install
	$(BIN)/mutualist migrate --noinput
	$(BIN)/mutualist demo --once
	@echo ""
	@echo "  Mutualist is starting on http://$(HOST):$(PORT)/"
	@echo "  Demo login: ana@demo.mutualist.coop / demo-pass-2026"
	@echo ""
	$(BIN)/mutualist runserver $(HOST):$(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	# The django-stubs plugin imports the settings; DEBUG=1 spares it a SECRET_KEY.
	DEBUG=1 $(BIN)/mypy src bench

migrations-check: install
	DEBUG=1 $(BIN)/mutualist makemigrations --check --dry-run

pytest: install
	$(BIN)/pytest -n auto

test: lint typecheck migrations-check pytest

bench: install
	DEBUG=1 $(BIN)/python bench/run.py

# Regenerate the lock file after changing dependencies in pyproject.toml.
lock: install
	$(BIN)/python -m pip install --quiet pip-tools==7.6.2
	$(BIN)/pip-compile --quiet --extra dev --strip-extras --no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
