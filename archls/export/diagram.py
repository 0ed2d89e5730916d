"""A layered layout for the SVG diagram, computed here so no Graphviz or browser is needed.

Components are placed in columns by their longest distance from an entry point (cycles are
broken by ignoring edges back to a component already on the current path), then ordered within
each column by the average row of their neighbours in the previous column, a few sweeps.
Everything is sorted, so the same architecture gives the same picture.
"""

from __future__ import annotations

from dataclasses import dataclass

from archls.export.context import Comp, ExportContext

BOX_W, BOX_H = 180, 56
GAP_X, GAP_Y = 90, 28
MARGIN = 32
TITLE_H = 48

COLORS = {
    "client": "#e8f1fb", "external": "#f3f3f3", "cdn": "#eef7ee", "dns": "#eef7ee", "waf": "#eef7ee",
    "load-balancer": "#eef7ee", "api-gateway": "#fff4e0", "service": "#fff8e6", "worker": "#fff8e6",
    "function": "#fff8e6", "scheduler": "#fff8e6", "database": "#fdecef", "cache": "#f6ecfd",
    "queue": "#e9f7f6", "stream": "#e9f7f6", "object-storage": "#fdf3e9", "file-storage": "#fdf3e9",
    "search": "#f6ecfd", "data-warehouse": "#fdecef", "identity": "#eef0fb", "secrets": "#eef0fb",
    "monitoring": "#f3f3f3", "logging": "#f3f3f3",
}  # fmt: skip


@dataclass
class Box:
    comp: Comp
    x: int
    y: int
    column: int
    row: int

    @property
    def cx(self) -> int:
        return self.x + BOX_W // 2

    @property
    def cy(self) -> int:
        return self.y + BOX_H // 2


@dataclass
class Edge:
    source: Box
    target: Box
    label: str
    dashed: bool
    path: str
    label_x: int
    label_y: int


def _columns(ctx: ExportContext) -> dict[str, int]:
    comps = ctx.components
    out = {c.id: sorted({t.id for t in c.callees}) for c in comps}
    has_in = {t for targets in out.values() for t in targets}
    starts = [c.id for c in comps if c.id not in has_in] or [comps[0].id] if comps else []
    column: dict[str, int] = {}

    def visit(start: str) -> None:
        # Depth first with a stack of its own: a chain of components can be longer than Python's
        # recursion limit. A component moves right whenever a longer path reaches it.
        if start in column:
            return
        column[start] = 0
        on_path = {start}
        stack = [(start, iter(out[start]))]
        while stack:
            cid, rest = stack[-1]
            nxt = next(rest, None)
            if nxt is None:
                stack.pop()
                on_path.discard(cid)
                continue
            depth = len(stack)
            if nxt in on_path or column.get(nxt, -1) >= depth:
                continue
            column[nxt] = depth
            if depth <= len(comps):  # deeper is only reachable through a cycle; stop deepening
                on_path.add(nxt)
                stack.append((nxt, iter(out[nxt])))

    for start in starts:
        visit(start)
    for c in comps:  # parts of cycles not reachable from an entry
        visit(c.id)
    return column


def layout(ctx: ExportContext) -> tuple[list[Box], list[Edge], int, int]:
    column = _columns(ctx)
    by_column: dict[int, list[Comp]] = {}
    for comp in ctx.components:
        by_column.setdefault(column[comp.id], []).append(comp)
    order = {cid: n for n, cid in enumerate(sorted(column))}
    for _sweep in range(4):
        for col in sorted(by_column):

            def weight(comp: Comp, col: int = col) -> tuple[float, str]:
                near = [order[p.id] for p in comp.callers if column[p.id] < col]
                return (sum(near) / len(near) if near else order[comp.id], comp.id)

            by_column[col].sort(key=weight)
            for n, comp in enumerate(by_column[col]):
                order[comp.id] = n
    boxes: dict[str, Box] = {}
    for col, comps in sorted(by_column.items()):
        for row, comp in enumerate(comps):
            x = MARGIN + col * (BOX_W + GAP_X)
            y = MARGIN + TITLE_H + row * (BOX_H + GAP_Y)
            boxes[comp.id] = Box(comp, x, y, col, row)
    edges: list[Edge] = []
    seen: set[tuple[str, str]] = set()
    for conn in ctx.connections:
        key = (conn.source.id, conn.target.id)
        if key in seen:
            continue
        seen.add(key)
        a, b = boxes[conn.source.id], boxes[conn.target.id]
        path, lx, ly = _route(a, b)
        edges.append(Edge(a, b, conn.label, conn.is_async, path, lx, ly))
    width = MARGIN * 2 + (max(by_column, default=0) + 1) * (BOX_W + GAP_X) - GAP_X
    height = MARGIN * 2 + TITLE_H + max((len(c) for c in by_column.values()), default=1) * (BOX_H + GAP_Y) - GAP_Y
    return sorted(boxes.values(), key=lambda b: (b.column, b.row)), edges, width, height


def _route(a: Box, b: Box) -> tuple[str, int, int]:
    if b.column > a.column:
        x1, y1, x2, y2 = a.x + BOX_W, a.cy, b.x, b.cy
        mid = (x1 + x2) // 2
        return f"M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}", mid, (y1 + y2) // 2 - 4
    if b.column == a.column:
        x1, y1 = a.x + BOX_W, a.cy
        x2, y2 = b.x + BOX_W, b.cy
        bend = x1 + GAP_X // 2
        return f"M{x1},{y1} C{bend},{y1} {bend},{y2} {x2},{y2}", bend, (y1 + y2) // 2
    # Back edges run below the boxes.
    x1, y1, x2, y2 = a.cx, a.y + BOX_H, b.cx, b.y + BOX_H
    low = max(y1, y2) + GAP_Y
    return f"M{x1},{y1} C{x1},{low} {x2},{low} {x2},{y2}", (x1 + x2) // 2, low - 4
