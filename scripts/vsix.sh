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
rm -rf out
npx tsc -p .
npx vsce package --skip-license --out archls.vsix 2>&1 | grep -v -E '^\s*$' | tail -n 3
test -f archls.vsix
