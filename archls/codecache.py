"""The code that dataclasses and typing compile while archls is imported, kept between starts.

Making a dataclass, CPython writes the source of each method it adds (``__init__``, ``__repr__``,
``__eq__``...) and compiles it; typing compiles every annotation it is given as a string (a
``ForwardRef``: pydantic-core's schema types alone have hundreds). Importing the engine and auditing a
first file does that some 500 and 1,000 times: about 60 ms of the 0.3 s of CPU a server spends until
its first diagnostics, and compiling is 85% of making a dataclass. :func:`kept` answers those compiles
from a cache of code objects keyed by a digest of what is compiled, as archls/server/protocol_types.py
does for the code attrs generates: the same source compiled with the same flags gives the same code,
so the classes are the same, and a changed Python or library only misses and adds to the cache. The
file sits beside this module's bytecode and is written only where bytecode would be (archls/cachefile.py).
"""

from __future__ import annotations

import builtins
import hashlib
import importlib.util
import marshal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import CodeType
from typing import Any

from archls import cachefile

#: The interpreter's bytecode magic number and marshal's version: code objects do not carry from one
#: Python version to another.
HEADER = importlib.util.MAGIC_NUMBER + bytes([marshal.version]) + b"archls-code-1\n"
#: Past this many entries the file keeps only what the last use compiled: upgrades leave old entries.
MOST = 20_000

_lock = threading.Lock()
_depth = 0
_known: dict[bytes, CodeType] = {}
_added: dict[bytes, CodeType] = {}
_used: set[bytes] = set()
_cache: Path | None = None
#: The cache files read into _known already: a server's start has three blocks (engine, first audit,
#: the server's making), and reading the file again would cost a few ms each time.
_read_already: set[Path] = set()


def cache_path() -> Path:
    return cachefile.beside(__file__, "code.marshal")


def _compiled(source: str, filename: str, mode: str) -> CodeType:
    """What ``compile(source, filename, mode, 0, True)`` gives, from the cache when it has it."""
    key = hashlib.blake2b(f"{filename}\0{mode}\0{source}".encode("utf-8", "surrogatepass"), digest_size=16).digest()
    _used.add(key)
    code = _known.get(key) or _added.get(key)
    if code is None:
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


@contextmanager
def kept(cache: Path | None = None) -> Iterator[None]:
    """Within this block (on any thread: the names are module globals), dataclasses and typing
    compile through the cache; at its end, what was compiled anew is written. Nested or concurrent
    blocks share one cache and write once, when the last ends. Where dataclasses or typing already
    has a ``exec`` or ``compile`` of its own (not the CPython this was written for), nothing is
    changed."""
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


def _read(cache: Path) -> dict[bytes, CodeType]:
    entries = cachefile.read_marshal(cache, HEADER)
    if not isinstance(entries, dict) or not all(
        isinstance(key, bytes) and isinstance(code, CodeType) for key, code in entries.items()
    ):
        return {}
    return entries
