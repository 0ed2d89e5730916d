#!/usr/bin/env bash
# A CPython other than the machine's own, for the opt-in test of the VS Code extension's bundled server
# on another interpreter (tests/editors/test_bundle_pythons.py): Debian trixie's python3.13, installed
# with debootstrap into a folder (a minimal root file system, about 150 MB, a few minutes), run through
# chroot because trixie's interpreter needs trixie's C library. Needs root. Writes FOLDER.python3.13,
# an executable that runs that interpreter with /tmp bound into the chroot (so files under /tmp keep
# their paths), and prints its path: give it to the test as ARCHLS_OTHER_PYTHONS.
# Usage: scripts/other-python.sh [FOLDER]   (default: $ARCHLS_CACHE/trixie or ~/.cache/archls/trixie)
set -euo pipefail
ROOT=${1:-${ARCHLS_CACHE:-$HOME/.cache/archls}/trixie}
WRAPPER="$ROOT.python3.13"
if [ -x "$ROOT/usr/bin/python3.13" ] && [ -f "$ROOT/.archls-complete" ] && [ -x "$WRAPPER" ]; then
  echo "$WRAPPER"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "other-python: debootstrap and chroot need root" >&2
  exit 1
fi
if ! command -v debootstrap >/dev/null; then
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq debootstrap >&2
fi
if [ ! -f "$ROOT/.archls-complete" ]; then
  rm -rf "$ROOT"
  mkdir -p "$(dirname "$ROOT")"
  debootstrap --variant=minbase --include=python3.13,python3.13-venv trixie "$ROOT" http://deb.debian.org/debian >&2
  touch "$ROOT/.archls-complete"
fi
# A private mount namespace: the bind mount goes away with the process.
cat > "$WRAPPER" <<WRAP
#!/bin/sh
exec $(command -v unshare) -m sh -c '$(command -v mount) --bind /tmp "\$0/tmp" && exec $(command -v chroot) "\$0" /usr/bin/python3.13 "\$@"' "$ROOT" "\$@"
WRAP
chmod +x "$WRAPPER"
echo "$WRAPPER"
