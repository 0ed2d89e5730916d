"""Files parsed on another core while a small ``archls check`` starts.

A check of a folder or two spends most of its time starting: importing the rules, the analyses and
the formats before it reads its first file, then importing lark, loading the HCL grammar and
parsing every ``.tf`` file, all on one core (on terragoat's 14 files, about 80 ms for lark and its
grammar and 100 ms for the parse), and reading the catalog's reference figures (about 20 ms of
YAML). Where the process can fork, :func:`start` forks a child that parses the Terraform files
under the named paths and the catalog's files while this process imports, and
:meth:`Prefetch.collect` hands what it parsed to the module loader's cache, keyed by path and
content, and to the catalog. A file the engine reads differently, or that changed meanwhile, misses
the cache and is parsed as always, so the findings are the same with or without the child.

Only for runs that stay in this process (small inputs, no ``-j``): bigger runs already spread their
work over every core. Files beyond those limits, and local modules outside the named paths, are
parsed by the engine as usual.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

#: Above this much Terraform the child parses nothing: the run goes to worker processes
#: (archls.batch.run.IN_PROCESS_BYTES, the same bound).
MAX_BYTES = 512_000
MAX_FILES = 300
#: A tree with more folders than this is left to discovery alone: the child would only walk it twice.
MAX_DIRS = 2_000
#: Folders the child does not look into (hidden ones too), as discovery skips them.
SKIP_DIRS = frozenset({"node_modules", "venv", "__pycache__"})
#: How long collect() waits for the child before the engine parses on its own.
WAIT_S = 30.0


@dataclass
class Parsed:
    """What the child hands back."""

    #: (path, text, HclFile) of each Terraform file
    terraform: list[tuple[str, str, object]] = field(default_factory=list)
    #: archls.catalog's YAML files, by name
    catalog: dict[str, Any] = field(default_factory=dict)


class Prefetch:
    """A child process parsing Terraform files and the catalog; collect() once, or close() to let it go."""

    def __init__(self, pid: int, fd: int) -> None:
        self.pid = pid
        self.fd: int | None = fd

    def collect(self) -> int:
        """Wait for the child and cache what it parsed; the number of files."""
        if self.fd is None:
            return 0
        data = bytearray()
        deadline = time.monotonic() + WAIT_S
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                    return 0  # too slow: the engine parses as usual
                chunk = os.read(self.fd, 1 << 20)
                if not chunk:
                    break
                data += chunk
        except OSError:
            return 0
        finally:
            self.close()
        try:
            parsed: Parsed = pickle.loads(data) if data else Parsed()
        except Exception:  # a child that died half-way: nothing to use
            return 0
        from archls import catalog
        from archls.formats import _tfmodule

        for name, value in parsed.catalog.items():
            catalog.remember(name, value)
        for path, text, hcl in parsed.terraform:
            _tfmodule.remember(path, text, hcl)  # type: ignore[arg-type]
        return len(parsed.terraform)

    def close(self) -> None:
        """Let the child go: ended if it is still at work (a usage error, a result never collected)."""
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = None
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.waitpid(self.pid, 0)


def start(paths: Sequence[str]) -> Prefetch | None:
    """A child parsing the Terraform files under ``paths`` and the catalog; None where processes cannot fork."""
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return None
    # What the child needs from this process, imported before it forks so that it is not imported
    # twice: the HCL reader (not lark, which only the child loads).
    from archls.formats import _hcl  # noqa: F401

    try:
        read_end, write_end = os.pipe()
    except OSError:
        return None
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return None
    if pid == 0:  # the child: never returns
        status = 1
        try:
            os.close(read_end)
            _child(paths, write_end)
            status = 0
        except BaseException:  # the parent parses whatever the child could not
            pass
        finally:
            os._exit(status)
    os.close(write_end)
    return Prefetch(pid, read_end)


def _child(paths: Sequence[str], fd: int) -> None:
    # lark imports the third-party `regex` module when it is installed, for grammars that ask for it;
    # python-hcl2's does not, and this process only parses
    sys.modules.setdefault("regex", None)  # type: ignore[arg-type]
    from archls.formats import _hcl

    parsed = Parsed()
    for path in terraform_files(paths):
        text = _read(path)
        if text is not None:
            parsed.terraform.append((path, text, _hcl.parse(text, path)))
    parsed.catalog = catalog_data()
    data = pickle.dumps(parsed, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.close(fd)


def terraform_files(paths: Sequence[str]) -> list[str]:
    """The ``.tf`` files of the modules under ``paths``, as the module loader names them (absolute,
    joined to their folder); none when they are more than a small run holds."""
    folders: list[str] = []
    walked = 0
    for raw in paths:
        path = os.path.abspath(raw)
        if os.path.isdir(path):
            for folder, dirs, names in os.walk(path):
                walked += 1
                if walked > MAX_DIRS:
                    return []
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIP_DIRS)
                if any(n.endswith(".tf") for n in names):
                    folders.append(folder)
        elif path.endswith(".tf"):
            folders.append(os.path.dirname(path))
    files: list[str] = []
    total = 0
    for folder in dict.fromkeys(folders):
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        for name in names:
            if name.endswith(".tf") and not name.startswith("."):
                file = os.path.join(folder, name)
                try:
                    total += os.path.getsize(file)
                except OSError:
                    continue
                files.append(file)
                if total > MAX_BYTES or len(files) > MAX_FILES:
                    return []
    return files


def catalog_data() -> dict[str, Any]:
    """The bundled catalog's YAML files read as archls.catalog reads them (which every audit reads,
    and which this process does not import: its models are the other process's work)."""
    import importlib.util

    from archls import cachefile

    spec = importlib.util.find_spec("archls.catalog")
    folder = next(iter(spec.submodule_search_locations or ()), None) if spec is not None else None
    if folder is None:
        return {}
    found = {}
    for name in sorted(os.listdir(folder)):
        if name.endswith(".yaml"):
            with open(os.path.join(folder, name), encoding="utf-8") as handle:
                found[name] = cachefile.yaml_data(os.path.join(folder, "__init__.py"), name, handle.read())
    return found


def _read(path: str) -> str | None:
    """The file's text as the engine reads valid UTF-8 (without a byte order mark); None otherwise."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return text[1:] if text.startswith("\ufeff") else text
