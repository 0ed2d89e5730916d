"""The preview: layout quality against ELK, layout + page time, time to interactive in Chromium, time
to repaint after an edit, and `archls chaos --each` on the largest example.

- Layout quality: edge crossings (counted on the drawn segments) and drawing area of archls' layout
  and of ELK's layered algorithm (elkjs under node, `scripts/preview-deps.sh` installs it) on the same
  graphs: every example and generated architectures of 50 and 200 components. Same box sizes, 110 px
  between layers, 26 px between boxes, groups as compound nodes.
- Layout + HTML for 200 components (target < 300 ms), in process, from an analysed file.
- Page interactive in Chromium (target < 1 s): navigation start to the script's ready mark.
- An edit repainted (target < 150 ms): from the saved text to the painted frame in the page, through
  the live server (audit, drawing, server-sent event, update in place; when the graph changed, a sketch
  first and the layout after it), for an edit of figures and one that adds a component.
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
            scene.forget_layouts()  # time the layout, not the reuse of the last one
            started = time.process_time()
            drawn = scene.build(analysis)
            runs.append(time.process_time() - started)
        scenes[name], times[name] = drawn, min(runs)
    elk = _elk(scenes)
    print("Layout: archls vs ELK layered (elkjs), same graphs and box sizes")
    header = f"  {'graph':<18} {'nodes':>5} {'crossings':>10} {'ELK':>5}   {'area (Mpx²)':>11} {'ELK':>6}   {'archls CPU ms':>13} {'ELK ms':>7}"
    print(header)
    for name, drawn in scenes.items():
        ours = drawn.layout.crossings()
        area = drawn.layout.width * drawn.layout.height / 1e6
        row = f"  {name:<18} {len(drawn.nodes):>5} {ours:>10}"
        if elk:
            e = elk[name]
            row += f" {layout.count_crossings(e['edges']):>5}   {area:>11.2f} {e['width'] * e['height'] / 1e6:>6.2f}"
            row += f"   {times[name] * 1000:>13.0f} {e['ms']:>7.0f}"
        else:
            row += f" {'-':>5}   {area:>11.2f} {'-':>6}   {times[name] * 1000:>13.0f} {'-':>7}"
        print(row)
    if elk is None:
        print("  (elkjs not installed: scripts/preview-deps.sh)")
    print("  archls CPU ms: the whole scene (layout, figures, findings per component), laid out afresh, best of 3")


def page_time(components: int = 200) -> tuple[str, Any]:
    from archls.preview import page, scene

    analysis = _analysed(architecture(components), f"page-{components}")
    page.render(analysis, scene.build(analysis))
    runs = []
    for _ in range(5):
        scene.forget_layouts()
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


#: Edits a user makes while the preview follows: ``(name, edit)``, where ``edit(text, n)`` is the
#: n-th edit's text (each differs from the one before).
EDITS = (
    # New figures for every component (the peak load feeds every arrival rate), the same graph.
    ("figures", lambda text, n: text.replace("peak_rps: ", f"peak_rps: {n + 1}", 1)),
    # One more component each time: a new graph to lay out.
    (
        "component added",
        lambda text, n: text.replace(
            "components:\n", "components:\n" + "".join(f"  added-{k}:\n    type: service\n" for k in range(n + 1)), 1
        ),
    ),
)

#: The page's own timings of its redraws from drawing ``version`` on (user timing measures set by
#: page.js): the first (a sketch when the graph changed) and the one laid out, each with when it ended
#: on the system clock (the page's time origin is on it too).
PAGE_TIMES = """(version) => {
  const updates = performance.getEntriesByName("archls-update").filter((e) => e.detail.version >= version);
  const painted = performance.getEntriesByName("archls-repaint").filter((e) => e.detail.version >= version);
  const settled = painted.findIndex((e) => e.detail.settled);
  if (settled < 0) return null;
  const at = (e) => ({ update: updates[painted.indexOf(e)].duration, painted: e.duration,
                       end: performance.timeOrigin + e.startTime + e.duration });
  return { first: at(painted[0]), settled: at(painted[settled]) };
}"""


def _repaint(browser: Any, server_class: Any) -> None:
    """An edit redrawn through the live server, as `archls preview FILE` does after a save: the
    audit (incremental, as after every save), the scene (a sketch from the drawing before when the
    graph changed, then its layout from another thread), the update sent, and the page updated in
    place and painted. Wall time from the edited text to the painted frame (the page's clock and this
    one are the system's), to the first frame and to the laid-out one; CPU time of this process up to
    the first update sent (the audit, the drawing, the event) and the page's own time."""
    from archls import engine

    for size, text in (
        ("ecommerce (19)", (ROOT / "examples" / "ecommerce.arch.yaml").read_text("utf-8")),
        ("200", architecture(200)),
    ):
        for kind, edit in EDITS:
            path = f"/tmp/repaint-{size.split()[0]}-{kind.split()[0]}.arch.yaml"
            server = server_class(on_reveal=lambda cid: cid)
            server.publish(engine.analyse(text, path))
            server.start()
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            p = context.new_page()
            p.goto(server.url)
            p.wait_for_function("() => document.querySelector('#status').textContent === 'live'")
            firsts, settled, cpus, pages = [], [], [], []
            for n in range(8):
                edited = edit(text, n)
                started, cpu = time.time(), time.process_time()
                server.publish(engine.analyse(edited, path))
                cpus.append(time.process_time() - cpu)  # the update is made: the page's stream only sends it
                version = server.version
                # Waited for in the page (no polling from here, which would take the layout thread's turns).
                p.wait_for_function(f"(v) => ({PAGE_TIMES})(v) !== null", arg=version, timeout=20000)
                times = p.evaluate(PAGE_TIMES, version)
                firsts.append(times["first"]["end"] / 1000 - started)
                settled.append(times["settled"]["end"] / 1000 - started)
                pages.append((times["first"]["painted"] / 1000, times["first"]["update"] / 1000))
            context.close()
            server.stop()
            ms = lambda values: f"{statistics.median(values[2:]) * 1000:.0f}"  # noqa: E731 (first two warm up)
            shown = f"wall {ms(firsts)} ms (best {min(firsts) * 1000:.0f})"
            if statistics.median(settled[2:]) > statistics.median(firsts[2:]) * 1.05:
                shown += f", laid out {ms(settled)} ms (best {min(settled) * 1000:.0f})"
            print(
                f"Edit repainted, {size} components, {kind}: {shown}; CPU {ms(cpus)} ms in archls to the first "
                f"update + {ms([p for p, _ in pages])} ms in the page ({ms([u for _, u in pages])} updating, the "
                "rest style, layout, paint); target < 150 ms"
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
