"""The preview page: one self-contained HTML document (styles, script and drawing inline, nothing
fetched from the network) for a browser, a VS Code webview or a file on disk.

A Content-Security-Policy allows only this page's own inline style and script (by nonce) and, for the
live page, requests back to the loopback server that served it. Data reaches the script as JSON in
``<script type="application/json">`` blocks, escaped so no input can close them.
"""

from __future__ import annotations

import json
import os
import secrets
from functools import cache
from html import escape
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from archls.preview import svg

if TYPE_CHECKING:
    from archls.engine import Analysis
    from archls.preview.scene import Scene

Mode = Literal["static", "http", "vscode"]

#: Above this many components a saved page does not carry every single failure (it would weigh
#: megabytes); the live preview and `archls chaos` still answer.
CHAOS_EMBED_LIMIT = 150


@cache
def asset(name: str) -> str:
    return resources.files("archls.preview").joinpath("assets", name).read_text(encoding="utf-8")


def script_json(value: Any) -> str:
    """JSON safe inside a <script> element: nothing in it can end the element or open a comment."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def compact(result: dict[str, Any]) -> dict[str, Any]:
    """What the page needs of a chaos result: the components that are not up, and the totals."""
    keep = (
        "failed",
        "zones",
        "traffic_lost",
        "availability_before",
        "availability_after",
        "flows_broken",
        "flows_degraded",
        "backlogs",
        "down",
        "degraded",
    )
    out = {k: result[k] for k in keep if k in result}
    out["components"] = [
        {k: c[k] for k in ("id", "state", "reasons", "chain", "step")}
        for c in result["components"]
        if c["state"] != "up"
    ]
    return out


def singles(analysis: Analysis) -> dict[str, Any]:
    """Every single failure (component, group, zone), keyed as the page asks for them."""
    from archls.analysis import chaos

    model = analysis.model
    if model is None or len(model.components) > CHAOS_EMBED_LIMIT:
        return {}
    out: dict[str, Any] = {}
    setup_res = None
    try:
        from archls.analysis import results

        setup_res = results(model, analysis.config, analysis.graph)
        setup = chaos._Setup(model, analysis.graph or _graph(model), setup_res)
        names = [(cid, [cid], []) for cid in model.components]
        names += [(gid, [gid], []) for gid in model.groups if chaos.group_members(model, gid)]
        names += [(f"zone:{zone}", [], [zone]) for zone in chaos.zone_names(model)]
        for key, fail, zones in names:
            result = chaos.simulate(model, analysis.config, fail, zones, analysis.graph, res=setup_res, setup=setup)
            out[key] = compact(result.to_json())
    except Exception:  # chaos mode is an extra: a failure here must not take the picture down
        import logging

        logging.getLogger(__name__).exception("precomputing failures for the page failed")
        return {}
    return out


def _graph(model: Any) -> Any:
    from archls.graph import ArchGraph

    return ArchGraph(model)


def scene_data(analysis: Analysis, scene: Scene) -> dict[str, Any]:
    """The scene as the page's script reads it (side panel, flows, chaos mode)."""
    from archls.analysis.chaos import zone_names

    data = scene.to_json()
    data["zones"] = zone_names(analysis.model) if analysis.model is not None else []
    data["settled"] = scene.settled
    return data


def portable(data: dict[str, Any], analysis: Analysis) -> None:
    """Make the scene's JSON fit to send to someone else (a saved page): files named relative to the
    folder of the page's input rather than by this machine's absolute paths, and rules linked to
    their published pages rather than to ``file:`` pages on this machine."""
    from archls.rule_pages import published_href

    base = os.path.dirname(os.path.abspath(analysis.path))

    def relative(path: Any) -> Any:
        if not isinstance(path, str) or not path:
            return path
        try:
            return Path(os.path.relpath(os.path.abspath(path), base)).as_posix()
        except ValueError:  # another drive (Windows): the name alone
            return os.path.basename(path)

    data["path"] = relative(data.get("path"))
    for node in data.get("nodes", []):
        node["file"] = relative(node.get("file"))
    for finding in [f for n in data.get("nodes", []) for f in n.get("findings", [])] + data.get("otherFindings", []):
        finding["href"] = published_href(finding["code"], analysis.config)


def payload(
    analysis: Analysis, scene: Scene, *, with_chaos: bool = True, drawing: svg.Drawing | None = None
) -> dict[str, Any]:
    """What a page receives to draw the whole picture (``drawing``: the scene's, when already made)."""
    drawing = drawing or svg.drawing(scene, title=False)
    return {
        "svg": drawing.markup(),
        "scene": scene_data(analysis, scene),
        "chaos": singles(analysis) if with_chaos else {},
    }


def render(
    analysis: Analysis,
    scene: Scene,
    *,
    mode: Mode = "static",
    token: str | None = None,
    nonce: str | None = None,
    csp_source: str | None = None,
    drawing: tuple[int, svg.Drawing] | None = None,
) -> str:
    """The page. ``mode`` says where it lives: a saved file, a loopback server (``token`` required) or
    a VS Code webview (``csp_source`` is the webview's own origin, for its stylesheet rules).
    ``drawing``: the live server's number for the scene's drawing, and the drawing."""
    nonce = nonce or secrets.token_urlsafe(18)
    # A live page asks its host for any combination of failures; a saved one carries the single ones.
    data = payload(analysis, scene, with_chaos=mode == "static", drawing=drawing[1] if drawing else None)
    if mode == "static":
        portable(data["scene"], analysis)
    config: dict[str, Any] = {"mode": mode}
    if token:
        config["token"] = token
    if drawing:
        config["drawing"] = drawing[0]  # which drawing the page shows, so live updates patch it
    connect = "'self'" if mode == "http" else "'none'"
    csp = (
        f"default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; img-src data:; "
        f"connect-src {connect}; font-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'"
    )
    if csp_source:
        csp = csp.replace("style-src ", f"style-src {csp_source} ")
    title = escape(scene.name)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{escape(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{title} — archls preview</title>
<style nonce="{nonce}">{asset("page.css")}</style>
</head>
<body data-mode="{mode}">
<header class="toolbar">
<span class="title" id="title">{title}</span>
<span class="summary" id="summary"></span>
<span class="spacer"></span>
<label class="sr-only" for="flow-picker">Flow</label>
<select id="flow-picker"></select>
<button type="button" id="chaos-toggle" aria-pressed="false" title="Fail components and watch the cascade">Chaos mode</button>
<button type="button" id="zoom-out" aria-label="Zoom out">−</button>
<button type="button" id="fit" title="Fit to the window (0)">Fit</button>
<button type="button" id="zoom-in" aria-label="Zoom in">+</button>
<span class="status" id="status" role="status" aria-live="polite"></span>
</header>
<main>
<div id="canvas">{data["svg"]}</div>
<aside id="panel" hidden aria-label="Details"></aside>
</main>
<div class="flow-info" id="flow-info" hidden></div>
<div class="chaos-bar" id="chaos-bar" hidden></div>
<script type="application/json" id="archls-config">{script_json(config)}</script>
<script type="application/json" id="archls-scene">{script_json(data["scene"])}</script>
<script type="application/json" id="archls-chaos">{script_json(data["chaos"])}</script>
<script nonce="{nonce}">{asset("page.js")}</script>
</body>
</html>
"""
