#!/usr/bin/env bash
# Build the VS Code extension into editors/vscode/archls.vsix: npm packages (pinned by the lock
# file), the bundled server (archls and its dependencies for the Python given), tsc, vsce.
# Usage: scripts/vsix.sh PYTHON
set -euo pipefail
PYTHON=$(realpath "${1:-python3}" 2>/dev/null || command -v "${1:-python3}")
cd "$(dirname "$0")/../editors/vscode"
if [ ! -f node_modules/.archls-stamp ] || [ package-lock.json -nt node_modules/.archls-stamp ]; then
  npm ci --no-audit --no-fund --loglevel=error
  touch node_modules/.archls-stamp
fi
"$PYTHON" scripts/bundle_server.py ../.. server
# What the package carries from the repository: the schema for yaml-language-server, the licence,
# and the example the walkthrough opens (copies, kept out of git by editors/vscode/.gitignore).
mkdir -p schemas examples
cp ../../archls/schemas/architecture.schema.json schemas/
cp ../../LICENSE LICENSE
cp ../../examples/url-shortener.arch.yaml examples/example.arch.yaml
rm -rf out
npx tsc -p .
npx vsce package --out archls.vsix 2>&1 | grep -v -E '^\s*$' | tail -n 3
test -f archls.vsix
