"""The saved preview page of every example of every format, in a real Chromium: it renders without a
console error, draws one box per component with no two overlapping, opens a component's panel on a
click, marks what a failure takes down exactly as the chaos engine says, and fetches nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from archls import engine, rule_pages
from archls.analysis import chaos
from archls.preview import page, scene, server
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


#: Components whose box centre a click would not reach (hidden behind the panel, or out of view).
UNREACHABLE = """() => [...document.querySelectorAll('.node')].filter(n => {
  const r = n.querySelector('.node-box').getBoundingClientRect();
  const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
  return !(hit && hit.closest('.node') === n);
}).map(n => n.dataset.componentId)"""

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
    # The open panel leaves every component in view and within reach of a click.
    assert p.evaluate(UNREACHABLE) == []

    # Chaos mode: failing the component with the largest blast radius marks what the engine says.
    p.keyboard.press("Escape")
    p.keyboard.press("0")
    victim = worst_single_failure(analysis)
    expected = {cid: c.state.value for cid, c in chaos.simulate(model, analysis.config, [victim]).components.items()}
    p.click("#chaos-toggle")
    p.click(f'.node[data-component-id="{victim}"]')
    p.wait_for_selector("svg.archls-diagram[data-cascade=done]")
    assert p.is_hidden("#panel")  # in chaos mode a click fails the component, no panel opens over the drawing
    shown = p.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll('.node')].map(n => [n.dataset.componentId, n.dataset.state]))"
    )
    assert shown == expected  # every component's state, "up" included
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


ZONED = """name: zoned
components:
  users: {type: client}
  lb: {type: load-balancer, replicas: 2, zones: [za, zb]}
  api: {type: service, replicas: 2, zones: [za, zb]}
  db: {type: database, zones: [za]}
connections:
  - {from: users, to: lb, protocol: https}
  - {from: lb, to: api, protocol: http}
  - {from: api, to: db, protocol: postgres}
groups:
  edge: {type: subnet, members: [lb]}
"""


def test_a_saved_page_says_how_to_combine_failures(
    watched: Watched, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "zoned.arch.yaml"
    path.write_text(ZONED, encoding="utf-8")
    _, html = saved_page(path, tmp_path)
    p = open_page(watched, html)
    p.click("#chaos-toggle")
    # A subnet group is also a zone a failure may name: the picker offers it once.
    picker = "#chaos-bar select"
    options = p.eval_on_selector_all(f"{picker} option", "els => els.map(e => e.textContent)")
    assert options == ["Fail a group or zone…", "group edge", "zone za", "zone zb"]
    p.click('.node[data-component-id="db"]')
    p.wait_for_selector("svg.archls-diagram[data-cascade=done]")

    # A second failure is refused; the bar and the picture stay those of the failure shown.
    for ask in (lambda: p.select_option(picker, "zone:za"), lambda: p.click('.node[data-component-id="api"]')):
        p.evaluate("() => { document.querySelector('#status').textContent = ''; }")
        ask()
        p.wait_for_function("() => document.querySelector('#status').textContent.includes('archls chaos')")
        assert p.text_content("#chaos-bar > span") == "failed: db"
        assert p.get_attribute('.node[data-component-id="db"]', "data-state") == "down"
        assert p.eval_on_selector_all(".node.failed", "els => els.map(e => e.dataset.componentId)") == ["db"]
    # Shift-click shows a component's details without failing it.
    p.click('.node[data-component-id="api"]', modifiers=["Shift"])
    assert p.text_content("#panel h2") == "api"
    assert p.eval_on_selector_all(".node.failed", "els => els.map(e => e.dataset.componentId)") == ["db"]

    # A page too large to carry its failures says so, and what to run instead.
    monkeypatch.setattr(page, "CHAOS_EMBED_LIMIT", 2)
    _, html = saved_page(path, tmp_path)
    p = open_page(watched, html)
    p.click("#chaos-toggle")
    p.click('.node[data-component-id="db"]')
    p.wait_for_function("() => document.querySelector('#status').textContent.includes('archls chaos')")
    said = p.text_content("#status") or ""
    assert "carries no failures" in said and "archls chaos zoned.arch.yaml --fail" in said, said
    assert watched.errors == []


MODULE = {
    "main.tf": """resource "aws_lb" "front" {
  name     = "front"
  internal = false
}

resource "aws_instance" "app" {
  ami           = "ami-12345678"
  instance_type = "t3.micro"
}
""",
    "db.tf": """resource "aws_db_instance" "orders" {
  engine              = "postgres"
  instance_class      = "db.t3.micro"
  publicly_accessible = true
  storage_encrypted   = false
}
""",
}


def test_a_module_is_drawn_whole_from_any_of_its_files(watched: Watched, tmp_path: Path) -> None:
    folder = tmp_path / "infra"
    folder.mkdir()
    for name, text in MODULE.items():
        (folder / name).write_text(text, encoding="utf-8")
    main, db = folder / "main.tf", folder / "db.tf"
    analysis = analysed(main)
    drawn = scene.build(analysis)
    orders = drawn.nodes["orders"]
    # The component of the sibling file has its place there and that file's findings.
    assert (orders.file, orders.line) == (str(db), 0)
    assert {f.code for f in orders.findings} >= {"SEC001"}
    assert sum(drawn.summary["findings"].values()) == len(analysis.findings)
    assert server.source_line(main, analysis, "orders") == f"{db}:1:1"

    html = tmp_path / "module.html"
    html.write_text(page.render(analysis, drawn), encoding="utf-8")
    text = html.read_text("utf-8")
    # A saved page names no path of this machine and links the published rule pages.
    assert str(tmp_path) not in text and "file://" not in text
    p = open_page(watched, html)
    p.click('.node[data-component-id="orders"]')
    links = p.eval_on_selector_all("#panel li a", "els => els.map(a => a.href)")
    assert len(links) == len(orders.findings)
    assert all(link.startswith(rule_pages.PROJECT_DOCS + "/") for link in links)
    p.click("[data-action=source]")
    assert p.text_content("#status") == "db.tf:1"
    assert watched.errors == []


def test_a_saved_page_is_written_without_the_language_server(tmp_path: Path) -> None:
    code = "import json, sys\nfrom archls.cli import main\nmain(sys.argv[1:])\nprint(json.dumps(sorted(sys.modules)))"
    out = tmp_path / "chat.html"
    done = subprocess.run(
        [sys.executable, "-c", code, "preview", str(ROOT / "examples" / "chat.arch.yaml"), "--html", str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    modules = json.loads(done.stdout.splitlines()[-1])
    assert out.is_file()
    assert [m for m in modules if m.split(".")[0] in {"lsprotocol", "pygls"} or m.startswith("archls.server")] == []


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
