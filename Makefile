# territoire-camp: `make run` (main job + Datasette + Dagster), `make test` (what CI runs),
# `make test-fast` while developing, `make typecheck`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast typecheck lint bench browser clean

# The project's own virtualenv, re-installed when pyproject.toml changes.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/camp up

# Browser tests drive Debian's Chromium, never a downloaded one.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "Browser tests need Debian's chromium: sudo apt-get install chromium" >&2; exit 1; \
	  fi; }

test: $(STAMP) browser
	$(BIN)/ruff check pipelines tests benchmarks
	$(BIN)/python -m pytest

# While developing: lint and the tests that need no whole-pipeline run, no server and no
# browser (markers `slow` and `browser` in pyproject.toml). CI keeps running `make test`.
test-fast: $(STAMP)
	$(BIN)/ruff check pipelines tests benchmarks
	$(BIN)/python -m pytest -q -m "not slow and not browser"

# mypy over pipelines/ ([tool.mypy] in pyproject.toml); joins `make test` once it is clean.
typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/validate.py
	$(BIN)/python benchmarks/publish_serve.py
	$(BIN)/python benchmarks/refresh.py

clean:
	rm -rf datasets/_build test-artifacts
