"""Document symbols, workspace symbols, folding ranges and selection ranges through the real server."""

from __future__ import annotations

from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from tests.e2e.conftest import open_doc, write
from tests.e2e.shop import LINES, SHOP, doc_id, rng, units


def whole(client: LanguageClient, first: int, first_col: int, last: int, last_col: int | None = None) -> lsp.Range:
    end = len(LINES[last]) if last_col is None else last_col
    return lsp.Range(
        lsp.Position(first, units(client, LINES[first], first_col)), lsp.Position(last, units(client, LINES[last], end))
    )


async def test_document_symbols_are_sections_with_their_parts(client: LanguageClient):
    uri = (await open_doc(client, "shop.arch.yaml", SHOP)).uri
    symbols = await client.text_document_document_symbol_async(lsp.DocumentSymbolParams(doc_id(uri)))
    assert [(s.name, s.kind, s.detail) for s in symbols] == [
        ("requirements", lsp.SymbolKind.Namespace, None),
        ("groups", lsp.SymbolKind.Namespace, "2"),
        ("components", lsp.SymbolKind.Namespace, "3"),
        ("connections", lsp.SymbolKind.Namespace, "2"),
        ("flows", lsp.SymbolKind.Namespace, "1"),
    ]
    requirements, groups, components, connections, flows = symbols
    assert requirements.range == whole(client, 2, 0, 4)
    assert requirements.selection_range == rng(client, "requirements:", length=12)
    assert [(c.name, c.kind) for c in requirements.children] == [
        ("peak_rps", lsp.SymbolKind.Property),
        ("budget_monthly", lsp.SymbolKind.Property),
    ]
    assert [(c.name, c.kind, c.detail) for c in groups.children] == [
        ("edge", lsp.SymbolKind.Package, "trust-boundary"),
        ("private", lsp.SymbolKind.Package, "vpc"),
    ]
    assert [(c.name, c.kind, c.detail) for c in components.children] == [
        ("web", lsp.SymbolKind.Class, "load-balancer · nginx"),
        ("api", lsp.SymbolKind.Class, "service · go"),
        ("db", lsp.SymbolKind.Class, "database · postgresql"),
    ]
    api = components.children[1]
    assert api.range == whole(client, 20, 2, 24)
    assert api.selection_range == rng(client, "  api:", offset=2, length=3)
    assert [(c.name, c.kind, c.detail) for c in connections.children] == [
        ("web → api", lsp.SymbolKind.Event, "https"),
        ("api → db", lsp.SymbolKind.Event, "postgres"),
    ]
    assert connections.children[0].range == whole(client, 30, 4, 33)
    assert connections.children[0].selection_range == rng(client, "from: web", length=9)
    assert connections.children[1].range == whole(client, 34, 4, 34)
    assert [(c.name, c.kind, c.detail) for c in flows.children] == [
        ("checkout", lsp.SymbolKind.Function, "web → api → db")
    ]


async def test_workspace_symbols_across_open_and_closed_files(client: LanguageClient):
    shop_uri = (await open_doc(client, "shop.arch.yaml", SHOP)).uri
    billing = "name: Billing\ncomponents:\n  billing-api:\n    type: service\n  ledger:\n    type: database\n"
    billing_uri = write(client, "services/billing.arch.yaml", billing)
    write(client, "node_modules/vendor/vendored.arch.yaml", "name: V\ncomponents:\n  vendor-api: {type: service}\n")
    write(client, ".git/x.arch.yaml", "name: G\ncomponents:\n  git-api: {type: service}\n")
    found = await client.workspace_symbol_async(lsp.WorkspaceSymbolParams(query="api"))
    got = sorted((s.name, s.kind, s.location.uri, s.container_name) for s in found)
    assert got == [
        ("api", lsp.SymbolKind.Class, shop_uri, "Shop"),
        ("billing-api", lsp.SymbolKind.Class, billing_uri, "Billing"),
    ]
    billing_api = next(s for s in found if s.name == "billing-api")
    assert billing_api.location.range == lsp.Range(lsp.Position(2, 2), lsp.Position(2, 13))
    found = await client.workspace_symbol_async(lsp.WorkspaceSymbolParams(query="chk"))
    assert [(s.name, s.kind) for s in found] == [("checkout", lsp.SymbolKind.Function)]


async def test_folding_ranges_for_sections_and_parts(client: LanguageClient):
    uri = (await open_doc(client, "shop.arch.yaml", SHOP)).uri
    found = await client.text_document_folding_range_async(lsp.FoldingRangeParams(doc_id(uri)))
    assert [(f.start_line, f.end_line) for f in found] == [
        (2, 4),
        (5, 13),
        (6, 9),
        (10, 13),
        (14, 28),
        (15, 19),
        (20, 24),
        (25, 28),
        (29, 34),
        (30, 33),
        (35, 39),
        (36, 39),
    ]


async def test_selection_ranges_grow_from_the_word_to_the_file(client: LanguageClient):
    uri = (await open_doc(client, "shop.arch.yaml", SHOP)).uri
    at = lsp.Position(19, 5)
    found = await client.text_document_selection_range_async(lsp.SelectionRangeParams(doc_id(uri), [at]))
    chain = []
    node = found[0]
    while node is not None:
        chain.append(node.range)
        node = node.parent
    assert chain == [
        whole(client, 19, 4, 19, 7),  # tls
        whole(client, 19, 4, 19),  # tls: true
        whole(client, 16, 4, 19),  # web's body
        whole(client, 15, 2, 19),  # web
        whole(client, 15, 2, 28),  # the components section's body
        whole(client, 14, 0, 28),  # components
        whole(client, 0, 0, 39),  # the document
    ]
