"""The outline of a file: symbols (sections, components, connections, flows, groups), folding
ranges and selection ranges, all read from the source map."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from archls.findings import ModelPath, Range
from archls.intel.facts import memo
from archls.intel.text import range_order, slice_range, unquote, word_at

if TYPE_CHECKING:
    from archls.engine import Analysis
    from archls.sourcemap import Entry, SourceMap

SECTIONS = ("requirements", "groups", "components", "connections", "flows")


@dataclass
class Symbol:
    name: str
    kind: str  #: section, component, connection, flow, group, requirements
    range: Range
    selection: Range
    detail: str | None = None
    children: list[Symbol] = field(default_factory=list)


def span(entry: Entry) -> Range:
    """From the key (or the item's first character) to the end of the value."""
    start = entry.key if entry.key is not None else entry.value
    if entry.value < start:
        start = entry.value
    return Range(start.start_line, start.start_col, entry.value.end_line, entry.value.end_col)


def symbols(analysis: Analysis) -> list[Symbol]:
    """The file's symbols, read once per analysis: document symbols and folding ranges, which
    editors ask for after every edit, both start from them. Callers must not change them."""
    return memo(analysis, "outline", lambda: read_symbols(analysis))


def read_symbols(analysis: Analysis) -> list[Symbol]:
    """:func:`symbols` without remembering them, for analyses made only to list a file's symbols."""
    if analysis.loaded is None:
        return []
    if analysis.format != "arch":
        return _native_symbols(analysis)
    smap = analysis.loaded.smap
    lines = analysis.lines
    out: list[Symbol] = []
    for section in SECTIONS:
        entry = smap.get((section,))
        if entry is None or entry.key is None:
            continue
        symbol = Symbol(section, "section", span(entry), entry.key)
        symbol.children = _children(analysis, smap, lines, section)
        symbol.detail = str(len(symbol.children)) if section != "requirements" else None
        out.append(symbol)
    out.sort(key=range_order)
    return out


def _children(analysis: Analysis, smap: SourceMap, lines: list[str], section: str) -> list[Symbol]:
    model = analysis.model
    loaded = analysis.loaded
    assert loaded is not None
    out: list[Symbol] = []
    if section == "components":
        ids = set(loaded.known_ids) | (set(model.components) if model else set())
        for cid in ids:
            entry = smap.get(("components", cid))
            if entry is None or entry.key is None:
                continue
            component = model.components.get(cid) if model else None
            detail = None
            if component is not None:
                detail = component.type.value + (f" · {component.technology}" if component.technology else "")
            out.append(Symbol(cid, "component", span(entry), entry.key, detail))
    elif section == "connections":
        i = 0
        while (entry := smap.get(("connections", i))) is not None:
            source = _written(smap, lines, ("connections", i, "from")) or "?"
            target = _written(smap, lines, ("connections", i, "to")) or "?"
            protocol = _written(smap, lines, ("connections", i, "protocol"))
            out.append(Symbol(f"{source} → {target}", "connection", span(entry), entry.head, protocol))
            i += 1
    elif section in ("flows", "groups") and model is not None:
        for key, part in (model.flows if section == "flows" else model.groups).items():
            entry = smap.get((section, key))
            if entry is None or entry.key is None:
                continue
            if section == "flows":
                detail = " → ".join(part.path)  # type: ignore[union-attr]
            else:
                detail = part.type.value  # type: ignore[union-attr]
            out.append(Symbol(key, section[:-1], span(entry), entry.key, detail))
    elif section == "requirements":
        entry = smap.get(("requirements",))
        if entry is not None:
            for key in model.requirements.model_fields_set if model else ():
                child = smap.get(("requirements", key))
                if child is not None and child.key is not None:
                    out.append(Symbol(key, "requirement", span(child), child.key))
    out.sort(key=range_order)
    return out


def _written(smap: SourceMap, lines: list[str], path: ModelPath) -> str | None:
    entry = smap.get(path)
    if entry is None or entry.value.start_line != entry.value.end_line:
        return None
    return unquote(slice_range(lines, entry.value)) or None


def _native_symbols(analysis: Analysis) -> list[Symbol]:
    from archls.intel.native import places

    model = analysis.model
    out = []
    for place in places(analysis):
        component = model.components.get(place.cid) if model else None
        detail = component.type.value if component is not None else None
        if component is not None and component.technology:
            detail = f"{detail} · {component.technology}"
        out.append(Symbol(place.cid, "component", place.block, place.head, detail))
    out.sort(key=range_order)
    return out


def folding(analysis: Analysis) -> list[tuple[int, int, str]]:
    """(first line, last line, what) of every section and multi-line part."""
    out: list[tuple[int, int, str]] = []

    def walk(symbol: Symbol) -> None:
        if symbol.range.end_line > symbol.range.start_line:
            out.append((symbol.range.start_line, symbol.range.end_line, symbol.kind))
        for child in symbol.children:
            walk(child)

    for symbol in symbols(analysis):
        walk(symbol)
    return sorted(set(out))


def selection(analysis: Analysis, line: int, col: int) -> list[Range]:
    """Ranges around the position, innermost first: the word, the value, the entry, its parents, the file."""
    if analysis.loaded is None:
        return []
    smap = analysis.loaded.smap
    lines = analysis.lines
    out: list[Range] = []

    def add(r: Range) -> None:
        if not r.contains(line, col):
            return
        if out and not (r.start_line, r.start_col) <= (out[-1].start_line, out[-1].start_col):
            return
        if out and not (r.end_line, r.end_col) >= (out[-1].end_line, out[-1].end_col):
            return
        if not out or r != out[-1]:
            out.append(r)

    if line < len(lines):
        start, end = word_at(lines[line], col)
        if end > start:
            add(Range(line, start, line, end))
    path = smap.path_at(line, col)
    while path:
        entry = smap.get(path)
        if entry is not None:
            if entry.key is not None and entry.key.contains(line, col):
                add(entry.key)
            elif entry.value.contains(line, col):
                add(entry.value)
            add(span(entry))
        path = path[:-1]
    root = smap.get(())
    if root is not None:
        add(root.value)
    last = len(lines) - 1
    while last > 0 and not lines[last].strip():
        last -= 1  # the file as far as its last character, not the empty line after the final newline
    add(Range(0, 0, last, len(lines[last]) if lines else 0))
    return out
