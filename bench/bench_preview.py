"""The preview: layout quality against ELK, layout + page time, time to interactive in Chromium, time
to repaint after an edit, and `archls chaos --each` on the largest example.

- Layout quality: edge crossings (counted on the drawn segments) and drawing area of archls' layout
  and of ELK's layered algorithm (elkjs under node, `scripts/preview-deps.sh` installs it) on the same
  graphs: every example and generated architectures of 50 and 200 components. Same box sizes, 110 px
  between layers, 26 px between boxes, groups as compound nodes.
- Layout + HTML for 200 components (target < 300 ms), in process, from an analysed file.
- Page interactive in Chromium (target < 1 s): navigation start to the script's ready mark.
- An edit repainted (target < 150 ms): from the saved text to the new drawing in the page, through the
  live server (audit, layout, drawing, server-sent event, DOM swap).
- `chaos --each` on the largest example (target < 1 s): in process, and the CLI's wall time.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from generate import architecture  # noqa: E402

ELK = ROOT / ".tools" / "preview"
CHROMIUM = "/usr/bin/chromium"


def _analysed(text: str, name: str) -> Any:
    from archls import engine

    return engine.analyse(text, f"/tmp/{name}.arch.yaml")


def _graphs() -> dict[str, str]:
    out = {
        p.name.removesuffix(".arch.yaml"): p.read_text("utf-8") for p in sorted((ROOT / "examples").glob("*.arch.yaml"))
    }
    out["generated-50"] = architecture(50)
    out["generated-200"] = architecture(200)
    return out


def _elk(scenes: dict[str, Any]) -> dict[str, dict[str, Any]] | None:
    if not (ELK / "node_modules" / "elkjs").is_dir() or shutil.which("node") is None:
        return None
    graphs = [
        {
            "nodes": [
                {"id": cid, "width": box.width, "height": box.height, "group": s.nodes[cid].group}
                for cid, box in s.layout.nodes.items()
            ],
            "edges": [{"source": e.source, "target": e.target} for e in s.edges],
            "groups": [{"id": g.id, "parent": g.parent} for g in s.groups.values()],
        }
        for s in scenes.values()
    ]
    done = subprocess.run(
        ["node", str(HERE / "preview" / "elk_layout.mjs")],
        input=json.dumps(graphs),
        capture_output=True,
        text=True,
        env={**os.environ, "ELK_PATH": str(ELK)},
        check=True,
    )
    return dict(zip(scenes, json.loads(done.stdout), strict=True))


def layout_quality() -> None:
    from archls.preview import layout, scene

    scenes: dict[str, Any] = {}
    times: dict[str, float] = {}
    for name, text in _graphs().items():
        analysis = _analysed(text, name)
        scene.build(analysis)  # warm the caches (figures, imports)
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            drawn = scene.build(analysis)
            runs.append(time.perf_counter() - started)
        scenes[name], times[name] = drawn, min(runs)
    elk = _elk(scenes)
    print("Layout: archls vs ELK layered (elkjs), same graphs and box sizes")
    header = f"  {'graph':<18} {'nodes':>5} {'crossings':>10} {'ELK':>5}   {'area (Mpx²)':>11} {'ELK':>6}   {'archls ms':>9} {'ELK ms':>7}"
    print(header)
    for name, drawn in scenes.items():
        ours = drawn.layout.crossings()
        area = drawn.layout.width * drawn.layout.height / 1e6
        row = f"  {name:<18} {len(drawn.nodes):>5} {ours:>10}"
        if elk:
            e = elk[name]
            row += f" {layout.count_crossings(e['edges']):>5}   {area:>11.2f} {e['width'] * e['height'] / 1e6:>6.2f}"
            row += f"   {times[name] * 1000:>9.0f} {e['ms']:>7.0f}"
        else:
            row += f" {'-':>5}   {area:>11.2f} {'-':>6}   {times[name] * 1000:>9.0f} {'-':>7}"
        print(row)
    if elk is None:
        print("  (elkjs not installed: scripts/preview-deps.sh)")
    print("  archls ms: the whole scene (layout, figures, findings per component), best of 3")


def page_time(components: int = 200) -> tuple[str, Any]:
    from archls.preview import page, scene

    analysis = _analysed(architecture(components), f"page-{components}")
    page.render(analysis, scene.build(analysis))
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        html = page.render(analysis, scene.build(analysis))
        runs.append(time.perf_counter() - started)
    print(
        f"Layout + HTML, {components} components: median {statistics.median(runs) * 1000:.0f} ms, "
        f"best {min(runs) * 1000:.0f} ms (target < 300 ms); page {len(html) / 1024:.0f} KiB"
    )
    return html, analysis


def browser_times(html: str) -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("Chromium timings: playwright is not installed (the test extra)")
        return
    if not Path(CHROMIUM).exists():
        print("Chromium timings: /usr/bin/chromium is not installed")
        return
    from archls.preview.server import PreviewServer

    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        saved = Path(tmp) / "page.html"
        saved.write_text(html, encoding="utf-8")
        ready = []
        for _ in range(5):
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            p = context.new_page()
            p.goto(saved.as_uri())
            p.wait_for_selector("body[data-ready=true]")
            ready.append(p.evaluate("() => performance.now()"))
            context.close()
        print(
            f"Page interactive in Chromium (200 components): median {statistics.median(ready):.0f} ms, "
            f"best {min(ready):.0f} ms (target < 1 s)"
        )
        _repaint(browser, PreviewServer)
        browser.close()


def _repaint(browser: Any, server_class: Any) -> None:
    from archls import engine

    for size, text in (
        ("20 (ecommerce)", (ROOT / "examples" / "ecommerce.arch.yaml").read_text("utf-8")),
        ("200", architecture(200)),
    ):
        path = f"/tmp/repaint-{size.split()[0]}.arch.yaml"
        server = server_class(on_reveal=lambda cid: cid)
        server.publish(engine.analyse(text, path))
        server.start()
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        p = context.new_page()
        p.goto(server.url)
        p.wait_for_function("() => document.querySelector('#status').textContent === 'live'")
        runs = []
        for n in range(6):
            edited = text.replace("components:\n", f"components:\n  added-{n}:\n    type: service\n", 1)
            started = time.perf_counter()
            server.publish(engine.analyse(edited, path))
            p.wait_for_selector(f'.node[data-component-id="added-{n}"]', timeout=20000)
            runs.append(time.perf_counter() - started)
        context.close()
        server.stop()
        print(
            f"Edit repainted, {size} components (audit + layout + drawing + event + DOM): "
            f"median {statistics.median(runs) * 1000:.0f} ms, best {min(runs) * 1000:.0f} ms (target < 150 ms)"
        )


def chaos_each() -> None:
    from archls.analysis import chaos, results

    examples = sorted((ROOT / "examples").glob("*.arch.yaml"), key=lambda p: len(p.read_text("utf-8")))
    largest = examples[-1]
    analysis = _analysed(largest.read_text("utf-8"), largest.stem)
    results(analysis.model, analysis.config, analysis.graph)
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        blasts = chaos.each(analysis.model, analysis.config, analysis.graph)
        runs.append(time.perf_counter() - started)
    cli = []
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "archls", "chaos", str(largest), "--each"], capture_output=True, check=False
        )
        cli.append(time.perf_counter() - started)
    print(
        f"chaos --each on {largest.name} ({len(blasts)} failures): in process {min(runs) * 1000:.0f} ms, "
        f"CLI wall time (process start included) {statistics.median(cli):.2f} s (target < 1 s)"
    )
    for size in (50, 200):
        generated = _analysed(architecture(size), f"each-{size}")
        results(generated.model, generated.config, generated.graph)
        started = time.perf_counter()
        chaos.each(generated.model, generated.config, generated.graph)
        print(f"  chaos --each, {size} generated components: {time.perf_counter() - started:.2f} s")


def main() -> None:
    layout_quality()
    html, _ = page_time()
    browser_times(html)
    chaos_each()


if __name__ == "__main__":
    main()
