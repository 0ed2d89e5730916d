#!/usr/bin/env bash
# Tools the export tests validate generated files with, beyond the Python test extras:
#   - Prisma's CLI from npm, pinned, in a project-local folder (.tools/prisma). `prisma validate`
#     runs its schema engine as WebAssembly; it only wants the native engine binaries to exist,
#     so they point at a stub (scripts/prisma-engine-stub.sh) and nothing is downloaded.
# Idempotent; prints nothing when all is in place. Without npm the Prisma tests skip.
set -euo pipefail
cd "$(dirname "$0")/.."
PRISMA_VERSION=6.19.3
dir=.tools/prisma
if ! command -v npm >/dev/null 2>&1; then
  echo "export-validators: npm not found; the Prisma validation tests will skip" >&2
  exit 0
fi
installed=$(node -p "require('./$dir/node_modules/prisma/package.json').version" 2>/dev/null || true)
if [ "$installed" != "$PRISMA_VERSION" ]; then
  mkdir -p "$dir"
  printf '{"name":"archls-validators","private":true}\n' > "$dir/package.json"
  # --ignore-scripts: the engines' postinstall would try to download binaries; validate needs none.
  npm install --prefix "$dir" --ignore-scripts --no-audit --no-fund --silent "prisma@$PRISMA_VERSION" >/dev/null
  echo "export-validators: installed prisma $PRISMA_VERSION in $dir"
fi
