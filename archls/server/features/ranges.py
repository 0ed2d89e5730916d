"""Folding ranges and selection ranges for sections, components, connections, flows and groups."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types as lsp

from archls.server import views
from archls.server.app import guarded

if TYPE_CHECKING:
    from archls.server.app import ArchServer


def folding_ranges(ls: ArchServer, params: lsp.FoldingRangeParams) -> list[lsp.FoldingRange] | None:
    from archls.intel import outline  # on first use, not at start-up

    analysis = views.fresh(ls, params.text_document.uri)
    if analysis is None:
        return None
    return [
        lsp.FoldingRange(start_line=first, end_line=last, kind=lsp.FoldingRangeKind.Region)
        for first, last, _ in outline.folding(analysis)
    ]


def selection_ranges(ls: ArchServer, params: lsp.SelectionRangeParams) -> list[lsp.SelectionRange] | None:
    from archls.intel import outline

    uri = params.text_document.uri
    analysis = views.fresh(ls, uri)
    if analysis is None:
        return None
    doc = ls.document(uri)
    out = []
    for position in params.positions:
        line, col = views.position(doc, position)
        chain = outline.selection(analysis, line, col)
        node: lsp.SelectionRange | None = None
        for r in reversed(chain):
            node = lsp.SelectionRange(range=views.lsp_range(doc, r), parent=node)
        out.append(node or lsp.SelectionRange(range=lsp.Range(position, position)))
    return out


def register(server: ArchServer) -> None:
    server.feature(lsp.TEXT_DOCUMENT_FOLDING_RANGE)(guarded("folding ranges", folding_ranges))
    server.feature(lsp.TEXT_DOCUMENT_SELECTION_RANGE)(guarded("selection ranges", selection_ranges))
