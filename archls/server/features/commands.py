"""Commands the editor runs: ``archls.showDetails`` (what a code lens opens) and ``archls.summary``
(grade, cost, budget and finding counts for a status bar; null for a file archls does not read)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcInvalidParams

from archls.server import views
from archls.server.app import ArchServer  # at run time: pygls reads the command handlers' annotations

if TYPE_CHECKING:
    from archls.engine import Analysis


def _analysis(ls: ArchServer, uri: Any) -> Analysis:
    if not isinstance(uri, str) or uri not in ls.workspace.text_documents:
        raise JsonRpcInvalidParams(f"archls: {uri!r} is not an open document")
    analysis = views.fresh(ls, uri)
    if analysis is None:
        raise JsonRpcInvalidParams(f"archls: {uri} is not a file archls reads")
    return analysis


def details(analysis: Analysis, kind: str, ident: str) -> str | None:
    from archls.intel import hover  # on first use, not at start-up

    if kind == "component":
        return hover.component_markdown(analysis, ident)
    if kind == "flow":
        return hover.flow_markdown(analysis, ident)
    if kind == "group":
        return hover.group_markdown(analysis, ident)
    if kind == "coach" and analysis.model is not None and analysis.model.coach is not None:
        from archls import coach

        return coach.markdown(analysis)
    return None


def register(server: ArchServer) -> None:
    @server.command("archls.showDetails")
    def show_details(ls: ArchServer, *args: Any) -> dict[str, Any] | None:
        uri, kind, ident = [*args, None, None, None][:3]
        analysis = _analysis(ls, uri)
        text = details(analysis, str(kind), str(ident))
        if text is None:
            raise JsonRpcInvalidParams(f"archls: no {kind} named {ident!r} in {uri}")
        ls.window_show_message(lsp.ShowMessageParams(lsp.MessageType.Info, views.plain(text)))
        return {"kind": kind, "id": ident, "markdown": text}

    @server.command("archls.summary")
    def summary(ls: ArchServer, *args: Any) -> dict[str, Any] | None:
        # A status bar asks for every file it shows, archls's or not: a file archls does not read has
        # no summary, which is an empty answer rather than an error.
        uri = args[0] if args else None
        if not isinstance(uri, str) or uri not in ls.workspace.text_documents or not ls.claims(uri):
            return None
        from archls.intel import facts

        analysis = views.fresh(ls, uri)
        return facts.summary(analysis) if analysis is not None else None
