"""Where each component and group id is defined and referred to in an architecture file, and the
edits that rename one.

An id is defined by its key under ``components`` (or ``groups``) and referred to by connections
(``from``/``to``), flow paths, group members and group parents. Ranges cover the id's text
without quotes, so a rename keeps the author's quoting.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from archls.findings import Edit, ModelPath, Range
from archls.intel.facts import memo, memoised
from archls.intel.text import inner, range_order, slice_range, unquote, yaml_scalar

if TYPE_CHECKING:
    from archls.engine import Analysis
    from archls.formats import Loaded
    from archls.sourcemap import Entry, SourceMap

COMPONENT = "component"
GROUP = "group"


@dataclass(frozen=True, slots=True)
class Occurrence:
    name: str
    kind: str  #: COMPONENT or GROUP
    range: Range
    path: ModelPath  #: where it is written
    definition: bool


@dataclass
class Index:
    occurrences: list[Occurrence] = field(default_factory=list)
    definitions: dict[tuple[str, str], Occurrence] = field(default_factory=dict)
    by_name: dict[tuple[str, str], list[Occurrence]] = field(default_factory=dict)
    _starts: list[tuple[int, int]] = field(default_factory=list)

    def add(self, occurrence: Occurrence) -> None:
        self.occurrences.append(occurrence)

    def finish(self) -> Index:
        self.occurrences.sort(key=range_order)
        self._starts = [(o.range.start_line, o.range.start_col) for o in self.occurrences]
        for o in self.occurrences:
            self.by_name.setdefault((o.kind, o.name), []).append(o)
            if o.definition:
                self.definitions.setdefault((o.kind, o.name), o)
        return self

    def at(self, line: int, col: int) -> Occurrence | None:
        """The occurrence whose text contains the position (its end included, where a cursor sits
        after typing)."""
        i = bisect.bisect_right(self._starts, (line, col)) - 1
        while i >= 0:
            o = self.occurrences[i]
            if o.range.start_line != line:
                return None
            if o.range.contains(line, col):
                return o
            i -= 1
        return None

    def of(self, kind: str, name: str) -> list[Occurrence]:
        return self.by_name.get((kind, name), [])

    def names(self, kind: str) -> set[str]:
        return {name for k, name in self.definitions if k == kind}


def index(analysis: Analysis) -> Index:
    """The ids of an analysed architecture file and where each is written (empty for other formats)."""
    return memo(analysis, "refs", lambda: _build(analysis))


def at(analysis: Analysis, line: int, col: int) -> Occurrence | None:
    """The id written at the position, as ``index(analysis).at(line, col)`` finds it.

    Unless the index is built already, it reads only the entry under the position, so a request
    that follows an edit (a hover, a definition) does not index every id of the file to answer
    about one.
    """
    built: Index | None = memoised(analysis, "refs")
    if built is not None:
        return built.at(line, col)
    reader = _reader(analysis)
    return at_path(analysis, reader.smap.path_at(line, col), line, col) if reader is not None else None


def at_path(analysis: Analysis, path: ModelPath | None, line: int, col: int) -> Occurrence | None:
    """:func:`at` for a caller that has already found the path under the position."""
    built: Index | None = memoised(analysis, "refs")
    if built is not None:
        return built.at(line, col)
    reader = _reader(analysis)
    if reader is None or not path:
        return None
    entry = reader.smap.get(path)
    found = reader.occurrence(path, entry) if entry is not None else None
    return found if found is not None and found.range.contains(line, col) else None


_SECTIONS = {COMPONENT: "components", GROUP: "groups"}


def definition(analysis: Analysis, kind: str, name: str) -> Occurrence | None:
    """Where the id is defined, as ``index(analysis).definitions`` has it."""
    built: Index | None = memoised(analysis, "refs")
    if built is not None:
        return built.definitions.get((kind, name))
    reader = _reader(analysis)
    if reader is None:
        return None
    path = (_SECTIONS[kind], name)
    entry = reader.smap.get(path)
    return reader.occurrence(path, entry) if entry is not None else None


class _Reader:
    """Which paths of an architecture file hold an id, and the occurrence written there."""

    def __init__(self, analysis: Analysis, loaded: Loaded) -> None:
        model = analysis.model
        self.smap = loaded.smap
        self.lines = analysis.lines
        self.components = set(loaded.known_ids) | (set(model.components) if model else set())
        self.groups = list(model.groups) if model else []
        self.flows = list(model.flows) if model else []
        self._groups = set(self.groups)
        self._flows = set(self.flows)

    def kind(self, path: ModelPath) -> tuple[str, bool] | None:
        """(COMPONENT or GROUP, whether ``path`` defines it) when ``path`` holds an id."""
        match path:
            case ("components", name) if name in self.components:
                return COMPONENT, True
            case ("groups", name) if name in self._groups:
                return GROUP, True
            case ("connections", int(), "from" | "to"):
                return COMPONENT, False
            case ("flows", fid, "path", int()) if fid in self._flows:
                return COMPONENT, False
            case ("groups", gid, "members", int()) if gid in self._groups:
                return COMPONENT, False
            case ("groups", gid, "parent") if gid in self._groups:
                return GROUP, False
        return None

    def occurrence(self, path: ModelPath, entry: Entry) -> Occurrence | None:
        what = self.kind(path)
        if what is None:
            return None
        kind, defines = what
        if defines:
            if entry.key is None:
                return None
            return Occurrence(str(path[1]), kind, inner(self.lines, entry.key), path, True)
        r = entry.value
        if r.start_line != r.end_line:
            return None
        written = slice_range(self.lines, r)
        if not written or written[0] in "[{":
            return None
        return Occurrence(unquote(written), kind, inner(self.lines, r), path, False)

    def entries(self) -> Iterator[tuple[ModelPath, Entry]]:
        """Every entry that may hold an id, definitions first."""
        smap = self.smap

        def present(paths: Iterable[ModelPath]) -> Iterator[tuple[ModelPath, Entry]]:
            for path in paths:
                entry = smap.get(path)
                if entry is not None:
                    yield path, entry

        yield from present(("components", cid) for cid in self.components)
        yield from present(("groups", gid) for gid in self.groups)
        i = 0
        while ("connections", i) in smap:
            yield from present((("connections", i, "from"), ("connections", i, "to")))
            i += 1
        for fid in self.flows:
            yield from _items(smap, ("flows", fid, "path"))
        for gid in self.groups:
            yield from _items(smap, ("groups", gid, "members"))
            yield from present([("groups", gid, "parent")])


def _reader(analysis: Analysis) -> _Reader | None:
    loaded = analysis.loaded
    if loaded is None or analysis.format != "arch":
        return None
    return memo(analysis, "refs.reader", lambda: _Reader(analysis, loaded))


def _build(analysis: Analysis) -> Index:
    out = Index()
    reader = _reader(analysis)
    if reader is not None:
        for path, entry in reader.entries():
            found = reader.occurrence(path, entry)
            if found is not None:
                out.add(found)
    return out.finish()


def _items(smap: SourceMap, path: ModelPath) -> Iterator[tuple[ModelPath, Entry]]:
    n = 0
    while (entry := smap.get((*path, n))) is not None:
        yield (*path, n), entry
        n += 1


# --- rename --------------------------------------------------------------------------------------


class RenameError(ValueError):
    """A rename that cannot be done; the message says why, for the user."""


def rename(analysis: Analysis, at: Occurrence, new_name: str) -> list[Edit]:
    """Edits renaming the id at ``at`` everywhere it is written in the file."""
    from archls.formats.archyaml import ID_PATTERN

    new_name = new_name.strip()
    what = "component" if at.kind == COMPONENT else "group"
    if not ID_PATTERN.match(new_name):
        raise RenameError(
            f"'{new_name}' is not a valid {what} id: use letters, digits, '-', '_' and '.', "
            "starting with a letter or digit"
        )
    if new_name == at.name:
        return []
    idx = index(analysis)
    taken = set(idx.names(at.kind))
    if at.kind == COMPONENT and analysis.loaded is not None:
        taken |= analysis.loaded.known_ids
    if new_name in taken:
        raise RenameError(f"a {what} named '{new_name}' already exists")
    lines = analysis.lines
    edits = []
    for occurrence in idx.of(at.kind, at.name):
        r = occurrence.range
        quoted = r.start_col > 0 and lines[r.start_line][r.start_col - 1 : r.start_col] in ("'", '"')
        edits.append(Edit(r, new_name if quoted else yaml_scalar(new_name)))
    return edits
