"""Hover through the real server: components, connections, flows, groups, the architecture, keys,
and rule pages in suppression comments and where a finding is."""

from __future__ import annotations

from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from archls.report import rule_markdown
from archls.rules.registry import get
from tests.e2e.conftest import open_doc
from tests.e2e.shop import LINES, SHOP, doc_id, pos, rng


async def hover(client: LanguageClient, uri: str, at: lsp.Position) -> lsp.Hover | None:
    return await client.text_document_hover_async(lsp.HoverParams(doc_id(uri), at))


async def test_component_key_shows_what_it_is_and_its_neighbours(client: LanguageClient):
    uri = (await open_doc(client, "shop.arch.yaml", SHOP)).uri
    found = await hover(client, uri, pos(client, "  api:", offset=3))
    assert found.range == rng(client, "  api:", offset=2, length=3)
    text = found.contents.value
    assert found.contents.kind == lsp.MarkupKind.Markdown
    assert text.startswith("### api\n\n`service` · go · 2 replicas\n")
    assert "- Calls: `db`\n- Called by: `web`" in text
    assert "- Dependents: 1 (components that fail when it fails)" in text


async def test_a_reference_shows_the_component_it_names(client: LanguageClient):
    uri = (await open_doc(client, "shop.arch.yaml", SHOP)).uri
    found = await hover(client, uri, pos(client, "[web, api, db]", offset=12))
    assert found.range == rng(client, "[web, api, db]", offset=11, length=2)
    assert found.contents.value.startswith("### db\n\n`database` · postgresql 16 · 1 replica")


async def test_connection_shows_its_terms(client: LanguageClient):
    uri = (await open_doc(client, "shop.arch.yaml", SHOP)).uri
    found = await hover(client, uri, pos(client, "protocol: https", offset=12))
    assert found.range == rng(client, "protocol: https", offset=10, length=5)
    assert found.contents.value == (
        "### web → api\n\n`https` · sync · required · encrypted\n\n- Timeout: 500 ms\n- Retries: none"
    )
    found = await hover(client, uri, pos(client, "  - {description", offset=2))
    assert found.contents.value.startswith(
        "### api → db\n\n`postgres` · sync · required\n\n- Timeout: 200 ms\n- Retries: 2"
    )


async def test_any_key_shows_its_documentation(client: LanguageClient):
    uri = (await open_doc(client, "shop.arch.yaml", SHOP)).uri
    found = await hover(client, uri, pos(client, "timeout_ms: 500", offset=2))
    assert found.range == rng(client, "timeout_ms: 500", length=10)
    assert found.contents.value == (
        "**`timeout_ms`**\n\nCaller gives up after this many milliseconds.\n\nTakes a number (more than 0)."
    )
    found = await hover(client, uri, pos(client, "latency_budget_ms", offset=1))
    assert found.contents.value.startswith("**`latency_budget_ms`**\n\np99 latency this flow may take.")


async def test_flow_and_group_keys(client: LanguageClient):
    uri = (await open_doc(client, "shop.arch.yaml", SHOP)).uri
    found = await hover(client, uri, pos(client, "  checkout:", offset=4))
    assert found.range == rng(client, "  checkout:", offset=2, length=8)
    assert found.contents.value.startswith(
        "### Flow checkout\n\n`web` → `api` → `db`\n\n- Rate: 50 requests/s at peak\n"
    )
    assert found.contents.value.endswith("- Budget: p99 300 ms")
    found = await hover(client, uri, pos(client, "  private:", offset=2))
    assert found.contents.value == "### private\n\n`vpc`\nInside `edge`\n\n- Members: `api`, `db`"


async def test_the_name_key_shows_the_architecture_totals(client: LanguageClient):
    uri = (await open_doc(client, "shop.arch.yaml", SHOP)).uri
    found = await hover(client, uri, pos(client, "name: Shop", offset=1))
    assert found.range == rng(client, "name: Shop", length=4)
    text = found.contents.value
    assert text.startswith("### Shop\n\n")
    assert "- 3 components · 2 connections · 1 flow\n" in text
    assert "$2,000" in text
    assert "- Findings: " in text


async def test_rule_code_in_a_suppression_comment(client: LanguageClient):
    text = SHOP.replace("    tls: true\n", "    tls: true  # archls: ignore[QUAL002, QUAL003] checked by hand\n")
    uri = (await open_doc(client, "shop.arch.yaml", text)).uri
    lines = text.split("\n")
    found = await hover(client, uri, pos(client, "QUAL003", offset=3, lines=lines))
    assert found.range == rng(client, "QUAL003", lines=lines)
    assert found.contents.value == rule_markdown(get("QUAL003"))


async def test_where_a_finding_is_the_hover_gives_its_rule(client: LanguageClient):
    text = SHOP.replace("    type: service\n", "    type: servise\n")
    published = await open_doc(client, "shop.arch.yaml", text)
    lines = text.split("\n")
    diagnostic = next(d for d in published.diagnostics if d.code == "ARCH004")
    found = await hover(client, published.uri, pos(client, "servise", offset=2, lines=lines))
    assert found.range == diagnostic.range
    assert found.contents.value == rule_markdown(get("ARCH004"))


async def test_nothing_on_blank_space(client: LanguageClient):
    uri = (await open_doc(client, "shop.arch.yaml", SHOP)).uri
    assert await hover(client, uri, lsp.Position(len(LINES) - 1, 0)) is None
