"""The saved preview page of every example of every format, in a real Chromium: it renders without a
console error, draws one box per component with no two overlapping, opens a component's panel on a
click, marks what a failure takes down exactly as the chaos engine says, and fetches nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from archls import engine
from archls.analysis import chaos
from archls.preview import page, scene
from tests.preview.conftest import Watched

ROOT = Path(__file__).resolve().parents[2]
WORKSPACE = ROOT / "tests" / "editors" / "workspace"
FILES = [
    *sorted((ROOT / "examples").glob("*.arch.yaml")),
    WORKSPACE / "docker-compose.yml",
    WORKSPACE / "infra" / "main.tf",
    WORKSPACE / "k8s" / "deployment.yaml",
]


def analysed(path: Path) -> engine.Analysis:
    analysis = engine.analyse(path.read_text("utf-8"), str(path))
    assert analysis.model is not None, analysis.findings[:3]
    return analysis


def saved_page(path: Path, out: Path) -> tuple[engine.Analysis, Path]:
    analysis = analysed(path)
    html = out / f"{path.stem}.html"
    html.write_text(page.render(analysis, scene.build(analysis)), encoding="utf-8")
    return analysis, html


def open_page(watched: Watched, html: Path) -> Any:
    p = watched.page
    p.goto(html.as_uri())
    p.wait_for_selector("body[data-ready=true]")
    return p


BOXES = """() => [...document.querySelectorAll('.node')].map(n => {
  const r = n.querySelector('.node-box').getBoundingClientRect();
  return {id: n.dataset.componentId, x: r.x, y: r.y, w: r.width, h: r.height};
})"""


def overlapping(boxes: list[dict[str, Any]]) -> list[tuple[str, str]]:
    out = []
    for i, a in enumerate(boxes):
        for b in boxes[:i]:
            if (
                a["x"] < b["x"] + b["w"]
                and b["x"] < a["x"] + a["w"]
                and a["y"] < b["y"] + b["h"]
                and b["y"] < a["y"] + a["h"]
            ):
                out.append((a["id"], b["id"]))
    return out


def worst_single_failure(analysis: engine.Analysis) -> str:
    model = analysis.model
    assert model is not None
    blasts = [b for b in chaos.each(model, analysis.config, analysis.graph) if b.kind == "component"]
    return blasts[0].target if blasts else next(iter(model.components))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_example_renders_and_behaves(watched: Watched, tmp_path: Path, path: Path) -> None:
    analysis, html = saved_page(path, tmp_path)
    model = analysis.model
    assert model is not None
    p = open_page(watched, html)

    boxes = p.evaluate(BOXES)
    assert sorted(b["id"] for b in boxes) == sorted(model.components)
    assert overlapping(boxes) == []
    edges = p.eval_on_selector_all(".edge", "els => els.map(e => [e.dataset.from, e.dataset.to])")
    wired = {(c.source, c.target) for c in model.connections if c.source != c.target}
    assert {tuple(e) for e in edges} == wired

    # A click on a component opens its panel.
    target = next(cid for cid, c in model.components.items() if c.type.value != "client")
    p.click(f'.node[data-component-id="{target}"]')
    assert p.text_content("#panel h2") == target
    assert p.is_visible("#panel")

    # Chaos mode: failing the component with the largest blast radius marks what the engine says.
    p.keyboard.press("Escape")
    p.keyboard.press("0")
    victim = worst_single_failure(analysis)
    expected = {cid: c.state.value for cid, c in chaos.simulate(model, analysis.config, [victim]).components.items()}
    p.click("#chaos-toggle")
    p.click(f'.node[data-component-id="{victim}"]')
    p.wait_for_selector("svg.archls-diagram[data-cascade=done]")
    shown = p.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll('.node')].map(n => [n.dataset.componentId, n.dataset.state || 'up']))"
    )
    assert shown == expected
    assert "traffic lost" in (p.text_content("#chaos-bar") or "")
    watched.shot(f"page-{path.stem}-chaos")

    assert watched.errors == []
    assert watched.remote() == []


def test_a_flow_lights_up_its_path_with_p99_against_budget(watched: Watched, tmp_path: Path) -> None:
    analysis, html = saved_page(ROOT / "examples" / "ecommerce.arch.yaml", tmp_path)
    p = open_page(watched, html)
    p.select_option("#flow-picker", "place-order")
    lit = p.eval_on_selector_all(".node.in-flow", "els => els.map(e => e.dataset.componentId)")
    assert lit == [cid for cid in analysis.model.components if cid in analysis.model.flows["place-order"].path]  # type: ignore[union-attr]
    assert p.eval_on_selector_all(".edge.in-flow", "els => els.length") == 6
    info = p.text_content("#flow-info") or ""
    assert "p99" in info and "of 5000 ms budget" in info
    watched.shot("page-flow")


HOSTILE = """name: "</script><script>alert('name')</script>"
components:
  "<img src=x onerror=alert(1)>":
    type: service
    description: "</script><b>bold</b>"
  "</script>":
    type: database
    technology: "<svg onload=alert(2)>"
