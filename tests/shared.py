"""Where the workplace's shared folder (public corpus, official schemas) is.

It sits beside the repository (``../shared``, or above it), else at the workplace's ``/work/shared``;
``ARCHLS_SHARED`` overrides. Tests that need it
skip with a reason when it is genuinely absent, never silently pass.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _find() -> Path | None:
    candidates = [os.environ.get("ARCHLS_SHARED", "")]
    candidates += [str(parent / "shared") for parent in ROOT.parents]
    candidates.append("/work/shared")  # where the workplace keeps it, for clones made elsewhere
    for candidate in candidates:
        if candidate and (Path(candidate) / "corpus").is_dir():
            return Path(candidate)
    return None


SHARED = _find()
CORPUS = SHARED / "corpus" if SHARED else None
SARIF_SCHEMA = SHARED / "schemas" / "sarif-schema-2.1.0.json" if SHARED else None


def need_shared() -> Path:
    if SHARED is None:
        pytest.skip(
            "the shared folder (../shared with corpus/ and schemas/) is not beside this checkout; set ARCHLS_SHARED"
        )
    return SHARED
