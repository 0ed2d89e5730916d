"""Cold start: from spawning ``archls serve`` to its answer to ``initialize`` and to the first
``publishDiagnostics`` of a small architecture file (examples/url-shortener.arch.yaml), as an editor
sees it.

The client is a few lines of JSON-RPC over the server's pipes (no LSP library, so the client's own
imports cost nothing): it sends ``initialize`` at once, with the capabilities of VS Code's client
that the server's answer depends on (editors/vscode/scripts/vscode-client-capabilities.json) and the
folder's settings in ``initializationOptions`` as the extension sends them, then ``initialized`` and
``didOpen`` on the answer, and stops at the first diagnostics. Each server is measured as it starts
(answering ``initialize`` and auditing the document before it loads the protocol library,
archls/server/early.py) and, for comparison, with that early start turned off
(``ARCHLS_EARLY_AUDIT=0``). Each server is started ``RUNS`` times (``ARCHLS_COLDSTART_RUNS``),
after one unmeasured start that writes the bytecode a first start writes anyway.

Servers measured: the one of this environment (``.venv/bin/archls serve``) and, when it was built
(``make vsix`` or ``editors/vscode/scripts/bundle_server.py``), the bundled one in
``editors/vscode/server`` run the way the extension runs it, on ``ARCHLS_BUNDLE_PYTHON`` (default
``python3.11``), with its ``launch.py``. When ``editors/vscode/archls.vsix`` exists, the bundled server
is also started three times as freshly installed (unpacked from the package each time: only the
bytecode it ships). Also printed: the interpreter's own start, the imports and construction of the
server without I/O, and the server's CPU time until its first diagnostics.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "url-shortener.arch.yaml"
BUNDLE = ROOT / "editors" / "vscode" / "server"
VSIX = ROOT / "editors" / "vscode" / "archls.vsix"
CAPABILITIES = ROOT / "editors" / "vscode" / "scripts" / "vscode-client-capabilities.json"
RUNS = int(os.environ.get("ARCHLS_COLDSTART_RUNS", "7"))
FIRST_RUNS = 3
TIMEOUT = 60.0


def initialize_params(folder: Path) -> dict[str, Any]:
    """What VS Code's client sends in ``initialize`` for ``folder``, as far as the server's start
    depends on it."""
    return {
        "processId": os.getpid(),
        "rootUri": folder.as_uri(),
        "workspaceFolders": [{"uri": folder.as_uri(), "name": folder.name}],
        "capabilities": json.loads(CAPABILITIES.read_text(encoding="utf-8")),
        "initializationOptions": {"settings": {}, "folderSettings": {folder.as_uri(): {}}},
    }


def _send(proc: subprocess.Popen[bytes], message: dict[str, Any]) -> None:
    body = json.dumps({"jsonrpc": "2.0", **message}).encode()
    assert proc.stdin is not None
    proc.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    proc.stdin.flush()


def _receive(proc: subprocess.Popen[bytes]) -> dict[str, Any]:
    assert proc.stdout is not None
    length = 0
    while True:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("the server closed its output")
        line = line.strip()
        if not line:
            break
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    return json.loads(proc.stdout.read(length))


def _answer(request: dict[str, Any]) -> Any:
    if request["method"] == "workspace/configuration":
        return [{} for _ in request["params"]["items"]]
    return None


def _cpu(pid: int) -> float:
    """CPU seconds (user and system) the process ``pid`` has used so far; 0 where /proc is missing."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start(command: list[str], env: dict[str, str], folder: Path) -> tuple[float, float, float]:
    """Seconds from spawning ``command`` to the ``initialize`` answer and to the first diagnostics, and
    the CPU seconds the server used until then (what the wall time is on an idle core)."""
    target = folder / EXAMPLE.name
    uri = target.as_uri()
    started = time.perf_counter()
    proc = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=folder
    )
    try:
        _send(proc, {"id": 1, "method": "initialize", "params": initialize_params(folder)})
        initialized = diagnosed = cpu = 0.0
        while not diagnosed:
            if time.perf_counter() - started > TIMEOUT:
                raise RuntimeError(f"no diagnostics in {TIMEOUT:.0f} s")
            message = _receive(proc)
            if message.get("id") == 1 and "method" not in message:
                initialized = time.perf_counter() - started
                _send(proc, {"method": "initialized", "params": {}})
                text = target.read_text(encoding="utf-8")
                document = {"uri": uri, "languageId": "yaml", "version": 1, "text": text}
                _send(proc, {"method": "textDocument/didOpen", "params": {"textDocument": document}})
            elif "method" in message and "id" in message:
                _send(proc, {"id": message["id"], "result": _answer(message)})
            elif message.get("method") == "textDocument/publishDiagnostics" and message["params"]["uri"] == uri:
                diagnosed = time.perf_counter() - started
                cpu = _cpu(proc.pid)
        _send(proc, {"id": 2, "method": "shutdown"})
        _send(proc, {"method": "exit"})
        proc.wait(10)
        return initialized, diagnosed, cpu
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.0f} ms (min {min(values) * 1000:.0f}, max {max(values) * 1000:.0f})"


