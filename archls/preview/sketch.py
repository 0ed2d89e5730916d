"""A drawing of a changed graph made at once from the one before it, while its layout is computed.

Laying out a very large architecture again after an edit that changes its graph takes 0.1 s of CPU or
more, even from the drawing before (the live server sketches graphs of more than 300 components); the
live page shows the edit before that: the components that were there stay where
they were, a renamed one takes its old name's place, a new one goes beside a component it is connected
to (else in a row under the drawing), groups stretch over their members, and edges between components
that did not move keep their route (the others run straight). The layout replaces the sketch as soon
as it is done (:meth:`archls.preview.server.PreviewServer.publish`).
"""

from __future__ import annotations

from archls.preview.layout import GROUP_HEADER, GROUP_PAD, LAYER_GAP, MARGIN, NODE_GAP, Box, Layout, Route

NodeSpec = tuple[str, float, float, "str | None"]  #: id, width, height, the group holding it
EdgeSpec = tuple[str, str, str, float]  #: key, source, target, label width
GroupSpec = tuple[str, "str | None"]  #: id, parent


def sketch(
    previous: Layout, nodes: tuple[NodeSpec, ...], edges: tuple[EdgeSpec, ...], groups: tuple[GroupSpec, ...]
) -> Layout | None:
    """The sketch of the graph from ``previous``, or None when too little of it is left to sketch from
    (fewer than half of the components were drawn there)."""
    added = [node for node in nodes if node[0] not in previous.nodes]
    if len(added) * 2 > len(nodes):
        return None
    present = {node[0] for node in nodes}
    boxes: dict[str, Box] = {}
    for cid, width, height, _ in nodes:
        old = previous.nodes.get(cid)
        if old is not None:
            boxes[cid] = Box(old.x, old.y, width, height)
    # A component renamed (one gone, one new) keeps its place; a new one goes a layer after a
    # component that calls it (or before one it calls), in the first free spot below; the others in
    # a row under the drawing.
    renamed = _renamed(previous, [node[0] for node in added], present, edges)
    x = MARGIN
    for cid, width, height, _ in added:
        if cid in renamed:
            old = renamed[cid]
            boxes[cid] = Box(old.x, old.y, width, height)
            continue
        spot = _beside(cid, width, height, edges, boxes)
        if spot is None:
            spot = Box(x, previous.height, width, height)
            x += width + NODE_GAP
        boxes[cid] = spot
    group_boxes = _groups(previous, nodes, groups, boxes)
    routes = _routes(previous, edges, boxes)
    right = max([previous.width, *(b.x + b.width + MARGIN for b in [*boxes.values(), *group_boxes.values()])])
    bottom = max([previous.height, *(b.y + b.height + MARGIN for b in [*boxes.values(), *group_boxes.values()])])
    ordered = {cid: boxes[cid] for cid, _, _, _ in nodes}
    # How the drawing it comes from was made: the layout after it starts from this sketch.
    return Layout(ordered, group_boxes, routes, right, bottom, made=previous.made)


def _renamed(previous: Layout, added: list[str], present: set[str], edges: tuple[EdgeSpec, ...]) -> dict[str, Box]:
    """The old box of each new component that looks like a renamed one: a component gone whose
    neighbours it has (the most of them, at least one)."""
    gone: dict[str, set[str]] = {cid: set() for cid in previous.nodes if cid not in present}
    for route in previous.routes:
        for here, there in ((route.source, route.target), (route.target, route.source)):
            if here in gone:
                gone[here].add(there)
    near: dict[str, set[str]] = {cid: set() for cid in added}
    for _, source, target, _ in edges:
        for here, there in ((source, target), (target, source)):
            if here in near:
                near[here].add(there)
    out: dict[str, Box] = {}
    for cid in added:
        shared, best = max(((len(near[cid] & theirs), old) for old, theirs in gone.items()), default=(0, ""))
        if shared:
            out[cid] = previous.nodes[best]
            del gone[best]
    return out


def _beside(cid: str, width: float, height: float, edges: tuple[EdgeSpec, ...], boxes: dict[str, Box]) -> Box | None:
    spot = None
    for _, source, target, _ in edges:
        if target == cid and source in boxes:
            near = boxes[source]
            spot = Box(near.x + near.width + LAYER_GAP, near.y, width, height)
            break
        if source == cid and target in boxes:
            near = boxes[target]
            spot = Box(near.x - LAYER_GAP - width, near.y, width, height)
            break
    if spot is None:
        return None
    placed = list(boxes.values())
    for _ in range(64):
        if not any(spot.overlaps(other) for other in placed):
            return spot
        spot = Box(spot.x, spot.y + height + NODE_GAP, width, height)
    return None


def _groups(
    previous: Layout, nodes: tuple[NodeSpec, ...], groups: tuple[GroupSpec, ...], boxes: dict[str, Box]
) -> dict[str, Box]:
    """Each group's box: its old one stretched over its members, or one around them."""
    parent = dict(groups)

    def depth(gid: str) -> int:
        seen: set[str] = set()
        while parent.get(gid) is not None and gid not in seen:
            seen.add(gid)
            gid = parent[gid]  # type: ignore[assignment]
        return len(seen)

    inside: dict[str, list[Box]] = {gid: [] for gid in parent}
    for cid, _, _, gid in nodes:
        if gid in inside:
            inside[gid].append(boxes[cid])
    out: dict[str, Box] = {}
    for gid in sorted(parent, key=depth, reverse=True):  # the innermost first: they are in their parents
        held = inside[gid]
        if not held:
            continue
        left = min(b.x for b in held) - GROUP_PAD
        top = min(b.y for b in held) - GROUP_PAD - GROUP_HEADER
        right = max(b.x + b.width for b in held) + GROUP_PAD
        bottom = max(b.y + b.height for b in held) + GROUP_PAD
        old = previous.groups.get(gid)
        if old is not None:
            left, top = min(left, old.x), min(top, old.y)
            right, bottom = max(right, old.x + old.width), max(bottom, old.y + old.height)
        box = Box(left, top, right - left, bottom - top)
        out[gid] = box
        up = parent.get(gid)
        if up in inside:
            inside[up].append(box)
    return out


def _routes(previous: Layout, edges: tuple[EdgeSpec, ...], boxes: dict[str, Box]) -> list[Route]:
    old_routes = {route.key: route for route in previous.routes}
    out = []
    for key, source, target, _ in edges:
        a, b = boxes.get(source), boxes.get(target)
        if a is None or b is None or source == target:
            continue
        old = old_routes.get(key)
        if old is not None and _same(previous.nodes.get(source), a) and _same(previous.nodes.get(target), b):
            out.append(old)
            continue
        start, end = (a.x + a.width, a.cy), (b.x, b.cy)
        middle = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
        out.append(Route(key, source, target, [start, end], False, middle))
    return out


def _same(old: Box | None, new: Box) -> bool:
    return old is not None and (old.x, old.y, old.width, old.height) == (new.x, new.y, new.width, new.height)
