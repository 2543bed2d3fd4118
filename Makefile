# Parley: two commands set everything up.
#   make run   - virtualenv, install, migrate, demo data, serve on http://127.0.0.1:8000 (SQLite, no other service)
#   make test  - install what the tests need (Debian's chromium and coturn included) and run the whole suite
SHELL := /bin/bash
VENV ?= .venv
HOST ?= 127.0.0.1
PORT ?= 8000

# Django 6 needs Python >= 3.12; pick one explicitly (the default python3 may be older).
PYTHON ?= $(shell for p in python3.13 python3.12 \
	$$(ls -d $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3 2>/dev/null) /usr/bin/python3 python3; do \
	  command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	  && { command -v $$p; break; }; done)

BIN := $(VENV)/bin

.PHONY: run test venv install install-test browser lint bench-http bench-slots bench-chat bench-purge clean

$(BIN)/python:
	@if [ -z "$(PYTHON)" ]; then echo "error: Parley needs Python >= 3.12 (python3.12 or python3.13 not found; set PYTHON=...)" >&2; exit 1; fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

venv: $(BIN)/python

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test browser

# Browser tests drive Debian's Chromium; Playwright's own browser download cannot work here. The relay-only call test
# starts Debian's coturn (`turnserver`) itself; the package's service is not started.
BROWSER_PACKAGES := chromium:/usr/bin/chromium coturn:/usr/bin/turnserver
browser:
	@missing=""; for entry in $(BROWSER_PACKAGES); do \
	  [ -x "$${entry#*:}" ] || missing="$$missing $${entry%%:*}"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  elif command -v sudo >/dev/null; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "error: need root or sudo to apt-get install$$missing" >&2; exit 1; fi; \
	fi
	@test -x /usr/bin/chromium || { echo "error: /usr/bin/chromium is missing (apt-get install chromium)" >&2; exit 1; }
	@test -x /usr/bin/turnserver || { echo "error: /usr/bin/turnserver is missing (apt-get install coturn)" >&2; exit 1; }

run: install
	$(BIN)/parley migrate --no-input
	$(BIN)/parley demo
	$(BIN)/parley serve --host $(HOST) --port $(PORT) --with-worker

test: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check parley config conftest.py tests bench
	$(BIN)/ruff format --check parley config conftest.py
	$(BIN)/mypy parley config
	PARLEY_DATA_DIR=$$(mktemp -d) $(BIN)/parley makemigrations --check --dry-run

bench-http: install-test
	$(BIN)/python bench/http/run.py

bench-slots: install-test
	$(BIN)/python bench/slots/run.py $(BENCH_ARGS)

bench-chat: install-test
	$(BIN)/python bench/chat/run.py $(BENCH_ARGS)

# Retention purge vs plain SQL DELETE, 100 000 expired interactions; BENCH_ARGS="--postgres" or "--count 2000".
bench-purge: install-test
	$(BIN)/python bench/purge.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var build *.egg-info
