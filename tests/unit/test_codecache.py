"""The code dataclasses and typing compile, kept between starts (archls/codecache.py): the classes
made through the cache are the ones Python makes without it."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import typing
from pathlib import Path

import pytest

from archls import codecache
from tests.unit.test_startup import _FINGERPRINT

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "url-shortener.arch.yaml"

#: Imports the engine and audits argv[2] through the cache at argv[1] ("-" for none), then prints a
#: fingerprint of the code of every method dataclasses generated in archls's modules.
_RUN = (
    _FINGERPRINT
    + """
import contextlib, dataclasses, sys
from pathlib import Path
from archls import codecache

block = contextlib.nullcontext() if sys.argv[1] == "-" else codecache.kept(Path(sys.argv[1]))
with block:
    from archls import config, engine
    path = sys.argv[2]
    analysis = engine.analyse(open(path, encoding="utf-8").read(), path, config.for_path(path, {}))
digest, methods = hashlib.sha256(), 0
for name, module in sorted(sys.modules.items()):
    for cls_name, cls in sorted(vars(module).items()) if name.startswith("archls") else ():
        if isinstance(cls, type) and dataclasses.is_dataclass(cls) and cls.__module__ == name:
            for method, function in sorted(vars(cls).items()):
                code = getattr(function, "__code__", None)
                if code is not None and code.co_filename == "<string>":
                    digest.update(repr((name, cls_name, method, fingerprint(code))).encode())
                    methods += 1
print(methods, digest.hexdigest(), len(analysis.findings))
"""
)


def _output(script: str, *args: str) -> str:
    # The cache is written where Python would write bytecode; the test's environment may say not to.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _python(*args: str) -> list[str]:
    return _output(_RUN, *args).split()


def test_the_engine_through_the_cache_is_the_engine_python_makes(tmp_path: Path) -> None:
    cache = tmp_path / "code.marshal"
    cache.write_bytes(b"not a cache")  # unreadable: ignored, then replaced
    first = _python(str(cache), str(EXAMPLE))
    methods, _, findings = first
    assert int(methods) > 100 and int(findings) > 0
    assert len(codecache._read(cache)) > 300
    written = cache.stat()
    assert _python(str(cache), str(EXAMPLE)) == first
    # Everything came from the cache: a miss would have written the file again.
    assert (cache.stat().st_ino, cache.stat().st_mtime_ns) == (written.st_ino, written.st_mtime_ns)
    # The same code as without the cache.
    assert _python("-", str(EXAMPLE)) == first


def test_classes_made_inside_behave_as_dataclasses_and_annotations_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)  # written only where bytecode would be
    cache = tmp_path / "code.marshal"
    for _ in range(2):  # compiled, then taken from the cache
        with codecache.kept(cache):

            @dataclasses.dataclass(frozen=True)
            class Point:
                x: int
                y: int = 0

            reference = typing.ForwardRef("dict[str, list[int]] | None")
        assert "exec" not in vars(dataclasses) and "compile" not in vars(typing)  # put back
        assert Point(1) == Point(1, 0) and Point(1) != Point(2) and repr(Point(1, 2)).endswith(".Point(x=1, y=2)")
        assert hash(Point(1)) == hash(Point(1, 0))
        with pytest.raises(dataclasses.FrozenInstanceError):
            Point(1).x = 2  # type: ignore[misc]
        # As typing compiles it: without this file's `from __future__ import annotations`.
        assert reference.__forward_code__ == compile("dict[str, list[int]] | None", "<string>", "eval", 0, True)
    assert len(codecache._read(cache)) >= 5


def test_nested_blocks_write_once_when_the_last_ends(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    cache = tmp_path / "code.marshal"
    with codecache.kept(cache):
        with codecache.kept(cache):
            typing.ForwardRef("frozenset[bytes]")
        assert not cache.exists() and "compile" in vars(typing)
    assert cache.exists() and "compile" not in vars(typing)


#: Records every pattern the engine's import and a first audit of argv[2] compile through re (with
#: the cache at argv[1]), then compares each with the one re's own compiler makes of it afterwards:
#: patterns compare equal when their programs are the same.
_PATTERNS = """
import json, re, sys
from pathlib import Path
from archls import codecache
seen = []
inner = re._compile
def record(pattern, flags):
    compiled = inner(pattern, flags)
    if isinstance(pattern, str):
        seen.append((pattern, flags, compiled))
    return compiled
re._compile = record
with codecache.kept(Path(sys.argv[1])):
    from archls import config, engine
    path = sys.argv[2]
    engine.analyse(open(path, encoding="utf-8").read(), path, config.for_path(path, {}))
same = [compiled == re._compiler.compile(pattern, flags) for pattern, flags, compiled in seen]
print(json.dumps({"patterns": len(same), "same": sum(same)}))
"""


def test_patterns_from_the_cache_are_the_compilers(tmp_path: Path) -> None:
    import json

    cache = tmp_path / "code.marshal"
    # compiled and kept, then made from the kept programs
    runs = [json.loads(_output(_PATTERNS, str(cache), str(EXAMPLE))) for _ in range(2)]
    assert runs[0]["patterns"] > 50
    assert all(run["same"] == run["patterns"] for run in runs), runs
    programs = [value for value in codecache._read(cache).values() if isinstance(value, tuple)]
    assert len(programs) > 50
