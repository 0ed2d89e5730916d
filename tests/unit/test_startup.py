"""The server's start-up path stays light: what ``archls serve`` imports before its first answer and
its first audit of an architecture file, checked in fresh interpreters (no timing: which modules
load, and that cached protocol types are the ones Python compiles)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "url-shortener.arch.yaml"

#: Modules a user pays for only when they use what needs them (an export, the preview, the assistant,
#: specs, a rule's documentation page, completion, hover, symbols...), never to see the first diagnostics.
HEAVY = (
    "anthropic",
    "httpx",
    "httpx2",
    "jinja2",
    "markupsafe",
    "networkx",
    "hcl2",
    "lark",
    "pathspec",
    "multiprocessing",
    "archls.assistant",
    "archls.batch",
    "archls.commands",  # the CLI's other commands: `archls serve` builds only its own options
    "archls.coach",
    "archls.compare",
    "archls.docs",
    "archls.export",
    "archls.importer",
    "archls.intel.complete",
    "archls.intel.docs",
    "archls.intel.facts",
    "archls.intel.hover",
    "archls.intel.lenses",
    "archls.intel.native",
    "archls.intel.outline",
    "archls.intel.refs",
    "archls.intel.workspace",
    "archls.preview",
    "archls.report",
    "archls.specs",
    "archls.analysis.chaos",
    "archls.formats.compose",  # the other formats' readers: detection imports them only when asked
    "archls.formats.kubernetes",
    "archls.formats.terraform",
)

_START = """
import json, sys
from archls.cli import build_parser
build_parser("serve")  # what `archls serve` parses its arguments with
from archls.server import protocol_types
protocol_types.load()
from archls.server.app import create_server
create_server()
from archls import config, engine
path = sys.argv[1]
analysis = engine.analyse(open(path, encoding="utf-8").read(), path, config.for_path(path, {}))
print(json.dumps({"modules": sorted(sys.modules), "findings": len(analysis.findings)}))
"""


def _python(code: str, *args: str) -> str:
    # The cache is written where Python would write bytecode; the test's environment may say not to.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60, cwd=ROOT, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_start_and_first_audit_leave_heavy_modules_unloaded() -> None:
    answer = json.loads(_python(_START, str(EXAMPLE)))
    assert answer["findings"] > 0  # the audit ran
    loaded = set(answer["modules"])
    heavy = sorted(m for m in loaded if any(m == h or m.startswith(f"{h}.") for h in HEAVY))
    assert heavy == []


#: A fingerprint of the code of every method attrs generated for lsprotocol's types.
_FINGERPRINT = """
import hashlib

def fingerprint(value):
    if hasattr(value, "co_code"):
        return (value.co_code, value.co_flags, value.co_names, value.co_varnames, value.co_filename,
                value.co_qualname, value.co_firstlineno, tuple(fingerprint(c) for c in value.co_consts))
    return repr(value)

def generated_code(types):
    digest, methods = hashlib.sha256(), 0
    for name, cls in sorted(vars(types).items()):
        if isinstance(cls, type) and hasattr(cls, "__attrs_attrs__"):
            for method, function in sorted(vars(cls).items()):
                code = getattr(function, "__code__", None)
                if code is not None and code.co_filename.startswith("<attrs generated"):
                    digest.update(repr((name, method, fingerprint(code))).encode())
                    methods += 1
    return str(methods), digest.hexdigest()
"""

#: Imports the protocol types through the cache at argv[1] and prints the fingerprint.
_TYPES = (
    _FINGERPRINT
    + """
import sys
from pathlib import Path
from archls.server import protocol_types
protocol_types.load(Path(sys.argv[1]))
import lsprotocol.types as types
position = types.Position(line=1, character=2)
assert position == types.Position(1, 2) and position != types.Position(1, 3) and str(position) == "1:2"
print(*generated_code(types))
"""
)


def test_cached_protocol_types_are_what_python_compiles(tmp_path: Path) -> None:
    import lsprotocol.types

    from archls.server.protocol_types import _read

    cache = tmp_path / "types.marshal"
    cache.write_bytes(b"not a cache")  # unreadable: ignored, then replaced
    methods, first = _python(_TYPES, str(cache)).split()
    assert int(methods) > 1000 and len(_read(cache)) > 500
    written = cache.stat()
    assert _python(_TYPES, str(cache)).split() == [methods, first]
    # Every generated method came from the cache: a miss would have written a new file.
    assert (cache.stat().st_ino, cache.stat().st_mtime_ns) == (written.st_ino, written.st_mtime_ns)
    # The same code as Python compiles without the cache (this process imported the types plainly).
    plain: dict[str, object] = {}
    exec(_FINGERPRINT, plain)
    assert plain["generated_code"](lsprotocol.types) == (methods, first)  # type: ignore[operator]
