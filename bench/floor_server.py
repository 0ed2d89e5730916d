#!/usr/bin/env python3
"""A language server that does no work, for measuring what an editor itself takes to draw squiggles.

The code-server test runs it in place of archls when ``ARCHLS_VSCODE_FLOOR=1`` (see bench/README.md):
it answers ``initialize`` at once, and publishes for each opened document the errors archls would, read
from the JSON file named by ``ARCHLS_FLOOR_LINES`` (file name -> 1-based lines), without parsing or
auditing anything. Its cold start figure is then VS Code's own share (activation, the client library,
the round trips, drawing), the floor under archls's. Standard library only, so it starts in a few ms.
``serve`` and any other argument are ignored (the extension runs ``<archls.path> serve``).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlparse


def _read(stream: Any) -> dict[str, Any] | None:
    length = None
    while True:
        line = stream.readline()
        if not line:
            return None
        if line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode("ascii").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    if length is None:
        return None
    message = json.loads(stream.read(length))
    return message if isinstance(message, dict) else {}


def _write(stream: Any, message: dict[str, Any]) -> None:
    body = json.dumps(message).encode("utf-8")
    stream.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    stream.flush()


def main() -> int:
    lines_file = os.environ.get("ARCHLS_FLOOR_LINES")
    lines: dict[str, list[int]] = json.loads(Path(lines_file).read_text("utf-8")) if lines_file else {}
    read, out = sys.stdin.buffer, sys.stdout.buffer
    while (message := _read(read)) is not None:
        method = message.get("method")
        if method == "exit":
            return 0
        if method == "textDocument/didOpen":
            document = message["params"]["textDocument"]
            name = PurePosixPath(unquote(urlparse(document["uri"]).path)).name
            diagnostics = [
                {
                    "range": {"start": {"line": n - 1, "character": 0}, "end": {"line": n - 1, "character": 1000}},
                    "severity": 1,
                    "source": "floor",
                    "message": "a squiggle from the do-nothing server",
                }
                for n in lines.get(name, [])
            ]
            params = {"uri": document["uri"], "version": document.get("version"), "diagnostics": diagnostics}
            _write(out, {"jsonrpc": "2.0", "method": "textDocument/publishDiagnostics", "params": params})
        elif "id" in message and method:
            result: Any = {"capabilities": {"textDocumentSync": 1}} if method == "initialize" else None
            _write(out, {"jsonrpc": "2.0", "id": message["id"], "result": result})
    return 0


if __name__ == "__main__":
    sys.exit(main())
