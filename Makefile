# One command to launch the console on the embedded simulator, one to run the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

# Workers for `make test`: the tests wait on subprocesses, sockets and terminals much of the time,
# so on a 2-core machine 4 workers finish a sample sooner than 2 (`-n auto`) or none.
WORKERS ?= 4

.PHONY: demo test test-fast lint check screenshots bench constraints clean

# Installs from constraints.txt: CI and every developer get the same versions of everything.
$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	touch $@

demo: $(BIN)/.installed  ## the console on the embedded simulator
	$(BIN)/tui-inventory demo

test: $(BIN)/.installed  ## the whole test suite, spread over $(WORKERS) workers
	$(BIN)/pytest -q -n $(WORKERS) --dist loadgroup

test-fast: $(BIN)/.installed  ## the unit tier: the core on the simulator and real stores, no console
	$(BIN)/pytest -q -n $(WORKERS) tests/unit

lint: $(BIN)/.installed  ## ruff (lint and format), mypy and the import contracts (pyproject.toml)
	$(BIN)/ruff check tui_inventory tests benchmarks scripts
	$(BIN)/ruff format --check tui_inventory tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

check: lint test

screenshots: $(BIN)/.installed  ## regenerate screenshots/ from the real console
	$(BIN)/python scripts/screenshots.py

bench: $(BIN)/.installed  ## every benchmark in benchmarks/
	$(BIN)/python benchmarks/buildup_bench.py

constraints: $(BIN)/.installed  ## re-pin constraints.txt from the installed dev environment
	{ sed -n '1,2p' constraints.txt; $(BIN)/python -m pip freeze --exclude-editable; } > constraints.tmp
	mv constraints.tmp constraints.txt

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache
