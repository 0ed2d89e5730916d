"""The comparison as one self-contained page: the figures side by side with the better value marked,
and both diagrams with the components added (green), removed (red) and changed (amber) coloured.

It has no script at all; its Content-Security-Policy allows only its own inline style.
"""

from __future__ import annotations

import secrets
from html import escape
from typing import TYPE_CHECKING

from archls.preview import scene, svg

if TYPE_CHECKING:
    from archls.compare import Comparison
    from archls.engine import Analysis

STYLE = """
:root { --bg: #fff; --fg: #1f2328; --muted: #57606a; --border: #d0d7de; --panel: #f6f8fa;
  --added: #1a7f37; --removed: #d1242f; --changed: #bf8700; --better: #dafbe1; color-scheme: light;
  --line: #57606a; --faint: #6e7781; --group: #f6f8fa; --group-public: #fff8f0; --error: #d1242f;
  --accent: #0969da; --flow: #8250df; --down: #d1242f; --degraded: #d4a72c; --up: #1a7f37; }
@media (prefers-color-scheme: dark) { :root { --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1;
  --border: #30363d; --panel: #161b22; --better: #12361f; color-scheme: dark; --line: #8b949e;
  --faint: #7d8590; --group: #161b22; --group-public: #1f1a14; }
  .archls-diagram .node-box { fill-opacity: .13; } .archls-diagram .backdrop { fill: var(--bg); }
  .archls-diagram .node-name, .archls-diagram .diagram-title { fill: var(--fg); }
  .archls-diagram .group rect { fill: var(--panel); } .archls-diagram .edge-label-bg { fill: var(--bg); } }
body { margin: 0; background: var(--bg); color: var(--fg); font: 13px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; }
header { padding: 10px 16px; border-bottom: 1px solid var(--border); background: var(--panel); }
h1 { font-size: 16px; margin: 0; } .paths { color: var(--muted); }
table { border-collapse: collapse; margin: 12px 16px; }
th, td { text-align: left; padding: 3px 12px; border-bottom: 1px solid var(--border); font-variant-numeric: tabular-nums; }
tr.differs td:first-child::before { content: "• "; color: var(--changed); }
td.better { background: var(--better); font-weight: 600; }
.changes { margin: 0 16px 12px; } .changes li { margin: 2px 0; }
.added { color: var(--added); } .removed { color: var(--removed); } .changed { color: var(--changed); }
.panes { display: grid; grid-template-columns: 1fr 1fr; gap: 8px; padding: 8px; }
.pane { border: 1px solid var(--border); border-radius: 8px; overflow: auto; max-height: 80vh; }
.pane h2 { font-size: 14px; margin: 0; padding: 6px 10px; border-bottom: 1px solid var(--border); background: var(--panel); }
.pane svg { width: 100%; height: auto; display: block; }
.archls-diagram .node[data-diff="added"] .node-box { stroke: var(--added); stroke-width: 4; }
.archls-diagram .node[data-diff="removed"] .node-box { stroke: var(--removed); stroke-width: 4; }
.archls-diagram .node[data-diff="changed"] .node-box { stroke: var(--changed); stroke-width: 4; }
.legend span { margin-right: 14px; }
"""


def render(result: Comparison, a: Analysis, b: Analysis) -> str:
    from archls.compare import _show, differs, rows

    nonce = secrets.token_urlsafe(18)
    marks_a = {cid: "removed" for cid in result.removed}
    marks_b = {cid: "added" for cid in result.added}
    by_b = {v: k for k, v in result.matched.items()}
    for cid_b in result.changed:
        marks_b[cid_b] = "changed"
        marks_a[by_b[cid_b]] = "changed"
    drawing_a = svg.render(scene.build(a), marks=marks_a)
    drawing_b = svg.render(scene.build(b), marks=marks_b)
    table = ["<table><thead><tr><th></th><th>A</th><th>B</th></tr></thead><tbody>"]
    for what, x, y, better in rows(result):
        highlighted = differs(what, x, y, better)
        cls_a = ' class="better"' if better == "a" else ""
        cls_b = ' class="better"' if better == "b" else ""
        row = ' class="differs"' if highlighted else ""
        table.append(f"<tr{row}><td>{escape(what)}</td><td{cls_a}>{escape(x)}</td><td{cls_b}>{escape(y)}</td></tr>")
    table.append("</tbody></table>")
    changes = ['<ul class="changes">']
    for cid in result.added:
        changes.append(f'<li class="added">+ {escape(cid)} (in B only)</li>')
    for cid in result.removed:
        changes.append(f'<li class="removed">− {escape(cid)} (in A only)</li>')
    for cid, diff in result.changed.items():
        parts = ", ".join(f"{escape(k)} {escape(_show(v[0]))} → {escape(_show(v[1]))}" for k, v in diff.items())
        changes.append(f'<li class="changed">~ {escape(cid)}: {parts}</li>')
    changes.append("</ul>")
    csp = f"default-src 'none'; style-src 'nonce-{nonce}'; img-src data:; base-uri 'none'; form-action 'none'"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{escape(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(result.a.name)} ↔ {escape(result.b.name)} — archls compare</title>
<style nonce="{nonce}">{STYLE}{_page_css()}</style>
</head>
<body>
<header><h1>{escape(result.a.name)} ↔ {escape(result.b.name)}</h1>
<div class="paths">A: {escape(result.a.path)} · B: {escape(result.b.path)}</div>
<div class="legend"><span class="added">■ added</span><span class="removed">■ removed</span><span class="changed">■ changed</span></div>
</header>
{"".join(table)}
{"".join(changes)}
<div class="panes">
<section class="pane" id="side-a" aria-label="A"><h2>A · {escape(result.a.path)}</h2>{drawing_a}</section>
<section class="pane" id="side-b" aria-label="B"><h2>B · {escape(result.b.path)}</h2>{drawing_b}</section>
</div>
</body>
</html>
"""


def _page_css() -> str:
    # The drawing's own rules from the preview's stylesheet (nodes, edges, groups), not its layout.
    from archls.preview.page import asset

    css = asset("page.css")
    start = css.find("/* The drawing */")
    return css[start:] if start >= 0 else ""
