# TalentSync: `make run` serves the app, `make test` runs every check. Both set everything up.
SHELL := /bin/bash
.DEFAULT_GOAL := run
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
HOST ?= 127.0.0.1
SITE_URL ?= http://$(HOST):$(PORT)
export PORT HOST SITE_URL

.PHONY: run test setup sysdeps frontend migrate lint typecheck pytest bench clean

setup: sysdeps $(VENV)/.installed node_modules/.installed static/dist/app.js static/dist/reports.js migrate

sysdeps:
	@PYTHON=$(PYTHON) bash scripts/ensure-system-packages.sh

$(VENV)/.installed: requirements.txt requirements-dev.txt | sysdeps
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found" >&2; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

node_modules/.installed: package.json package-lock.json | sysdeps
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

static/dist/app.js static/dist/room.js static/dist/dsa.js static/dist/reports.js &: node_modules/.installed package.json scripts/copy-excalidraw-assets.mjs $(shell find static/src -type f)
	npm run --silent build

frontend: static/dist/app.js static/dist/reports.js

migrate: $(VENV)/.installed
	@DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --noinput -v 0

run: setup
	DEBUG=$${DEBUG:-1} $(PY) manage.py setup_schedules -v 0
	DEBUG=$${DEBUG:-1} $(PY) manage.py seed_demo
	@echo ""
	@echo "Serving TalentSync on http://$(HOST):$(PORT)  (web + worker + beat + media; Ctrl-C stops all)"
	DEBUG=$${DEBUG:-1} PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/honcho start -f Procfile web worker beat media

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.installed
	DEBUG=1 $(VENV)/bin/mypy

pytest: setup
	$(PY) -m pytest

test: setup lint typecheck pytest

bench: setup
	@status=0; for script in bench/[!_]*.py; do echo "== $$script"; $(PY) $$script || status=$$?; done; exit $$status

clean:
	rm -rf $(VENV) node_modules static/dist
