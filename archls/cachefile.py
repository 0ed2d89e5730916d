"""Files a start reads instead of doing work again: kept beside the package's bytecode, checked by a
header, written whole or not at all.

Such a file sits where Python keeps the module's bytecode (``__pycache__``, or under
``sys.pycache_prefix``) and is written only where bytecode would be: not when Python writes none
(``PYTHONDONTWRITEBYTECODE``) and not in a read-only folder. Whoever may write there may already
change the bytecode, so the files are trusted as much as it is.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import io
import marshal
import os
import pickle
import sys
from pathlib import Path
from typing import Any


def beside(module_file: str, name: str, per_interpreter: bool = True) -> Path:
    """The cache file ``name`` in the bytecode folder of the module at ``module_file``; per interpreter,
    ``name`` gets the interpreter's cache tag (e.g. ``cpython-311``) before its last suffix."""
    stem, dot, suffix = name.rpartition(".")
    if per_interpreter:
        tag = sys.implementation.cache_tag
        name = f"{stem}.{tag}{dot}{suffix}" if dot else f"{name}.{tag}"
    return Path(importlib.util.cache_from_source(module_file)).with_name(name)


def read(path: Path, header: bytes) -> bytes | None:
    """What follows ``header`` in the file; None when the file is missing or starts otherwise."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return data[len(header) :] if data.startswith(header) else None


def read_marshal(path: Path, header: bytes) -> Any:
    """The value marshalled after ``header``; None when the file is missing, starts otherwise or is
    damaged. The caller checks its shape."""
    data = read(path, header)
    if data is None:
        return None
    try:
        return marshal.loads(data)
    except (EOFError, ValueError, TypeError):
        return None


def write(path: Path, header: bytes, payload: bytes) -> None:
    """Replace the file with ``header`` + ``payload`` in one step: a process starting at the same time
    reads the old file or the new one, never a part."""
    if sys.dont_write_bytecode:
        return
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(temporary, "xb") as out:
            out.write(header + payload)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)


#: The first bytes of a file of YAML data kept by :func:`yaml_data`, before the text's digest.
YAML_HEADER = b"archls-yaml-data-1\n"


def yaml_data(module_file: str, name: str, text: str) -> Any:
    """The data of the YAML ``text`` of the file ``name`` shipped beside the module at ``module_file``,
    read back from the cache when the text is the one it was made from.

    Reading YAML builds every value in Python (some 25 ms for the catalog's four files); unpickling
    what it gave takes about 1 ms. The data is plain (containers, numbers, text, dates), and only
    that is read back."""
    cache = beside(module_file, f"{name.rpartition('.')[0] or name}.pickle", per_interpreter=False)
    header = YAML_HEADER + hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()
    kept = read(cache, header)
    if kept is not None:
        with contextlib.suppress(Exception):  # a damaged file is only read again from the YAML
            return _PlainData(io.BytesIO(kept)).load()
    import yaml

    data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    write(cache, header, pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
    return data


class _PlainData(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("datetime", "date"):
            import datetime

            return datetime.date
        raise pickle.UnpicklingError(f"{module}.{name} is not plain data")
