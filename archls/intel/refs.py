"""Where each component and group id is defined and referred to in an architecture file, and the
edits that rename one.

An id is defined by its key under ``components`` (or ``groups``) and referred to by connections
(``from``/``to``), flow paths, group members and group parents. Ranges cover the id's text
without quotes, so a rename keeps the author's quoting.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from archls.findings import Edit, ModelPath, Range
from archls.intel.facts import memo
from archls.intel.text import inner, slice_range, unquote, yaml_scalar

if TYPE_CHECKING:
    from archls.engine import Analysis
    from archls.sourcemap import SourceMap

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
        self.occurrences.sort(key=lambda o: o.range)
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


def _build(analysis: Analysis) -> Index:
    out = Index()
    loaded = analysis.loaded
    if loaded is None or analysis.format != "arch":
        return out.finish()
    smap = loaded.smap
    lines = analysis.text.split("\n")
    model = analysis.model

    def define(kind: str, name: str, path: ModelPath) -> None:
        entry = smap.get(path)
        if entry is not None and entry.key is not None:
            out.add(Occurrence(name, kind, inner(lines, entry.key), path, True))

    def refer(kind: str, path: ModelPath) -> bool:
        entry = smap.get(path)
        if entry is None:
            return False
        r = entry.value
        if r.start_line == r.end_line:
            written = slice_range(lines, r)
            if written and written[0] not in "[{":
                out.add(Occurrence(unquote(written), kind, inner(lines, r), path, False))
        return True

    component_ids = set(loaded.known_ids) | (set(model.components) if model else set())
    for cid in component_ids:
        define(COMPONENT, cid, ("components", cid))
    groups = list(model.groups) if model else []
    for gid in groups:
        define(GROUP, gid, ("groups", gid))
    i = 0
    while ("connections", i) in smap:
        refer(COMPONENT, ("connections", i, "from"))
        refer(COMPONENT, ("connections", i, "to"))
        i += 1
    for fid in model.flows if model else ():
        _items(smap, ("flows", fid, "path"), lambda p: refer(COMPONENT, p))
    for gid in groups:
        _items(smap, ("groups", gid, "members"), lambda p: refer(COMPONENT, p))
        refer(GROUP, ("groups", gid, "parent"))
    return out.finish()


def _items(smap: SourceMap, path: ModelPath, visit: object) -> None:
    n = 0
    while visit((*path, n)):  # type: ignore[operator]
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
    lines = analysis.text.split("\n")
    edits = []
    for occurrence in idx.of(at.kind, at.name):
        r = occurrence.range
        quoted = r.start_col > 0 and lines[r.start_line][r.start_col - 1 : r.start_col] in ("'", '"')
        edits.append(Edit(r, new_name if quoted else yaml_scalar(new_name)))
    return edits
