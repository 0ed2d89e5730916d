"""Instructions the bundled server executes from its start to its first diagnostics, counted by
valgrind's callgrind: the same count whatever else the machine is doing (within a few tenths of a
percent: string hashes change from one process to the next), where CPU times on this shared 2-core
machine swing by a third. Use it to compare two builds of the start.

    .venv/bin/python bench/coldstart_instructions.py [SERVER_DIR] [FILE ...]

SERVER_DIR is a bundle (default editors/vscode/server, which `make vsix` builds; another build:
`editors/vscode/scripts/bundle_server.py . OUT --target linux-x64 --compile`, with that checkout first
on PYTHONPATH). Each FILE (default: the code-server test's architecture file and Kubernetes manifest)
is opened as VS Code opens it: initialize with VS Code's capabilities and the folder's settings, then
initialized and didOpen, all on standard input from the start. The server runs as the extension runs
it (``python -I -S launch.py serve`` on Debian's CPython 3.11) with a fresh cache folder, and stops as
soon as its early start has written the first diagnostics (before the protocol library is loaded).
Needs valgrind (Debian's package).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_coldstart import ROOT, initialize_params

FILES = [ROOT / "tests" / "editors" / "workspace" / name for name in ("shop.arch.yaml", "k8s/deployment.yaml")]
PYTHON = "/usr/bin/python3.11"

#: Runs launch.py as the extension does, with the early start's hand-over to the protocol library
#: replaced by an exit: what is counted ends with the first diagnostics.
_HARNESS = """
import os, sys
server = sys.argv[1]
sys.argv = [os.path.join(server, "launch.py"), "serve"]
sys.path[:0] = [os.path.join(server, part) for part in ("app", "cp%d%d" % sys.version_info[:2], "lib")]
from archls.server import early
early.load_gently = lambda load: os._exit(0)
import runpy
runpy.run_path(os.path.join(server, "launch.py"), run_name="__main__")
"""


def _input(file: Path) -> bytes:
    messages = [
        {"id": 1, "method": "initialize", "params": initialize_params(file.parent)},
        {"method": "initialized", "params": {}},
        {
            "method": "textDocument/didOpen",
            "params": {
                "textDocument": {
                    "uri": file.as_uri(),
                    "languageId": "yaml",
                    "version": 1,
                    "text": file.read_text("utf-8"),
                }
            },
        },
    ]
    out = b""
    for message in messages:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        out += b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    return out


def count(server: Path, file: Path) -> tuple[int, bool]:
    """Instructions until the first diagnostics of ``file``, and whether they were written early."""
    with tempfile.TemporaryDirectory() as cache:
        done = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--callgrind-out-file=/dev/null",
                PYTHON,
                "-I",
                "-S",
                "-c",
                _HARNESS,
                str(server),
            ],
            input=_input(file),
            capture_output=True,
            env={"PATH": "/usr/bin:/bin", "XDG_CACHE_HOME": cache, "HOME": cache},
            timeout=600,
        )
    found = re.search(rb"Collected : (\d+)", done.stderr)
    if found is None:
        raise SystemExit(done.stderr.decode(errors="replace")[-2000:])
    return int(found[1]), b"textDocument/publishDiagnostics" in done.stdout


def main() -> None:
    if shutil.which("valgrind") is None or not Path(PYTHON).exists():
        raise SystemExit(f"needs valgrind and {PYTHON} (Debian's packages valgrind and python3.11)")
    args = sys.argv[1:]
    server = Path(args.pop(0)) if args and Path(args[0]).is_dir() else ROOT / "editors" / "vscode" / "server"
    if not (server / "launch.py").is_file():
        raise SystemExit(f"no bundle in {server}: `make vsix` builds one")
    count(server, FILES[0])  # a first start writes what any first start writes (bytecode of other versions)
    for file in [Path(a) for a in args] or FILES:
        instructions, early = count(server, file.resolve())
        where = "early" if early else "NOT early: the whole server was counted"
        print(f"{file.name}: {instructions / 1e6:.1f} M instructions to the first diagnostics ({where})")


if __name__ == "__main__":
    main()
