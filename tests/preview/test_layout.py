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


def test_the_same_input_gives_the_same_picture() -> None:
    text = EXAMPLES[0].read_text("utf-8")
    first = built(text, "again").layout
    second = built(text, "again").layout
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
    # The edge closing the cycle is drawn as a loop in its own direction: out of c's right side, back
    # past c's and a's columns, into a's left side.
    (closing,) = [r for r in laid.routes if r.key == 3]
    c, a = laid.nodes["c"], laid.nodes["a"]
    assert not closing.reversed and a.x < c.x
    assert closing.points[0][0] == c.x + c.width and closing.points[-1][0] == a.x
    assert max(x for x, _ in closing.points) > c.x + c.width and min(x for x, _ in closing.points) < a.x
    outer, inner = laid.groups["outer"], laid.groups["inner"]
    assert outer.x < inner.x and inner.x + inner.width < outer.x + outer.width
    assert outer.y < inner.y and inner.y + inner.height < outer.y + outer.height
    assert layout.layout([], []).nodes == {}
    assert list(layout.layout([layout.Node("only", 100, 40)], []).nodes) == ["only"]


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


#: Where ELK does better. Chat's groups call each other both ways; ELK routes the edge that closes
#: that loop around the outside of the drawing, where this layout runs it through the layers.
KNOWN = {"chat": 1}


def test_no_more_crossings_than_elk_on_the_examples(scenes: dict[str, scene.Scene]) -> None:
    if not (ELK / "node_modules" / "elkjs").is_dir() or shutil.which("node") is None:
        pytest.skip("elkjs is not installed (scripts/preview-deps.sh installs it into .tools/preview)")
    examples = {name: drawn for name, drawn in scenes.items() if not name.startswith("generated")}
    elk = _elk(examples)
    ours = {name: drawn.layout.crossings() for name, drawn in examples.items()}
    for name in examples:
        assert ours[name] <= elk[name] + KNOWN.get(name, 0), f"{name}: {ours[name]} crossings, ELK {elk[name]}"
