"""A layered (Sugiyama) layout, left to right, with groups drawn as boxes around their members.

One layout serves the preview page and the SVG export. The steps are the classic ones, each chosen
for readable architecture diagrams:

1. cycles are broken by reversing a small set of edges (Eades, Lin and Smyth's greedy order), level
   by level through the groups;
2. layers: the total edge length plus the groups' widths, minimised by network simplex;
3. long edges get a dummy node per layer they cross; a group that spans a layer without members there
   gets a placeholder, so its box can be drawn as one rectangle that nothing else enters;
4. order within layers: barycenter sweeps, then adjacent swaps (transpose) while they remove crossings,
   from several starting orders, keeping the best, then sifting. Members of a group stay next to each
   other, and sibling groups keep one order in every layer (so their boxes never overlap);
5. vertical positions: nodes are pulled towards the centre of their neighbours (dummies harder, so long
   edges run straight) under separation constraints, solved by variable placement with separation
   constraints (Dwyer, Marriott and Stuckey's "satisfy"), a few rounds;
6. edges leave and enter at ports spread along a box's side in the order of the other end.

A graph of up to 40 components with groups or cycles whose drawing crosses is laid out a second time
(unless it has many long loops), the way ELK draws compound graphs with cycles (the first drawing has
the edges reversed to break cycles drawn back through the layers). There a reversed edge keeps its
direction and is drawn as a loop: out of its source's right side, back in the gap after the next
column, through a dummy per layer, and round into its target's left side; each turn is an edge within
one layer, crossing the edges on its side of whatever lies between its ends, which the ordering
counts, and the loops' dummies are moved to where they cross least. A component that only calls into a group (or is only called from
one) goes beside the group rather than above or below it, and an edge leaving a group towards
something past its last layer (or entering one from before its first) runs inside the group to its
side. The drawing with fewer crossings is kept.

A changed graph can be laid out from an earlier drawing (the live preview's, before an edit): only the
way that one was, its order within layers started from where the components were, a few sweeps, no
random starts. It moves little and costs a fraction of a fresh layout.

Everything is deterministic: ties are broken by the input order.
"""

from __future__ import annotations

import itertools
import math
import random
from bisect import bisect_left, bisect_right
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

LAYER_GAP = 110.0  #: horizontal space between layers (edges and their labels run there)
NODE_GAP = 26.0  #: vertical space between boxes of a layer
GROUP_PAD = 14.0  #: space between a group's border and what it holds
GROUP_HEADER = 22.0  #: room for a group's title above its first member
MARGIN = 24.0


@dataclass(frozen=True, slots=True)
class Node:
    id: str
    width: float
    height: float
    group: str | None = None  #: the innermost group it belongs to


@dataclass(frozen=True, slots=True)
class Edge:
    key: Hashable  #: the caller's handle for the routed edge
    source: str
    target: str
    label_width: float = 0.0  #: room its label needs (0: no label)


@dataclass(frozen=True, slots=True)
class Group:
    id: str
    parent: str | None = None


@dataclass(slots=True)
class Box:
    x: float
    y: float
    width: float
    height: float

    @property
    def cx(self) -> float:
        return self.x + self.width / 2

    @property
    def cy(self) -> float:
        return self.y + self.height / 2

    def overlaps(self, other: Box) -> bool:
        return (
            self.x < other.x + other.width
            and other.x < self.x + self.width
            and self.y < other.y + other.height
            and other.y < self.y + self.height
        )


@dataclass(slots=True)
class Route:
    key: Hashable
    source: str
    target: str
    points: list[tuple[float, float]]  #: from the source's port to the target's, through the layers
    #: drawn from its target's side along the line of the opposite edge (the two ends call each other);
    #: another edge closing a cycle is drawn as a loop, out of its source's right side, back along the
    #: layers and into its target's left side
    reversed: bool
    label_at: tuple[float, float] = (0.0, 0.0)  #: a point midway on a segment between two layers


@dataclass
class Layout:
    nodes: dict[str, Box]
    groups: dict[str, Box]
    routes: list[Route]
    width: float
    height: float
    layer: dict[str, int] = field(default_factory=dict)
    #: how it was made, for laying out a slightly changed graph from it (None: a sketch's own)
    made: Made | None = field(default=None, compare=False, repr=False)

    def crossings(self) -> int:
        """Crossings between the drawn edges (one per pair of connected components, counted on segments)."""
        seen: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for route in self.routes:
            seen.setdefault((route.source, route.target), route.points)
        return count_crossings(list(seen.values()))


@dataclass(frozen=True, slots=True)
class Made:
    """How a layout was made: which drawing was kept and the crossings its order left (counted as
    the ordering counts them), so a changed graph can be laid out again the same way, from it."""

    second: bool  #: the ELK-like drawing (loops in their own direction, components beside groups)
    #: each loop's turns (by its source and target ids): one layer further out of its source, into its target
    outward: dict[tuple[str, str], tuple[bool, bool]]
    crossings: int


# --- internal graph ------------------------------------------------------------------------------------


@dataclass(slots=True)
class _V:
    """A node of the layered graph: a real node, a dummy on a long edge, or a group placeholder."""

    n: int
    id: str | None  #: the real node's id
    width: float
    height: float
    group: str | None
    layer: int = 0
    pos: int = 0  #: index within its layer
    y: float = 0.0
    kind: str = "node"  #: node, dummy or placeholder
    up: list[int] = field(default_factory=list)  #: neighbours in the previous layer
    down: list[int] = field(default_factory=list)  #: neighbours in the next layer


