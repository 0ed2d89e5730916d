"""The layered layout the page and the SVG export share: readable from 3 to 200 components (no box
overlaps another, groups hold their members and nothing else, edges join their boxes), the same
picture for the same input, and no more edge crossings than ELK's layered algorithm on the examples."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from archls import engine
from archls.preview import layout, scene

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.arch.yaml"))
ELK = ROOT / ".tools" / "preview"
sys.path.insert(0, str(ROOT / "bench"))
import generate  # noqa: E402  (bench/generate.py: synthetic architectures of any size)


def built(text: str, name: str) -> scene.Scene:
    analysis = engine.analyse(text, f"/tmp/{name}.arch.yaml")
    assert analysis.model is not None
    return scene.build(analysis)


@pytest.fixture(scope="module")
def scenes() -> dict[str, scene.Scene]:
    out = {path.stem.removesuffix(".arch"): built(path.read_text("utf-8"), path.stem) for path in EXAMPLES}
    for size in (50, 200):
        out[f"generated-{size}"] = built(generate.architecture(size), f"generated-{size}")
    return out


def test_no_box_overlaps_another(scenes: dict[str, scene.Scene]) -> None:
    for name, drawn in scenes.items():
        boxes = list(drawn.layout.nodes.items())
        assert len(boxes) == len(drawn.nodes), name
        for i, (a, box_a) in enumerate(boxes):
            for b, box_b in boxes[:i]:
                assert not box_a.overlaps(box_b), f"{name}: {a} overlaps {b}"


def test_groups_hold_their_members_and_nothing_else(scenes: dict[str, scene.Scene]) -> None:
    for name, drawn in scenes.items():
        for gid, box in drawn.layout.groups.items():
            for cid, node in drawn.nodes.items():
                inside = drawn.layout.nodes[cid]
                if node.group == gid:
                    assert box.x < inside.x and inside.x + inside.width < box.x + box.width, (name, gid, cid)
                    assert box.y < inside.y and inside.y + inside.height < box.y + box.height, (name, gid, cid)
                else:
                    assert not box.overlaps(inside), f"{name}: {cid} is inside group {gid}'s box"
        boxes = list(drawn.layout.groups.items())
        for i, (a, box_a) in enumerate(boxes):
            for b, box_b in boxes[:i]:
                assert not box_a.overlaps(box_b), f"{name}: groups {a} and {b} overlap"


def test_edges_join_their_boxes(scenes: dict[str, scene.Scene]) -> None:
    for name, drawn in scenes.items():
        for route in drawn.layout.routes:
            source, target = drawn.layout.nodes[route.source], drawn.layout.nodes[route.target]
            (x0, y0), (x1, y1) = route.points[0], route.points[-1]
            start_side = source.x if route.reversed else source.x + source.width
            end_side = target.x + target.width if route.reversed else target.x
            assert abs(x0 - start_side) < 0.01 and source.y <= y0 <= source.y + source.height, (name, route.key)
            assert abs(x1 - end_side) < 0.01 and target.y <= y1 <= target.y + target.height, (name, route.key)
            # No stretch of length zero: the arrowhead takes its direction from the last one.
            assert all(p != q for p, q in zip(route.points, route.points[1:], strict=False)), (name, route.key)


def test_the_same_input_gives_the_same_picture() -> None:
    # Chat: laid out both ways, with a loop whose turns are tried further out.
    text = (ROOT / "examples" / "chat.arch.yaml").read_text("utf-8")
    first = built(text, "again").layout
    scene.forget_layouts()  # the scene keeps layouts for reuse: lay it out afresh
    second = built(text, "again").layout
    assert first is not second
    assert first.nodes == second.nodes and first.groups == second.groups
    assert [r.points for r in first.routes] == [r.points for r in second.routes]


def test_cycles_self_loops_nesting_and_unknown_ends() -> None:
    nodes = [layout.Node(n, 100, 40, g) for n, g in [("a", None), ("b", "inner"), ("c", "inner"), ("d", "outer")]]
    edges = [
        layout.Edge(1, "a", "b"),
        layout.Edge(2, "b", "c"),
        layout.Edge(3, "c", "a"),  # closes a cycle
        layout.Edge(4, "c", "c"),  # a self-loop is not drawn
        layout.Edge(5, "c", "ghost"),  # an unknown end is not drawn
        layout.Edge(6, "c", "d"),
    ]
    groups = [layout.Group("inner", "outer"), layout.Group("outer")]
    laid = layout.layout(nodes, edges, groups)
    assert sorted(r.key for r in laid.routes) == [1, 2, 3, 6]
    assert [r.key for r in laid.routes if r.reversed or _loops(r, laid)] == [3]
    outer, inner = laid.groups["outer"], laid.groups["inner"]
    assert outer.x < inner.x and inner.x + inner.width < outer.x + outer.width
    assert outer.y < inner.y and inner.y + inner.height < outer.y + outer.height
    assert layout.layout([], []).nodes == {}
    assert list(layout.layout([layout.Node("only", 100, 40)], []).nodes) == ["only"]


def test_unconnected_components_stand_in_a_grid_beside_the_drawing() -> None:
    # A Terraform module's stand-alone resources: before, one column as tall as they are many.
    nodes = [layout.Node(n, 180, 56, "vpc" if n in "ab" else None) for n in "abc"]
    nodes += [layout.Node(f"alone{i}", 180, 56) for i in range(18)]
    laid = layout.layout(nodes, [layout.Edge(1, "a", "b"), layout.Edge(2, "b", "c")], [layout.Group("vpc")])
    boxes = list(laid.nodes.values())
    assert not any(one.overlaps(other) for i, one in enumerate(boxes) for other in boxes[i + 1 :])
    connected_right = max(laid.nodes[n].x + laid.nodes[n].width for n in "abc")
    alone = [laid.nodes[f"alone{i}"] for i in range(18)]
    assert all(box.x > connected_right for box in alone)  # beside the connected drawing, not in it
    columns = {round(box.x) for box in alone}
    assert 2 <= len(columns) <= 4
    assert laid.width > laid.height


def _loops(route: layout.Route, laid: layout.Layout) -> bool:
    """Whether an edge runs from its source's right side round to its target's left side, back
    past both columns."""
    source, target = laid.nodes[route.source], laid.nodes[route.target]
    xs = [x for x, _ in route.points]
    return (
        not route.reversed
        and target.x < source.x
        and xs[0] == source.x + source.width
        and xs[-1] == target.x
        and max(xs) > xs[0]
        and min(xs) < xs[-1]
    )


def test_an_edge_closing_a_cycle_between_two_groups_loops_around_the_drawing(scenes: dict[str, scene.Scene]) -> None:
    # Chat's private services push events back to the public realtime service: drawn back through
    # the layers, that edge would cross what lies between; it goes round the drawing instead.
    laid = scenes["chat"].layout
    (back,) = [r for r in laid.routes if (r.source, r.target) == ("fanout", "realtime")]
    assert _loops(back, laid)
    top = min(box.y for box in [*laid.nodes.values(), *laid.groups.values()])
    bottom = max(box.y + box.height for box in [*laid.nodes.values(), *laid.groups.values()])
    assert min(y for _, y in back.points) < top or max(y for _, y in back.points) > bottom


def test_a_component_called_only_from_a_group_sits_beside_it(scenes: dict[str, scene.Scene]) -> None:
    # Chat's push provider is called only by the notifications service, inside the private subnet:
    # it goes past the subnet's right side, and the call leaves the subnet through that side.
    laid = scenes["chat"].layout
    private, apns = laid.groups["private"], laid.nodes["apns"]
    assert apns.x > private.x + private.width
    (call,) = [r for r in laid.routes if (r.source, r.target) == ("notifications", "apns")]
    border = private.x + private.width
    for (x1, y1), (x2, y2) in zip(call.points, call.points[1:], strict=False):
        if x1 <= border <= x2 and x1 < x2:
            y = y1 + (y2 - y1) * (border - x1) / (x2 - x1)
            assert private.y < y < private.y + private.height
            break
    else:
        raise AssertionError("the call never reaches the subnet's right side")


def test_a_component_in_two_unrelated_groups_is_boxed_in_one_and_tagged_with_the_other() -> None:
    text = """name: overlapping
