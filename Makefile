# The two commands of the README's quick start: `make demo` and `make test`.
# Both create the virtual environment in .venv first (Python 3.11+ and make are all you need).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

DEMO_GUIDE       := rulesets/tiengiang-stnmt-2022.yaml
DEMO_SUBMISSIONS := examples/tiengiang-2022/submissions.yaml

.PHONY: setup demo test lint format typecheck imports guides pytest golden bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

## Score the shipped example cluster and print the ranked table.
demo: $(STAMP)
	$(BIN)/emulation-rules score $(DEMO_GUIDE) $(DEMO_SUBMISSIONS)

## The whole suite: lint, format check, types, shipped guides, tests.
test: lint typecheck imports guides pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

format: $(STAMP)
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

typecheck: $(STAMP)
	$(BIN)/mypy

## The layer contract of docs/architecture.md ([tool.importlinter] in pyproject.toml).
imports: $(STAMP)
	$(BIN)/lint-imports --no-cache

guides: $(STAMP)
	$(BIN)/emulation-rules check rulesets/*.yaml rulesets/templates/*.yaml

pytest: $(STAMP)
	$(BIN)/pytest

## Refresh tests/golden/ (the shipped examples' results and records) after an intended change;
## review the diff before committing it.
golden: $(STAMP)
	EMULATION_RULES_UPDATE_GOLDEN=1 $(BIN)/pytest -q tests/test_golden.py

## The benchmark of issue 8 (docs/performance.md). Not a test; a few minutes.
## Installs the optional baseline (zen-engine) if it is missing; `make bench BENCH_ARGS=--quick`.
bench: $(STAMP)
	$(BIN)/python -c 'import zen' 2>/dev/null \
		|| $(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[bench]' \
		|| echo 'zen-engine could not be installed: its baseline will be skipped'
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .grimp_cache
