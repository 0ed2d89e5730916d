#!/usr/bin/env bash
# checkov in its own virtual environment (its pins clash with the project's): creates .venv-checkov
# once, then prints the path of its checkov executable. Used by the export tests and benchmark and by
# the differential test, whose verdicts depend on checkov's checks: hence one exact version.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-checkov
if [ ! -x "$venv/bin/checkov" ]; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'checkov==3.3.30' >&2
fi
echo "$PWD/$venv/bin/checkov"
