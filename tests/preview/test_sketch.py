"""The sketch a live page shows while a changed graph is laid out: what was drawn stays where it was."""

from __future__ import annotations

from pathlib import Path

from archls import engine
from archls.preview import scene

SHOP = Path(__file__).resolve().parents[2] / "examples" / "ecommerce.arch.yaml"


def test_a_sketch_keeps_what_was_drawn_and_places_what_is_new() -> None:
    text = SHOP.read_text("utf-8")
    before = scene.build(engine.analyse(text, str(SHOP)))
    edited = (
        text.replace("  images:\n", "  thumbnails:\n    type: object-storage\n  images:\n", 1)
        .replace("connections:\n", "connections:\n  - {from: cart, to: thumbnails, protocol: s3}\n", 1)
        .replace("  admin:\n", "  backoffice:\n", 1)
        .replace("admin", "backoffice")
    )
    sketched = scene.build(engine.analyse(edited, str(SHOP)), sketch_from=before.layout)
    assert not sketched.settled
    drawn = sketched.layout
    assert set(drawn.nodes) == set(sketched.nodes)
    for cid, box in before.layout.nodes.items():
        if cid in drawn.nodes:
            assert (drawn.nodes[cid].x, drawn.nodes[cid].y) == (box.x, box.y), cid
    old = before.layout.nodes["admin"]
    assert (drawn.nodes["backoffice"].x, drawn.nodes["backoffice"].y) == (old.x, old.y)  # renamed in place
    new = drawn.nodes["thumbnails"]
    assert new.x > drawn.nodes["cart"].x  # beside the component that calls it
    assert not any(new.overlaps(box) for cid, box in drawn.nodes.items() if cid != "thumbnails")
    assert {r.key for r in drawn.routes} == {e.key for e in sketched.edges}
    for gid, box in drawn.groups.items():  # each group's box holds its members
        for cid, node in sketched.nodes.items():
            if node.group == gid:
                inner = drawn.nodes[cid]
                assert box.x <= inner.x and inner.x + inner.width <= box.x + box.width, (gid, cid)
    assert scene.build(engine.analyse(edited, str(SHOP))).settled  # laid out when not sketched
