# The two commands of the README's quick start: `make demo` and `make test`.
# Both create the virtual environment in .venv first (Python 3.11+ and make are all you need).
# They install the exact versions locked in requirements/ (refreshed by `make lock`); the
# ranges in pyproject.toml stay open for the library's users.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check
UV_VERSION := 0.13.9

DEMO_GUIDE       := rulesets/tiengiang-stnmt-2022.yaml
DEMO_SUBMISSIONS := examples/tiengiang-2022/submissions.yaml

.PHONY: setup demo test lint format typecheck imports guides pytest docs golden bench lock messages clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required")'
	$(PYTHON) -m venv $(VENV)

# What the demo needs: the runtime dependencies only.
$(VENV)/.run-stamp: $(BIN)/python requirements/run.txt requirements/build.txt pyproject.toml
	$(PIP) -r requirements/build.txt -r requirements/run.txt
	$(PIP) --no-deps --no-build-isolation -e .
	touch $@

# What the suite needs: the development tools and every optional extra it tests.
$(VENV)/.dev-stamp: $(VENV)/.run-stamp requirements/dev.txt
	$(PIP) -r requirements/dev.txt
	touch $@

setup: $(VENV)/.dev-stamp

## Score the shipped example cluster and print the ranked table.
demo: $(VENV)/.run-stamp
	$(BIN)/emulation-rules score $(DEMO_GUIDE) $(DEMO_SUBMISSIONS)

## The whole suite: lint, format check, types, shipped guides, tests.
test: lint typecheck imports guides docs pytest

lint: $(VENV)/.dev-stamp
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

format: $(VENV)/.dev-stamp
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

typecheck: $(VENV)/.dev-stamp
	$(BIN)/mypy

## The layer contract of docs/architecture.md ([tool.importlinter] in pyproject.toml).
imports: $(VENV)/.dev-stamp
	$(BIN)/lint-imports --no-cache

## The documentation site with the API reference (mkdocs.yml), strict: a broken reference fails.
docs: $(VENV)/.dev-stamp
	$(BIN)/mkdocs build --strict --quiet

guides: $(VENV)/.dev-stamp
	$(BIN)/emulation-rules check rulesets/*.yaml rulesets/templates/*.yaml

pytest: $(VENV)/.dev-stamp
	$(BIN)/pytest

## Refresh tests/golden/ (the shipped examples' results and records, and the Vietnamese report
## of hungyen-2021) after an intended change; review the diff before committing it.
golden: $(VENV)/.dev-stamp
	EMULATION_RULES_UPDATE_GOLDEN=1 $(BIN)/pytest -q tests/test_golden.py \
		tests/test_report_english.py::test_the_vietnamese_report_is_unchanged

## The benchmark of issue 8 (docs/performance.md). Not a test; a few minutes.
## Installs the locked baseline (zen-engine) if it is missing; `make bench BENCH_ARGS=--quick`.
bench: $(VENV)/.dev-stamp
	$(BIN)/python -c 'import zen' 2>/dev/null \
		|| $(PIP) -r requirements/bench.txt \
		|| echo 'zen-engine could not be installed: its baseline will be skipped'
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

## Refresh the locked versions in requirements/ from pyproject.toml (newest that the ranges allow).
lock: $(BIN)/python
	$(PIP) 'uv==$(UV_VERSION)'
	$(BIN)/uv pip compile --quiet --universal --python-version 3.11 --upgrade \
		--custom-compile-command 'make lock' requirements/build.in -o requirements/build.txt
	$(BIN)/uv pip compile --quiet --universal --python-version 3.11 --upgrade \
		--custom-compile-command 'make lock' pyproject.toml -o requirements/run.txt
	$(BIN)/uv pip compile --quiet --universal --python-version 3.11 --upgrade \
		--custom-compile-command 'make lock' pyproject.toml --extra dev -o requirements/dev.txt
	$(BIN)/uv pip compile --quiet --universal --python-version 3.11 --upgrade \
		--custom-compile-command 'make lock' pyproject.toml --extra dev --extra bench \
		-o requirements/bench.txt

## The message catalogs of human output (docs/decisions.md, "Languages"): extract the English
## msgids from the source, merge them into each language's .po (translate the new ones in
## src/emulation_rules/locale/vi/LC_MESSAGES/emulation_rules.po), compile the .mo files.
LOCALE := src/emulation_rules/locale
messages: $(VENV)/.dev-stamp
	mkdir -p build
	$(BIN)/pybabel extract --ignore-dirs ".* __pycache__" --no-location --sort-output --no-wrap \
		--project emulation-rules --version 0.1.0 -o build/emulation_rules.pot src/emulation_rules
	for lang in vi en; do \
		test -f $(LOCALE)/$$lang/LC_MESSAGES/emulation_rules.po \
		|| $(BIN)/pybabel init --no-wrap -D emulation_rules -l $$lang \
			-i build/emulation_rules.pot -d $(LOCALE); \
		$(BIN)/pybabel update --no-wrap --no-fuzzy-matching --ignore-obsolete \
			-D emulation_rules -l $$lang -i build/emulation_rules.pot -d $(LOCALE); \
	done
	$(BIN)/pybabel compile --statistics -D emulation_rules -d $(LOCALE)

clean:
	rm -rf $(VENV) build/site .pytest_cache .mypy_cache .ruff_cache .hypothesis .grimp_cache