components:
  api: {type: service}
  db: {type: database}
groups:
  zone-a: {type: zone, members: [api, db]}
  pci: {type: trust-boundary, members: [db]}
"""
    drawn = built(text, "overlapping")
    assert drawn.nodes["db"].group == "zone-a" and drawn.nodes["db"].also_in == ["pci"]
    assert "pci" not in drawn.layout.groups


def _elk(drawings: dict[str, scene.Scene]) -> dict[str, int]:
    graphs = []
    for drawn in drawings.values():
        graphs.append(
            {
                "nodes": [
                    {"id": cid, "width": box.width, "height": box.height, "group": drawn.nodes[cid].group}
                    for cid, box in drawn.layout.nodes.items()
                ],
                "edges": [{"source": e.source, "target": e.target} for e in drawn.edges],
                "groups": [{"id": g.id, "parent": g.parent} for g in drawn.groups.values()],
            }
        )
    done = subprocess.run(
        ["node", str(ROOT / "bench" / "preview" / "elk_layout.mjs")],
        input=json.dumps(graphs),
        capture_output=True,
        text=True,
        env={**os.environ, "ELK_PATH": str(ELK)},
        timeout=300,
        check=True,
    )
    laid = json.loads(done.stdout)
    return {name: layout.count_crossings(out["edges"]) for name, out in zip(drawings, laid, strict=True)}


def test_no_more_crossings_than_elk_on_the_examples(scenes: dict[str, scene.Scene]) -> None:
    if not (ELK / "node_modules" / "elkjs").is_dir() or shutil.which("node") is None:
        pytest.skip("elkjs is not installed (scripts/preview-deps.sh installs it into .tools/preview)")
    examples = {name: drawn for name, drawn in scenes.items() if not name.startswith("generated")}
    elk = _elk(examples)
    ours = {name: drawn.layout.crossings() for name, drawn in examples.items()}
    for name in examples:
        assert ours[name] <= elk[name], f"{name}: {ours[name]} crossings, ELK {elk[name]}"


def _graph(drawn: scene.Scene) -> tuple[list[layout.Node], list[layout.Edge], list[layout.Group]]:
    nodes = [layout.Node(cid, box.width, box.height, drawn.nodes[cid].group) for cid, box in drawn.layout.nodes.items()]
    edges = [layout.Edge(e.key, e.source, e.target, scene.label_width(e.label)) for e in drawn.edges]
    return nodes, edges, [layout.Group(g.id, g.parent) for g in drawn.groups.values()]


def test_a_changed_graph_laid_out_from_its_previous_drawing(scenes: dict[str, scene.Scene]) -> None:
    # The live preview lays an edited graph out from the drawing it showed (one start, a few sweeps):
    # as readable as a fresh layout, crossing at most RELAYOUT_MARGIN more. Chat keeps the second
    # (ELK-like) drawing, ecommerce the first; a component and two connections across the drawing.
    for name in ("chat", "ecommerce", "generated-50"):
        drawn = scenes[name]
        nodes, edges, groups = _graph(drawn)
        first, last = nodes[0].id, nodes[-1].id
        nodes.append(layout.Node("added", 170.0, 56.0, nodes[-1].group))
        edges += [layout.Edge("in", first, "added", 30.0), layout.Edge("out", "added", last, 0.0)]
        relaid = layout.layout(nodes, edges, groups, previous=drawn.layout)
        fresh = layout.layout(nodes, edges, groups)
        assert relaid.crossings() <= fresh.crossings() + layout.RELAYOUT_MARGIN, name
        assert relaid.made is not None and drawn.layout.made is not None
        assert relaid.made.second == drawn.layout.made.second, name  # laid out the same way as before
        boxes = list(relaid.nodes.items())
        assert len(boxes) == len(nodes), name
        for i, (a, box_a) in enumerate(boxes):
            assert not any(box_a.overlaps(box_b) for _, box_b in boxes[:i]), (name, a)
        group_of = {node.id: node.group for node in nodes}
        for gid, box in relaid.groups.items():  # one rectangle: its members and nothing else
            for cid, inside in relaid.nodes.items():
                if group_of[cid] == gid:
                    assert box.x < inside.x and inside.x + inside.width < box.x + box.width, (name, gid, cid)
                    assert box.y < inside.y and inside.y + inside.height < box.y + box.height, (name, gid, cid)
                else:
                    assert not box.overlaps(inside), (name, gid, cid)
        again = layout.layout(nodes, edges, groups, previous=drawn.layout)  # the same from the same drawing
        assert again.nodes == relaid.nodes and [r.points for r in again.routes] == [r.points for r in relaid.routes]


def test_a_component_added_leaves_the_others_where_they_were(scenes: dict[str, scene.Scene]) -> None:
    # Laid out afresh, chat with one more (unconnected) component moves its boxes 140 px on average
    # (another starting order wins); laid out from the drawing before, each keeps its column and its
    # place in it.
    for name in ("chat", "ecommerce"):
        drawn = scenes[name]
        nodes, edges, groups = _graph(drawn)
        relaid = layout.layout([layout.Node("added", 170.0, 56.0), *nodes], edges, groups, previous=drawn.layout)
        ids = list(drawn.layout.nodes)
        assert _columns(relaid, ids) == _columns(drawn.layout, ids), name


def _columns(laid: layout.Layout, ids: list[str]) -> list[tuple[int, str]]:
    """Each component's column, in the order of the columns and from top to bottom in each."""
    return [(laid.layer[cid], cid) for cid in sorted(ids, key=lambda c: (laid.layer[c], laid.nodes[c].y))]
