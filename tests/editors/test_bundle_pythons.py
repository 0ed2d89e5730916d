"""The server bundled in the .vsix, started by its launcher exactly as the extension starts it, on
interpreters other than the one that built it: it answers over LSP with the diagnostics `archls check`
reports. Opt-in, because getting another CPython is a heavy step here:

    ARCHLS_OTHER_PYTHONS="$(scripts/other-python.sh) /path/to/python3.12" \\
        .venv/bin/python -m pytest -q tests/editors/test_bundle_pythons.py

scripts/other-python.sh installs Debian trixie's python3.13 with debootstrap (about 270 MB, a few
minutes, root) and prints a command that runs it; any CPython 3.12 or 3.13 executable works too.
Files live under the test's temporary folder in /tmp, which that command shares with the chroot.
"""

from __future__ import annotations

import json
import os
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.editors import support

VSIX = support.ROOT / "editors" / "vscode" / "archls.vsix"
OTHERS = os.environ.get("ARCHLS_OTHER_PYTHONS", "").split()

pytestmark = pytest.mark.skipif(
    not OTHERS, reason="opt-in: set ARCHLS_OTHER_PYTHONS (see this module's docstring and docs/editors.md)"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not VSIX.is_file():
        pytest.skip("no editors/vscode/archls.vsix: `make vsix` builds it")
    root = tmp_path_factory.mktemp("vsix")
    with zipfile.ZipFile(VSIX) as archive:
        archive.extractall(root)
    return root / "extension" / "server"


def _diagnostics(python: str, server: Path, workspace: Path) -> tuple[dict[str, Any], list[dict[str, Any]], str]:
    arch = workspace / support.ARCH_FILE
    env = {"PATH": "/usr/bin:/bin", "HOME": str(workspace)}
    proc = subprocess.Popen(
        [python, "-I", "-S", str(server / "launch.py"), "--deps=bundle", "serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdin and proc.stdout and proc.stderr

    def send(body: dict[str, Any]) -> None:
        assert proc.stdin
        proc.stdin.write(support._message({"jsonrpc": "2.0", **body}))
        proc.stdin.flush()

    try:
        send(
            {
                "id": 1,
                "method": "initialize",
                "params": {"processId": None, "rootUri": workspace.as_uri(), "capabilities": {}},
            }
        )
        while support._read(proc.stdout).get("id") != 1:
            pass
        send({"method": "initialized", "params": {}})
        text = arch.read_text("utf-8")
        document = {"uri": arch.as_uri(), "languageId": "yaml", "version": 1, "text": text}
        send({"method": "textDocument/didOpen", "params": {"textDocument": document}})
        while True:
            message = support._read(proc.stdout)
            if "id" in message and "method" in message:  # a request from the server: nothing to give
                send({"id": message["id"], "result": None})
            elif message.get("method") == "textDocument/publishDiagnostics":
                params = message["params"]
                if params["uri"] == arch.as_uri() and params["diagnostics"]:
                    diagnostics = params["diagnostics"]
                    break
        send({"id": 2, "method": "shutdown", "params": None})
        send({"method": "exit", "params": None})
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    first = json.loads(err.decode().splitlines()[0])
    return first, diagnostics, err.decode()


@pytest.mark.parametrize("python", OTHERS)
def test_bundled_server_gives_diagnostics_on_another_python(python: str, server: Path, tmp_path: Path) -> None:
    workspace = support.copy_workspace(tmp_path / "workspace")
    said, diagnostics, stderr = _diagnostics(python, server, workspace)
    assert said["archls"] == "starting", stderr
    assert said["implementation"] == "cpython"
    assert said["folder"] == "cp" + said["python"].replace(".", ""), said
    found = {(d.get("code"), d["range"]["start"]["line"] + 1) for d in diagnostics}
    assert {("ARCH004", 8), ("QUAL003", 14)} <= found, found
    assert "Traceback" not in stderr
    print(f"\n{python}: CPython {said['python']} from {said['folder']}, {len(diagnostics)} diagnostics")
