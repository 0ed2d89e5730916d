"""``archls.chaos`` through the real server: the cascade of an open document, unsaved edits included."""

from __future__ import annotations

import pytest
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from tests.e2e.conftest import ROOT, change, open_doc, wait_diagnostics

SHOP = (ROOT / "examples" / "ecommerce.arch.yaml").read_text(encoding="utf-8")


async def chaos(client: LanguageClient, *arguments):
    return await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="archls.chaos", arguments=list(arguments))
    )


async def test_chaos_of_an_open_document(client: LanguageClient):
    uri = (await open_doc(client, "shop.arch.yaml", SHOP)).uri
    result = await chaos(client, uri, ["shop-db"], [])
    assert set(result["down"]) == {"shop-db", "catalog", "orders", "checkout", "admin"}
    assert result["flows_broken"] == ["browse", "place-order"]
    # The object form, on the unsaved text: with a fallback the catalog only degrades.
    edited = SHOP.replace(
        "{from: catalog, to: shop-db, protocol: postgres, tls: true, timeout_ms: 1000}",
        "{from: catalog, to: shop-db, protocol: postgres, tls: true, timeout_ms: 1000, fallback: serve the cached page}",
    )
    since = len(client.published)
    change(client, uri, 2, edited)
    await wait_diagnostics(client, uri, version=2, since=since)
    result = await chaos(client, {"uri": uri, "fail": ["shop-db"]})
    assert "catalog" in result["degraded"] and "browse" not in result["flows_broken"]
    each = await chaos(client, {"uri": uri, "each": True})
    assert each["each"][0]["traffic_lost"] >= each["each"][-1]["traffic_lost"]


async def test_chaos_refuses_unknown_names(client: LanguageClient):
    uri = (await open_doc(client, "shop.arch.yaml", SHOP)).uri
    with pytest.raises(JsonRpcException, match="did you mean 'shop-db'"):
        await chaos(client, uri, ["shopdb"])
