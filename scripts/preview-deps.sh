#!/usr/bin/env bash
# elkjs (ELK's layered layout, compiled to JavaScript) for the preview's layout test and benchmark,
# which compare archls' layout with ELK's on the same graphs. Installed from npm into .tools/preview.
set -euo pipefail
cd "$(dirname "$0")/.."
ELK_VERSION=0.12.1
if [ -f .tools/preview/node_modules/elkjs/package.json ] \
  && grep -q "\"version\": \"$ELK_VERSION\"" .tools/preview/node_modules/elkjs/package.json; then
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "preview-deps: npm not found; the comparison with ELK is skipped" >&2
  exit 0
fi
mkdir -p .tools/preview
npm install --prefix .tools/preview --no-audit --no-fund --silent "elkjs@$ELK_VERSION"
