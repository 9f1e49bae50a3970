# Every target sets up what it needs: a .venv with Python 3.12+ and the project's dependencies.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format bench venv clean lock

# Finds the first Python that is 3.12 or newer: $PYTHON, python3.13, python3.12, python3,
# then pyenv's installed versions (whose shims refuse to run unless selected).
$(VENV)/bin/python:
	@found=""; \
	for c in $${PYTHON:-} python3.13 python3.12 python3 \
	         $$(ls -d $$(pyenv root 2>/dev/null || echo /nonexistent)/versions/3.*/bin/python3 2>/dev/null | sort -rV); do \
	  p=$$(command -v "$$c" 2>/dev/null) || continue; \
	  if "$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then found="$$p"; break; fi; \
	done; \
	if [ -z "$$found" ]; then \
	  echo "error: Python 3.12 or newer is required (Django 6), and none was found."; \
	  echo "Tried: \$$PYTHON, python3.13, python3.12, python3 and pyenv's versions."; \
	  echo "Install Python 3.12+ or run: make PYTHON=/path/to/python3.12 ..."; \
	  exit 1; \
	fi; \
	echo "Creating $(VENV) with $$found ($$("$$found" --version))"; \
	"$$found" -m venv $(VENV)

# Dependencies come from requirements.lock: every package pinned with its hashes, compiled
# from pyproject.toml (runtime, dev and bench) by `make lock`; reinstalled when it changes.
$(VENV)/.deps: requirements.lock | $(VENV)/bin/python
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	touch $@

# After changing pyproject.toml's dependencies: pins the newest versions that satisfy it, for
# every platform and Python 3.12+, with hashes. Commit the result.
lock: $(VENV)/bin/python
	$(PY) -m pip install --quiet uv
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --extra bench --universal \
	  --generate-hashes -o requirements.lock

venv: $(VENV)/.deps

# The URLs the portal shows follow the port it serves on, unless PORTAL_DOMAIN says otherwise.
# Without a real Entra app registration (ENTRA_CLIENT_ID), "Sign in with Microsoft" goes to
# the local fake Entra ID, started beside the portal on FAKE_ENTRA_PORT. Beside it too: the
# task worker (db_worker) and the trigger that enqueues the token jobs every minute, whose
# e-mails (expiry reminders, dormant tokens retired) print on this console.
FAKE_ENTRA_PORT ?= 8765
run: export PORTAL_DOMAIN ?= portal.localhost:$(PORT)
ifeq ($(ENTRA_CLIENT_ID),)
run: export ENTRA_CLIENT_ID = 6f1c3a52-0d4e-4b8e-9a57-2d7f4c1e9b30
run: export ENTRA_CLIENT_SECRET = fake-entra-local-secret
run: export ENTRA_AUTHORITY = http://127.0.0.1:$(FAKE_ENTRA_PORT)
run: export ENTRA_V1_ISSUER = http://127.0.0.1:$(FAKE_ENTRA_PORT)/sts/{tid}/
run: FAKE_ENTRA = 1
endif
run: $(VENV)/.deps
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@helpers=""; \
	if [ -n "$(FAKE_ENTRA)" ]; then \
	  $(PY) manage.py fake_entra --port $(FAKE_ENTRA_PORT) & helpers="$$helpers $$!"; \
	fi; \
	$(PY) manage.py db_worker --no-startup-delay & helpers="$$helpers $$!"; \
	$(PY) manage.py token_jobs --every 60 >/dev/null & helpers="$$helpers $$!"; \
	trap "kill $$helpers 2>/dev/null" EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST):$(PORT)

# Test tools from the npm registry (package.json, pinned in package-lock.json): axe-core for
# the accessibility test. Reinstalled when the lock changes; skipped, saying so, without npm.
node_modules/.installed: package-lock.json
	@if command -v npm >/dev/null; then \
	  npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: the accessibility test will be skipped (CI fails it)"; fi

# Browser tests need Debian's Chromium; installed here when we are root and it is missing.
test: $(VENV)/.deps node_modules/.installed
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -q && apt-get install -y -q chromium; fi
	$(PY) -m pytest -n auto $(PYTEST_ARGS)

lint: $(VENV)/.deps
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy .
	$(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null

format: $(VENV)/.deps
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

bench: $(VENV)/.deps
	@if ! command -v wrk >/dev/null && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -q && apt-get install -y -q wrk; fi
	$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache test-artifacts node_modules
