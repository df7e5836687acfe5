# Outcry: the two quick-start commands are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench audit clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/outcry migrate --no-input
	$(BIN)/outcry demo
	$(BIN)/outcry serve --with-worker

test: $(STAMP)
	$(BIN)/pytest

# Production server + worker under browser-like load on this machine; prints one table
# (also written to var/bench/last.txt). BENCH_DB=sqlite|postgres|both (default both).
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet uvloop aiosmtpd
	$(BIN)/python -m bench

# Known vulnerabilities in the installed packages. pip-audit reads PyPI's per-release
# JSON API; --strict makes a package it cannot look up fail the audit, not pass it.
audit: $(STAMP)
	$(BIN)/python -m pip install --quiet pip-audit
	$(BIN)/pip-audit --strict --skip-editable --progress-spinner off

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/outcry makemigrations --check --dry-run

clean:
	rm -rf $(VENV) var