def layout(
    nodes: Sequence[Node], edges: Sequence[Edge], groups: Sequence[Group] = (), previous: Layout | None = None
) -> Layout:
    """Lay the graph out left to right. Edges naming unknown nodes and self-loops are left out.

    ``previous``: an earlier drawing of the same architecture (the one shown before an edit). The
    graph is then laid out only the way that drawing was (the first or the second drawing, its loops
    turning where they did), its order within layers started from where the components were there
    rather than from many starting orders: the picture moves little and costs a fraction of a fresh
    layout. When that order crosses more than the previous one did, the graph is laid out afresh too
    and the drawing with fewer crossings is kept."""
    index = {node.id: n for n, node in enumerate(nodes)}
    group_of = {g.id: g for g in groups}
    # Group membership as a chain from the outermost group in: a node's items sit inside each.
    chains: dict[str | None, tuple[str, ...]] = {None: ()}
    for g in groups:
        chains[g.id] = _chain(g.id, group_of)
    pairs: dict[tuple[int, int], list[Edge]] = {}
    for edge in edges:
        a, b = index.get(edge.source), index.get(edge.target)
        if a is None or b is None or a == b:
            continue
        pairs.setdefault((a, b), []).append(edge)
    reversed_pairs = _hierarchical_feedback(
        [chains[node.group if node.group in chains else None] for node in nodes], list(pairs)
    )
    dag: list[tuple[int, int]] = []
    for a, b in pairs:
        dag.append((b, a) if (a, b) in reversed_pairs else (a, b))
    # An edge reversed to break a cycle can be drawn as a loop in its own direction: out of its
    # source's right side, back along the layers it spans, into its target's left side, around what
    # lies between its ends rather than through it. An edge whose opposite is drawn too shares that
    # one's line instead.
    loops = {(a, b) for a, b in reversed_pairs if (b, a) not in pairs}
    members: dict[str, list[int]] = {}
    for n, node in enumerate(nodes):
        for gid in chains.get(node.group, ()):
            members.setdefault(gid, []).append(n)
    layers = _layers(len(nodes), dag, members)
    node_chains = [chains[node.group if node.group in chains else None] for node in nodes]
    _deal_unconnected(layers, dag, node_chains)
    seeded = None
    known = sum(1 for node in nodes if node.id in previous.nodes) if previous is not None else 0
    if previous is not None and previous.made is not None and known * 2 >= len(nodes):
        made = previous.made
        seed = {cid: box.cy for cid, box in previous.nodes.items()}
        if made.second and (loops or groups) and len(nodes) <= SECOND_DRAWING_LIMIT:
            beside = list(layers)
            _beside_groups(beside, dag, node_chains)
            ids = {pair: (nodes[pair[0]].id, nodes[pair[1]].id) for pair in loops}
            turning = {pair: made.outward.get(ids[pair], (True, False)) for pair in sorted(loops)}
            seeded, _ = _draw(nodes, groups, chains, pairs, reversed_pairs, dag, beside, True, turning, seed)
        else:
            seeded, _ = _draw(nodes, groups, chains, pairs, reversed_pairs, dag, layers, False, {}, seed)
        assert seeded.made is not None
        # Crossing clearly more than before (an edge added across the drawing, say), the order may
        # be stuck near the earlier one: a fresh layout is made too and the better one kept. (Not
        # past RESTARTS_LIMIT components: a fresh order there has no more starts than this one.)
        margin = max(RELAYOUT_MARGIN, made.crossings // 4)
        if seeded.made.crossings <= made.crossings + margin or len(nodes) > RESTARTS_LIMIT:
            return seeded
    fresh = _fresh(nodes, groups, chains, pairs, reversed_pairs, dag, layers, loops, node_chains)
    if seeded is not None and seeded.crossings() <= fresh.crossings():
        return seeded
    return fresh


def _fresh(
    nodes: Sequence[Node],
    groups: Sequence[Group],
    chains: dict[str | None, tuple[str, ...]],
    pairs: dict[tuple[int, int], list[Edge]],
    reversed_pairs: set[tuple[int, int]],
    dag: list[tuple[int, int]],
    layers: list[int],
    loops: set[tuple[int, int]],
    node_chains: list[tuple[str, ...]],
) -> Layout:
    """The layout from scratch: the first drawing, and the second where it may cross less."""
    plain, _ = _draw(nodes, groups, chains, pairs, reversed_pairs, dag, layers, False, {})
    if (not loops and not groups) or len(nodes) > SECOND_DRAWING_LIMIT or plain.crossings() == 0:
        return plain
    if sum(layers[a] - layers[b] + 2 for a, b in loops) > len(nodes):
        return plain  # more loops than the drawing would hold: they would cross more, and slowly
    # The same graph drawn the way ELK draws compound graphs with cycles: each edge reversed to break
    # a cycle as a loop, a component that only calls into a group (or is only called from one) beside
    # the group rather than above or below it, and an edge leaving a group towards something past
    # its last layer (or entering one from before its first) running inside it to its side. Many
    # loops, or groups whose members spread over every layer, can make this cross more: the
    # drawing with fewer crossings is kept (the smaller on a tie).
    beside = list(layers)
    _beside_groups(beside, dag, node_chains)
    if not loops and beside == layers and not _leaves_by_a_side(beside, dag, node_chains):
        return plain  # the second drawing would be the same
    args = (nodes, groups, chains, pairs, reversed_pairs, dag, beside, True)
    outward: dict[tuple[int, int], tuple[bool, bool]] = {pair: (True, False) for pair in sorted(loops)}
    best, crossed = _draw(*args, outward)
    count = best.crossings()
    # A loop turns back one layer past its source's column, around what lies in that layer (as ELK's
    # do), and into its target beside the target's column. A turn that crosses something is tried the
    # other way (beside its source's column, or one layer before its target's), a few tries at most.
    # (Not when even turns that crossed nothing could not bring it under the first drawing.)
    tries = LOOP_TRIES if len(nodes) <= TRY_LIMIT else 0
    if count - sum(sum(turns) for turns in crossed.values()) > plain.crossings():
        tries = 0
    for pair in list(outward):
        for side in (0, 1):
            if not crossed[pair][side] or tries == 0:
                continue
            tries -= 1
            trial = dict(outward)
            flags = list(trial[pair])
            flags[side] = not flags[side]
            trial[pair] = (flags[0], flags[1])
            drawn, trial_crossed = _draw(*args, trial)
            if drawn.crossings() < count:
                best, crossed, count, outward = drawn, trial_crossed, drawn.crossings(), trial
    return best if (count, area(best)) < (plain.crossings(), area(plain)) else plain


#: How many more crossings than the earlier drawing a graph laid out from it may have (or a quarter
#: more, if that is more) before it is also laid out afresh.
RELAYOUT_MARGIN = 2

#: Up to how many components a graph is also drawn the second way (it costs a second layout or more;
#: a large graph's layout is what a changed graph waits for in the live preview).
SECOND_DRAWING_LIMIT = 40
#: Up to how many components a loop's turn may be tried the other way.
TRY_LIMIT = 25
#: How many times a loop's turn is tried the other way (each try lays the graph out again).
LOOP_TRIES = 2


def _draw(
    nodes: Sequence[Node],
    groups: Sequence[Group],
    chains: dict[str | None, tuple[str, ...]],
    pairs: dict[tuple[int, int], list[Edge]],
    reversed_pairs: set[tuple[int, int]],
    dag: list[tuple[int, int]],
    layers: list[int],
    sides: bool,
    outward: dict[tuple[int, int], tuple[bool, bool]],
    seed: dict[str, float] | None = None,
) -> tuple[Layout, dict[tuple[int, int], tuple[int, int]]]:
    """The layout with each loop turning where ``outward`` says, and how much each loop's two turns
    cross. ``seed``: where components were in an earlier drawing (the centre of their box), to
    start the order within layers from."""
    vs: list[_V] = [
        _V(n, node.id, node.width, node.height, node.group if node.group in chains else None, layers[n])
        for n, node in enumerate(nodes)
    ]
    chains_of = [chains[v.group] for v in vs]
    depth = max((v.layer for v in vs), default=0) + 1
    # Every path runs from a box's right side to a box's left side. A DAG edge runs through the layers
    # between its ends. A loop turns back in the gap after its source's column (or the next one) to a
    # dummy in that column, runs back through a dummy in each layer to its target's (or the one
    # before), and turns there into its target. The turns are edges within one layer: they cross the
    # edges on their side of whatever lies between their two ends, which the ordering counts.
    spans = _spans(vs, chains_of)
    paths: dict[tuple[int, int], list[int]] = {}
    for a, b in dict.fromkeys(dag):
        if (b, a) not in outward:
            paths[(a, b)] = _path(
                vs, chains_of, a, b, range(vs[a].layer + 1, vs[b].layer), spans=spans if sides else None
            )
    loop_paths: dict[tuple[int, int], list[int]] = {}
    for (a, b), (out_far, in_far) in outward.items():
        high, low = vs[a].layer, vs[b].layer
        out_far = out_far and high + 1 < depth
        in_far = in_far and low > 0
        path = _path(vs, chains_of, a, b, range(high + out_far, low - 1 - in_far, -1), link=False)
        if out_far:
            path.insert(1, _beside(vs, chains_of, spans, a, high + 1))
        if in_far:
            path.insert(len(path) - 1, _beside(vs, chains_of, spans, b, low - 1))
        _link(vs, path)
        loop_paths[(a, b)] = path
    _placeholders(vs, chains_of, depth)
    ordered, order_crossings = _order(vs, chains_of, depth, list(loop_paths.values()), seed)
    xs, widths = _columns(vs, ordered)
    _vertical(vs, ordered, chains_of, groups)

    boxes = {v.id: Box(xs[v.layer] + (widths[v.layer] - v.width) / 2, v.y, v.width, v.height) for v in vs if v.id}
    routes = _routes(vs, xs, widths, pairs, reversed_pairs, paths, loop_paths, boxes)
    group_boxes = _group_boxes(vs, chains_of, xs, widths, groups)
    made = Made(sides, {(nodes[a].id, nodes[b].id): turns for (a, b), turns in outward.items()}, order_crossings)
    out = Layout(boxes, group_boxes, routes, 0.0, 0.0, {node.id: layers[n] for n, node in enumerate(nodes)}, made)
    _normalise(out)
    crossed = {}
    for pair, path in loop_paths.items():
        out_turn, in_turn = _loop_turns(vs, path)
        crossed[pair] = (_turn_crossings(vs, ordered, [out_turn]), _turn_crossings(vs, ordered, [in_turn]))
    return out, crossed


def _leaves_by_a_side(layers: list[int], dag: list[tuple[int, int]], chains: list[tuple[str, ...]]) -> bool:
    """Whether an edge leaves a group towards something past its last layer, or enters one from
    something before its first, with a layer between (where it would run inside the group)."""
    span: dict[str, tuple[int, int]] = {}
    for n, chain in enumerate(chains):
        for gid in chain:
            low, high = span.get(gid, (layers[n], layers[n]))
            span[gid] = (min(low, layers[n]), max(high, layers[n]))
    for a, b in dag:
        if abs(layers[a] - layers[b]) < 2:
            continue
        shared = _common(chains[a], chains[b])
        for end, other in ((a, b), (b, a)):
            for gid in chains[end][len(shared) :]:
                low, high = span[gid]
                if not low <= layers[other] <= high:
                    return True
    return False


def _beside_groups(layers: list[int], dag: list[tuple[int, int]], chains: list[tuple[str, ...]]) -> None:
    """A sink outside a group whose every caller is inside it goes beside the group (after its last
    layer) rather than above or below it, and likewise a source whose every callee is inside one."""
    span: dict[str, list[int]] = {}
    for n, chain in enumerate(chains):
        for gid in chain:
            low_high = span.setdefault(gid, [layers[n], layers[n]])
            low_high[0] = min(low_high[0], layers[n])
            low_high[1] = max(low_high[1], layers[n])
    into: dict[int, list[int]] = {}
    out_of: dict[int, list[int]] = {}
    for a, b in dict.fromkeys(dag):
        out_of.setdefault(a, []).append(b)
        into.setdefault(b, []).append(a)
    for n in range(len(layers)):
        for near, after in ((into, True), (out_of, False)):
            others = (out_of if after else into).get(n)
            ends = near.get(n)
            if others or not ends:
                continue
            shared = chains[ends[0]]
            for e in ends[1:]:
                shared = _common(shared, chains[e])
            own = chains[n]
            if len(shared) <= len(own) or shared[: len(own)] != own:
                continue
            low, high = span[shared[len(own)]]
            if low <= layers[n] <= high:
                layers[n] = high + 1 if after else low - 1
    low = min(layers, default=0)
    for n in range(len(layers)):
        layers[n] -= low


def _path(
    vs: list[_V],
    chains_of: list[tuple[str, ...]],
    a: int,
    b: int,
    layers: Iterable[int],
    link: bool = True,
    spans: dict[str, tuple[int, int]] | None = None,
) -> list[int]:
    """A path from ``a`` to ``b`` through a dummy in each of ``layers``, inside the groups both ends
    are in. With ``spans``, a dummy is also inside those of the source's other groups that reach its
    layer (else the target's): an edge leaves a group through its side, where it ends, rather than
    through its top or bottom (as ELK routes edges out of compound nodes)."""
    shared = _common(chains_of[a], chains_of[b])
    path = [a]
    for layer in layers:
        chain = shared
        if spans is not None:
            for end, other in ((a, vs[b].layer), (b, vs[a].layer)):
                own = chains_of[end]
                keep = len(shared)
                while keep < len(own):
                    low, high = spans[own[keep]]
                    if not (low <= layer <= high) or low <= other <= high:
                        break
                    keep += 1
                if keep > len(shared):
                    chain = own[:keep]
                    break
        path.append(_dummy(vs, chains_of, chain, layer))
    path.append(b)
    if link:
        _link(vs, path)
    return path


def _dummy(vs: list[_V], chains_of: list[tuple[str, ...]], chain: tuple[str, ...], layer: int) -> int:
    vs.append(_V(len(vs), None, 0.0, 0.0, chain[-1] if chain else None, layer, kind="dummy"))
    chains_of.append(chain)
    return len(vs) - 1


def _link(vs: list[_V], path: list[int]) -> None:
    """Neighbours along ``path`` in neighbouring layers (a step within one layer is a loop's turn)."""
    for u, w in pairwise(path):
        if vs[u].layer != vs[w].layer:
            if vs[u].layer > vs[w].layer:
                u, w = w, u
            vs[u].down.append(w)
            vs[w].up.append(u)


def _spans(vs: list[_V], chains_of: list[tuple[str, ...]]) -> dict[str, tuple[int, int]]:
    """The first and last layer of each group that holds something."""
    span: dict[str, tuple[int, int]] = {}
    for v in vs:
        for gid in chains_of[v.n]:
            low, high = span.get(gid, (v.layer, v.layer))
            span[gid] = (min(low, v.layer), max(high, v.layer))
    return span


def _beside(
    vs: list[_V], chains_of: list[tuple[str, ...]], spans: dict[str, tuple[int, int]], end: int, layer: int
) -> int:
    """A dummy in the layer next to ``end``'s, inside those of its groups that reach that layer anyway
    (a loop passing there should neither widen a group nor leave it sooner than it must)."""
    chain = chains_of[end]
    keep = 0
    while keep < len(chain) and spans[chain[keep]][0] <= layer <= spans[chain[keep]][1]:
        keep += 1
    return _dummy(vs, chains_of, chain[:keep], layer)


def _chain(gid: str, groups: dict[str, Group]) -> tuple[str, ...]:
    chain = [gid]
    parent = groups[gid].parent
    while parent is not None and parent in groups and parent not in chain:
        chain.append(parent)
        parent = groups[parent].parent
    return tuple(reversed(chain))


def _common(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    n = 0
    while n < len(a) and n < len(b) and a[n] == b[n]:
        n += 1
    return a[:n]


# --- 1. cycles -----------------------------------------------------------------------------------------


def _feedback(count: int, edges: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """Edges to reverse so the graph has no cycle: those pointing backwards in Eades' greedy order."""
    out_of: list[set[int]] = [set() for _ in range(count)]
    into: list[set[int]] = [set() for _ in range(count)]
    for a, b in edges:
        out_of[a].add(b)
        into[b].add(a)
    alive = set(range(count))
    left: list[int] = []
    right: list[int] = []
    outdeg = [len(s) for s in out_of]
    indeg = [len(s) for s in into]

    def remove(v: int) -> None:
        alive.discard(v)
        for w in out_of[v]:
            if w in alive:
                indeg[w] -= 1
        for w in into[v]:
            if w in alive:
                outdeg[w] -= 1

    while alive:
        changed = True
        while changed:
            changed = False
            for v in sorted(alive):
                if outdeg[v] == 0:
                    right.append(v)
                    remove(v)
                    changed = True
            for v in sorted(alive):
                if indeg[v] == 0:
                    left.append(v)
                    remove(v)
                    changed = True
        if alive:
            best = max(sorted(alive), key=lambda v: outdeg[v] - indeg[v])
            left.append(best)
            remove(best)
    rank = {v: n for n, v in enumerate(left + list(reversed(right)))}
    return {(a, b) for a, b in edges if rank[a] > rank[b]}


def _hierarchical_feedback(chains: list[tuple[str, ...]], edges: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """Edges to reverse, chosen level by level: first between the outermost groups (each taken as one
    node) and the nodes outside any group, then inside each group. Two groups calling each other would
    otherwise stretch both boxes across each other's layers."""
    out: set[tuple[int, int]] = set()

    def solve(items: list[int], level: int) -> None:
        unit: dict[int, tuple[str, ...] | int] = {}
        for n in items:
            unit[n] = chains[n][: level + 1] if len(chains[n]) > level else n
        keys = list(dict.fromkeys(unit.values()))
        position = {k: i for i, k in enumerate(keys)}
        inside = set(items)
        collapsed: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for a, b in edges:
            if a in inside and b in inside and unit[a] != unit[b]:
                collapsed.setdefault((position[unit[a]], position[unit[b]]), []).append((a, b))
        for pair in _feedback(len(keys), list(collapsed)):
            out.update(collapsed[pair])
        for key in keys:
            if isinstance(key, tuple):
                solve([n for n in items if unit[n] == key], level + 1)

    solve(list(range(len(chains))), 0)
    return out


# --- 2. layers ------------------------------------------------------------------------------------------


#: How much a layer of a group's width costs against a layer of an edge's length: groups stay compact.
GROUP_SPAN_COST = 3


#: How much wider than tall the block of unconnected components is made (a column is some 310 px wide
#: with its gap, a row some 82 px tall).
UNCONNECTED_ASPECT = 1.5


def _deal_unconnected(layers: list[int], dag: list[tuple[int, int]], chains: list[tuple[str, ...]]) -> None:
    """Components with no connection, outside any group (a Terraform module's stand-alone resources,
    say), would all stand in the first layer, one column as tall as they are many. They are dealt in
    rows over columns of their own after the connected drawing's last layer, as many columns as make
    their block about UNCONNECTED_ASPECT times as wide as tall: a grid beside the drawing, as ELK packs
    a graph's separate parts. With no edges they cross nothing wherever they stand."""
    linked = {n for pair in dag for n in pair}
    alone = [n for n in range(len(layers)) if n not in linked and not chains[n]]
    if len(alone) < 2:
        return
    after = 1 + max((layers[n] for n in range(len(layers)) if n in linked or chains[n]), default=-1)
    columns = min(len(alone), math.ceil(math.sqrt(len(alone) * UNCONNECTED_ASPECT * 82 / 310)))
    for i, n in enumerate(alone):
        layers[n] = after + i % columns


def _layers(count: int, dag: list[tuple[int, int]], members: dict[str, list[int]]) -> list[int]:
    """Layers that minimise the total length of the edges plus the groups' widths (each edge at least
    one layer long): a linear program whose dual is a minimum-cost flow, solved by networkx's network
    simplex; the layers are the potentials of the optimal flow."""
    import networkx as nx

    if count == 0:
        return []
    arcs: list[tuple[int, int, int]] = []  # (u, v, delta): y_v - y_u >= delta
    coefficient = [0] * count
    for a, b in dict.fromkeys(dag):
        arcs.append((a, b, 1))
        coefficient[b] += 1
        coefficient[a] -= 1
    variables = count
    for group_members in members.values():
        if len(group_members) < 2:
            continue
        low, high = variables, variables + 1
        variables += 2
        coefficient += [-GROUP_SPAN_COST, GROUP_SPAN_COST]
        for m in group_members:
            arcs.append((low, m, 0))
            arcs.append((m, high, 0))
    graph = nx.DiGraph()
    graph.add_nodes_from((v, {"demand": coefficient[v]}) for v in range(variables))
    graph.add_edges_from((u, v, {"weight": -delta}) for u, v, delta in arcs)
    _, flow = nx.network_simplex(graph)
    # The layers: the smallest potentials meeting every constraint, tight where flow runs.
    bounds: list[list[tuple[int, int]]] = [[] for _ in range(variables)]
    for u, v, delta in arcs:
        bounds[u].append((v, delta))
        if flow[u][v] > 0:
            bounds[v].append((u, -delta))
    layer = [0] * variables
    queue = list(range(variables))
    queued = [True] * variables
    while queue:
        u = queue.pop()
        queued[u] = False
        for v, delta in bounds[u]:
            if layer[u] + delta > layer[v]:
                layer[v] = layer[u] + delta
                if not queued[v]:
                    queued[v] = True
                    queue.append(v)
    low = min(layer[:count], default=0)
    return [value - low for value in layer[:count]]


# --- 3. group placeholders -----------------------------------------------------------------------------


def _placeholders(vs: list[_V], chains_of: list[tuple[str, ...]], depth: int) -> None:
    """A group's box spans the layers from its first to its last item; in a layer it spans without an
    item of its own, a placeholder holds its place in the order."""
    span: dict[str, list[int]] = {}
    present: dict[str, set[int]] = {}
    for v in vs:
        for gid in chains_of[v.n]:
            low_high = span.setdefault(gid, [v.layer, v.layer])
            low_high[0] = min(low_high[0], v.layer)
            low_high[1] = max(low_high[1], v.layer)
            present.setdefault(gid, set()).add(v.layer)
    # Innermost groups first, so a placeholder of a nested group also counts for its parents.
    for gid in sorted(span, key=lambda g: -len(_chain_of(g, chains_of, vs))):
        low, high = span[gid]
        chain = _chain_of(gid, chains_of, vs)
        for layer in range(low, high + 1):
            if layer in present[gid]:
                continue
            p = _V(len(vs), None, 0.0, 0.0, gid, layer, kind="placeholder")
            vs.append(p)
            chains_of.append(chain)
            for g in chain:
                present.setdefault(g, set()).add(layer)


def _chain_of(gid: str, chains_of: list[tuple[str, ...]], vs: list[_V]) -> tuple[str, ...]:
    for chain in chains_of:
        if gid in chain:
            return chain[: chain.index(gid) + 1]
    return (gid,)


# --- 4. order within layers ----------------------------------------------------------------------------


#: A loop's turn within a layer: the layer, the box, the loop's dummy beside it, and whether it turns
#: on the right side of the column (out of its source) or on the left (into its target).
Turn = tuple[int, int, int, bool]


def _loop_turns(vs: list[_V], path: list[int]) -> list[Turn]:
    """A loop's two turns: the first step within one layer (on the right of the column, the end
    nearer its source first) and the last (on the left, the end nearer its target first)."""
    steps = [i for i in range(len(path) - 1) if vs[path[i]].layer == vs[path[i + 1]].layer]
    first, last = steps[0], steps[-1]
    return [
        (vs[path[first]].layer, path[first], path[first + 1], True),
        (vs[path[last]].layer, path[last + 1], path[last], False),
    ]


def _order(
    vs: list[_V],
    chains_of: list[tuple[str, ...]],
    depth: int,
    loops: list[list[int]],
    seed: dict[str, float] | None = None,
) -> tuple[list[list[int]], int]:
    """The order within each layer, and the crossings it leaves (between layers and at loops' turns)."""
    turns = [turn for path in loops for turn in _loop_turns(vs, path)]
    # In a sweep, a loop's dummy beside its box has no neighbour on one side: it follows the box.
    partner = {d: (end, right) for _, end, d, right in turns}
    layers: list[list[int]] = [[] for _ in range(depth)]
    # A first order from a breadth-first walk from the sources keeps related nodes together.
    seen: set[int] = set()
    queue = [v.n for v in vs if v.layer == 0 or (not v.up and v.kind != "placeholder")]
    for n in queue:
        if n in seen:
            continue
        seen.add(n)
        layers[vs[n].layer].append(n)
        queue.extend(w for w in vs[n].down if w not in seen)
    for v in vs:
        if v.n not in seen:
            layers[v.layer].append(v.n)
    starts = [layers, [list(reversed(layer)) for layer in layers]]
    real = sum(1 for v in vs if v.kind == "node")
    sweeps = 10 if real <= 120 else 8
    if seed is not None:
        # From an earlier drawing: one start, where its components were; a few sweeps mend what the
        # edit changed.
        starts = [_seeded(vs, chains_of, layers, seed)]
        sweeps = SEEDED_SWEEPS
    # More starting orders where the graph is small enough for them to be cheap: the sweeps find a
    # local optimum, and another start often finds a better one.
    rng = random.Random(len(vs))
    for _ in range(0 if seed is not None else 18 if real <= 40 else 6 if real <= RESTARTS_LIMIT else 0):
        shuffled = [list(layer) for layer in layers]
        for layer in shuffled:
            rng.shuffle(layer)
        starts.append(shuffled)
    best: list[list[int]] | None = None
    best_count = -1
    group_rank: dict[str, float] = {}
    for start in starts:
        order = [list(layer) for layer in start]
        for layer in order:
            _grouped(vs, chains_of, layer, {n: float(p) for p, n in enumerate(layer)}, group_rank)
        _set_positions(vs, order)
        count = _total_crossings(vs, order, turns)
        candidate = [list(layer) for layer in order]
        candidate_count = count
        for sweep in range(sweeps):
            downward = sweep % 2 == 0
            sequence = range(1, depth) if downward else range(depth - 2, -1, -1)
            for li in sequence:
                layer = order[li]
                keys: dict[int, float] = {}
                for n in layer:
                    near = vs[n].up if downward else vs[n].down
                    if near:
                        keys[n] = sum(vs[w].pos for w in near) / len(near)
                    elif n in partner and partner[n][1] != downward:
                        end = vs[partner[n][0]].pos
                        keys[n] = end + (0.4 if vs[n].pos > end else -0.4)
                    else:
                        keys[n] = float(vs[n].pos)
                _grouped(vs, chains_of, layer, keys, group_rank)
                for p, n in enumerate(layer):
                    vs[n].pos = p
            _transpose(vs, chains_of, order, 4 if real <= 120 else 2)
            count = _total_crossings(vs, order, turns)
            if count < candidate_count:
                candidate, candidate_count = [list(layer) for layer in order], count
            if count == 0:
                break
        if best is None or candidate_count < best_count:
            best, best_count = candidate, candidate_count
        group_rank = _group_ranks(vs, chains_of, candidate)
    assert best is not None
    # Sibling groups take one order in every layer, so their boxes never cross.
    group_rank = _group_ranks(vs, chains_of, best)
    for layer in best:
        _set_positions(vs, [layer])
        _grouped(vs, chains_of, layer, {n: float(vs[n].pos) for n in layer}, group_rank, fixed=True)
    _set_positions(vs, best)
    _sift(vs, chains_of, best)
    if loops:
        _place_loops(vs, chains_of, best, loops, turns)
    return best, _total_crossings(vs, best, turns)


#: Up to how many components a fresh order also starts from random orders.
RESTARTS_LIMIT = 120
#: Sweeps from an earlier drawing's order (a fresh order takes 8 or 10 from each start).
SEEDED_SWEEPS = 4


def _seeded(
    vs: list[_V], chains_of: list[tuple[str, ...]], layers: list[list[int]], seed: dict[str, float]
) -> list[list[int]]:
    """Each layer in the order of an earlier drawing: a component where it was, a dummy or a new
    component between its placed neighbours on either side (a long edge's dummies evenly from one
    end to the other), a group's placeholder at its group's mean, whatever is left after all of them
    (in ``layers``' order)."""
    key: dict[int, float] = {v.n: seed[v.id] for v in vs if v.id is not None and v.id in seed}
    # From each side: the mean of the nearest placed items that way, and how many layers away.
    reach: list[dict[int, tuple[float, int]]] = [{}, {}]
    for side, downward in enumerate((True, False)):
        found = reach[side]
        for layer in layers if downward else reversed(layers):
            for n in layer:
                if n in key:
                    continue
                near = [
                    (key[w], 0) if w in key else found[w]
                    for w in (vs[n].up if downward else vs[n].down)
                    if w in key or w in found
                ]
                if near:
                    found[n] = (sum(k for k, _ in near) / len(near), 1 + min(d for _, d in near))
    for n, (k_up, d_up) in reach[0].items():
        if n in reach[1]:
            k_down, d_down = reach[1][n]
            key[n] = (k_up * d_down + k_down * d_up) / (d_up + d_down)
        else:
            key[n] = k_up
    for n, (k_down, _) in reach[1].items():
        key.setdefault(n, k_down)
    total: dict[str, list[float]] = {}
    for n, k in key.items():
        for gid in chains_of[n]:
            total.setdefault(gid, []).append(k)
    last = max(key.values(), default=0.0) + 1.0
    for layer in layers:
        for n in layer:
            if n not in key:
                inside = [total[g] for g in reversed(chains_of[n]) if g in total]
                key[n] = sum(inside[0]) / len(inside[0]) if inside else last
    position = {n: p for layer in layers for p, n in enumerate(layer)}
    return [sorted(layer, key=lambda n: (key[n], position[n])) for layer in layers]


#: Places tried, over all the loops' dummies, above which they are not moved one by one.
PLACE_LIMIT = 2000


def _place_loops(
    vs: list[_V], chains_of: list[tuple[str, ...]], order: list[list[int]], loops: list[list[int]], turns: list[Turn]
) -> None:
    """Where the sweeps left a loop crossing what lies between it and its boxes, try running it along
    the top or the bottom of every layer it passes (as far out as its groups allow), then move each of
    its dummies to the place in its layer where it crosses least."""
    for path in loops:
        dummies = path[1:-1]
        best = _total_crossings(vs, order, turns)
        for side in (0, -1):
            if best == 0:
                break
            before = {d: list(order[vs[d].layer]) for d in dummies}
            for d in dummies:
                layer = order[vs[d].layer]
                layer.remove(d)
                layer.insert(_allowed(chains_of, layer, chains_of[d])[side], d)
                _set_positions(vs, [layer])
            count = _total_crossings(vs, order, turns)
            if count < best:
                best = count
            else:
                for d, layer in before.items():
                    order[vs[d].layer][:] = layer
                    _set_positions(vs, [layer])
    # Each dummy tries every place in its layer: skipped where that would be slow.
    if sum(len(order[vs[d].layer]) for path in loops for d in path[1:-1]) > PLACE_LIMIT:
        return
    by_layer: dict[int, list[Turn]] = {}
    for turn in turns:
        by_layer.setdefault(turn[0], []).append(turn)
    for _ in range(2):
        moved = False
        for path in loops:
            for d in path[1:-1]:
                li = vs[d].layer
                layer = order[li]

                here = by_layer.get(li, [])
                now = _local_crossings(vs, order, li, here)
                at = layer.index(d)
                layer.remove(d)
                best_p, best_count = at, now
                for p in _allowed(chains_of, layer, chains_of[d]):
                    layer.insert(p, d)
                    count = _local_crossings(vs, order, li, here)
                    layer.remove(d)
                    if count < best_count:
                        best_p, best_count = p, count
                layer.insert(best_p, d)
                _set_positions(vs, [layer])
                moved = moved or best_p != at
        if not moved:
            break


def _local_crossings(vs: list[_V], order: list[list[int]], li: int, turns: list[Turn]) -> int:
    """The crossings that the order of layer ``li`` changes: on either side of it and its turns'."""
    _set_positions(vs, [order[li]])
    low = max(0, li - 1)
    return _total_crossings(vs, order[low : li + 2], turns, low)


def _allowed(chains_of: list[tuple[str, ...]], layer: list[int], chain: tuple[str, ...]) -> list[int]:
    """Where an item inside the groups ``chain`` may go in ``layer``: inside its own groups' run,
    splitting no other group's."""
    out = []
    for p in range(len(layer) + 1):
        above = chains_of[layer[p - 1]] if p > 0 else ()
        below = chains_of[layer[p]] if p < len(layer) else ()
        if chain and chain[-1] not in above and chain[-1] not in below:
            continue
        shared = _common(above, below)
        if len(shared) > len(chain) or shared != chain[: len(shared)]:
            continue
        out.append(p)
    return out or [len(layer)]


#: Layers with more items than this are not sifted (the pairwise table grows with the square).
SIFT_LIMIT = 80


def _sift(vs: list[_V], chains_of: list[tuple[str, ...]], order: list[list[int]], rounds: int = 4) -> None:
    """Move each node (and each group, between the groups on either side of it) to the place in its
    layer where it crosses least, until nothing moves (``rounds`` times at most)."""
    for _ in range(rounds):
        moved = False
        for layer in order:
            if len(layer) > SIFT_LIMIT:
                continue
            before = list(layer)
            layer[:] = _sift_items(vs, chains_of, layer, 0)
            for p, n in enumerate(layer):
                vs[n].pos = p
            moved = moved or layer != before
        if not moved:
            break


def _sift_items(vs: list[_V], chains_of: list[tuple[str, ...]], items: list[int], level: int) -> list[int]:
    entries: list[list[int]] = []
    blocks: list[bool] = []
    for n in items:
        chain = chains_of[n]
        key = chain[level] if len(chain) > level else None
        if key is not None and entries and blocks[-1] and chains_of[entries[-1][0]][level] == key:
            entries[-1].append(n)
        else:
            entries.append([n])
            blocks.append(key is not None)
    count = len(entries)
    if count > 1:
        up = {n: sorted(vs[w].pos for w in vs[n].up) for entry in entries for n in entry}
        down = {n: sorted(vs[w].pos for w in vs[n].down) for entry in entries for n in entry}
        cost = [[0] * count for _ in range(count)]
        for i in range(count):
            row = cost[i]
            for a in entries[i]:
                up_a, down_a = up[a], down[a]
                if not up_a and not down_a:
                    continue
                for j in range(count):
                    if i == j:
                        continue
                    total = 0
                    for b in entries[j]:
                        if up_a:
                            total += _pair_crossings(up_a, up[b])
                        if down_a:
                            total += _pair_crossings(down_a, down[b])
                    row[j] += total
        sequence = list(range(count))
        for e in range(count):
            at = sequence.index(e)
            rest = sequence[:at] + sequence[at + 1 :]
            # A group may not pass another group: sibling groups keep one order in every layer.
            low, high = 0, len(rest)
            if blocks[e]:
                for p, other in enumerate(rest):
                    if blocks[other]:
                        if p < at:
                            low = p + 1
                        elif high == len(rest):
                            high = p
            best_p, best_cost = at, None
            # The cost of e at place p, from one place to the next: what passes from after e to before it.
            total = sum(cost[x][e] for x in rest[:low]) + sum(cost[e][x] for x in rest[low:])
            for p in range(low, high + 1):
                if p > low:
                    x = rest[p - 1]
                    total += cost[x][e] - cost[e][x]
                if best_cost is None or total < best_cost or (total == best_cost and p == at):
                    best_p, best_cost = p, total
            sequence = [*rest[:best_p], e, *rest[best_p:]]
        entries = [entries[e] for e in sequence]
        blocks = [blocks[e] for e in sequence]
    out: list[int] = []
    for entry, block in zip(entries, blocks, strict=True):
        out.extend(_sift_items(vs, chains_of, entry, level + 1) if block else entry)
    return out


def _set_positions(vs: list[_V], order: list[list[int]]) -> None:
    for layer in order:
        for p, n in enumerate(layer):
            vs[n].pos = p


def _group_ranks(vs: list[_V], chains_of: list[tuple[str, ...]], order: list[list[int]]) -> dict[str, float]:
    """Each group's mean relative position over the layers it is in."""
    total: dict[str, float] = {}
    count: dict[str, int] = {}
    for layer in order:
        size = max(1, len(layer) - 1)
        for p, n in enumerate(layer):
            for gid in chains_of[n]:
                total[gid] = total.get(gid, 0.0) + p / size
                count[gid] = count.get(gid, 0) + 1
    return {gid: total[gid] / count[gid] for gid in total}


def _grouped(
    vs: list[_V],
    chains_of: list[tuple[str, ...]],
    layer: list[int],
    keys: dict[int, float],
    group_rank: dict[str, float],
    fixed: bool = False,
) -> None:
    """Sort a layer by ``keys`` keeping each group's items together (in place).

    A group sorts by the mean key of its items; with ``fixed``, sibling groups are put in the order of
    ``group_rank`` in the slots they took, so every layer agrees on it.
    """

    # Ties keep the current order, so a sweep never undoes what an earlier one found for no gain.
    tie = {n: p for p, n in enumerate(layer)}

    def arrange(items: list[int], level: int) -> list[int]:
        singles: list[tuple[float, int, list[int]]] = []
        blocks: dict[str, list[int]] = {}
        for n in items:
            chain = chains_of[n]
            if len(chain) > level:
                blocks.setdefault(chain[level], []).append(n)
            else:
                singles.append((keys[n], tie[n], [n]))
        entries: list[tuple[float, int, list[int], str | None]] = [(k, n, seq, None) for k, n, seq in singles]
        for gid, members in blocks.items():
            key = sum(keys[n] for n in members) / len(members)
            entries.append((key, min(tie[n] for n in members), arrange(members, level + 1), gid))
        entries.sort(key=lambda e: (e[0], e[1]))
        if fixed:
            slots = [i for i, e in enumerate(entries) if e[3] is not None]
            ranked = sorted((entries[i] for i in slots), key=lambda e: (group_rank.get(e[3] or "", 0.0), e[3] or ""))
            for i, entry in zip(slots, ranked, strict=True):
                entries[i] = entry
        out: list[int] = []
        for entry in entries:
            out.extend(entry[2])
        return out

    layer[:] = arrange(layer, 0)


def _pair_crossings(above: list[int], below: list[int]) -> int:
    """Crossings between two nodes' edges to one neighbouring layer when ``above`` comes first:
    pairs (a, b) with a below b. ``below`` is sorted."""
    if not above or not below:
        return 0
    if len(below) == 1:
        b = below[0]
        return sum(1 for a in above if a > b)
    return sum(bisect_left(below, a) for a in above)


def _transpose(vs: list[_V], chains_of: list[tuple[str, ...]], order: list[list[int]], rounds: int = 4) -> None:
    """Swap neighbours of the same group while that removes crossings."""
    for _ in range(rounds):
        improved = False
        for layer in order:
            # Positions in the neighbouring layers do not change while this layer is worked on.
            up = [sorted(vs[w].pos for w in vs[n].up) for n in layer]
            down = [sorted(vs[w].pos for w in vs[n].down) for n in layer]
            for i in range(len(layer) - 1):
                a, b = layer[i], layer[i + 1]
                if chains_of[a] != chains_of[b]:
                    continue
                now = _pair_crossings(up[i], up[i + 1]) + _pair_crossings(down[i], down[i + 1])
                if now == 0:
                    continue
                swapped = _pair_crossings(up[i + 1], up[i]) + _pair_crossings(down[i + 1], down[i])
                if swapped < now:
                    layer[i], layer[i + 1] = b, a
                    up[i], up[i + 1] = up[i + 1], up[i]
                    down[i], down[i + 1] = down[i + 1], down[i]
                    vs[a].pos, vs[b].pos = i + 1, i
                    improved = True
        if not improved:
            break


def _total_crossings(vs: list[_V], order: list[list[int]], turns: Sequence[Turn] = (), offset: int = 0) -> int:
    """Crossings between the layers of ``order`` and of the loops' turns (whose layer numbers are
    ``offset`` more than their index in ``order``)."""
    total = 0
    for layer in order[:-1]:
        pairs = sorted((vs[n].pos, vs[w].pos) for n in layer for w in vs[n].down)
        total += _inversions([b for _, b in pairs])
    return total + _turn_crossings(vs, order, turns, offset)


def _turn_crossings(vs: list[_V], order: list[list[int]], turns: Sequence[Turn], offset: int = 0) -> int:
    """A turn crosses the edges on its side of whatever lies between its two ends, and another turn
    on the same side whose ends interleave with its own."""
    total = 0
    spans: dict[tuple[int, bool], list[tuple[int, int]]] = {}
    for li, end, d, right in turns:
        low, high = sorted((vs[end].pos, vs[d].pos))
        total += sum(len(vs[n].down if right else vs[n].up) for n in order[li - offset][low + 1 : high])
        spans.setdefault((li, right), []).append((low, high))
    for same in spans.values():
        for (a1, b1), (a2, b2) in itertools.combinations(same, 2):
            if a1 < a2 < b1 < b2 or a2 < a1 < b2 < b1:
                total += 1
    return total


def _inversions(values: list[int]) -> int:
    """Pairs i < j with values[i] > values[j] (a Fenwick tree over the values)."""
    if len(values) < 2:
        return 0
    size = max(values) + 2
    tree = [0] * (size + 1)
    count = 0
    for seen, value in enumerate(values):
        # How many already inserted are <= value.
        i, below = value + 1, 0
        while i > 0:
            below += tree[i]
            i -= i & -i
        count += seen - below
        i = value + 1
        while i <= size:
            tree[i] += 1
            i += i & -i
    return count


# --- 5. coordinates -------------------------------------------------------------------------------------


def _columns(vs: list[_V], order: list[list[int]]) -> tuple[list[float], list[float]]:
    widths = [max((vs[n].width for n in layer), default=0.0) for layer in order]
    xs = []
    x = 0.0
    for width in widths:
        xs.append(x)
        x += width + LAYER_GAP
    return xs, widths


class _Constraints:
    """Variables (node tops, group tops and bottoms) and separation constraints ``right >= left + gap``."""

    def __init__(self) -> None:
        self.desired: list[float] = []
        self.weight: list[float] = []
        self.incoming: list[list[tuple[int, float]]] = []
        self.outgoing: list[list[tuple[int, float]]] = []
        self.topo: list[int] | None = None  #: the variables in an order every constraint follows

    def variable(self, desired: float, weight: float) -> int:
        self.desired.append(desired)
        self.weight.append(weight)
        self.incoming.append([])
        self.outgoing.append([])
        return len(self.desired) - 1

    def separate(self, left: int, right: int, gap: float) -> None:
        self.incoming[right].append((left, gap))
        self.outgoing[left].append((right, gap))

    def satisfy(self) -> list[float]:
        """Positions close to the desired ones (weighted least squares) meeting every constraint:
        variables merge into blocks that move together whenever a constraint is violated."""
        count = len(self.desired)
        if self.topo is None:  # the same constraints are satisfied again with other desired positions
            indeg = [len(c) for c in self.incoming]
            ready = [v for v in range(count) if indeg[v] == 0]
            self.topo = []
            while ready:
                v = ready.pop()
                self.topo.append(v)
                for w, _ in self.outgoing[v]:
                    indeg[w] -= 1
                    if indeg[w] == 0:
                        ready.append(w)
        topo = self.topo
        block = list(range(count))
        offset = [0.0] * count
        members: dict[int, list[int]] = {v: [v] for v in range(count)}
        wsum = {v: self.weight[v] * self.desired[v] for v in range(count)}
        wtot = {v: self.weight[v] for v in range(count)}
        # Each block's constraints from other blocks, in its members' order (a constraint within a
        # block stays within it: it is dropped once seen so); a variable's own, made when first needed.
        into_block: dict[int, list[tuple[int, int, float]]] = {}

        def constraints(b: int) -> list[tuple[int, int, float]]:
            found = into_block.get(b)
            if found is None:  # a block of one variable
                found = into_block[b] = [(left, b, gap) for left, gap in self.incoming[b]]
            return found

        def position(v: int) -> float:
            b = block[v]
            return wsum[b] / wtot[b] + offset[v]

        for v in topo:
            while True:
                b = block[v]
                worst, worst_c = 1e-9, None
                outside = []
                for constraint in constraints(b):
                    left, m, gap = constraint
                    if block[left] == b:
                        continue
                    outside.append(constraint)
                    violation = position(left) + gap - position(m)
                    if violation > worst:
                        worst, worst_c = violation, constraint
                into_block[b] = outside
                if worst_c is None:
                    break
                left, m, gap = worst_c
                into = block[left]
                # Put b's variables into the left block so that m sits exactly gap after left.
                shift = offset[left] + gap - offset[m]
                for x in members[b]:
                    offset[x] += shift
                    block[x] = into
                    wsum[into] += self.weight[x] * (self.desired[x] - offset[x])
                    wtot[into] += self.weight[x]
                members[into].extend(members.pop(b))
                into_block[into] = constraints(into) + into_block.pop(b)
                del wsum[b], wtot[b]
        return [position(v) for v in range(count)]


def _vertical(vs: list[_V], order: list[list[int]], chains_of: list[tuple[str, ...]], groups: Sequence[Group]) -> None:
    """Top coordinate of every node: packed first, then pulled towards the centre of its neighbours."""
    for layer in order:
        y = 0.0
        for n in layer:
            vs[n].y = y
            y += vs[n].height + NODE_GAP
    # The constraints depend on the order only: made once, each round sets new desired positions.
    system = _Constraints()
    var: dict[int, int] = {}
    for round_ in range(8):
        for layer in order:
            for n in layer:
                v = vs[n]
                near = v.up + v.down
                if near and v.kind != "placeholder":
                    centre = sum(vs[w].y + vs[w].height / 2 for w in near) / len(near)
                    desired = 0.5 * v.y + 0.5 * (centre - v.height / 2) if round_ else centre - v.height / 2
                else:
                    desired = v.y
                if round_:
                    system.desired[var[n]] = desired
                else:
                    weight = {"node": 1.0, "dummy": 2.0, "placeholder": 0.001}[v.kind]
                    var[n] = system.variable(desired, weight)
        if not round_:
            groups_vars = _GroupVariables(system)
            for layer in order:
                _separate_layer(vs, chains_of, layer, system, var, groups_vars)
        positions = system.satisfy()
        for layer in order:
            for n in layer:
                vs[n].y = positions[var[n]]
    low = min((v.y for v in vs), default=0.0)
    for v in vs:
        v.y -= low


class _GroupVariables:
    """The top and bottom of each group's box, created when a layer first meets the group."""

    def __init__(self, system: _Constraints) -> None:
        self.system = system
        self.known: dict[str, tuple[int, int]] = {}

    def __call__(self, gid: str) -> tuple[int, int]:
        if gid not in self.known:
            self.known[gid] = (self.system.variable(0.0, 1e-4), self.system.variable(0.0, 1e-4))
        return self.known[gid]


def _separate_layer(
    vs: list[_V],
    chains_of: list[tuple[str, ...]],
    layer: list[int],
    system: _Constraints,
    var: dict[int, int],
    group_vars: _GroupVariables,
) -> None:
    """Constraints keeping one layer's items in order, apart, and inside their groups' boxes."""

    def walk(items: list[int], level: int) -> list[tuple[int, int]]:
        # Each entry: (top variable, bottom variable or -1 for a node: its bottom is top + height).
        entries: list[tuple[int, int, float]] = []  # (top var, bottom var, height of a node)
        i = 0
        while i < len(items):
            n = items[i]
            chain = chains_of[n]
            if len(chain) > level:
                gid = chain[level]
                j = i
                while j < len(items) and len(chains_of[items[j]]) > level and chains_of[items[j]][level] == gid:
                    j += 1
                top, bottom = group_vars(gid)
                inner = walk(items[i:j], level + 1)
                first_top = inner[0][0]
                last_bottom, last_height = inner[-1][1], inner[-1][2]
                system.separate(top, first_top, GROUP_HEADER + GROUP_PAD)
                if last_bottom >= 0:
                    system.separate(last_bottom, bottom, GROUP_PAD)
                else:
                    system.separate(inner[-1][0], bottom, last_height + GROUP_PAD)
                entries.append((top, bottom, 0.0))
                i = j
            else:
                entries.append((var[n], -1, vs[n].height))
                i += 1
        for (top_a, bottom_a, height_a), (top_b, _, _) in pairwise(entries):
            if bottom_a >= 0:
                system.separate(bottom_a, top_b, NODE_GAP)
            else:
                system.separate(top_a, top_b, height_a + NODE_GAP)
        return [(t, b, h) for t, b, h in entries]

    walk(layer, 0)


# --- 6. routes and boxes --------------------------------------------------------------------------------


def _routes(
    vs: list[_V],
    xs: list[float],
    widths: list[float],
    pairs: dict[tuple[int, int], list[Edge]],
    reversed_pairs: set[tuple[int, int]],
    paths: dict[tuple[int, int], list[int]],
    loop_paths: dict[tuple[int, int], list[int]],
    boxes: dict[str, Box],
) -> list[Route]:
    # Ports: a box's outgoing edges leave its right side, incoming ones enter its left side, spread
    # along it in the order of the other end, so edges do not cross at the box.
    drawn = [*paths.values(), *loop_paths.values()]
    out_ports: dict[int, list[tuple[float, int, int]]] = {}
    in_ports: dict[int, list[tuple[float, int, int]]] = {}
    for k, path in enumerate(drawn):
        first, last = vs[path[1]], vs[path[-2]]
        out_ports.setdefault(path[0], []).append((first.y + first.height / 2, first.pos, k))
        in_ports.setdefault(path[-1], []).append((last.y + last.height / 2, last.pos, k))
    port_out: dict[int, float] = {}
    port_in: dict[int, float] = {}
    for a, ends in out_ports.items():
        ends.sort()
        for p, (_, _, k) in enumerate(ends):
            port_out[k] = vs[a].y + vs[a].height * (p + 1) / (len(ends) + 1)
    for b, ends in in_ports.items():
        ends.sort()
        for p, (_, _, k) in enumerate(ends):
            port_in[k] = vs[b].y + vs[b].height * (p + 1) / (len(ends) + 1)
    offsets = _turn_offsets(vs, drawn, len(paths), port_out, port_in)

    routes = []
    placed: dict[float, tuple[list[float], list[Box]]] = {}  # labels placed so far, per gap, by top
    number = {pid: k for k, pid in enumerate([*paths, *(("loop", a, b) for a, b in loop_paths)])}
    for (a, b), edges in pairs.items():
        flipped = (a, b) in reversed_pairs and (a, b) not in loop_paths
        if (a, b) in loop_paths:
            k = number[("loop", a, b)]
        else:
            k = number[(b, a) if flipped else (a, b)]
        points, gaps = _polyline(vs, xs, widths, drawn[k], boxes, port_out[k], port_in[k], offsets.get(k, (0.0, 0.0)))
        width = max((e.label_width for e in edges), default=0.0)
        label = _label_spot(points, gaps, width, placed)
        if flipped:
            points.reverse()
        for edge in edges:
            routes.append(Route(edge.key, edge.source, edge.target, list(points), flipped, label))
    return routes


def _polyline(
    vs: list[_V],
    xs: list[float],
    widths: list[float],
    path: list[int],
    boxes: dict[str, Box],
    start: float,
    end: float,
    offsets: tuple[float, float],
) -> tuple[list[tuple[float, float]], list[int]]:
    """The points of a path and where its stretches across the gaps between layers begin. Straight
    through the layers (from a box to its column's edge, along a dummy's row) and across the gaps
    between them: no stretch runs diagonally inside a column. A loop's turns are drawn in the gap
    beside their column, ``offsets`` away from it (the first on its right, the last on its left)."""
    first, last = vs[path[0]], vs[path[-1]]
    box_first, box_last = boxes[first.id or ""], boxes[last.id or ""]
    points = [(box_first.x + box_first.width, start)]
    right = xs[first.layer] + widths[first.layer]
    if right > points[-1][0]:
        points.append((right, start))
    gaps: list[int] = []
    turned = 0
    for k in range(1, len(path)):
        v, w = vs[path[k - 1]], vs[path[k]]
        y_w = end if k == len(path) - 1 else w.y
        left_w, right_w = xs[w.layer], xs[w.layer] + widths[w.layer]
        if w.layer == v.layer:
            # A turn: out and back on the right of the column, or round into the column on its left.
            x = right_w + offsets[0] if turned == 0 else left_w - offsets[1]
            points.append((x, points[-1][1]))
            points.append((x, y_w))
            turned += 1
            ahead = turned == 1  # after the first turn the loop runs back, after the second onwards
            if w is last:
                break
            points.append((right_w, y_w) if ahead else (left_w, y_w))
            points.append((left_w, y_w) if ahead else (right_w, y_w))
            continue
        gaps.append(len(points) - 1)
        if w.layer > v.layer:
            if w is last:
                break  # the column's edge and the box's side follow
            points.append((left_w, y_w))
            points.append((right_w, y_w))
        else:
            points.append((right_w, y_w))
            points.append((left_w, y_w))
    if xs[last.layer] < box_last.x:
        points.append((xs[last.layer], end))
    points.append((box_last.x, end))
    return points, gaps


#: How far from a column a loop turns, and how much further each next loop turning in the same gap.
TURN_OFFSET = 22.0
TURN_STEP = 8.0


def _turn_offsets(
    vs: list[_V], drawn: list[list[int]], first: int, port_out: dict[int, float], port_in: dict[int, float]
) -> dict[int, tuple[float, float]]:
    """How far from the column each loop turns, on its way out and on its way in. Loops turning in
    the same gap nest: the one with the shorter turn runs nearest the column."""
    by_gap: dict[tuple[int, bool], list[tuple[float, int]]] = {}
    for k in range(first, len(drawn)):
        path = drawn[k]
        for layer, end, d, right in _loop_turns(vs, path):
            y = port_out[k] if end == path[0] else port_in[k] if end == path[-1] else vs[end].y
            by_gap.setdefault((layer, right), []).append((abs(vs[d].y - y), k))
    out: dict[int, list[float]] = {}
    for (_, right), turning in sorted(by_gap.items()):
        turning.sort()
        for rank, (_, k) in enumerate(turning):
            offset = min(TURN_OFFSET + TURN_STEP * rank, LAYER_GAP / 2 - TURN_STEP)
            out.setdefault(k, [0.0, 0.0])[0 if right else 1] = offset
    return {k: (o[0], o[1]) for k, o in out.items()}


LABEL_HEIGHT = 14.0


def _label_spot(
    points: list[tuple[float, float]],
    gaps: list[int],
    width: float,
    placed: dict[float, tuple[list[float], list[Box]]],
) -> tuple[float, float]:
    """A point for an edge's label on one of its stretches across a gap between layers (where no box
    is): the first that overlaps no label placed before in that gap, else the least crowded."""
    candidates = []
    for k in gaps:
        (x1, y1), (x2, y2) = points[k], points[k + 1]
        for t in (0.5, 0.32, 0.68):
            candidates.append((min(x1, x2), x1 + (x2 - x1) * t, y1 + (y2 - y1) * t))
    if not candidates:
        return points[0]
    if width <= 0:
        return candidates[0][1], candidates[0][2]
    best, best_hits = candidates[0], None
    for gap, x, y in candidates:
        box = Box(x - width / 2, y - LABEL_HEIGHT / 2, width, LABEL_HEIGHT)
        tops, boxes = placed.get(gap, ([], []))
        # Only labels less than a label's height above or below can overlap it (a pixel's slack).
        low = bisect_right(tops, box.y - LABEL_HEIGHT - 1.0)
        high = bisect_left(tops, box.y + LABEL_HEIGHT + 1.0)
        hits = sum(1 for other in boxes[low:high] if box.overlaps(other))
        if best_hits is None or hits < best_hits:
            best, best_hits = (gap, x, y), hits
        if hits == 0:
            break
    gap, x, y = best
    tops, boxes = placed.setdefault(gap, ([], []))
    box = Box(x - width / 2, y - LABEL_HEIGHT / 2, width, LABEL_HEIGHT)
    at = bisect_right(tops, box.y)
    tops.insert(at, box.y)
    boxes.insert(at, box)
    return (x, y)


def _group_boxes(
    vs: list[_V], chains_of: list[tuple[str, ...]], xs: list[float], widths: list[float], groups: Sequence[Group]
) -> dict[str, Box]:
    extent: dict[str, list[float]] = {}
    layers_of: dict[str, list[int]] = {}
    for v in vs:
        chain = chains_of[v.n]
        for level, gid in enumerate(chain):
            bottom = v.y + v.height
            depth_below = len(chain) - 1 - level  # nested groups inside this one around v
            e = extent.setdefault(gid, [v.y, bottom, 0.0])
            e[0] = min(e[0], v.y - (GROUP_HEADER + GROUP_PAD) * (depth_below + 1))
            e[1] = max(e[1], bottom + GROUP_PAD * (depth_below + 1))
            e[2] = max(e[2], float(depth_below))
            span = layers_of.setdefault(gid, [v.layer, v.layer])
            span[0] = min(span[0], v.layer)
            span[1] = max(span[1], v.layer)
    out = {}
    for g in groups:
        if g.id not in extent:
            continue
        top, bottom, nested = extent[g.id]
        low, high = layers_of[g.id]
        pad = GROUP_PAD * (nested + 1)
        left = xs[low] - pad
        right = xs[high] + widths[high] + pad
        out[g.id] = Box(left, top, right - left, bottom - top)
    return out


def _normalise(out: Layout) -> None:
    boxes: Iterable[Box] = [*out.nodes.values(), *out.groups.values()]
    points = [p for route in out.routes for p in route.points]
    left = min([b.x for b in boxes] + [x for x, _ in points], default=0.0)
    top = min([b.y for b in [*out.nodes.values(), *out.groups.values()]] + [y for _, y in points], default=0.0)
    dx, dy = MARGIN - left, MARGIN - top
    right = bottom = 0.0
    for box in [*out.nodes.values(), *out.groups.values()]:
        box.x += dx
        box.y += dy
        right = max(right, box.x + box.width)
        bottom = max(bottom, box.y + box.height)
    for route in out.routes:
        route.points = [(x + dx, y + dy) for x, y in route.points]
        route.label_at = (route.label_at[0] + dx, route.label_at[1] + dy)
        for x, y in route.points:
            right, bottom = max(right, x), max(bottom, y)
    out.width = right + MARGIN
    out.height = bottom + MARGIN


# --- measures -------------------------------------------------------------------------------------------


def count_crossings(polylines: Sequence[Sequence[tuple[float, float]]]) -> int:
    """Proper crossings between segments of different polylines (touching ends do not count), each
    pair of polylines counted once per crossing point."""
    segments: list[tuple[float, float, float, float, int]] = []
    for n, line in enumerate(polylines):
        for (x1, y1), (x2, y2) in pairwise(line):
            if (x1, y1) != (x2, y2):
                segments.append((x1, y1, x2, y2, n))
    segments.sort(key=lambda s: min(s[0], s[2]))
    # Sweep from left to right; of the segments still open, only those whose vertical extents
    # overlap can cross (most cannot, which saves the orientation tests on large drawings).
    active: list[tuple[float, float, float, float, int, float, float, float]] = []
    count = 0
    for seg in segments:
        x1, y1, x2, y2, line = seg
        x_low, y_low, y_high = min(x1, x2), min(y1, y2), max(y1, y2)
        active = [s for s in active if s[5] >= x_low]
        for other in active:
            if other[4] != line and other[7] >= y_low and other[6] <= y_high and _cross(seg, other[:5]):
                count += 1
        active.append((x1, y1, x2, y2, line, max(x1, x2), y_low, y_high))
    return count


def _cross(s: tuple[float, float, float, float, int], t: tuple[float, float, float, float, int]) -> bool:
    ax, ay, bx, by, _ = s
    cx, cy, dx, dy, _ = t

    def orient(px: float, py: float, qx: float, qy: float, rx: float, ry: float) -> float:
        return (qx - px) * (ry - py) - (qy - py) * (rx - px)

    d1 = orient(cx, cy, dx, dy, ax, ay)
    d2 = orient(cx, cy, dx, dy, bx, by)
    d3 = orient(ax, ay, bx, by, cx, cy)
    d4 = orient(ax, ay, bx, by, dx, dy)
    eps = 1e-6
    return ((d1 > eps and d2 < -eps) or (d1 < -eps and d2 > eps)) and (
        (d3 > eps and d4 < -eps) or (d3 < -eps and d4 > eps)
    )


def area(out: Layout) -> float:
    return out.width * out.height
