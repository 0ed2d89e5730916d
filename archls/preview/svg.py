"""The scene drawn as SVG: one drawing for the page (which adds behaviour to it) and the SVG export.

Colours are presentation attributes, so the file stands alone; the page's stylesheet overrides them
for its themes. Every string from the input is escaped; elements carry ``data-component-id`` (nodes),
``data-from`` / ``data-to`` (edges) and ``data-group-id`` (groups) for scripts and tests.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archls.preview.layout import Route
    from archls.preview.scene import Scene, SceneNode

#: Fill per component type (light theme; the page restyles them for dark themes).
FILLS = {
    "client": "#e8f1fb", "external": "#f1f1f1", "cdn": "#e9f6ea", "dns": "#e9f6ea", "waf": "#e9f6ea",
    "load-balancer": "#e9f6ea", "api-gateway": "#fff1db", "service": "#fff7e3", "worker": "#fff7e3",
    "function": "#fff7e3", "scheduler": "#fff7e3", "database": "#fde9ee", "cache": "#f4e9fd",
    "queue": "#e5f6f4", "stream": "#e5f6f4", "object-storage": "#fdf1e4", "file-storage": "#fdf1e4",
    "search": "#f4e9fd", "data-warehouse": "#fde9ee", "identity": "#eceffb", "secrets": "#eceffb",
    "monitoring": "#f1f1f1", "logging": "#f1f1f1",
}  # fmt: skip

SEVERITY_COLOURS = {"error": "#d1242f", "warning": "#bf8700", "info": "#0969da", "hint": "#6e7781"}

#: A small pictogram per type in a 16 x 16 box, drawn with strokes.
ICONS = {
    "client": "M2 3h12v8H2z M6 14h4 M8 11v3",
    "external": "M4.5 12.5h7a3 3 0 0 0 .3-6 4 4 0 0 0-7.6-1A3.5 3.5 0 0 0 4.5 12.5z",
    "cdn": "M8 2a6 6 0 1 0 0 12A6 6 0 0 0 8 2z M2 8h12 M8 2c2 2 2 10 0 12 M8 2c-2 2-2 10 0 12",
    "dns": "M8 2v12 M3 4h8l2 2-2 2H3z M13 9H5l-2 2 2 2h8",
    "waf": "M8 2l5 2v4c0 3-2.5 5-5 6-2.5-1-5-3-5-6V4z",
    "load-balancer": "M2 8h4 M6 8l6-4 M6 8h6 M6 8l6 4 M12 4h2 M12 8h2 M12 12h2",
    "api-gateway": "M3 14V4l5-2 5 2v10 M6 14V8h4v6",
    "service": "M3 3h10v10H3z M6 6h4v4H6z",
    "worker": "M8 5a3 3 0 1 0 0 6 3 3 0 0 0 0-6z M8 1v3 M8 12v3 M1 8h3 M12 8h3 M3 3l2 2 M11 11l2 2 M13 3l-2 2 M5 11l-2 2",
    "function": "M5 14c2 0 2-2 3-6s1-6 3-6 M5 7h5",
    "scheduler": "M8 2a6 6 0 1 0 0 12A6 6 0 0 0 8 2z M8 5v3l2 2",
    "database": "M3 4c0-1.1 2.2-2 5-2s5 .9 5 2v8c0 1.1-2.2 2-5 2s-5-.9-5-2z M3 4c0 1.1 2.2 2 5 2s5-.9 5-2 M3 8c0 1.1 2.2 2 5 2s5-.9 5-2",
    "cache": "M9 1L4 9h4l-1 6 5-8H8z",
    "queue": "M2 4h12 M2 8h12 M2 12h12 M11 2l3 2-3 2",
    "stream": "M1 5c2-2 3 2 5 0s3-2 5 0 3 2 4 0 M1 10c2-2 3 2 5 0s3-2 5 0 3 2 4 0",
    "object-storage": "M3 5h10l-1.5 9h-7z M3 5c0-1 2.2-2 5-2s5 1 5 2",
    "file-storage": "M2 4h4l2 2h6v7H2z",
    "search": "M7 3a4 4 0 1 0 0 8 4 4 0 0 0 0-8z M10 10l4 4",
    "data-warehouse": "M2 13h12 M3 13V8 M6 13V5 M9 13V7 M12 13V3",
    "identity": "M8 3a2.5 2.5 0 1 0 0 5 2.5 2.5 0 0 0 0-5z M3 14c0-3 2.2-4.5 5-4.5s5 1.5 5 4.5",
    "secrets": "M6 4a3 3 0 1 0 0 6 3 3 0 0 0 0-6z M8.5 8.5L14 14 M12 12l1.5-1.5",
    "monitoring": "M2 13h12 M2 11l3-4 3 2 3-5 3 3",
    "logging": "M3 3h10v10H3z M5 6h6 M5 8h6 M5 10h4",
}


#: Characters XML 1.0 does not allow (a file holding one is not well-formed), and line breaks.
_CONTROL = re.compile("[\x00-\x1f\x7f\ufffe\uffff]")


#: What :func:`esc` changes; most names have none of it.
_SPECIAL = re.compile("[\x00-\x1f\x7f\ufffe\uffff&<>\"']")


def esc(value: object) -> str:
    """Text for an attribute or an element: one line, markup escaped."""
    text = str(value)
    if _SPECIAL.search(text) is None:
        return text
    return escape(_CONTROL.sub(" ", text), quote=True)


def _fit(text: str, width: float, char: float) -> str:
    room = max(3, int(width / char))
    return text if len(text) <= room else text[: room - 1] + "…"


def edge_path(points: list[tuple[float, float]]) -> str:
    """Straight through the layers, an S-curve across each gap between them."""
    if not points:
        return ""
    x0, y0 = points[0]
    parts = [f"M{x0:.1f},{y0:.1f}"]
    for (x1, y1), (x2, y2) in itertools.pairwise(points):
        if abs(y1 - y2) < 0.5:
            parts.append(f"L{x2:.1f},{y2:.1f}")
        else:
            mid = (x1 + x2) / 2
            parts.append(f"C{mid:.1f},{y1:.1f} {mid:.1f},{y2:.1f} {x2:.1f},{y2:.1f}")
    return " ".join(parts)


@dataclass
class Drawing:
    """The drawing in keyed pieces: each group, edge and component's markup by its key, in drawing
    order, and each component's place apart from it. The live page updates in place from the pieces
    that changed (see :func:`archls.preview.server.patch`); :meth:`markup` assembles the whole."""

    name: str
    width: str
    height: str
    top: str
    title: bool
    groups: list[tuple[str, str]]
    #: (edge key, markup of its element without its route, the path of its line, its label's place)
    edges: list[tuple[str, str, str, str]]
    #: (component id, markup of its element without its place, its place as a ``transform``)
    nodes: list[tuple[str, str, str]]

    def markup(self) -> str:
        name = esc(self.name)
        out = [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="archls-diagram" width="{self.width}" height="{self.height}" '
            f'viewBox="0 0 {self.width} {self.height}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" '
            f'role="img" aria-label="{name}">',
            f"<title>{name}</title>",
            "<defs>",
            '<marker id="archls-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
            'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#57606a" class="arrow-head"/></marker>',
            "</defs>",
            f'<rect class="backdrop" x="0" y="0" width="{self.width}" height="{self.height}" fill="#ffffff"/>',
        ]
        if self.title:
            out.append(
                f'<text class="diagram-title" x="24" y="32" font-size="18" font-weight="600" fill="#1f2328">{name}</text>'
            )
        out.append(f'<g class="viewport" transform="translate(0 {self.top})">')
        out.append('<g class="groups">')
        out.extend(markup for _, markup in self.groups)
        out.append("</g>")
        out.append('<g class="edges">')
        out.extend(routed(markup, path, at) for _, markup, path, at in self.edges)
        out.append("</g>")
        out.append('<g class="nodes">')
        out.extend(placed(markup, at) for _, markup, at in self.nodes)
        out.append("</g>")
        out.append("</g></svg>")
        return "\n".join(out)


def placed(markup: str, at: str) -> str:
    """A component's element at its place: the ``transform`` goes last in its opening tag, which ends
    at the first ``>`` (every text inside the tag is escaped)."""
    end = markup.index(">")
    return f'{markup[:end]} transform="{at}"{markup[end:]}'


def render(scene: Scene, *, title: bool = True, marks: dict[str, str] | None = None) -> str:
    """The whole drawing as an ``<svg>`` element (no XML declaration). ``marks`` sets ``data-diff`` on
    components (added, removed, changed) for the comparison page."""
    return drawing(scene, title=title, marks=marks).markup()


def drawing(scene: Scene, *, title: bool = True, marks: dict[str, str] | None = None) -> Drawing:
    laid = scene.layout
    top = 44.0 if title else 0.0
    groups = []
    for gid, box in sorted(laid.groups.items(), key=lambda item: _depth(scene, item[0])):
        group = scene.groups[gid]
        boundary = group.type == "trust-boundary"
        dash = ' stroke-dasharray="6 4"' if boundary else ""
        groups.append(
            (
                gid,
                f'<g class="group group-{esc(group.type)}{" public" if group.public else ""}" data-group-id="{esc(gid)}">'
                f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.width:.1f}" height="{box.height:.1f}" rx="10" '
                f'fill="{"#fff8f0" if group.public else "#f6f8fa"}" fill-opacity="0.7" '
                f'stroke="{"#cf222e" if boundary else "#8c959f"}" stroke-width="1.2"{dash}/>'
                f'<text x="{box.x + 10:.1f}" y="{box.y + 17:.1f}" font-size="12" font-weight="600" fill="#57606a">'
                f"{esc(_fit(gid, box.width - 90, 7.0))}"
                f'<tspan font-weight="400" fill="#6e7781"> {esc(group.type)}{" · public" if group.public else ""}</tspan></text>'
                "</g>",
            )
        )
    edges = []
    routes = {route.key: route for route in laid.routes}
    for edge in scene.edges:
        route = routes.get(edge.key)
        if route is None:
            continue
        edges.append(
            (edge.key, *_edge(edge.key, edge.source, edge.target, edge.label, edge.is_async, edge.optional, route))
        )
    nodes = []
    for cid, node in scene.nodes.items():
        box = laid.nodes.get(cid)
        if box is not None:
            nodes.append(
                (cid, _node(node, box.width, box.height, (marks or {}).get(cid)), f"translate({box.x:.1f} {box.y:.1f})")
            )
    return Drawing(
        scene.name, f"{laid.width:.0f}", f"{laid.height + top:.0f}", f"{top:.0f}", title, groups, edges, nodes
    )


def _depth(scene: Scene, gid: str) -> int:
    depth, parent = 0, scene.groups[gid].parent
    while parent is not None and parent in scene.groups and depth < 32:
        depth, parent = depth + 1, scene.groups[parent].parent
    return depth


#: Where an edge's route goes in its markup (control characters never survive :func:`esc`).
_PATH, _LABEL_AT = "\x00path\x00", "\x00label\x00"


def _edge(
    key: str, source: str, target: str, label: str, is_async: bool, optional: bool, route: Route
) -> tuple[str, str, str]:
    """An edge's markup without its route, and its route: the line's path and its label's place."""
    markup = _edge_markup(key, source, target, label, is_async, optional, route.reversed)
    lx, ly = route.label_at
    return markup, _path(tuple(route.points)), f"translate({lx:.1f} {ly:.1f})" if label else ""


