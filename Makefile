# cartnudge: `make run` starts everything locally, `make test` runs the whole suite.
# Both create .venv and install the project into it first (Python 3.11+ needed).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help run test demo lint check-journeys schema record-histories chaos faults bench bench-scale bench-reports clean

help:
	@echo "make run             start Temporal dev server, worker, API and mail catcher"
	@echo "make demo            (with make run up) three carts through the demo journey"
	@echo "make test            the whole test suite"
	@echo "make lint            ruff and mypy"
	@echo "make check-journeys  validate journeys/"
	@echo "make schema          regenerate journeys/journey.schema.json"
	@echo "make record-histories  store workflow histories for the replay tests (histories/next/)"
	@echo "make chaos           1000 carts, worker SIGKILLed 8 times mid-send: duplicates, losses"
	@echo "make faults          fault drills: Temporal killed, PostgreSQL stopped, providers down, the worker killed"
	@echo "make bench           simulate time for every persona; intake rate vs bare Temporal, purchase-to-closed latency, history events and bytes per journey; full journeys per second; worker RSS with 20000 carts asleep (SLEEPING_CARTS=0: not)"
	@echo "make bench-scale     20000 carts asleep mid-journey: time, Temporal's database, worker memory, 100k extrapolated"
	@echo "make bench-reports   1,000,000 carts loaded by COPY: each report query and the whole journey report, per dashboard page"
	@echo "make clean           remove .venv, data/ and caches"

# Reinstalled whenever pyproject.toml changes.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
		echo "cartnudge needs Python 3.11 or newer; '$(PYTHON)' is $$($(PYTHON) --version 2>&1)."; \
		echo "Run again with a newer one, e.g.: make $(MAKECMDGOALS) PYTHON=python3.12"; \
		exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

run: $(STAMP)
	$(BIN)/python -m devstack.run

demo: $(STAMP)
	$(BIN)/python -m devstack.demo

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy .

check-journeys: $(STAMP)
	$(BIN)/python -m journey_schema.check journeys/

schema: $(STAMP)
	$(BIN)/python -m journey_schema.json_schema

# After a deliberate, patched change to the workflow: store histories of full journeys in
# tests/replay/histories/next/ (a release renames it to its version; released ones stay).
record-histories: $(STAMP)
	CARTNUDGE_RECORD_HISTORIES=1 $(BIN)/python -m pytest tests/workflows -q
	$(BIN)/python -m pytest tests/replay -q

chaos: $(STAMP)
	$(BIN)/python -m devstack.chaos --carts 1000 --kills 8

# The full drills (see README, Fault drills): about ten minutes, the whole box.
faults: $(STAMP)
	$(BIN)/python -m devstack.faults
	$(BIN)/python -m devstack.chaos --carts 300 --kills 4

# Its last part keeps SLEEPING_CARTS carts asleep: 20,000 take 10-20 minutes on 2 busy cores
# (README, Benchmark); `make bench SLEEPING_CARTS=0` leaves it out.
SLEEPING_CARTS ?= 20000
bench: $(STAMP)
	$(BIN)/python -m devstack.bench_simulate
	$(BIN)/python -m devstack.bench
	$(BIN)/python -m devstack.bench_journeys --sleeping-carts $(SLEEPING_CARTS)

# Takes a while (see README, Benchmark) and the whole box: run it alone.
bench-scale: $(STAMP)
	$(BIN)/python -m devstack.bench_scale --carts 20000

# Loads a million carts into its own PostgreSQL (see README, Report benchmark): minutes.
bench-reports: $(STAMP)
	$(BIN)/python -m devstack.bench_reports --carts 1000000

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
