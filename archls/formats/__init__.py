"""Input formats. Each reads its files into the one architecture model plus a source map.

A format is a module-level object with ``name``, ``claims(path, text)`` and
``load(text, path, context)``. Formats are tried in registration order; the first that
claims a file reads it. Adding a format means adding a module here and nothing else.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, Protocol

from archls.findings import Finding, ModelPath, Range
from archls.sourcemap import SourceMap

if TYPE_CHECKING:
    from archls.model import Architecture

#: Reads another file by path (open editor buffers first, then disk); None when unreadable.
FileReader = Callable[[str], str | None]


def disk_reader(path: str) -> str | None:
    """Another file from disk, for a loader called without a reader; None when it cannot be read."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError):
        return None


#: Settings of the architecture model that a format has no way to write. Rules that report a
#: missing setting stay quiet where the file could not have said it (a compose file has no key for
#: a call's timeout), so every finding names something the author can change in that file.
UNSAYABLE: dict[str, frozenset[str]] = {
    "compose": frozenset(
        {
            "timeout_ms",
            "retries",
            "circuit_breaker",
            "backups",
            "encryption_at_rest",
            "audit_log",
            "retention_days",
            "tls",
            "auth",
            "waf",
            "rate_limit",
            "zones",
            "regions",
        }
    ),
    "kubernetes": frozenset(
        {
            "timeout_ms",
            "retries",
            "circuit_breaker",
            "backups",
            "encryption_at_rest",
            "audit_log",
            "retention_days",
            "auth",
        }
    ),
    "terraform": frozenset({"timeout_ms", "retries", "circuit_breaker"}),
}


def can_say(format_name: str, setting: str) -> bool:
    """Whether files of ``format_name`` can set the model setting ``setting`` at all."""
    return setting not in UNSAYABLE.get(format_name, frozenset())


@dataclass
class LoadContext:
    read: FileReader | None = None
    max_bytes: int = 5_000_000
    #: Whether the loader may reuse what it built from unchanged parts at the last load of the same
    #: file (off for audits made from scratch, which the incremental ones are checked against).
    reuse: bool = True

    @property
    def reader(self) -> FileReader:
        """How the loader reads other files: the reader given (editor buffers first), else the disk."""
        return self.read or disk_reader


@dataclass
class Loaded:
    """A file read into the model. ``model`` is None only when nothing could be read at all."""

    format: str
    model: Architecture | None
    smap: SourceMap
    findings: list[Finding] = field(default_factory=list)
    #: Component ids that exist in the file even when their definition was invalid,
    #: so references to them are not reported as dangling.
    known_ids: set[str] = field(default_factory=set)
    #: Format-specific data for that format's own rules.
    native: Any = None
    #: checkov ids skipped with ``#checkov:skip=CKV_...`` comments, per component id: findings of
    #: rules that map to one of those ids are dropped for that component, so teams keep their decisions.
    checkov_skips: dict[str, set[str]] = field(default_factory=dict)
    #: Model path prefixes that live under another path in the file.
    aliases: dict[ModelPath, ModelPath] = field(default_factory=dict)
    #: Model paths the file sets with an expression archls cannot evaluate (a Terraform variable with
    #: no default, another resource's attribute). Their value is unknown, not absent: findings about
    #: them would be guesses, so the engine drops them.
    unknown: set[ModelPath] = field(default_factory=set)

    def file_path(self, path: ModelPath) -> ModelPath:
        """Where the model path ``path`` is written in the file."""
        if not self.aliases:
            return path
        for n in range(min(len(path), 3), 0, -1):
            alias = self.aliases.get(path[:n])
            if alias is not None:
                return alias + path[n:]
        return path

    def file_of(self, path: ModelPath) -> str | None:
        """The file a finding about ``path`` belongs to when it is not the file read (another file of a
        Terraform module, a compose override); None for the file itself."""
        return None

    def locate(self, path: ModelPath) -> Range:
        """The range a finding about ``path`` belongs on: the key at fault, else the closest key above."""
        where = self.smap.nearest_head(self.file_path(path))
        return where if where is not None else self.smap.first_key()

    def value_range(self, path: ModelPath) -> Range | None:
        """The range of the value at ``path``, in whichever file of the load writes it."""
        return self.smap.value_range(self.file_path(path))

    def place(self, path: ModelPath, on_value: bool = False) -> tuple[Range, str | None]:
        """Where a finding about ``path`` goes: (range, file as :meth:`file_of` says). ``on_value``
        puts it on the value (in whichever file of the load writes it) rather than on the key."""
        if on_value:
            where = self.value_range(path) or self.locate(path)
        else:
            where = self.locate(path)
        return where, self.file_of(path)

    def files(self) -> list[str]:
        """Every file this load read and reports findings on (absolute paths). Empty for a load of
        one file, which covers just that file."""
        return []

    def view(self, path: str) -> Loaded:
        """The same load as seen from another of its files (absolute ``path``): findings, fixes and
        source lookups of that file then work as if it had been the file read."""
        return self


