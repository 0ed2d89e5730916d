"""What changed between two drawings of a live page, so the page updates in place.

A redraw of a large architecture after an edit used to send the whole drawing (hundreds of
kilobytes for 200 components) for the page to parse and swap in whole, although an edit usually
changes a few figures or badges, or moves the boxes without changing what is in them. A patch
carries, per layer (groups, edges, components), the markup of the elements that changed, the new
order of their keys when elements came or went, each component's new place when only its place
changed (the route only for an edge), and the entries of the scene (the side panel's data) that changed. The page applies it to
the elements it already has (:file:`assets/page.js`), which keeps what the user did to them
(selection, keyboard focus, the highlighted flow, failed components).

Applied to the drawing it was made from, a patch gives exactly the markup of the new drawing: both
come from the same pieces (:class:`archls.preview.svg.Drawing`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archls.engine import Analysis
    from archls.preview.scene import Scene
    from archls.preview.svg import Drawing

#: The scene's lists of keyed entries, and the field that keys each.
KEYED = {"nodes": "id", "edges": "key", "groups": "id"}


@dataclass
class Frame:
    """One drawing of the page, as it was sent."""

    id: int
    analysis: Analysis
    scene: Scene
    drawing: Drawing
    data: dict[str, Any]  #: the scene as the page reads it (JSON)


def diff(before: Frame, after: Frame) -> dict[str, Any] | None:
    """The patch from ``before`` to ``after``, or None when sending the whole drawing is the way
    (keys that are not unique, such as two edges whose ends' names join to the same key)."""
    old, new = before.drawing, after.drawing
    if old.title != new.title or old.top != new.top:
        return None
    out: dict[str, Any] = {"width": new.width, "height": new.height, "name": new.name}
    from archls.preview.svg import placed, routed

    groups = _layer(old.groups, new.groups)
    edges = _layer([(k, m) for k, m, _, _ in old.edges], [(k, m) for k, m, _, _ in new.edges])
    nodes = _layer([(k, m) for k, m, _ in old.nodes], [(k, m) for k, m, _ in new.nodes])
    if groups is None or edges is None or nodes is None:
        return None
    # Changed elements go whole, where they are now; the others that moved get their place only.
    routes = {key: (path, at) for key, _, path, at in old.edges}
    edges["route"] = {}
    for key, markup, path, at in new.edges:
        if key in edges["put"]:
            edges["put"][key] = routed(markup, path, at)
        elif routes.get(key) != (path, at):
            edges["route"][key] = [path, at]
    places = {key: at for key, _, at in old.nodes}
    nodes["at"] = {}
    for key, markup, at in new.nodes:
        if key in nodes["put"]:
            nodes["put"][key] = placed(markup, at)
        elif places.get(key) != at:
            nodes["at"][key] = at
    out.update(groups=groups, edges=edges, nodes=nodes)
    scene = _scene(before.data, after.data)
    if scene is None:
        return None
    out["scene"] = scene
    return out


def _layer(old: list[tuple[str, str]], new: list[tuple[str, str]]) -> dict[str, Any] | None:
    keys = [key for key, _ in new]
    had = dict(old)
    if len(had) != len(old) or len(set(keys)) != len(keys):
        return None
    out: dict[str, Any] = {"put": {key: markup for key, markup in new if had.get(key) != markup}}
    if keys != [key for key, _ in old]:
        out["order"] = keys
    return out


def _scene(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any] | None:
    out: dict[str, Any] = {"set": {k: v for k, v in new.items() if k not in KEYED and old.get(k) != v}}
    out["set"].update((k, None) for k in old if k not in new and k not in KEYED)
    for field, key in KEYED.items():
        change = _layer(
            [(item[key], item) for item in old.get(field, [])], [(item[key], item) for item in new.get(field, [])]
        )
        if change is None:
            return None
        out[field] = change
    return out
