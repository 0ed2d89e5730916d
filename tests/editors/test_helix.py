"""Helix (Debian trixie's `hx`, run in a trixie root: see scripts/helix.sh) runs the languages.toml of
docs/editors.md exactly as written, with `archls` on PATH (the server bundled for the VS Code
extension, on trixie's CPython 3.13), and gets archls's diagnostics for an architecture file, its
settings honoured and no error shown.

Opt-in, like tests/editors/test_bundle_pythons.py: making the trixie root takes minutes and root. Runs
when ``ARCHLS_HELIX`` names the wrapper scripts/helix.sh prints, or that wrapper is in its default
place (``~/.cache/archls/trixie.hx``)."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import signal
import struct
import termios
import time
from pathlib import Path
from typing import Any

import pytest

from archls import config as configuration
from archls import engine
from tests.editors import support

CACHE = Path(os.environ.get("ARCHLS_CACHE", Path.home() / ".cache" / "archls"))
HELIX = os.environ.get("ARCHLS_HELIX") or (str(CACHE / "trixie.hx") if (CACHE / "trixie.hx").is_file() else "")
BUNDLE = support.ROOT / "editors" / "vscode" / "server" / "launch.py"

pytestmark = [
    pytest.mark.skipif(not HELIX, reason="opt-in: run scripts/helix.sh (root, a few minutes) or set ARCHLS_HELIX"),
    pytest.mark.skipif(not BUNDLE.is_file(), reason="the bundled server is not built (make vsix)"),
]


def _run_helix(project: Path, home: Path, log: Path, name: str) -> None:
    """hx in a terminal of its own, on ``project/name``, until the log shows archls's diagnostics for it."""
    env = {
        **os.environ,
        "HOME": str(home),
        "PATH": f"{home / 'bin'}:/usr/bin:/bin",
        "TERM": "xterm-256color",
        "ARCHLS_BIND": str(support.ROOT),
    }
    pid, fd = pty.fork()
    if pid == 0:  # the child: hx in the trixie root
        os.chdir(project)
        os.execvpe(HELIX, [HELIX, "-vvv", "--log", str(log), name], env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    deadline = time.monotonic() + 120  # a first start on 3.13 compiles the bundle's bytecode
    try:
        while time.monotonic() < deadline:
            if select.select([fd], [], [], 0.2)[0]:
                try:
                    os.read(fd, 1 << 16)  # the screen: not looked at, only kept flowing
                except OSError:
                    break
            if log.is_file() and '"method":"textDocument/publishDiagnostics"' in log.read_text("utf-8", "replace"):
                break
        os.write(fd, b"\x1b:q!\r")
        end = time.monotonic() + 10
        while time.monotonic() < end and os.waitpid(pid, os.WNOHANG) == (0, 0):
            time.sleep(0.1)
        else:
            return
    finally:
        try:
            if os.waitpid(pid, os.WNOHANG) == (0, 0):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
        except ChildProcessError:
            pass  # ended and reaped above
        os.close(fd)


def _received(log: str, method: str) -> list[dict[str, Any]]:
    """The messages from archls with this method, as Helix logged them (``archls <- {...}``)."""
    out = []
    for line in log.splitlines():
        _, arrow, body = line.partition("archls <- ")
        if arrow and f'"{method}"' in body:
            try:
                out.append(json.loads(body))
            except ValueError:
                continue
    return out


def test_the_documented_languages_toml_gets_diagnostics_with_its_settings(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".config" / "helix").mkdir(parents=True)
    snippet = support.documented("Helix", "toml")
    (home / ".config" / "helix" / "languages.toml").write_text(snippet, encoding="utf-8")
    # `archls` on PATH, as the docs assume: the bundled server on the root's CPython 3.13.
    (home / "bin").mkdir()
    archls = home / "bin" / "archls"
    archls.write_text(f'#!/bin/sh\nexec /usr/bin/python3.13 -I "{BUNDLE}" "$@"\n', encoding="utf-8")
    archls.chmod(0o755)
    project = tmp_path / "project"
    project.mkdir()
    text = (support.WORKSPACE / support.ARCH_FILE).read_text("utf-8")
    (project / support.ARCH_FILE).write_text(text, encoding="utf-8")
    log = tmp_path / "helix.log"

    _run_helix(project, home, log, support.ARCH_FILE)

    logged = log.read_text("utf-8", "replace") if log.is_file() else ""
    published = [
        m["params"]
        for m in _received(logged, "textDocument/publishDiagnostics")
        if m["params"]["uri"].endswith(f"/{support.ARCH_FILE}")
    ]
    assert published, f"no diagnostics from archls in Helix's log:\n{logged[-3000:]}"
    # The settings of the snippet (`config`), as archls would audit the file with them.
    settings = re.search(r"config = \{ archls = \{ (.*?) \} \}", snippet)
    assert settings, snippet
    given = dict(re.findall(r'(\w+) = "([^"]*)"', settings.group(1)))
    path = str(project / support.ARCH_FILE)
    expected = engine.analyse(text, path, configuration.for_path(path, given))
    want = sorted((f.range.start_line, f.code, f.message) for f in expected.findings if f.file in (None, path))
    got = sorted((d["range"]["start"]["line"], d["code"], d["message"]) for d in published[-1]["diagnostics"])
    assert got == want
    # No error shown (a settings object it could not read was one), and the settings were asked for.
    shown = [m["params"]["message"] for m in _received(logged, "window/showMessage") if m["params"]["type"] == 1]
    assert not shown, shown
    assert _received(logged, "workspace/configuration"), "archls did not ask Helix for its settings"
