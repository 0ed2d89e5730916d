"""The live preview: `archls preview FILE` as a user runs it, its loopback server's refusals, and the
page redrawing after a save without losing zoom, pan or selection."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from archls import engine
from archls.preview.server import PreviewServer
from tests.preview.conftest import Watched

ROOT = Path(__file__).resolve().parents[2]
SHOP = ROOT / "examples" / "ecommerce.arch.yaml"


def request(
    url: str, method: str = "GET", path: str | None = None, body: Any = None, host: str | None = None
) -> tuple[int, bytes]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    target = path if path is not None else f"{parts.path}?{parts.query}"
    headers = {"Host": host} if host else {}
    data = None
    if body is not None:
        data = json.dumps(body).encode() if not isinstance(body, bytes) else body
        headers["Content-Type"] = "application/json"
    connection.request(method, target, body=data, headers=headers)
    response = connection.getresponse()
    return response.status, response.read()


@pytest.fixture(scope="module")
def served() -> Iterator[PreviewServer]:
    revealed: list[str] = []
    server = PreviewServer(on_reveal=lambda cid: revealed.append(cid) or f"shown {cid}")
    server.revealed = revealed  # type: ignore[attr-defined]
    server.publish(engine.analyse(SHOP.read_text("utf-8"), str(SHOP)))
    server.start()
    yield server
    server.stop()


def test_binds_the_loopback_interface_only_on_a_random_port(served: PreviewServer) -> None:
    assert served.httpd.server_address[0] == "127.0.0.1"
    assert served.port > 1024
    assert len(served.token) >= 32


def test_every_request_needs_the_token(served: PreviewServer) -> None:
    token = served.token
    base = f"http://127.0.0.1:{served.port}"
    assert request(served.url)[0] == 200
    for path in ["/", "/events", "/rules/SEC001", f"/?token={token[:-1]}", "/?token="]:
        status, body = request(base, path=path)
        assert status == 403, path
        assert b"SEC001" not in body and b"E-commerce" not in body
    assert request(base, "POST", "/chaos", {"fail": ["shop-db"]})[0] == 403
    assert request(base, "POST", "/reveal", {"id": "shop-db"})[0] == 403
    # The right token through a host name the page did not come from (DNS rebinding) is refused too.
    assert request(served.url, host=f"attacker.example:{served.port}")[0] == 403


def test_chaos_reveal_and_rule_pages(served: PreviewServer) -> None:
    base = f"http://127.0.0.1:{served.port}"
    query = f"?token={served.token}"
    status, body = request(base, "POST", f"/chaos{query}", {"fail": ["shop-db"], "zones": []})
    assert status == 200
    assert "catalog" in json.loads(body)["down"]
    status, body = request(base, "POST", f"/chaos{query}", {"fail": ["nope"]})
    assert status == 400 and b"no component or group named 'nope'" in body
    assert request(base, "POST", f"/chaos{query}", b"not json")[0] == 400
    assert request(base, "POST", f"/chaos{query}", {"fail": "shop-db"})[0] == 400
    status, body = request(base, "POST", f"/reveal{query}", {"id": "cart"})
    assert status == 200 and json.loads(body) == {"message": "shown cart"}
    assert served.revealed == ["cart"]  # type: ignore[attr-defined]
    status, body = request(base, path=f"/rules/SEC001{query}")
    assert status == 200 and body.startswith(b"SEC001")
    assert request(base, path=f"/rules/NOPE1{query}")[0] == 404


# --- `archls preview FILE` in a browser --------------------------------------------------------------


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str, Path]]:
    path = tmp_path / "shop.arch.yaml"
    path.write_text(SHOP.read_text("utf-8"), encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "archls", "preview", str(path), "--no-browser"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    found = re.search(r"(http://127\.0\.0\.1:\d+/\?token=\S+)", line)
    assert found, line
    try:
        yield proc, found.group(1), path
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def test_the_page_redraws_after_a_save_keeping_view_and_selection(
    watched: Watched, cli: tuple[subprocess.Popen[str], str, Path]
) -> None:
    _proc, url, path = cli
    p = watched.page
    p.goto(url)
    p.wait_for_selector("body[data-ready=true]")
    p.wait_for_function("() => document.querySelector('#status').textContent === 'live'")
    p.click('.node[data-component-id="catalog"]')
    p.click("#zoom-in")
    view = p.get_attribute(".viewport", "transform")

    text = path.read_text("utf-8").replace("  images:\n", "  thumbnails:\n    type: object-storage\n  images:\n", 1)
    path.write_text(text, encoding="utf-8")
    p.wait_for_selector('.node[data-component-id="thumbnails"]', timeout=15000)
    p.wait_for_selector("body[data-settled=true]")  # the new graph laid out (it came first as a sketch)
    assert p.get_attribute(".viewport", "transform") == view
    assert p.get_attribute(".node.selected", "data-component-id") == "catalog"
    assert p.text_content("#panel h2") == "catalog"

    # Live chaos answers any combination; "go to source" is reported where the preview runs.
    p.keyboard.press("Escape")
    p.keyboard.press("0")
    p.click("#chaos-toggle")
    p.click('.node[data-component-id="orders"]')
    p.wait_for_selector("svg.archls-diagram[data-cascade=done]")
    p.click('.node[data-component-id="cart"]')  # a click in chaos mode fails it, the panel stays shut
    p.wait_for_function(
        "() => document.querySelector('.node[data-component-id=\"checkout\"]').dataset.state === 'down'"
        " && document.querySelector('#chaos-bar').textContent.includes('orders, cart')"
    )
    assert p.is_hidden("#panel")
    assert p.text_content("#status") == "live"  # a chaos result leaves the page's live status
    p.click('.node[data-component-id="cart"]', modifiers=["Shift"])  # details, without restoring it
    p.click("[data-action=source]")
    p.wait_for_function("() => document.querySelector('#status').textContent.includes('shop.arch.yaml:')")
    watched.shot("live-after-edit")

    # A broken save keeps the last picture and says why.
    path.write_text("name: [unclosed\n", encoding="utf-8")
    p.wait_for_function("() => document.querySelector('#status').textContent.includes('cannot draw')", timeout=15000)
    assert p.locator(".node").count() == 20

    assert watched.errors == []
    assert watched.remote() == []
    requests = {urlsplit(u).path for u in watched.requests}
    assert requests <= {"/", "/events", "/chaos", "/reveal"}
    time.sleep(0.2)


# --- updates in place --------------------------------------------------------------------------------

#: The drawing as a page shows it, without what the page's script sets for the user (the view, the
#: selection, the highlighted flow, chaos states) or the whitespace between elements.
CANONICAL = """() => {
  const mine = new Set(["selected", "in-flow", "failed", "chaos", "flow-active"]);
  const walk = (el) => [
    el.tagName,
    [...el.attributes]
      .filter((a) => !["viewBox", "data-state", "data-cascade"].includes(a.name))
      .filter((a) => !(a.name === "transform" && el.classList.contains("viewport")))
      .map((a) => [a.name, a.name === "class" ? a.value.split(/\\s+/).filter((c) => c && !mine.has(c)).join(" ") : a.value])
      .sort(),
    [...el.childNodes]
      .filter((c) => c.nodeType === 1 || (c.nodeType === 3 && c.data.trim()))
      .map((c) => (c.nodeType === 1 ? walk(c) : c.data)),
  ];
  return JSON.stringify(walk(document.querySelector("#canvas > svg")));
}"""


def test_an_update_in_place_shows_what_a_fresh_page_shows(browser: Any, watched: Watched) -> None:
    """The live page applies each edit to the elements it has (the selection, keyboard focus and
    unchanged elements stay) and ends up showing exactly what a page opened afresh shows: after an
    edit that changes the graph (sent first as a sketch, then laid out) and one that changes only
    figures."""
    text = SHOP.read_text("utf-8")
    server = PreviewServer(on_reveal=lambda cid: cid)
    server.publish(engine.analyse(text, str(SHOP)))
    server.start()
    try:
        p = watched.page
        p.goto(server.url)
        p.wait_for_function("() => document.querySelector('#status').textContent === 'live'")
        p.click('.node[data-component-id="catalog"]')
        p.click("#zoom-in")
        view = p.get_attribute(".viewport", "transform")
        p.evaluate("() => { document.querySelector('.node[data-component-id=\"cart\"]').kept = true; }")
        p.focus('.node[data-component-id="cart"]')

        graph = (
            text.replace(
                "  images:\n",
                '  thumbnails:\n    type: object-storage\n    technology: "<svg onload=alert(2)></text>"\n  images:\n',
                1,
            )
            .replace("connections:\n", "connections:\n  - {from: catalog, to: thumbnails, protocol: s3}\n", 1)
            .replace("  - {from: cdn, to: images, protocol: s3}\n", "", 1)
        )
        figures = graph.replace(
            '  catalog:\n    type: service\n    technology: python\n    version: "3.12"\n    replicas: 2\n',
            '  catalog:\n    type: service\n    technology: python\n    version: "3.12"\n    replicas: 5\n',
            1,
        )
        assert figures != graph
        for edited in (graph, figures):
            before = server.version
            server.publish(engine.analyse(edited, str(SHOP)))
            # A new graph comes first as a sketch of the drawing before, then laid out.
            p.wait_for_function(
                f"() => Number(document.body.dataset.version) > {before} && document.body.dataset.settled === 'true'"
            )
            assert p.evaluate("() => document.body.dataset.version") == str(server.version)
            fresh = browser.new_page(viewport={"width": 1400, "height": 860})
            fresh.goto(server.url)
            fresh.wait_for_selector("body[data-ready=true]")
            fresh.click('.node[data-component-id="catalog"]')
            assert p.evaluate(CANONICAL) == fresh.evaluate(CANONICAL)
            for part in ("#panel", "#summary", "#flow-picker"):
                assert p.text_content(part) == fresh.text_content(part), part
            fresh.close()
            # In place: what did not change is the same element, still focused; the view and the
            # selection are where the user left them.
            assert p.evaluate("() => document.querySelector('.node[data-component-id=\"cart\"]').kept === true")
            assert p.evaluate("() => document.activeElement.getAttribute('data-component-id')") == "cart"
            assert p.get_attribute(".viewport", "transform") == view
            assert p.get_attribute(".node.selected", "data-component-id") == "catalog"
        assert "×5" in (p.text_content('.node[data-component-id="catalog"]') or "")
        assert p.locator('.edge[data-key="catalog->thumbnails"]').count() == 1
        assert p.locator('.edge[data-key="cdn->images"]').count() == 0
        # Text from the file arrives in updates as text too.
        assert "object-storage · <svg onload=" in (p.text_content('.node[data-component-id="thumbnails"]') or "")
        assert watched.errors == [] and watched.dialogs == []
    finally:
        server.stop()
