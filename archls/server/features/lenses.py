"""Code lenses (cost, p99 and dependents per component; p99 against the budget per flow) and inlay
hints (utilisation beside ``replicas``, cost beside ``technology``). The ``codeLens`` and
``inlayHints`` settings turn them off."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types as lsp
from pygls.workspace.position_codec import ServerTextPosition

from archls.server import views
from archls.server.app import guarded_async

if TYPE_CHECKING:
    from archls.server.app import ArchServer

SHOW_DETAILS = "archls.showDetails"


def code_lenses(ls: ArchServer, params: lsp.CodeLensParams) -> list[lsp.CodeLens]:
    from archls.intel import lenses as figures_beside  # on first use, not at start-up

    uri = params.text_document.uri
    if not ls.claims(uri):
        return []
    settings = ls.config_for(uri)
    analysis = views.fresh(ls, uri, settings) if settings.code_lens else None
    if analysis is None:
        return []
    doc = ls.document(uri)
    return [
        lsp.CodeLens(
            range=views.lsp_range(doc, lens.range),
            command=lsp.Command(title=lens.title, command=SHOW_DETAILS, arguments=[uri, lens.kind, lens.id]),
        )
        for lens in figures_beside.lenses(analysis)
    ]


def inlay_hints(ls: ArchServer, params: lsp.InlayHintParams) -> list[lsp.InlayHint]:
    from archls.intel import lenses as figures_beside

    uri = params.text_document.uri
    if not ls.claims(uri):
        return []
    settings = ls.config_for(uri)
    analysis = views.fresh(ls, uri, settings) if settings.inlay_hints else None
    if analysis is None:
        return []
    doc = ls.document(uri)
    first = doc.position_from_client_units(params.range.start).line
    last = doc.position_from_client_units(params.range.end).line
    out = []
    for hint in figures_beside.hints(analysis, first, last):
        position = doc.position_to_client_units(ServerTextPosition(hint.line, hint.col))
        out.append(
            lsp.InlayHint(
                position=lsp.Position(position.line, position.character),
                label=hint.label,
                tooltip=hint.tooltip,
                padding_left=True,
            )
        )
    return out


def refresh(ls: ArchServer) -> None:
    """Ask the client to request lenses and hints again, where it says it can."""
    try:
        if views.capability(ls, "workspace.code_lens.refresh_support"):
            ls.workspace_code_lens_refresh(None)
        if views.capability(ls, "workspace.inlay_hint.refresh_support"):
            ls.workspace_inlay_hint_refresh(None)
    except Exception:  # a client that cannot take the request still asks again on the next edit
        ls.log_exception("refreshing code lenses and inlay hints")


def register(server: ArchServer) -> None:
    def nothing(params: object) -> list[object]:
        return []

    server.feature(lsp.TEXT_DOCUMENT_CODE_LENS)(
        guarded_async("code lens", views.after_audit(code_lenses, nothing), nothing)
    )
    server.feature(lsp.TEXT_DOCUMENT_INLAY_HINT)(
        guarded_async("inlay hints", views.after_audit(inlay_hints, nothing), nothing)
    )