def routed(markup: str, path: str, label_at: str) -> str:
    """An edge's element along its route."""
    return markup.replace(_PATH, path, 1).replace(_LABEL_AT, label_at, 1)


# A redraw after an edit makes mostly the same elements again: their markup is kept, so a redraw
# of 200 components costs what changed.
@lru_cache(maxsize=4096)
def _path(points: tuple[tuple[float, float], ...]) -> str:
    return edge_path(list(points))


@lru_cache(maxsize=4096)
def _edge_markup(
    key: str, source: str, target: str, label: str, is_async: bool, optional: bool, reversed_: bool
) -> str:
    classes = "edge" + (" async" if is_async else "") + (" optional" if optional else "")
    classes += " reversed" if reversed_ else ""
    dash = ' stroke-dasharray="6 4"' if is_async else ""
    text = ""
    if label:
        w = 6.2 * len(label) + 8
        text = (
            f'<g class="edge-label-at" transform="{_LABEL_AT}">'
            f'<rect class="edge-label-bg" x="{-w / 2:.1f}" y="-8" width="{w:.1f}" height="14" rx="3" '
            f'fill="#ffffff" fill-opacity="0.85"/>'
            f'<text class="edge-label" y="3" font-size="10" text-anchor="middle" fill="#57606a">'
            f"{esc(label)}</text></g>"
        )
    kind = "async" if is_async else "sync"
    return (
        f'<g class="{classes}" data-from="{esc(source)}" data-to="{esc(target)}" data-key="{esc(key)}">'
        f"<title>{esc(source)} → {esc(target)}{f' ({esc(label)})' if label else ''}, {kind}</title>"
        f'<path class="edge-line" d="{_PATH}" fill="none" stroke="#57606a" stroke-width="1.4"'
        f'{dash} marker-end="url(#archls-arrow)"/>'
        f"{text}</g>"
    )


