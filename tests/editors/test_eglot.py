"""Emacs with eglot (Debian's emacs-nox and elpa-eglot), in batch mode, gets archls diagnostics through
flymake at the right lines."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.editors import support

DRIVER = Path(__file__).resolve().parent / "eglot_driver.el"


def _eglot_missing() -> str | None:
    if not shutil.which("emacs"):
        return "Debian's emacs-nox is not installed"
    if not list(Path("/usr/share/emacs/site-lisp/elpa").glob("eglot-*")):
        probe = subprocess.run(["emacs", "--batch", "--eval", "(require 'eglot)"], capture_output=True, timeout=60)
        if probe.returncode != 0:
            return "eglot is not installed (Debian's elpa-eglot)"
    return None


@pytest.mark.skipif(_eglot_missing() is not None, reason=str(_eglot_missing()))
def test_eglot_gets_the_diagnostics(tmp_path: Path) -> None:
    workspace = support.copy_workspace(tmp_path / "workspace")
    (workspace / ".git").mkdir()  # the project eglot scopes the server to
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "ARCHLS_CMD": json.dumps(support.SERVER),
        "ARCHLS_FILE": str(workspace / support.ARCH_FILE),
    }
    proc = subprocess.run(
        ["emacs", "--batch", "-l", str(DRIVER)], env=env, capture_output=True, text=True, timeout=90, cwd=workspace
    )
    output = proc.stdout + proc.stderr
    diagnostics = {(int(line), code) for line, code in re.findall(r"^DIAG (\d+) archls \[(\w+)\]", output, re.M)}
    assert {(8, "ARCH004"), (14, "QUAL003")} <= diagnostics, output
    assert "SERVER (:name archls" in output
