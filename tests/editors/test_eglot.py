"""Emacs with eglot (Debian's emacs-nox, elpa-eglot and elpa-yaml-mode), in batch mode, runs the eglot
snippet of docs/editors.md exactly as written and gets archls diagnostics through flymake at the
right lines, its settings honoured from the first audit on."""

from __future__ import annotations

import os
import re
import shlex
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
    if not list(Path("/usr/share/emacs/site-lisp/elpa").glob("yaml-mode-*")):
        return "yaml-mode is not installed (Debian's elpa-yaml-mode)"
    return None


@pytest.mark.skipif(_eglot_missing() is not None, reason=str(_eglot_missing()))
def test_eglot_gets_the_diagnostics(tmp_path: Path) -> None:
    workspace = support.copy_workspace(tmp_path / "workspace")
    (workspace / ".git").mkdir()  # the project eglot scopes the server to
    init = tmp_path / "init.el"
    init.write_text(support.documented("Emacs (eglot)", "elisp"), encoding="utf-8")
    # The snippet runs "archls serve" from PATH, as a user's installed archls.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "archls").write_text(f'#!/bin/sh\nexec {shlex.join(support.SERVER[:-1])} "$@"\n', encoding="utf-8")
    (bin_dir / "archls").chmod(0o755)
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "ARCHLS_INIT": str(init),
        "ARCHLS_FILE": str(workspace / support.ARCH_FILE),
    }
    proc = subprocess.run(
        ["emacs", "--batch", "-l", str(DRIVER)], env=env, capture_output=True, text=True, timeout=90, cwd=workspace
    )
    output = proc.stdout + proc.stderr
    assert "MODE yaml-mode" in output, output
    diagnostics = {(int(line), code) for line, code in re.findall(r"^DIAG (\d+) archls \[(\w+)\]", output, re.M)}
    assert (8, "ARCH004") in diagnostics, output
    # The snippet's settings ignore QUAL: QUAL003 on line 14 never shows, not even before they arrive.
    assert not re.search(r"^(DIAG|SEEN) \d+ archls \[QUAL", output, re.M), output
    assert "SERVER (:name archls" in output
