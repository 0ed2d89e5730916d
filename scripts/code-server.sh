#!/usr/bin/env bash
# code-server (VS Code's server build) for the end-to-end test of the VS Code extension.
# Installed once into a cache folder outside the repository, so fresh clones on the same machine
# reuse it; prints nothing when it is already there. When it cannot be installed (no npm, no
# registry), the e2e test says so and skips.
#
# Its install scripts download three things that cannot be fetched here; each has a way round:
#   - as root its postinstall wants --unsafe-perm            -> npm_config_unsafe_perm=true
#   - @vscode/ripgrep downloads rg from GitHub                -> a tarball of Debian's rg in its cache
#   - node-pty compiles with `npx node-gyp` against headers   -> npm_config_yes=true, nodedir=/usr
set -euo pipefail
VERSION=4.100.3
RIPGREP_CACHE_NAME=vscode-ripgrep-cache-1.15.11
RIPGREP_ASSET=ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz
CACHE=${ARCHLS_CACHE:-$HOME/.cache/archls}
DEST=$CACHE/code-server-$VERSION
STAMP=$DEST/.installed

[ -f "$STAMP" ] && exit 0

warn() { echo "code-server: $*; the VS Code end-to-end test will skip" >&2; exit 0; }
command -v npm >/dev/null || warn "npm is missing"
command -v rg >/dev/null || warn "Debian's ripgrep is missing (scripts/system-deps.sh installs it as root)"

mkdir -p "$DEST"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/tmp/$RIPGREP_CACHE_NAME" "$work/rg"
cp "$(command -v rg)" "$work/rg/rg"
tar -C "$work/rg" -czf "$work/tmp/$RIPGREP_CACHE_NAME/$RIPGREP_ASSET" rg

echo "code-server: installing $VERSION into $DEST (once; about a minute)"
(
  cd "$DEST"
  [ -f package.json ] || echo '{"name": "archls-code-server", "private": true}' > package.json
  TMPDIR="$work/tmp" npm_config_nodedir=/usr npm_config_yes=true npm_config_unsafe_perm=true \
    npm install --save-exact --no-audit --no-fund --loglevel=error "code-server@$VERSION" > "$work/npm.log" 2>&1
) || { tail -20 "$work/npm.log" >&2; warn "npm install code-server@$VERSION failed"; }
[ -x "$DEST/node_modules/.bin/code-server" ] || warn "the install left no code-server executable"
touch "$STAMP"
echo "code-server: ready"
