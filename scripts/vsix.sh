#!/usr/bin/env bash
# Build the VS Code extension with the archls server bundled: npm packages (pinned by the lock file),
# the server for a platform target (scripts/bundle_server.py: CPython 3.11, 3.12 and 3.13 wheels from the
# package registry, cached in ~/.cache/archls/wheels), tsc, vsce package --target.
#
# Usage: scripts/vsix.sh PYTHON                  this machine's target -> editors/vscode/archls.vsix
#        scripts/vsix.sh PYTHON --target TARGET  one target -> editors/vscode/dist/archls-TARGET.vsix
#        scripts/vsix.sh PYTHON --all            linux-x64 linux-arm64 darwin-x64 darwin-arm64 win32-x64
#                                                and universal -> editors/vscode/dist/
# PYTHON (with archls's dependencies installed, e.g. .venv/bin/python) builds archls's wheel and writes
# the start-up bytecode for its own version (3.11 here).
set -euo pipefail
PYTHON=$(realpath -s "${1:-python3}" 2>/dev/null || command -v "${1:-python3}")
shift || true
ALL_TARGETS=(linux-x64 linux-arm64 darwin-x64 darwin-arm64 win32-x64 universal)

host_target() {
  local os machine
  case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; MINGW* | MSYS* | CYGWIN*) os=win32 ;; *) os= ;; esac
  case "$(uname -m)" in x86_64 | amd64) machine=x64 ;; aarch64 | arm64) machine=arm64 ;; *) machine= ;; esac
  if [ -n "$os" ] && [ -n "$machine" ] && [[ " ${ALL_TARGETS[*]} " == *" $os-$machine "* ]]; then
    echo "$os-$machine"
  else
    echo universal
  fi
}

TARGETS=()
OUT=
case "${1:-}" in
  "") TARGETS=("$(host_target)"); OUT=archls.vsix ;;
  --all) TARGETS=("${ALL_TARGETS[@]}") ;;
  --target) TARGETS=("${2:?--target needs a target: ${ALL_TARGETS[*]}}") ;;
  *) echo "usage: scripts/vsix.sh PYTHON [--all | --target TARGET]" >&2; exit 2 ;;
esac

cd "$(dirname "$0")/../editors/vscode"
if [ ! -f node_modules/.archls-stamp ] || [ package-lock.json -nt node_modules/.archls-stamp ]; then
  npm ci --no-audit --no-fund --loglevel=error
  touch node_modules/.archls-stamp
fi
# What the package carries from the repository: the schema for yaml-language-server, the licence,
# and the example the walkthrough opens (copies, kept out of git by editors/vscode/.gitignore).
mkdir -p schemas examples
cp ../../archls/schemas/architecture.schema.json schemas/
cp ../../LICENSE LICENSE
cp ../../examples/url-shortener.arch.yaml examples/example.arch.yaml
rm -rf out
npx tsc -p .
# The client library bundled into out/client.js: the extension host loads one file instead of some 110
# (about 0.7 s of a cold start on the test machine). The entry and the modules it shares with the
# client stay as tsc wrote them, one copy each (clock.js holds when loading started).
npx esbuild out/client.js --bundle --platform=node --format=cjs --target=node20 --external:vscode \
  --external:./clock --external:./startup --external:./folders --external:./launch --external:./resolve \
  --external:./selector --outfile=out/client.js --allow-overwrite --log-level=warning --metafile=out/bundle.json
# Their licences travel with the bundled code.
node -e '
const fs = require("fs");
const inputs = Object.keys(JSON.parse(fs.readFileSync("out/bundle.json", "utf8")).inputs);
const names = [...new Set(inputs.map((f) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f)?.[1]).filter(Boolean))].sort();
const parts = names.map((name) => {
  const dir = `node_modules/${name}`;
  const version = JSON.parse(fs.readFileSync(`${dir}/package.json`, "utf8")).version;
  const file = fs.readdirSync(dir).find((f) => /^licen[sc]e/i.test(f));
  return `${name} ${version}\n\n${file ? fs.readFileSync(`${dir}/${file}`, "utf8").trim() : "(no licence file)"}\n`;
});
fs.writeFileSync("THIRD-PARTY-NOTICES.txt", "Bundled into out/client.js:\n\n" + parts.join("\n" + "-".repeat(72) + "\n\n"));
'
rm out/bundle.json

scanned=
for target in "${TARGETS[@]}"; do
  out=${OUT:-dist/archls-$target.vsix}
  mkdir -p "$(dirname "$out")"
  "$PYTHON" scripts/bundle_server.py ../.. server --target "$target" --compile
  # vsce's secret scan, over the files this project writes (the same for every target); vsce itself
  # skips it, since reading the bundled wheels' 5,500 files took 90% of a build (see scan-secrets.js).
  if [ -z "$scanned" ]; then
    node scripts/scan-secrets.js
    scanned=1
  fi
  # No node_modules in the package: the one runtime dependency is inside out/client.js.
  args=(--allow-package-all-secrets --no-dependencies --out "$out")
  if [ "$target" != universal ]; then
    args+=(--target "$target")
  fi
  npx vsce package "${args[@]}" 2>&1 | grep -v -E '^\s*$' | tail -n 1
  test -f "$out"
done
if [ -n "$OUT" ]; then
  # The checks of every target's wheels (tests/editors/test_vsix.py) run offline from the cache.
  for target in "${ALL_TARGETS[@]}"; do
    if [ "$target" != universal ] && [ "$target" != "${TARGETS[0]}" ]; then
      "$PYTHON" scripts/bundle_server.py ../.. --fetch-only --target "$target" | grep -v 'cached in' || true
    fi
  done
fi
