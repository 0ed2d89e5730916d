"""What the editor features read: the analysis of a document (fresh, or the last good one while the
user types), positions and ranges in the client's encoding, and the client's capabilities."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp

from archls import engine
from archls.findings import Range
from archls.server.convert import from_lsp_position, to_lsp_range

if TYPE_CHECKING:
    from pygls.workspace import TextDocument

    from archls.config import Config
    from archls.server.app import ArchServer

#: Per document URI: the last analysis that read the file into a model (no syntax error).
_good: dict[str, engine.Analysis] = {}

#: How long a request waits for the audits of other documents ahead of its own (a large file's first
#: audit) before it answers from the document's last finished audit.
WAIT_S = 0.6
#: Set while a handler answers from the last finished audit (see :func:`after_audit`).
_from_last: ContextVar[bool] = ContextVar("archls_from_last", default=False)


def _remember(uri: str, analysis: engine.Analysis) -> engine.Analysis:
    if analysis.model is not None and not any(f.code == "ARCH001" for f in analysis.findings):
        _good[uri] = analysis
    return analysis


def fresh(ls: ArchServer, uri: str, settings: Config | None = None) -> engine.Analysis | None:
    """The analysis of the document's current text (cached by content, so usually free). In a
    handler answering from the last finished audit (see :func:`after_audit`), that one instead when
    the current text's is not cached yet, or None."""
    if not ls.claims(uri):
        return None
    if _from_last.get():
        return _last_finished(ls, uri, settings)
    return _remember(uri, ls.analyse(uri, settings))


def _last_finished(ls: ArchServer, uri: str, settings: Config | None) -> engine.Analysis | None:
    """The current text's analysis when cached, else the last good one while the text has as many
    lines (an edit that added or removed lines would put its answers on the wrong lines)."""
    from archls.server.app import path_of

    doc = ls.document(uri)
    path = path_of(uri) or uri
    found = engine.ready(doc.source, path, settings or ls.config_for(uri), read=ls.read_file)
    if found is not None:
        return _remember(uri, found)
    last = _good.get(uri) or engine.latest(path)
    if last is not None and last.text.count("\n") == doc.source.count("\n"):
        return last
    return None


def after_audit(
    handler: Callable[[ArchServer, Any], Any],
    fallback: Callable[[Any], Any] = lambda params: None,
    *,
    from_last: bool = True,
    uri_of: Callable[[Any], str | None] = lambda params: params.text_document.uri,
) -> Callable[[ArchServer, Any], Any]:
    """``handler``, which reads the document's analysis, as a coroutine that first has the current
    text audited on the audit thread: the server's loop never waits on an audit, so a request about
    one document never waits behind another's. When the audits of other documents ahead of it take
    longer than WAIT_S, the handler answers from the document's last finished audit (``from_last``:
    for answers that only show something) or ``fallback`` answers (edits must match the text)."""

    async def answer(ls: ArchServer, params: Any) -> Any:
        from archls.server.features.diagnostics import audited

        uri = uri_of(params)
        if uri is None or await audited(ls, uri, WAIT_S):
            return handler(ls, params)
        if not from_last:
            return fallback(params)
        token = _from_last.set(True)
        try:
            return handler(ls, params)
        finally:
            _from_last.reset(token)

    return answer


def recent(ls: ArchServer, uri: str) -> engine.Analysis | None:
    """An analysis to answer from at once: the current text's when cached, else the last good one.

    Never audits the text being typed, except when the document was never analysed at all.
    """
    if not ls.claims(uri):
        return None
    from archls.server.app import path_of

    latest = engine.latest(path_of(uri) or uri)
    if latest is None:
        return fresh(ls, uri)
    _remember(uri, latest)
    return _good.get(uri, latest)


def forget(uri: str) -> None:
    _good.pop(uri, None)


def position(doc: TextDocument, p: lsp.Position) -> tuple[int, int]:
    return from_lsp_position(doc, p)


def lsp_range(doc: TextDocument, r: Range) -> lsp.Range:
    return to_lsp_range(doc, r)


def capability(ls: ArchServer, dotted: str, default: Any = None) -> Any:
    """A client capability by its dotted snake_case path, e.g. ``text_document.completion.completion_item.snippet_support``."""
    node: Any = ls.client_capabilities
    for part in dotted.split("."):
        node = getattr(node, part, None)
        if node is None:
            return default
    return node


def markdown(ls: ArchServer, text: str, where: str = "hover") -> lsp.MarkupContent:
    """Markdown when the client renders it, else the same text as plain text."""
    formats = capability(ls, f"text_document.{where}.content_format") or capability(
        ls, f"text_document.{where}.completion_item.documentation_format"
    )
    if formats and lsp.MarkupKind.Markdown not in formats:
        return lsp.MarkupContent(lsp.MarkupKind.PlainText, plain(text))
    return lsp.MarkupContent(lsp.MarkupKind.Markdown, text)


def plain(text: str) -> str:
    """Markdown read as plain text (for window/showMessage and clients without markdown)."""
    out = []
    for line in text.split("\n"):
        line = line.removeprefix("### ").removeprefix("## ").removeprefix("# ")
        out.append(line.replace("**", "").replace("`", ""))
    return "\n".join(out).strip()
