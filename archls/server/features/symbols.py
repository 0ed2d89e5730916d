"""Document symbols (sections, components, connections, flows, groups) and workspace symbols
across every file archls reads in the workspace folders."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from lsprotocol import types as lsp
from pygls.uris import from_fs_path

from archls.server import views
from archls.server.app import guarded_async, path_of

if TYPE_CHECKING:
    from pygls.workspace import TextDocument

    from archls.intel import outline
    from archls.intel import workspace as spaces
    from archls.server.app import ArchServer

KIND = {
    "section": lsp.SymbolKind.Namespace,
    "component": lsp.SymbolKind.Class,
    "connection": lsp.SymbolKind.Event,
    "flow": lsp.SymbolKind.Function,
    "group": lsp.SymbolKind.Package,
    "requirement": lsp.SymbolKind.Property,
}
MAX_RESULTS = 500

#: The symbols of the workspace's files, made on the first workspace symbol request.
_index: spaces.Index | None = None


def _document_symbol(doc: TextDocument, symbol: outline.Symbol) -> lsp.DocumentSymbol:
    return lsp.DocumentSymbol(
        name=symbol.name,
        kind=KIND[symbol.kind],
        range=views.lsp_range(doc, symbol.range),
        selection_range=views.lsp_range(doc, symbol.selection),
        detail=symbol.detail,
        children=[_document_symbol(doc, child) for child in symbol.children] or None,
    )


def document_symbols(
    ls: ArchServer, params: lsp.DocumentSymbolParams
) -> list[lsp.DocumentSymbol] | list[lsp.SymbolInformation] | None:
    uri = params.text_document.uri
    analysis = views.fresh(ls, uri)
    if analysis is None:
        return None
    from archls.intel import outline  # on first use, not at start-up

    doc = ls.document(uri)
    found = outline.symbols(analysis)
    if views.capability(ls, "text_document.document_symbol.hierarchical_document_symbol_support"):
        return [_document_symbol(doc, s) for s in found]
    flat: list[lsp.SymbolInformation] = []

    def add(symbol: outline.Symbol, container: str | None) -> None:
        flat.append(
            lsp.SymbolInformation(
                name=symbol.name,
                kind=KIND[symbol.kind],
                location=lsp.Location(uri, views.lsp_range(doc, symbol.range)),
                container_name=container,
            )
        )
        for child in symbol.children:
            add(child, symbol.name)

    for symbol in found:
        add(symbol, None)
    return flat


async def workspace_symbols(ls: ArchServer, params: lsp.WorkspaceSymbolParams) -> list[lsp.SymbolInformation]:
    """At most :data:`MAX_RESULTS` symbols whose names hold the query's characters in order.

    Files are read one at a time and the event loop gets a turn between them, so other requests are
    answered meanwhile and a ``$/cancelRequest`` stops the walk at the next file."""
    global _index
    from archls.intel import workspace as spaces

    if _index is None:
        _index = spaces.Index()
    folders = [p for p in (path_of(f.uri) for f in ls.workspace.folders.values()) if p]
    if not folders and ls.workspace.root_path:
        folders = [ls.workspace.root_path]
    open_texts: dict[str, str] = {}
    open_uris: dict[str, str] = {}
    too_big: set[str] = set()
    for uri, doc in list(ls.workspace.text_documents.items()):
        path = path_of(uri)
        if path and ls.over_limit(uri):
            too_big.add(path)
        elif path and ls.claims(uri):
            open_texts[path] = doc.source
            open_uris[path] = uri
    out: list[lsp.SymbolInformation] = []
    turn = time.monotonic()
    for found in _index.each(folders, open_texts, frozenset(too_big)):
        for symbol in found:
            if not spaces.matches(params.query, symbol.name):
                continue
            out.append(_information(ls, symbol, open_uris))
            if len(out) >= MAX_RESULTS:
                return out
        if time.monotonic() - turn > _TURN_S:
            await asyncio.sleep(_PAUSE_S)
            turn = time.monotonic()
    return out


#: How long the symbol walk runs before letting other messages through, and for how long: pygls
#: reads stdin on a worker thread, and a message takes a few hand-overs to the event loop.
_TURN_S = 0.02
_PAUSE_S = 0.005


def _information(ls: ArchServer, symbol: spaces.WorkspaceSymbol, open_uris: dict[str, str]) -> lsp.SymbolInformation:
    uri = open_uris.get(symbol.path) or from_fs_path(symbol.path) or symbol.path
    doc = ls.workspace.text_documents.get(uri)
    r = symbol.range
    if doc is not None:
        where = views.lsp_range(doc, r)
    else:
        units = ls.workspace.position_codec.client_num_units
        start = units(symbol.line_text[: r.start_col])
        end = units(symbol.line_text[: r.end_col]) if r.end_line == r.start_line else r.end_col
        where = lsp.Range(lsp.Position(r.start_line, start), lsp.Position(r.end_line, end))
    return lsp.SymbolInformation(
        name=symbol.name,
        kind=KIND[symbol.kind],
        location=lsp.Location(uri, where),
        container_name=symbol.container,
    )


def register(server: ArchServer) -> None:
    server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)(
        guarded_async("document symbols", views.after_audit(document_symbols))
    )
    server.feature(lsp.WORKSPACE_SYMBOL)(guarded_async("workspace symbols", workspace_symbols, lambda params: []))
