"""Hover: components, connections, flows, the architecture's grade, key documentation and rule pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types as lsp

from archls.server import views
from archls.server.app import guarded_async

if TYPE_CHECKING:
    from archls.server.app import ArchServer


def hover_at(ls: ArchServer, params: lsp.HoverParams) -> lsp.Hover | None:
    from archls.intel import hover as hovering  # on the first hover, not at start-up

    uri = params.text_document.uri
    analysis = views.fresh(ls, uri)
    if analysis is None:
        return None
    doc = ls.document(uri)
    line, col = views.position(doc, params.position)
    found = hovering.hover(analysis, line, col)
    if found is None:
        return None
    return lsp.Hover(
        contents=views.markdown(ls, found.markdown),
        range=views.lsp_range(doc, found.range) if found.range is not None else None,
    )


def register(server: ArchServer) -> None:
    server.feature(lsp.TEXT_DOCUMENT_HOVER)(guarded_async("hover", views.after_audit(hover_at)))
