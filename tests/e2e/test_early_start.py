"""The real server's early start (archls.server.early) against its ordinary start: a client sees the
same answer to initialize, the same diagnostics (published once), the same answers after them, and
the settings it gives honoured, whichever start answered.

The client is a few lines of JSON-RPC over the server's pipes, so that it can send what an editor
sends the moment initialize is answered. Each server keeps its bytecode and its kept answers in a
folder of this module's own (PYTHONPYCACHEPREFIX), out of the way of other tests' servers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "url-shortener.arch.yaml"
VSCODE = next((Path(pytest_lsp.__file__).parent / "clients").glob("visual_studio_code*.json"))
TIMEOUT = 60.0


@pytest.fixture(scope="module")
def pycache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pycache")


class Session:
    def __init__(self, folder: Path, pycache: Path, early: bool) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        env.update(PYTHONPYCACHEPREFIX=str(pycache), ARCHLS_TIMING="1", ARCHLS_EARLY_AUDIT="1" if early else "0")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "archls", "serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=folder,
        )
        self.received: list[dict[str, Any]] = []
        self.configuration_asked = 0

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        self.proc.stdin.flush()

    def receive(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        length = 0
        while True:
            line = self.proc.stdout.readline()
            assert line, "the server closed its output"
            if not line.strip():
                break
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        message = json.loads(self.proc.stdout.read(length))
        self.received.append(message)
        return message

    def until(self, done: Any, settings: dict[str, Any]) -> None:
        """Read (answering the server's requests) until ``done(message)``."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            message = self.receive()
            if "method" in message and "id" in message:
                result: Any = None
                if message["method"] == "workspace/configuration":
                    self.configuration_asked += 1
                    result = [settings for _ in message["params"]["items"]]
                self.send({"id": message["id"], "result": result})
            if done(message):
                return
        raise AssertionError("no end in sight")

    def stop(self) -> str:
        self.send({"id": 99, "method": "shutdown"})
        self.until(lambda m: m.get("id") == 99, {})
        self.send({"method": "exit"})
        assert self.proc.wait(20) == 0
        assert self.proc.stderr is not None
        return self.proc.stderr.read().decode()


def _session(folder: Path, pycache: Path, early: bool, options: Any, settings: dict[str, Any]) -> dict[str, Any]:
    """Open the example as VS Code does the moment initialize is answered, ask for its outline, and
    return what came back."""
    target = folder / EXAMPLE.name
    session = Session(folder, pycache, early)
    params = {
        "processId": os.getpid(),
        "rootUri": folder.as_uri(),
        "workspaceFolders": [{"uri": folder.as_uri(), "name": folder.name}],
        "capabilities": json.loads(VSCODE.read_text())["capabilities"],
    }
    if options is not None:
        params["initializationOptions"] = options
    session.send({"id": 1, "method": "initialize", "params": params})
    session.until(lambda m: m.get("id") == 1, settings)
    session.send({"method": "initialized", "params": {}})
    document = {"uri": target.as_uri(), "languageId": "yaml", "version": 1, "text": target.read_text()}
    session.send({"method": "textDocument/didOpen", "params": {"textDocument": document}})
    outline = {"textDocument": {"uri": target.as_uri()}}
    session.send({"id": 2, "method": "textDocument/documentSymbol", "params": outline})
    session.until(lambda m: m.get("id") == 2, settings)
    time.sleep(0.5)  # time for a second publish, which there must not be
    log = session.stop()
    published = [
        m["params"]
        for m in session.received
        if m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == target.as_uri()
    ]
    answers = {m["id"]: m.get("result") for m in session.received if "id" in m and "method" not in m}
    return {
        "initialize": answers[1],
        "outline": answers[2],
        "published": published,
        "asked": session.configuration_asked,
        "early": "initialize answered early" in log,
        "log": log,
    }


@pytest.mark.parametrize(
    ("options", "settings"),
    [
        # VS Code: every folder's settings in initializationOptions
        pytest.param(lambda folder: {"settings": {}, "folderSettings": {folder.as_uri(): {}}}, {}, id="vscode"),
        # a client that gives its settings when asked (eglot, Helix): here, reliability findings only
        pytest.param(lambda folder: None, {"select": ["REL"]}, id="asked"),
    ],
)
def test_an_early_start_is_the_ordinary_start_sooner(
    tmp_path: Path, pycache: Path, options: Any, settings: Any
) -> None:
    (tmp_path / EXAMPLE.name).write_text(EXAMPLE.read_text())
    ordinary = _session(tmp_path, pycache, False, options(tmp_path), settings)
    for _ in range(3):  # the first start with a new interpreter's cache only fills it
        sooner = _session(tmp_path, pycache, True, options(tmp_path), settings)
        if sooner["early"]:
            break
    assert not ordinary["early"] and sooner["early"], sooner["log"]
    assert "Traceback" not in sooner["log"] and "not the server's" not in sooner["log"]
    assert sooner["initialize"] == ordinary["initialize"]
    assert sooner["outline"] == ordinary["outline"]
    assert len(ordinary["published"]) == len(sooner["published"]) == 1
    assert sooner["published"] == ordinary["published"]
    assert sooner["asked"] == ordinary["asked"] == (1 if options(tmp_path) is None else 0)
    codes = {d["code"] for d in sooner["published"][0]["diagnostics"]}
    assert codes and (options(tmp_path) is not None or all(code.startswith("REL") for code in codes))
    # the diagnostics were written before the server had loaded its protocol library
    lines = [line for line in sooner["log"].splitlines() if line.startswith("timing:")]
    assert [line for line in lines if "first diagnostics written" in line], lines
    assert not [line for line in lines if "server built" in line]