connections:
  - {from: "<img src=x onerror=alert(1)>", to: "</script>", protocol: postgres}
groups:
  "<iframe>": {members: ["</script>"]}
"""


def test_hostile_names_are_text_not_markup(watched: Watched, tmp_path: Path) -> None:
    path = tmp_path / "hostile.arch.yaml"
    path.write_text(HOSTILE, encoding="utf-8")
    _, html = saved_page(path, tmp_path)
    text = html.read_text("utf-8")
    assert "<img src=x" not in text and "<svg onload" not in text and "<iframe>" not in text
    p = open_page(watched, html)
    ids = p.eval_on_selector_all(".node", "els => els.map(e => e.dataset.componentId)")
    assert sorted(ids) == sorted(["<img src=x onerror=alert(1)>", "</script>"])
    assert p.eval_on_selector_all("img, iframe, b", "els => els.length") == 0
    p.click('.node[data-component-id="</script>"]')
    assert p.text_content("#panel h2") == "</script>"
    assert watched.dialogs == []
    assert watched.errors == []


def test_a_saved_page_says_how_to_combine_failures(watched: Watched, tmp_path: Path) -> None:
    _, html = saved_page(ROOT / "examples" / "ecommerce.arch.yaml", tmp_path)
    p = open_page(watched, html)
    p.click("#chaos-toggle")
    p.click('.node[data-component-id="search"]')
    p.wait_for_selector("svg.archls-diagram[data-cascade=done]")
    p.keyboard.press("Escape")  # close the panel, which covers the right of the drawing
    p.click('.node[data-component-id="cart-cache"]')
    p.wait_for_function("() => document.querySelector('#status').textContent.includes('archls chaos')")
    # The picture still shows the single failure that could be answered.
    assert p.get_attribute('.node[data-component-id="search"]', "data-state") == "down"
    assert watched.errors == []


def test_the_compare_page_renders_both_sides(watched: Watched, tmp_path: Path) -> None:
    from archls import compare
    from archls.preview import compare_page

    other = tmp_path / "other.arch.yaml"
    other.write_text(
        (ROOT / "examples" / "ecommerce.arch.yaml")
        .read_text("utf-8")
        .replace("  admin:\n", "  reviews:\n    type: service\n  admin:\n", 1),
        encoding="utf-8",
    )
    a, b = analysed(ROOT / "examples" / "ecommerce.arch.yaml"), analysed(other)
    html = tmp_path / "compare.html"
    html.write_text(compare_page.render(compare.compare(a, b), a, b), encoding="utf-8")
    p = watched.page
    p.goto(html.as_uri())
    for side, model in (("#side-a", a.model), ("#side-b", b.model)):
        assert model is not None
        assert p.locator(f"{side} .node").count() == len(model.components)
    assert p.get_attribute('#side-b .node[data-component-id="reviews"]', "data-diff") == "added"
    assert p.locator("tr.differs").count() >= 1
    watched.shot("compare")
    assert watched.errors == []
    assert watched.remote() == []