def _wall(command: list[str], env: dict[str, str]) -> list[float]:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return times


def _real(name: str) -> str | None:
    """The interpreter itself rather than a launcher script in front of it (pyenv's shims take 0.1-0.2 s
    on their own; the extension runs what its probe reported)."""
    found = shutil.which(name)
    if found is None:
        return None
    done = subprocess.run([found, "-c", "import sys; print(sys.executable)"], capture_output=True, text=True)
    if done.returncode != 0 or not done.stdout.strip():
        return found
    return done.stdout.strip()


def servers() -> list[tuple[str, str, list[str], dict[str, str]]]:
    """(name, interpreter, server command, environment) of each server to measure."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    venv_archls = Path(sys.executable).with_name("archls")
    command = [str(venv_archls), "serve"] if venv_archls.is_file() else [sys.executable, "-m", "archls", "serve"]
    found = [(".venv archls serve", sys.executable, command, base)]
    python = _real(os.environ.get("ARCHLS_BUNDLE_PYTHON", "python3.11"))
    if python and (BUNDLE / "launch.py").is_file():
        found.append(("bundled", python, [python, "-I", "-S", str(BUNDLE / "launch.py"), "serve"], base))
    else:
        print(f"(no bundled server in {BUNDLE}: run `make vsix` to measure it)")
    return found


#: What ``archls serve`` imports and builds before it reads its first message.
_IMPORTS = """
from archls.cli import build_parser
build_parser()
try:
    from archls.server import protocol_types
    protocol_types.load()
except ImportError:
    pass
from archls.server.app import create_server
create_server()
import os
os._exit(0)  # without the interpreter's teardown, which a server pays only when it stops
"""


def first_starts(python: str, env: dict[str, str], folder: Path) -> list[tuple[float, float, float]]:
    """Starts of the bundled server as the extension is installed from the .vsix, each from a fresh
    unpacking: only the bytecode the package ships, nothing a previous start wrote."""
    out = []
    for _ in range(FIRST_RUNS):
        with tempfile.TemporaryDirectory() as unpacked, zipfile.ZipFile(VSIX) as archive:
            archive.extractall(unpacked, [m for m in archive.namelist() if m.startswith("extension/server/")])
            launch = Path(unpacked) / "extension" / "server" / "launch.py"
            out.append(start([python, "-I", "-S", str(launch), "serve"], env, folder))
    return out


def main() -> None:
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {RUNS} runs each, median (min, max)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        shutil.copy(EXAMPLE, folder / EXAMPLE.name)
        for name, python, command, env in servers():
            start(command, env, folder)  # writes the bytecode a first start would write
            print(f"{name}: {' '.join(command)}")
            print(f"  interpreter start ({Path(python).name} -c pass): {_ms(_wall([python, '-c', 'pass'], env))}")
            if "launch.py" not in " ".join(command):  # the launcher picks its folders itself
                imports = [python, "-c", _IMPORTS]
                print(f"  imports, server built (no I/O): {_ms(_wall(imports, env))}")
            runs = [start(command, env, folder) for _ in range(RUNS)]
            print(f"  spawn -> initialize answer:    {_ms([r[0] for r in runs])}")
            print(f"  spawn -> first diagnostics:    {_ms([r[1] for r in runs])}")
            if any(r[2] for r in runs):
                print(f"  server CPU time until then:    {_ms([r[2] for r in runs])}")
            ordinary = [start(command, {**env, "ARCHLS_EARLY_AUDIT": "0"}, folder) for _ in range(RUNS)]
            print("  without the early start (ARCHLS_EARLY_AUDIT=0):")
            print(f"    spawn -> initialize answer:  {_ms([r[0] for r in ordinary])}")
            print(f"    spawn -> first diagnostics:  {_ms([r[1] for r in ordinary])}")
            if any(r[2] for r in ordinary):
                print(f"    server CPU time until then:  {_ms([r[2] for r in ordinary])}")
            if name == "bundled" and VSIX.is_file():
                first = first_starts(python, env, folder)
                print(f"  first start after installing the .vsix ({FIRST_RUNS} runs):")
                print(f"    spawn -> first diagnostics:  {_ms([r[1] for r in first])}")
                print(f"    server CPU time until then:  {_ms([r[2] for r in first])}")


if __name__ == "__main__":
    main()
