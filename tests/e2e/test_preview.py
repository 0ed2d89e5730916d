"""``archls.preview`` through the real server: a loopback page opened with window/showDocument, redrawn
after an unsaved edit, and "go to source" coming back to the editor as a selection."""

from __future__ import annotations

import asyncio
import html
import http.client
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from tests.e2e.conftest import ROOT, change, open_doc, server_config, start, write

SHOP = (ROOT / "examples" / "ecommerce.arch.yaml").read_text(encoding="utf-8")
MODULE_MAIN = """resource "aws_lb" "front" {
  name     = "front"
  internal = false
}
"""
MODULE_DB = """resource "aws_db_instance" "orders" {
  engine              = "postgres"
  publicly_accessible = true
}
"""


def fetch(url: str, method: str = "GET", path: str | None = None, body: Any = None) -> tuple[int, bytes]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    data = json.dumps(body).encode() if body is not None else None
    connection.request(method, path or f"{parts.path}?{parts.query}", body=data)
    response = connection.getresponse()
    return response.status, response.read()


def next_update(url: str, after: int) -> dict[str, Any]:
    """The first update event on the page's stream with a version above ``after``."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=20)
    connection.request("GET", f"/events?{parts.query}")
    response = connection.getresponse()
    assert response.status == 200
    data = b""
    while True:
        line = response.readline()
        if not line:
            raise AssertionError("the event stream ended")
        if line.startswith(b"data: "):
            data = line[6:]
        elif line == b"\n" and data:
            payload = json.loads(data)
            if payload["version"] > after:
                connection.close()
                return payload
            data = b""


async def test_preview_opens_updates_and_reveals(client: LanguageClient):
    uri = (await open_doc(client, "shop.arch.yaml", SHOP)).uri
    result = await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="archls.preview", arguments=[uri])
    )
    url = result["url"]
    assert url.startswith("http://127.0.0.1:") and "token=" in url
    if result["shown"]:
        assert [(p.uri, p.external) for p in client.shown_documents] == [(url, True)]
    else:
        assert any(url in m.message for m in client.messages)

    status, page = await asyncio.to_thread(fetch, url)
    assert status == 200 and b'data-component-id="shop-db"' in page
    assert (await asyncio.to_thread(fetch, url, "GET", "/"))[0] == 403

    # An unsaved edit is redrawn.
    first = await asyncio.to_thread(next_update, url, 0)
    edited = SHOP.replace("  images:\n", "  thumbnails:\n    type: object-storage\n  images:\n", 1)
    change(client, uri, 2, edited)
    update = await asyncio.to_thread(next_update, url, first["version"])
    if "patch" in update:  # the stream had the drawing already: it gets what changed
        assert "thumbnails" in update["patch"]["scene"]["nodes"]["order"]
        assert 'data-component-id="thumbnails"' in update["patch"]["nodes"]["put"]["thumbnails"]
    else:
        assert "thumbnails" in {n["id"] for n in update["scene"]["nodes"]}
        assert 'data-component-id="thumbnails"' in update["svg"]

    # "Go to source" selects the component's key in the editor.
    client.shown_documents.clear()
    status, body = await asyncio.to_thread(fetch, url, "POST", f"/reveal?{urlsplit(url).query}", {"id": "catalog"})
    assert status == 200
    for _ in range(100):
        if client.shown_documents:
            break
        await asyncio.sleep(0.05)
    line = edited.split("\n").index("  catalog:")
    assert [(p.uri, p.selection.start.line, p.selection.start.character) for p in client.shown_documents] == [
        (uri, line, 2)
    ]
    assert json.loads(body)["message"] == f"catalog: line {line + 1}"

    # Closing the document stops its page's server.
    client.text_document_did_close(lsp.DidCloseTextDocumentParams(lsp.TextDocumentIdentifier(uri)))
    for _ in range(100):
        try:
            await asyncio.to_thread(fetch, url)
        except ConnectionRefusedError:
            break
        except ConnectionResetError:
            pass  # closing while it answered
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the preview's server still answers after its document was closed")

    # A module is drawn whole from any of its files: "go to source" on a component of another of its
    # files opens that file at the component.
    db = write(client, "infra/db.tf", MODULE_DB)
    main = await open_doc(client, "infra/main.tf", MODULE_MAIN, "terraform")
    result = await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="archls.preview", arguments=[main.uri])
    )
    client.shown_documents.clear()
    status, body = await asyncio.to_thread(
        fetch, result["url"], "POST", f"/reveal?{urlsplit(result['url']).query}", {"id": "orders"}
    )
    assert status == 200 and json.loads(body)["message"] == "orders: db.tf line 1"
    for _ in range(100):
        if client.shown_documents:
            break
        await asyncio.sleep(0.05)
    assert [(p.uri, p.selection.start.line, p.take_focus) for p in client.shown_documents] == [(db, 0, True)]


async def test_preview_data_for_a_webview(client: LanguageClient):
    uri = (await open_doc(client, "shop.arch.yaml", SHOP)).uri
    page = await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="archls.previewPage", arguments=[uri, {"cspSource": "vscode-webview:"}])
    )
    assert '"mode":"vscode"' in page["html"] and "style-src vscode-webview: 'nonce-" in html.unescape(page["html"])
    data = await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="archls.previewData", arguments=[uri])
    )
    assert data["version"] == 1 and len(data["scene"]["nodes"]) == 19 and data["svg"].startswith("<svg")


async def test_compare_an_open_document_with_a_file_on_disk(client: LanguageClient):
    uri = (await open_doc(client, "shop.arch.yaml", SHOP)).uri
    other = client.workspace_root / "other.arch.yaml"
    other.write_text(SHOP.replace("  admin:\n", "  reviews:\n    type: service\n  admin:\n", 1), encoding="utf-8")
    answer = await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="archls.compare", arguments=[uri, "other.arch.yaml", "html"])
    )
    assert answer["comparison"]["components"]["added"] == ["reviews"]
    assert "+ reviews" in answer["text"] and 'data-diff="added"' in answer["html"]

    # a folder is the one architecture it holds (here a folder of Kubernetes manifests)
    manifests = ROOT / "tests" / "editors" / "workspace" / "k8s"
    answer = await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="archls.compare", arguments=[uri, manifests.as_uri()])
    )
    assert answer["comparison"]["b"]["format"] == "kubernetes" and answer["comparison"]["b"]["path"] == str(manifests)
    (client.workspace_root / "nothing").mkdir()
    (client.workspace_root / "latin1.arch.yaml").write_bytes(b"name: caf\xe9\n")
    for target, says in (("nothing", "holds no file archls reads"), ("latin1.arch.yaml", "0xe9 at offset 9")):
        try:
            await client.workspace_execute_command_async(
                lsp.ExecuteCommandParams(command="archls.compare", arguments=[uri, target])
            )
        except Exception as exc:
            assert says in str(exc)
        else:
            raise AssertionError(f"{target} was compared")


@pytest_lsp.fixture(config=server_config())
async def stopping(lsp_client: LanguageClient, tmp_path: Path):
    """A server this test shuts down itself (the shared fixture's teardown would do it again)."""
    await start(lsp_client, "neovim", tmp_path)
    yield
    lsp_client.exit(None)


async def test_shutting_down_stops_every_preview(stopping: LanguageClient):
    uri = (await open_doc(stopping, "shop.arch.yaml", SHOP)).uri
    result = await stopping.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="archls.preview", arguments=[uri])
    )
    assert (await asyncio.to_thread(fetch, result["url"]))[0] == 200
    await stopping.shutdown_async(None)  # the process lives on until `exit`; its previews do not
    try:
        await asyncio.to_thread(fetch, result["url"])
    except ConnectionRefusedError:
        pass
    else:
        raise AssertionError("a preview's server still answers after the language server shut down")
