# Two commands on a fresh machine with Python 3.11 and Node: `make run` and `make test`.
# Every target does its own set-up: uv is bootstrapped into .uvtool/ if it is not installed,
# and .venv/ is synced from uv.lock.

PYTHON ?= python3
UV_VERSION := 0.13.8
UV := $(shell command -v uv 2>/dev/null || echo .uvtool/bin/uv)
VENV := .venv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)

# The suite runs in parallel worker processes (pytest-xdist), each with engines of its own; on a
# 2-core machine $(TEST_WORKERS) workers measured fastest (README, Testing).
TEST_WORKERS ?= 3
PYTEST_PARALLEL := -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=20

# The portals (frontend/): Node packages from the lock file, rebuilt when a source changed.
NPM ?= npm
PORTAL_SOURCES := $(filter-out frontend/src/components.d.ts,$(shell find frontend/src frontend/scripts -type f 2>/dev/null)) \
	frontend/index.html frontend/vite.config.ts frontend/tsconfig.json frontend/openapi.json

.PHONY: run test test-fast lint format bench clean-data help portal api

help:
	@echo "make run    - start embedded PostgreSQL + Redis, migrate, seed the demo city, serve :8000"
	@echo "make test   - the whole test suite on real engines (embedded unless DATABASE_URL/REDIS_URL)"
	@echo "make test-fast - the suite without the tests marked slow (models, processes, servers)"
	@echo "make lint   - ruff (rules and formatting) and mypy, all strict"
	@echo "make bench  - throughput against bare baselines measured in the same run"

.uvtool/bin/uv:
	$(PYTHON) -m venv .uvtool
	.uvtool/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml ml/pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	cd frontend && $(NPM) ci --no-audit --no-fund --loglevel=error
	@touch $@

frontend/dist/index.html: frontend/node_modules/.installed $(PORTAL_SOURCES)
	cd frontend && $(NPM) run build

portal: frontend/dist/index.html

# Regenerate the portals' API client after changing the API (commit both results).
api: $(VENV)/.synced frontend/node_modules/.installed
	$(VENV)/bin/xinyidai config openapi --out frontend/openapi.json
	cd frontend && $(NPM) run api

run: $(VENV)/.synced portal
	$(VENV)/bin/xinyidai run

test: $(VENV)/.synced portal
	cd frontend && $(NPM) test
	$(VENV)/bin/pytest $(PYTEST_PARALLEL)

test-fast: $(VENV)/.synced portal
	cd frontend && $(NPM) test
	$(VENV)/bin/pytest $(PYTEST_PARALLEL) -m "not slow"

lint: $(VENV)/.synced frontend/node_modules/.installed
	$(VENV)/bin/ruff check src tests bench migrations ml
	$(VENV)/bin/ruff format --check src tests bench migrations ml
	$(VENV)/bin/mypy
	cd frontend && $(NPM) run typecheck

format: $(VENV)/.synced
	$(VENV)/bin/ruff check --fix src tests bench migrations ml
	$(VENV)/bin/ruff format src tests bench migrations ml

bench: $(VENV)/.synced
	$(VENV)/bin/python bench/run.py

clean-data:
	rm -rf .data
