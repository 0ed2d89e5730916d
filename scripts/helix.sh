#!/usr/bin/env bash
# Helix for the test of the Helix snippet in docs/editors.md (tests/editors/test_helix.py): Debian
# trixie's `hx` package (Helix 25.01; bookworm has none), installed into the trixie root that
# scripts/other-python.sh makes (trixie's programs need trixie's C library), and run through chroot.
# Needs root. Writes FOLDER.hx, an executable that runs hx in that root, in the caller's working
# directory, with /tmp and each folder named in ARCHLS_BIND (colon-separated) at their own paths;
# prints its path. Usage: scripts/helix.sh [FOLDER]   (default: $ARCHLS_CACHE/trixie or ~/.cache/archls/trixie)
set -euo pipefail
ROOT=${1:-${ARCHLS_CACHE:-$HOME/.cache/archls}/trixie}
WRAPPER="$ROOT.hx"
"$(dirname "$0")/other-python.sh" "$ROOT" >/dev/null
if [ ! -x "$ROOT/usr/lib/hx/hx" ]; then
  cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
  unshare -m sh -c "mount -t proc proc '$ROOT/proc' && chroot '$ROOT' sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends hx'" >&2
fi
# A private mount namespace: the bind mounts go away with the process. Commands by their full paths:
# the caller's PATH is for the programs hx starts.
cat > "$WRAPPER" <<WRAP
#!/bin/sh
exec $(command -v unshare) -m /bin/sh -c '
root=\$1; here=\$2; shift 2
$(command -v mount) -t proc proc "\$root/proc" && $(command -v mount) --bind /tmp "\$root/tmp" || exit 1
old_ifs=\$IFS; IFS=:
for folder in \${ARCHLS_BIND:-}; do
  /bin/mkdir -p "\$root\$folder" && $(command -v mount) --bind "\$folder" "\$root\$folder" || exit 1
done
IFS=\$old_ifs
exec $(command -v chroot) "\$root" /bin/sh -c '\''cd "\$0" && exec hx "\$@"'\'' "\$here" "\$@"' sh "$ROOT" "\$(pwd)" "\$@"
WRAP
chmod +x "$WRAPPER"
echo "$WRAPPER"
