"""Importing lsprotocol's types, the largest part of the server's start-up, with the methods attrs
generates for them kept as bytecode between starts.

``lsprotocol.types`` defines about 570 attrs classes; for each, attrs writes the source of
``__init__``, ``__eq__``, ``__repr__``... and compiles it when the module is imported. That
compilation is about half of the import (some 180 ms of 350 ms here, before the server can answer
anything), and pygls needs every type to read and write messages. :func:`load` imports the module
with attrs' ``compile`` answered from a cache of the code objects, keyed by the generated file name
and a digest of its source, so a changed attrs or lsprotocol only misses and refills the cache. The
code objects are the ones ``compile`` makes from the same source with the same flags, so the
classes behave exactly the same; the cache sits beside the package's bytecode (``__pycache__``,
or ``sys.pycache_prefix``) and is not written when Python writes no bytecode
(``PYTHONDONTWRITEBYTECODE``) or the folder is read-only.
"""

from __future__ import annotations
import __future__

import hashlib
import importlib.util
import marshal
import sys
from pathlib import Path
from types import CodeType
from typing import Any

from archls import cachefile

#: The cache's first bytes: the interpreter's bytecode magic number and marshal's version, since
#: code objects do not carry from one Python version to another.
HEADER = importlib.util.MAGIC_NUMBER + bytes([marshal.version])

Entries = dict[str, tuple[bytes, Any]]


def cache_path() -> Path:
    """Where the cache lives: the bytecode folder of this module, per interpreter."""
    return cachefile.beside(__file__, "lsprotocol-types.marshal")


def load(cache: Path | None = None) -> None:
    """Import ``lsprotocol.types`` with attrs' generated methods taken from (and added to) ``cache``."""
    if "lsprotocol.types" in sys.modules:
        return
    try:
        import attr._make as attrs_make
    except ImportError:
        attrs_make = None
    if attrs_make is None or "compile" in vars(attrs_make):  # not the attrs this was written for
        import lsprotocol.types

        return
    cache = cache or cache_path()
    known = _read(cache)
    used: Entries = {}
    flags = _future_flags(attrs_make)
    real_compile = compile

    def cached(source: Any, filename: Any, mode: Any, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs or mode != "exec" or not isinstance(source, str) or not isinstance(filename, str):
            return real_compile(source, filename, mode, *args, **kwargs)
        digest = hashlib.blake2b(source.encode("utf-8", "surrogatepass"), digest_size=16).digest()
        entry = known.get(filename)
        if entry is None or entry[0] != digest:
            entry = (digest, real_compile(source, filename, mode, flags, True))
        used[filename] = entry
        return entry[1]

    attrs_make.compile = cached  # type: ignore[attr-defined]
    try:
        import lsprotocol.types  # noqa: F401
    finally:
        del attrs_make.compile  # type: ignore[attr-defined]
    if used.keys() != known.keys() or any(known[name][0] != entry[0] for name, entry in used.items()):
        _write(cache, used)  # only what this import used: an upgrade does not make the cache grow


def _future_flags(module: Any) -> int:
    """The compiler flags of the ``from __future__`` imports of ``module``, which ``compile`` called
    from inside it would inherit."""
    flags = 0
    for name in __future__.all_feature_names:
        feature = getattr(__future__, name)
        if vars(module).get(name) is feature:
            flags |= feature.compiler_flag
    return flags


def _read(cache: Path) -> Entries:
    entries = cachefile.read_marshal(cache, HEADER)
    if not isinstance(entries, dict) or not all(
        isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[1], CodeType) for entry in entries.values()
    ):
        return {}
    return entries


def _write(cache: Path, entries: Entries) -> None:
    cachefile.write(cache, HEADER, marshal.dumps(entries))
