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
PYTEST_PARALLEL := -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

.PHONY: run test test-fast lint format bench clean-data help

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

run: $(VENV)/.synced
	$(VENV)/bin/xinyidai run

test: $(VENV)/.synced
	$(VENV)/bin/pytest $(PYTEST_PARALLEL)

test-fast: $(VENV)/.synced
	$(VENV)/bin/pytest $(PYTEST_PARALLEL) -m "not slow"

lint: $(VENV)/.synced
	$(VENV)/bin/ruff check src tests bench migrations ml
	$(VENV)/bin/ruff format --check src tests bench migrations ml
	$(VENV)/bin/mypy

format: $(VENV)/.synced
	$(VENV)/bin/ruff check --fix src tests bench migrations ml
	$(VENV)/bin/ruff format src tests bench migrations ml

bench: $(VENV)/.synced
	$(VENV)/bin/python bench/run.py

clean-data:
	rm -rf .data
