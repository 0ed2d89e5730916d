# Two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.stamp-install
TEST_STAMP := $(VENV)/.stamp-test
# Debian packages the tests drive: validators for the exports, then the editors (Neovim, Emacs with
# eglot, Chromium for VS Code, and what code-server's install needs). scripts/system-deps.sh installs
# the missing ones when run as root.
ARCHLS_DEBIAN_PACKAGES += docker-compose nginx openssl
ARCHLS_DEBIAN_PACKAGES += graphviz prometheus default-jre-headless
ARCHLS_DEBIAN_PACKAGES += neovim emacs-nox elpa-eglot elpa-yaml-mode chromium libkrb5-dev ripgrep
export ARCHLS_DEBIAN_PACKAGES

.PHONY: run test check lint schema docs bench clean system-deps export-validators preview-deps vsix vsix-all editor-deps

VSIX := editors/vscode/archls.vsix
VSIX_INPUTS := pyproject.toml scripts/vsix.sh $(shell find archls editors/vscode/src editors/vscode/scripts -type f ! -path '*/__pycache__/*' 2>/dev/null) \
	$(addprefix editors/vscode/,package.json package-lock.json tsconfig.json .vscodeignore README.md CHANGELOG.md) \
	$(wildcard editors/vscode/images/* editors/vscode/walkthrough/*) LICENSE examples/url-shortener.arch.yaml

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
	@scripts/system-deps.sh

export-validators:
	@scripts/export-validators.sh

# elkjs, which the layout test and benchmark compare the preview's layout with.
preview-deps:
	@scripts/preview-deps.sh

test: $(TEST_STAMP) system-deps export-validators preview-deps vsix editor-deps
	$(BIN)/ruff check archls tests bench
	$(BIN)/archls schema --check
	$(BIN)/archls docs --check
	npm --prefix editors/vscode test --silent
	@# The 5-minute soak (tests/e2e/test_soak.py) runs in a pytest process of its own beside the suite,
	@# paced like an editing session, so its minutes overlap the other tests instead of adding to them.
	ARCHLS_SOAK_MINUTES=5 $(BIN)/python -m pytest -q -s -p no:cacheprovider tests/e2e/test_soak.py > .soak.log 2>&1 & soak=$$!; \
	$(BIN)/python -m pytest -q -n auto --dist loadfile --ignore=tests/e2e/test_soak.py; suite=$$?; \
	wait $$soak; soaked=$$?; echo "--- the 5-minute soak (tests/e2e/test_soak.py):"; tail -n 15 .soak.log; \
	[ $$suite -eq 0 ] && [ $$soaked -eq 0 ]

# The VS Code extension with the archls server bundled (editors/vscode/archls.vsix).
vsix: $(VSIX)

$(VSIX): $(STAMP) $(VSIX_INPUTS)
	scripts/vsix.sh $(BIN)/python

# One package per platform target (linux-x64, linux-arm64, darwin-x64, darwin-arm64, win32-x64) and a
# universal one, each with the server for CPython 3.11-3.13: editors/vscode/dist/archls-TARGET.vsix.
vsix-all: $(STAMP)
	scripts/vsix.sh $(BIN)/python --all

# code-server for the VS Code end-to-end test, cached outside the repository.
editor-deps: system-deps
	@scripts/code-server.sh

lint: $(TEST_STAMP)
	$(BIN)/ruff check archls tests bench
	$(BIN)/ruff format --check archls tests bench

schema: $(STAMP)
	$(BIN)/archls schema --write

docs: $(STAMP)
	$(BIN)/archls docs

bench: $(STAMP)
	scripts/bench-tools.sh >/dev/null
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .tools
	rm -rf editors/vscode/out editors/vscode/server $(VSIX)
