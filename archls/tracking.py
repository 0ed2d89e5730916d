"""What a rule reads, so that an edit re-runs only the rules whose inputs changed.

While a rule runs under :func:`recording`, every attribute read on the model's objects
(the architecture, its components, connections, flows and groups) is noted as a
``(kind, attribute)`` pair: ``("component", "replicas")`` when the rule looked at any
component's replicas. :func:`changes` lists the same pairs for what differs between two
models. A rule whose last run read nothing that changed would give the same hits again (rules
are functions of what they read), so the engine keeps them. The record is made again at every
run, so a rule that looks at ``tls`` only for public components is re-run when a component
becomes public, and from then on also when its ``tls`` changes.

Caches that hand out results computed earlier (the per-component analysis memos, the shared
analyses of one audit) store the reads made while computing and :func:`replay` them on a hit,
so a rule that gets a cached answer still depends on what the answer was made of.

Rules stay plain functions: nothing is declared, and a rule cannot forget to declare a read.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from archls.model import Architecture, Component, Connection, Flow, Group

Read = tuple[str, str]
T = TypeVar("T")

#: The model classes whose attribute reads are recorded, by the kind named in a read.
TRACKED: dict[str, type] = {
    "architecture": Architecture,
    "component": Component,
    "connection": Connection,
    "flow": Flow,
    "group": Group,
}
#: Methods that see every field at once (comparisons, dumps, iteration).
_WHOLE = ("model_dump", "model_dump_json", "model_copy", "__iter__", "__eq__")
ALL = "*"

# Recording works by probes: during a record, each field name of each tracked class has a data
# descriptor on the class that notes the read, then takes itself off, so the next reads of that
# name (on any object) go straight to the instance at full speed. A record therefore costs one
# Python call per distinct name read, not one per read: rules walk thousands of components.
# Probes that were not read stay on the class between records (putting ~300 back at every rule
# would cost more than the rules), and answer other threads' reads without noting anything: only
# the thread that records (the engine runs one audit at a time) notes and takes probes off.

_stack: list[set[Read]] = []
#: Beside each record: the reads its own code made, not those of the shared results it computed in an
#: :func:`isolated` record or got from a cache (see :func:`note`).
_own: list[set[Read]] = []
_owner: int | None = None
_armed: dict[tuple[type, str], Any] = {}
_MISSING = object()
#: Counts as a read of everything: what a cached result was made of is unknown.
EVERYTHING: Read = (ALL, ALL)


class _Probe:
    __slots__ = ("cls", "kind", "name", "original", "read")

    def __init__(self, cls: type, kind: str, name: str, whole: bool, original: Any) -> None:
        self.cls, self.kind, self.name, self.original = cls, kind, name, original
        self.read = (kind, ALL if whole else name)

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if _stack and _owner == threading.get_ident():
            for reads in _stack:
                reads.add(self.read)
            _own[-1].add(self.read)
            _disarm(self.cls, self.name)
            return getattr(obj, self.name) if obj is not None else getattr(self.cls, self.name)
        original = self.original
        if original is not _MISSING:
            getter = getattr(type(original), "__get__", None)
            return getter(original, obj, owner) if getter is not None else original
        if obj is not None:
            found = obj.__dict__.get(self.name, _MISSING)
            if found is not _MISSING:
                return found
        for base in self.cls.__mro__[1:]:
            inherited = base.__dict__.get(self.name, _MISSING)
            if inherited is not _MISSING:
                getter = getattr(type(inherited), "__get__", None)
                return getter(inherited, obj, owner) if getter is not None else inherited
        if obj is None:
            raise AttributeError(self.name)
        return type(obj).__getattr__(obj, self.name)  # pydantic's private attributes

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__[self.name] = value


def _names(cls: Any) -> list[tuple[str, bool]]:
    names = [(name, False) for name in cls.model_fields]
    names += [(name, False) for name in cls.__private_attributes__]
    names += [(name, False) for name, value in vars(cls).items() if isinstance(value, property)]
    names += [(name, True) for name in _WHOLE]
    return names


_UNIVERSE = [(cls, kind, name, whole) for kind, cls in TRACKED.items() for name, whole in _names(cls)]


_BY_NAME = {(cls, name): (cls, kind, name, whole) for cls, kind, name, whole in _UNIVERSE}
#: Names whose probe is off (read since they were last probed): all of them at first.
_unarmed: set[tuple[type, str]] = set(_BY_NAME)


def _arm() -> None:
    """Probe every name that was read (and so lost its probe) since the last record."""
    while _unarmed:
        cls, kind, name, whole = _BY_NAME[_unarmed.pop()]
        if (cls, name) not in _armed:
            original = cls.__dict__.get(name, _MISSING)
            _armed[(cls, name)] = original
            setattr(cls, name, _Probe(cls, kind, name, whole, original))


def _disarm(cls: type, name: str) -> None:
    if (cls, name) in _BY_NAME:
        _unarmed.add((cls, name))
    original = _armed.pop((cls, name), _MISSING)
    if not isinstance(cls.__dict__.get(name), _Probe):
        return
    if original is _MISSING:
        delattr(cls, name)
    else:
        setattr(cls, name, original)


_lock = threading.RLock()


@contextmanager
def recording(own: set[Read] | None = None) -> Iterator[set[Read]]:
    """Record the reads of the enclosed code into the yielded set, and into ``own`` those its own code
    made (not inside an :func:`isolated` record, not replayed from a cache).

    Records nest: an inner one (an analysis computed inside a rule) starts with what the outer one
    has read so far, since names already read have no probe left to note them again. An inner
    record is therefore a superset of what its code read, which only makes the engine re-run a rule
    it could have kept."""
    global _owner
    with _lock:
        outer = _stack[-1] if _stack else None
        reads: set[Read] = set(outer) if outer is not None else set()
        if outer is None:
            _owner = threading.get_ident()
            _arm()
        _stack.append(reads)
        _own.append(own if own is not None else set())
        try:
            yield reads
        finally:
            _stack.pop()
            _own.pop()
            if outer is not None:
                outer.update(reads)
            else:
                _owner = None


@contextmanager
def isolated() -> Iterator[set[Read]]:
    """Record the reads of the enclosed code alone, even inside another record (which gets them too).

    A nested :func:`recording` starts with what the outer record read so far; a shared result kept
    from one audit to the next (the rule facts, the analyses' arrivals) needs exactly its own reads,
    so every probe is put back first (a few hundred class attributes, once per shared result)."""
    if not active():
        with recording() as reads:
            yield reads
        return
    with _lock:
        reads: set[Read] = set()
        _arm()
        _stack.append(reads)
        _own.append(set())
        try:
            yield reads  # the probes and replays note every read in the outer records too
        finally:
            _stack.pop()
            _own.pop()
            # probed again, so that the outer code's own next reads are noted as its own
            _arm()


_scratch = threading.local()


@contextmanager
def from_scratch() -> Iterator[None]:
    """Compute everything in the enclosed audit again: the memos kept across audits (per component,
    per graph structure) are neither read nor filled. Tests compare such an audit with an incremental one."""
    before = getattr(_scratch, "on", False)
    _scratch.on = True
    try:
        yield
    finally:
        _scratch.on = before


def reusing() -> bool:
    """Whether memos kept across audits may be used (not inside :func:`from_scratch`)."""
    return not getattr(_scratch, "on", False)


def active() -> bool:
    return bool(_stack) and _owner == threading.get_ident()


def replay(reads: Iterable[Read] | None) -> None:
    """Count ``reads`` (made earlier, for a cached result) as made now; None when they are unknown."""
    if not active():
        return
    for outer in _stack:
        outer.update(reads if reads is not None else (EVERYTHING,))


def note(reads: Iterable[Read]) -> None:
    """Count ``reads`` as made now by the code being recorded itself (what it asks the rule context
    for beside the model: the native objects, the development flag)."""
    if not active():
        return
    for outer in _stack:
        outer.update(reads)
    _own[-1].update(reads)


def computed(compute: Callable[[], T]) -> tuple[T, frozenset[Read] | None]:
    """``compute()`` and what it read (a superset), when reads are being recorded (else None)."""
    if not active():
        return compute(), None
    value = compute()
    # Every read made by ``compute`` is in the innermost record now: either noted during the call,
    # or made before it (the probe was gone by then). Nothing finer is known without probing again,
    # which would cost more than it saves: analyses are memoised per component, thousands of times.
    return value, _frozen(_stack[-1])


_last_frozen: list[Any] = [None, frozenset()]


def _frozen(reads: set[Read]) -> frozenset[Read]:
    # A record only grows, so one of the same size and origin holds the same reads.
    if _last_frozen[0] is not reads or len(_last_frozen[1]) != len(reads):
        _last_frozen[0], _last_frozen[1] = reads, frozenset(reads)
    return _last_frozen[1]


# --- what changed between two models ---------------------------------------------------------


@dataclass
class Parts:
    """Which objects an edit changed, beside :func:`changes`' attribute names: rules and analyses
    scoped to one component or connection re-run for these alone (see ``Code.scope``)."""

    #: ids of components changed, added or removed
    components: set[str] = field(default_factory=set)
    #: indices of connections changed (all of them past the end of the shorter list)
    connections: set[int] = field(default_factory=set)
    #: ids of flows changed, added or removed
    flows: set[str] = field(default_factory=set)
    #: Names of the format's own services (compose) that changed, when nothing else of its own reading
    #: did (the same services in the same order from the same files); None otherwise.
    services: set[str] | None = None


def changes(old: Architecture, new: Architecture, parts: Parts | None = None) -> set[Read]:
    """The ``(kind, attribute)`` pairs whose values differ between ``old`` and ``new``.

    A mapping or list of objects counts as changed itself only when its keys or length change;
    the objects in it are compared field by field (the same object, reused by a loader for an
    unchanged block, is skipped at once). ``parts`` receives which objects differ.
    """
    out: set[Read] = set()
    if old is new:
        return out
    parts = parts if parts is not None else Parts()
    for name in Architecture.model_fields:
        before, after = old.__dict__.get(name), new.__dict__.get(name)
        if name in ("components", "flows", "groups"):
            kind = name[:-1]
            where = parts.components if name == "components" else parts.flows if name == "flows" else None
            if list(before) != list(after):
                out.add(("architecture", name))
                if where is not None:
                    where.update(before.keys() ^ after.keys())
            for key, value in after.items():
                if _compare(kind, before.get(key), value, out) and where is not None:
                    where.add(key)
        elif name == "connections":
            if len(before) != len(after):
                out.add(("architecture", name))
                parts.connections.update(range(min(len(before), len(after)), max(len(before), len(after))))
            for index, (a, b) in enumerate(zip(before, after, strict=False)):
                if _compare("connection", a, b, out):
                    parts.connections.add(index)
        elif before != after:
            out.add(("architecture", name))
    if old.__pydantic_private__ != new.__pydantic_private__:
        _private("architecture", old, new, out)
    if out:
        out.update((kind, ALL) for kind, _ in list(out))
    return out


def native_changes(old: Any, new: Any, parts: Parts | None = None) -> set[Read]:
    """What counts as changed in the formats' own reading of the files: all of it whenever there is
    one (rules that walk Terraform resources or compose services run at every audit), except the
    flags the rule context hands out on their own. ``parts.services`` receives the services that
    changed when the reading is made of services (compose) and nothing else of it changed."""
    if old is None and new is None:
        return set()
    out = {("native", ALL)}
    if getattr(old, "development", False) != getattr(new, "development", False):
        out.add(("native", "development"))
    if parts is not None:
        parts.services = _services_changed(old, new)
    return out


def _services_changed(old: Any, new: Any) -> set[str] | None:
    before, after = getattr(old, "services", None), getattr(new, "services", None)
    if not isinstance(before, dict) or not isinstance(after, dict) or type(old) is not type(new):
        return None
    if list(before) != list(after) or getattr(old, "files", None) != getattr(new, "files", None):
        return None
    if getattr(old, "current", None) != getattr(new, "current", None):
        return None
    # a service read from unchanged text is the same object (the loader reuses it)
    return {name for name, service in after.items() if before[name] is not service}


def _compare(kind: str, old: Any, new: Any, out: set[Read]) -> bool:
    """Note the attributes that differ; whether any does (a new object counts as changed)."""
    if old is new:
        return False
    if old is None:
        return True
    a, b = old.__dict__, new.__dict__
    differ = False
    if a != b:
        for name, value in b.items():
            if a.get(name) != value:
                out.add((kind, name))
                differ = True
    return _private(kind, old, new, out) or differ


def _private(kind: str, old: Any, new: Any, out: set[Read]) -> bool:
    a = old.__pydantic_private__ or {}
    b = new.__pydantic_private__ or {}
    if a == b:
        return False
    for name in set(a) | set(b):
        if a.get(name) != b.get(name):
            out.add((kind, name))
    return True


def stale(reads: frozenset[Read], changed: set[Read]) -> bool:
    """Whether a run that made ``reads`` may give another result after ``changed``."""
    if not changed:
        return False
    return EVERYTHING in reads or not reads.isdisjoint(changed)
