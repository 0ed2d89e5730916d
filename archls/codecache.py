"""The code that dataclasses, typing and re compile while archls is imported, kept between starts.

Making a dataclass, CPython writes the source of each method it adds (``__init__``, ``__repr__``,
``__eq__``...) and compiles it; typing compiles every annotation it is given as a string (a
``ForwardRef``: pydantic-core's schema types alone have hundreds). Importing the engine and auditing a
first file does that some 500 and 1,000 times: about 60 ms of the 0.3 s of CPU a server spends until
its first diagnostics, and compiling is 85% of making a dataclass. :func:`kept` answers those compiles
from a cache of code objects keyed by a digest of what is compiled, as archls/server/protocol_types.py
does for the code attrs generates: the same source compiled with the same flags gives the same code,
so the classes are the same, and a changed Python or library only misses and adds to the cache. The
file sits beside this module's bytecode and is written only where bytecode would be (archls/cachefile.py).

Regular expressions are kept the same way: the engine, its rules and PyYAML compile some 130 patterns
before the first diagnostics, 10-15% of the server's work until then (PyYAML's class of printable
characters alone takes 3 ms). The regular expression compiler turns a pattern and its flags into a
program for the matching engine (``_sre``); :func:`kept` keeps those programs, keyed by the pattern,
its flags and the engine's version (``_sre.MAGIC``), and hands them to the engine as the compiler
does. A pattern made that way is equal to the compiler's (``==`` on patterns compares their programs:
tests/unit/test_codecache.py checks every pattern a first audit compiles).
"""

from __future__ import annotations

import builtins
import hashlib
import importlib.util
import marshal
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import CodeType
from typing import Any

from archls import cachefile

#: The interpreter's bytecode magic number and marshal's version: code objects do not carry from one
#: Python version to another.
HEADER = importlib.util.MAGIC_NUMBER + bytes([marshal.version]) + b"archls-code-2\n"
#: Past this many entries the file keeps only what the last use compiled: upgrades leave old entries.
MOST = 20_000

_lock = threading.Lock()
_depth = 0
#: A compiled regular expression's program: (flags, code, groups, groupindex, indexgroup), the
#: arguments of ``_sre.compile`` after the pattern.
Program = tuple[int, list[int], int, dict[str, int], tuple[str | None, ...]]
_known: dict[bytes, CodeType | Program] = {}
_added: dict[bytes, CodeType | Program] = {}
_used: set[bytes] = set()
_cache: Path | None = None
#: The cache files read into _known already: a server's start has three blocks (engine, first audit,
#: the server's making), and reading the file again would cost a few ms each time.
_read_already: set[Path] = set()


def cache_path() -> Path:
    return cachefile.beside(__file__, "code.marshal")


def _key(what: bytes) -> bytes:
    """The cache's key for ``what``, noted as used (see MOST)."""
    key = hashlib.blake2b(what, digest_size=16).digest()
    _used.add(key)
    return key


def _entry(key: bytes) -> CodeType | Program | None:
    return _known.get(key) or _added.get(key)


def _compiled(source: str, filename: str, mode: str) -> CodeType:
    """What ``compile(source, filename, mode, 0, True)`` gives, from the cache when it has it."""
    key = _key(f"{filename}\0{mode}\0{source}".encode("utf-8", "surrogatepass"))
    code = _entry(key)
    if not isinstance(code, CodeType):
        code = _added[key] = builtins.compile(source, filename, mode, 0, True)
    return code


def _exec(source: Any, *args: Any, **options: Any) -> None:
    # dataclasses calls exec(source, globals, namespace): a string compiled as "<string>", with no
    # future flags (the dataclasses module has none).
    if isinstance(source, str):
        source = _compiled(source, "<string>", "exec")
    builtins.exec(source, *args, **options)


def _compile(source: Any, filename: Any, mode: Any, *more: Any, **options: Any) -> Any:
    # typing.ForwardRef calls compile(text, "<string>", "eval"): the typing module has no future flags.
    if more or options or not (isinstance(source, str) and isinstance(filename, str) and isinstance(mode, str)):
        return builtins.compile(source, filename, mode, *more, **options)
    return _compiled(source, filename, mode)


