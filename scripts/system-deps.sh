#!/usr/bin/env bash
# Debian packages the test suite drives for real. Installed only when missing and only as root;
# otherwise the tests that need them say so and skip.
set -euo pipefail
packages=()
need() { dpkg -s "$1" >/dev/null 2>&1 || packages+=("$1"); }
for p in ${ARCHLS_DEBIAN_PACKAGES:-}; do need "$p"; done
if [ ${#packages[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "system-deps: not root; missing Debian packages: ${packages[*]} (their tests will skip)" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
echo "system-deps: installed ${packages[*]}"
