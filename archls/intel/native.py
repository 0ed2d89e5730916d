"""Places in compose, Terraform and Kubernetes files: which component a service or resource
became, and which component a reference (a ``depends_on`` entry, ``aws_db_instance.main.endpoint``)
points at.

Each format's loader maps model paths to places in its file (``Loaded.locate`` and ``aliases``);
this module only reads those maps, so it works for any format that fills them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from archls.findings import ModelPath, Range
from archls.intel.facts import memo

if TYPE_CHECKING:
    from archls.engine import Analysis
    from archls.sourcemap import SourceMap

_TOKEN = re.compile(r"[A-Za-z0-9_.\-/:]+")


@dataclass(frozen=True, slots=True)
class Place:
    cid: str
    head: Range  #: the key (or first line) the component was read from
    block: Range  #: everything it was read from
    names: frozenset[str]  #: how the file refers to it (service name, resource address, ...)


def places(analysis: Analysis) -> list[Place]:
    return memo(analysis, "native-places", lambda: _build(analysis))


def _build(analysis: Analysis) -> list[Place]:
    loaded = analysis.loaded
    model = analysis.model
    if loaded is None or model is None:
        return []
    out = []
    here = _normal(analysis.path)
    for cid, component in model.components.items():
        path = ("components", cid)
        origin = getattr(component, "_origin", None)
        origin_file = getattr(origin, "file", None)
        if isinstance(origin_file, str) and _normal(origin_file) != here:
            continue  # read from another file (a compose override, a module's sibling)
        origin_range = getattr(origin, "range", None)
        head = origin_range if isinstance(origin_range, Range) else loaded.locate(path)
        block = _block(loaded.smap, loaded.file_path(path), head)
        names = {cid} | _origin_names(origin)
        out.append(Place(cid, head, block, frozenset(n for n in names if n)))
    return out


def _block(smap: SourceMap, file_path: ModelPath, head: Range) -> Range:
    """Everything the component was read from: its own entry, or the whole document of a
    multi-document stream (a Kubernetes object is named deep inside its document)."""
    entry = None
    if len(file_path) >= 2 and file_path[0] == "documents":
        entry = smap.get(file_path[:2])
    if entry is None:
        entry = smap.get(file_path)
    if entry is None:
        return head
    start = min((head.start_line, head.start_col), (entry.value.start_line, entry.value.start_col))
    end = max((entry.value.end_line, entry.value.end_col), (head.end_line, head.end_col))
    return Range(*start, *end)


def _normal(path: str) -> str:
    return os.path.normcase(os.path.abspath(path)) if path else path


def _origin_names(origin: Any) -> set[str]:
    """Names the file may use for the component: a Terraform address is the origin's detail."""
    if origin is None:
        return set()
    if isinstance(origin, str):
        return {origin}
    get = origin.get if isinstance(origin, dict) else lambda k: getattr(origin, k, None)
    names = {str(v) for v in (get("address"), get("name"), get("id")) if isinstance(v, str)}
    detail = get("detail")
    if isinstance(detail, str) and detail and " " not in detail:
        names.add(detail)
    return names


def component_at(analysis: Analysis, line: int, col: int) -> tuple[str, Range] | None:
    """The component read from the text at the position (the innermost one), with its head range."""
    best: Place | None = None
    for place in places(analysis):
        if place.block.contains(line, col) and (best is None or place.block >= best.block):
            best = place
    return (best.cid, best.head) if best is not None else None


_PIECE = re.compile(r"[A-Za-z0-9_.\-]+")


def reference_at(analysis: Analysis, line: int, col: int) -> tuple[str, Range, Range] | None:
    """The component a name under the cursor refers to: (id, range of the name, the component's head).

    The name may be a whole token (``api``), a Terraform address with an attribute
    (``aws_db_instance.main.endpoint``), or a host inside an address (``postgres://db:5432/app``,
    ``cartservice:7070``, ``db.shop.svc.cluster.local``).
    """
    lines = analysis.lines
    if line >= len(lines):
        return None
    text = lines[line]
    for match in _TOKEN.finditer(text):
        if match.start() <= col <= match.end():
            break
    else:
        return None
    by_name: dict[str, Place] = {}
    for place in places(analysis):
        for name in place.names:
            by_name.setdefault(name, place)
    token = match.group(0)
    pieces = sorted(
        ((m.start(), m.group(0)) for m in _PIECE.finditer(token)),
        key=lambda p: not (p[0] <= col - match.start() <= p[0] + len(p[1])),  # the piece under the cursor first
    )
    for offset, piece in [(0, token), *pieces]:
        parts = piece.split(".")
        candidates = [piece] + [".".join(parts[:n]) for n in range(len(parts) - 1, 0, -1)]
        if parts[0] in ("data", "module") and len(parts) > 2:
            candidates.insert(1, ".".join(parts[1:3]))
        for candidate in candidates:
            place = by_name.get(candidate)
            if place is None:
                continue
            start = match.start() + offset + max(piece.find(candidate), 0)
            if place.head.contains(line, col):
                return None  # on the component itself, not a reference to it
            return place.cid, Range(line, start, line, start + len(candidate)), place.head
    return None