def _node(node: SceneNode, w: float, h: float, mark: str | None = None) -> str:
    """A component's element, without its place (see :func:`placed`)."""
    severity = node.severity
    return _node_markup(
        node.id, node.type, node.description, node.subtitle, node.public, severity, len(node.findings), w, h, mark
    )


@lru_cache(maxsize=2048)
def _node_markup(
    cid: str,
    kind: str,
    description: str | None,
    subtitle: str,
    public: bool,
    severity: str | None,
    count: int,
    w: float,
    h: float,
    mark: str | None,
) -> str:
    from archls.model import STATEFUL_TYPES, ComponentType

    stateful = ComponentType(kind) in STATEFUL_TYPES
    outside = kind in ("client", "external")
    attrs = f' data-severity="{severity}"' if severity else ""
    if mark:
        attrs += f' data-diff="{esc(mark)}"'
    rx = 14 if stateful else 6
    stroke = "#8c959f" if outside else "#57606a"
    dash = ' stroke-dasharray="4 3"' if outside else ""
    icon = ICONS.get(kind, ICONS["service"])
    parts = [
        f'<g class="node type-{esc(kind)}" data-component-id="{esc(cid)}" data-type="{esc(kind)}"{attrs} '
        f'tabindex="0" role="button" aria-label="{esc(cid)}, {esc(kind)}">',
        f"<title>{esc(cid)}{f': {esc(description.strip())}' if description else ''}</title>",
        f'<rect class="node-box" width="{w:.1f}" height="{h:.1f}" rx="{rx}" fill="{FILLS.get(kind, "#ffffff")}" '
        f'stroke="{stroke}" stroke-width="1.2"{dash}/>',
        f'<g class="node-icon" transform="translate(12 {h / 2 - 8:.1f})"><path d="{icon}" fill="none" stroke="#424a53" '
        'stroke-width="1.3" stroke-linecap="round" stroke-linejoin="round"/></g>',
        f'<text class="node-name" x="38" y="{h / 2 - 3:.1f}" font-size="13" font-weight="600" fill="#1f2328">'
        f"{esc(_fit(cid, w - 50, 7.6))}</text>",
        f'<text class="node-sub" x="38" y="{h / 2 + 13:.1f}" font-size="10.5" fill="#57606a">'
        f"{esc(_fit(subtitle, w - 50, 5.9))}</text>",
    ]
    if public:
        parts.append(
            f'<text class="node-public" x="{w - 8:.1f}" y="{h - 7:.1f}" font-size="9" text-anchor="end" fill="#cf222e">public</text>'
        )
    if severity:
        parts.append(
            f'<g class="badge badge-{severity}" transform="translate({w - 2:.1f} 2)"><title>{count} '
            f"finding{'' if count == 1 else 's'}, worst: {severity}</title>"
            f'<circle r="9" fill="{SEVERITY_COLOURS[severity]}" stroke="#ffffff" stroke-width="1.5"/>'
            f'<text y="3.5" font-size="10" font-weight="700" text-anchor="middle" fill="#ffffff">'
            f"{count if count < 100 else '99+'}</text></g>"
        )
    parts.append("</g>")
    return "".join(parts)


def document(scene: Scene) -> str:
    """A standalone SVG file."""
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + render(scene) + "\n"