def _regex_compiler() -> Any:
    """The regular expression compiler's module when it is the one this was written for (CPython
    3.11 to 3.13: ``re._compiler`` with ``compile``, ``_code`` and the engine it hands programs to)."""
    compiler = getattr(re, "_compiler", None)
    parser = getattr(re, "_parser", None)
    engine = getattr(compiler, "_sre", None)
    if not all(hasattr(m, n) for m, n in ((compiler, "compile"), (compiler, "_code"), (parser, "parse"))):
        return None
    return compiler if hasattr(engine, "compile") and hasattr(engine, "MAGIC") else None


_COMPILER = _regex_compiler()
_original_regex: Any = _COMPILER.compile if _COMPILER is not None else None


def _volatile() -> bool:
    """Whether the pattern being compiled is tokenize's: it joins string prefixes taken from a set,
    in an order that changes with every process's string hashes, so it would miss every start and
    have the file written again each time (pydantic reaches it through inspect.signature)."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_globals.get("__name__", "").partition(".")[0] == "re":
        frame = frame.f_back
    return frame is not None and frame.f_globals.get("__name__") == "tokenize"


def _regex(pattern: Any, flags: int = 0) -> Any:
    """What ``re._compiler.compile(pattern, flags)`` gives (re calls it for each pattern its own
    cache does not hold), from the cache when it has the pattern's program."""
    if not isinstance(pattern, (str, bytes)) or flags & re.DEBUG or _volatile():
        return _original_regex(pattern, flags)
    engine = _COMPILER._sre
    text = pattern.encode("utf-8", "surrogatepass") if isinstance(pattern, str) else pattern
    kind = b"s" if isinstance(pattern, str) else b"b"
    key = _key(b"re\0%d\0%d\0%s\0%s" % (engine.MAGIC, int(flags), kind, text))
    program = _entry(key)
    if isinstance(program, tuple):
        return engine.compile(pattern, *program)
    compiled = _original_regex(pattern, flags)
    # The program itself is not readable from the pattern: the compiler's own steps make it again
    # (once per pattern and Python version), and it is kept only if it makes the same pattern. Its
    # opcodes are named int constants, which marshal does not write: plain ints are the same to _sre.
    code = [int(op) for op in _COMPILER._code(re._parser.parse(pattern, flags), flags)]
    indexgroup: list[str | None] = [None] * (compiled.groups + 1)
    for name, index in compiled.groupindex.items():
        indexgroup[index] = name
    program = (compiled.flags, code, compiled.groups, dict(compiled.groupindex), tuple(indexgroup))
    if engine.compile(pattern, *program) == compiled:
        _added[key] = program
    return compiled


@contextmanager
def kept(cache: Path | None = None) -> Iterator[None]:
    """Within this block (on any thread: the names are module globals), dataclasses, typing and re
    compile through the cache; at its end, what was compiled anew is written. Nested or concurrent
    blocks share one cache and write once, when the last ends. Where dataclasses or typing already
    has a ``exec`` or ``compile`` of its own (not the CPython this was written for), nothing is
    changed; where re's compiler is not the one this was written for, patterns compile as usual."""
    import dataclasses
    import typing

    global _depth, _cache
    with _lock:
        ours = _depth > 0 or not ("exec" in vars(dataclasses) or "compile" in vars(typing))
        if ours and _depth == 0:  # the first block in: load the cache and answer the compiles
            _cache = cache or cache_path()
            if _cache not in _read_already:
                _known.update(_read(_cache))
                _read_already.add(_cache)
            dataclasses.exec = _exec  # type: ignore[attr-defined]
            typing.compile = _compile  # type: ignore[attr-defined]
            if _COMPILER is not None:
                _COMPILER.compile = _regex
        if ours:
            _depth += 1
    try:
        yield
    finally:
        if ours:
            with _lock:
                _depth -= 1
                if _depth == 0:
                    del dataclasses.exec  # type: ignore[attr-defined]
                    del typing.compile  # type: ignore[attr-defined]
                    if _COMPILER is not None:
                        _COMPILER.compile = _original_regex
                    _finish()


def _finish() -> None:
    global _cache
    if _added and _cache is not None:
        entries = {**_known, **_added}
        if len(entries) > MOST:
            entries = {key: code for key, code in entries.items() if key in _used}
        cachefile.write(_cache, HEADER, marshal.dumps(entries))
        _known.update(_added)
    _added.clear()
    _used.clear()
    _cache = None


def _read(cache: Path) -> dict[bytes, CodeType | Program]:
    entries = cachefile.read_marshal(cache, HEADER)
    if not isinstance(entries, dict) or not all(
        isinstance(key, bytes) and isinstance(value, (CodeType, tuple)) for key, value in entries.items()
    ):
        return {}
    return entries