class Format(Protocol):
    """A format may also define ``unit(path) -> str``: the name of the group of files it reads as one
    (a Terraform module's folder, a folder of manifests, a compose file and its override). The engine
    audits such a group once and shares its findings out to the files."""

    name: str

    def claims(self, path: str, text: str | None) -> bool: ...

    def load(self, text: str, path: str, context: LoadContext) -> Loaded: ...


_FORMATS: list[tuple[int, Format]] = []
_loaded = False


def register(fmt: Format, priority: int = 100) -> Format:
    """Add a format; lower ``priority`` is asked first (name-based formats before content sniffers)."""
    _FORMATS.append((priority, fmt))
    _FORMATS.sort(key=lambda item: item[0])
    return fmt


def formats() -> list[Format]:
    global _loaded
    if not _loaded:
        _loaded = True
        for module in _modules():
            importlib.import_module(f"{__name__}.{module}")
    return [fmt for _, fmt in _FORMATS]


#: The priorities the bundled formats register with, so that :func:`detect` imports a format's module
#: only once the formats asked before it did not claim the file: a server's first audit of an
#: architecture file need not import the Terraform, compose and Kubernetes readers first (about 55 ms
#: of a 0.7 s cold start). A module not listed here is imported by the first ``detect``.
LAZY: dict[str, int] = {"archyaml": 0, "compose": 10, "terraform": 10, "kubernetes": 50}
#: Listed modules whose formats claim nothing but paths with these endings: detecting another file
#: does not import them (a Kubernetes manifest's first audit need not load the Terraform reader and
#: its HCL parser, some 15-20 ms of a cold start).
ENDINGS: dict[str, tuple[str, ...]] = {"terraform": (".tf",)}


def detect(path: str, text: str | None = None) -> Format | None:
    """The format that reads ``path``; ``text`` lets content-sniffing formats look inside."""
    for fmt in _in_order(path):
        if fmt.claims(path, text):
            return fmt
    return None


def _in_order(path: str | None = None) -> Iterator[Format]:
    """The formats in the order :func:`formats` lists them, importing the listed modules as late as
    that order allows (and not at all, for ``path``, those whose ENDINGS it does not have)."""
    global _loaded
    if _loaded:
        yield from formats()
        return
    for module in _modules():
        if module not in LAZY:
            importlib.import_module(f"{__name__}.{module}")
    given: set[int] = set()
    order = sorted(LAZY, key=lambda name: (LAZY[name], name))
    for module in order:
        name = f"{__name__}.{module}"
        endings = ENDINGS.get(module)
        if path is not None and endings and not path.lower().endswith(endings) and name not in sys.modules:
            continue  # its formats would not claim this path
        importlib.import_module(name)
        _loaded = all(f"{__name__}.{m}" in sys.modules for m in order)
        for priority, fmt in list(_FORMATS):
            if priority <= LAZY[module] and id(fmt) not in given:
                given.add(id(fmt))
                yield fmt
    yield from (fmt for _, fmt in list(_FORMATS) if id(fmt) not in given)


@cache
def _modules() -> tuple[str, ...]:
    return tuple(sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")))


def unit_of(fmt: Format, path: str) -> str | None:
    """The group of files ``fmt`` reads together with ``path``; None when it reads the file alone."""
    unit = getattr(fmt, "unit", None)
    return unit(path) if unit is not None else None


def file_name(path: str) -> str:
    return PurePath(path).name
