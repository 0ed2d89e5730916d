"""What editors show in their output panel is the server's stderr. Asking about a file archls does not
read, or a request the server refuses on purpose, leaves no traceback there; a real fault still does."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from tests.editors import support


class Session:
    """The real server over stdio, spoken to in raw JSON-RPC as an editor would."""

    def __init__(self, root: Path) -> None:
        self.proc = subprocess.Popen(
            support.SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=root
        )
        self.next_id = 0
        self.request("initialize", {"processId": None, "rootUri": root.as_uri(), "capabilities": {}})
        self.notify("initialized", {})

    def notify(self, method: str, params: Any) -> None:
        assert self.proc.stdin
        self.proc.stdin.write(support._message({"jsonrpc": "2.0", "method": method, "params": params}))
        self.proc.stdin.flush()

    def request(self, method: str, params: Any) -> dict[str, Any]:
        assert self.proc.stdin and self.proc.stdout
        self.next_id += 1
        ident = self.next_id
        self.proc.stdin.write(support._message({"jsonrpc": "2.0", "id": ident, "method": method, "params": params}))
        self.proc.stdin.flush()
        while True:
            message = support._read(self.proc.stdout)
            if message.get("id") == ident and "method" not in message:
                return message

    def close(self) -> str:
        self.request("shutdown", None)
        self.notify("exit", None)
        assert self.proc.stderr
        err = self.proc.stderr.read().decode()
        self.proc.wait(timeout=20)
        return err


def test_no_traceback_for_files_archls_does_not_read_or_refused_requests(tmp_path: Path) -> None:
    root = support.copy_workspace(tmp_path / "workspace")
    session = Session(root)
    try:
        values = (root / "values.yaml").as_uri()
        text = (root / "values.yaml").read_text("utf-8")
        session.notify(
            "textDocument/didOpen", {"textDocument": {"uri": values, "languageId": "yaml", "version": 1, "text": text}}
        )
        summary = session.request("workspace/executeCommand", {"command": "archls.summary", "arguments": [values]})
        assert summary == {"jsonrpc": "2.0", "id": summary["id"], "result": None}
        hover = session.request(
            "textDocument/hover", {"textDocument": {"uri": values}, "position": {"line": 1, "character": 2}}
        )
        assert hover.get("result") is None and "error" not in hover
        # A refusal on purpose: the client gets the error, the output panel no traceback.
        refused = session.request(
            "workspace/executeCommand", {"command": "archls.showDetails", "arguments": [values, "component", "x"]}
        )
        assert "error" in refused
    finally:
        stderr = session.close()
    assert "Traceback" not in stderr, stderr
