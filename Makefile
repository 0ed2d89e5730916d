# Two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.stamp-install
TEST_STAMP := $(VENV)/.stamp-test
# Debian packages the tests drive; scripts/system-deps.sh installs the missing ones (as root).
ARCHLS_DEBIAN_PACKAGES += docker-compose nginx openssl

.PHONY: run test check lint schema docs bench clean system-deps export-validators

run: $(STAMP)
	@echo "== archls check examples/ =="
	@$(BIN)/archls check examples/ || test $$? -eq 1

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml $(VENV)/bin/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(TEST_STAMP): pyproject.toml $(STAMP)
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

system-deps:
	@ARCHLS_DEBIAN_PACKAGES="$(ARCHLS_DEBIAN_PACKAGES)" scripts/system-deps.sh

export-validators:
	@scripts/export-validators.sh

test: $(TEST_STAMP) system-deps export-validators
	$(BIN)/ruff check archls tests bench
	$(BIN)/archls schema --check
	$(BIN)/archls docs --check
	$(BIN)/python -m pytest -q

lint: $(TEST_STAMP)
	$(BIN)/ruff check archls tests bench
	$(BIN)/ruff format --check archls tests bench

schema: $(STAMP)
	$(BIN)/archls schema --write

docs: $(STAMP)
	$(BIN)/archls docs

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .tools
