#!/usr/bin/env bash
# checkov in its own virtual environment (it pins an older networkx than archls uses), for the
# side-by-side benchmarks. Idempotent: creates .venv-checkov when missing and prints its path.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv-checkov"
python="$(command -v python3.11 || command -v python3)"
if [ ! -x "$venv/bin/checkov" ]; then
  "$python" -m venv "$venv" >&2
  "$venv/bin/python" -m pip install --quiet --upgrade pip >&2 || true
  "$venv/bin/python" -m pip install --quiet checkov >&2
fi
echo "$venv"
