"""Go to definition, references, highlights and rename of component and group ids, through the real server."""

from __future__ import annotations

import pytest
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from tests.e2e.conftest import open_doc
from tests.e2e.shop import SHOP, doc_id, pos, rng

#: Every place the id ``api`` is written: group member, definition, connection, flow mapping, flow path.
API_PLACES = [("[api, db]", 1), ("  api:", 2), ("to: api", 4), ("from: api", 6), ("[web, api, db]", 6)]


def api_ranges(client: LanguageClient) -> list[lsp.Range]:
    return [rng(client, text, offset=offset, length=3) for text, offset in API_PLACES]


async def test_definition_from_each_reference(client: LanguageClient):
    uri = (await open_doc(client, "shop.arch.yaml", SHOP)).uri
    definition = rng(client, "  api:", offset=2, length=3)
    for text, offset in API_PLACES:
        found = await client.text_document_definition_async(
            lsp.DefinitionParams(doc_id(uri), pos(client, text, offset=offset + 1))
        )
        assert list(found) == [lsp.Location(uri, definition)], text


async def test_definition_of_a_group_parent(client: LanguageClient):
    uri = (await open_doc(client, "shop.arch.yaml", SHOP)).uri
    found = await client.text_document_definition_async(
        lsp.DefinitionParams(doc_id(uri), pos(client, "parent: edge", offset=9))
    )
    assert list(found) == [lsp.Location(uri, rng(client, "  edge:", offset=2, length=4))]


async def test_no_definition_off_an_id(client: LanguageClient):
    uri = (await open_doc(client, "shop.arch.yaml", SHOP)).uri
    found = await client.text_document_definition_async(
        lsp.DefinitionParams(doc_id(uri), pos(client, "protocol: https", offset=12))
    )
    assert not found


async def test_references_with_and_without_the_declaration(client: LanguageClient):
    uri = (await open_doc(client, "shop.arch.yaml", SHOP)).uri
    at = pos(client, "[web, api, db]", offset=7)
    found = await client.text_document_references_async(
        lsp.ReferenceParams(
            text_document=doc_id(uri), position=at, context=lsp.ReferenceContext(include_declaration=True)
        )
    )
    assert list(found) == [lsp.Location(uri, r) for r in api_ranges(client)]
    found = await client.text_document_references_async(
        lsp.ReferenceParams(
            text_document=doc_id(uri), position=at, context=lsp.ReferenceContext(include_declaration=False)
        )
    )
    assert list(found) == [
        lsp.Location(uri, r) for r in api_ranges(client) if r != rng(client, "  api:", offset=2, length=3)
    ]


async def test_document_highlight_marks_the_definition_as_write(client: LanguageClient):
    uri = (await open_doc(client, "shop.arch.yaml", SHOP)).uri
    found = await client.text_document_document_highlight_async(
        lsp.DocumentHighlightParams(doc_id(uri), pos(client, "to: api", offset=5))
    )
    definition = rng(client, "  api:", offset=2, length=3)
    assert list(found) == [
        lsp.DocumentHighlight(r, lsp.DocumentHighlightKind.Write if r == definition else lsp.DocumentHighlightKind.Read)
        for r in api_ranges(client)
    ]


def _edits(client: LanguageClient, uri: str, result: lsp.WorkspaceEdit) -> list[lsp.TextEdit]:
    if client.profile == "visual-studio-code":  # it takes versioned document changes
        assert result.changes is None
        assert len(result.document_changes) == 1
        change = result.document_changes[0]
        assert change.text_document == lsp.OptionalVersionedTextDocumentIdentifier(uri=uri, version=1)
        return list(change.edits)
    assert result.document_changes is None
    assert list(result.changes) == [uri]
    return result.changes[uri]


async def test_prepare_rename_and_rename_every_reference(client: LanguageClient):
    uri = (await open_doc(client, "shop.arch.yaml", SHOP)).uri
    at = pos(client, "from: api", offset=7)
    prepared = await client.text_document_prepare_rename_async(lsp.PrepareRenameParams(doc_id(uri), at))
    assert prepared == lsp.PrepareRenamePlaceholder(
        range=rng(client, "from: api", offset=6, length=3), placeholder="api"
    )
    result = await client.text_document_rename_async(lsp.RenameParams(doc_id(uri), at, "orders"))
    assert list(_edits(client, uri, result)) == [lsp.TextEdit(r, "orders") for r in api_ranges(client)]


async def test_rename_quotes_an_id_yaml_would_read_as_a_number(client: LanguageClient):
    uri = (await open_doc(client, "shop.arch.yaml", SHOP)).uri
    result = await client.text_document_rename_async(
        lsp.RenameParams(doc_id(uri), pos(client, "  db:", offset=2), "2024")
    )
    edits = _edits(client, uri, result)
    assert [e.new_text for e in edits] == ['"2024"'] * 4
    assert edits[0].range == rng(client, "[api, db]", offset=6, length=2)


async def test_prepare_rename_refuses_off_an_id(client: LanguageClient):
    uri = (await open_doc(client, "shop.arch.yaml", SHOP)).uri
    prepared = await client.text_document_prepare_rename_async(
        lsp.PrepareRenameParams(doc_id(uri), pos(client, "technology: go", offset=3))
    )
    assert prepared is None


@pytest.mark.parametrize(
    ("new_name", "message"),
    [("db", "a component named 'db' already exists"), ("no spaces", "'no spaces' is not a valid component id")],
)
async def test_rename_refuses_a_taken_or_invalid_name(client: LanguageClient, new_name: str, message: str):
    uri = (await open_doc(client, "shop.arch.yaml", SHOP)).uri
    with pytest.raises(JsonRpcException, match=message):
        await client.text_document_rename_async(
            lsp.RenameParams(doc_id(uri), pos(client, "  api:", offset=3), new_name)
        )


async def test_rename_a_group_updates_its_children(client: LanguageClient):
    uri = (await open_doc(client, "shop.arch.yaml", SHOP)).uri
    result = await client.text_document_rename_async(
        lsp.RenameParams(doc_id(uri), pos(client, "  edge:", offset=3), "public-edge")
    )
    assert list(_edits(client, uri, result)) == [
        lsp.TextEdit(rng(client, "  edge:", offset=2, length=4), "public-edge"),
        lsp.TextEdit(rng(client, "parent: edge", offset=8, length=4), "public-edge"),
    ]
