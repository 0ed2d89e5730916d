"""What the editor features read: the analysis of a document (fresh, or the last good one while the
user types), positions and ranges in the client's encoding, and the client's capabilities."""

from __future__ import annotations

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


def _remember(uri: str, analysis: engine.Analysis) -> engine.Analysis:
    if analysis.model is not None and not any(f.code == "ARCH001" for f in analysis.findings):
        _good[uri] = analysis
    return analysis


def fresh(ls: ArchServer, uri: str, settings: Config | None = None) -> engine.Analysis | None:
    """The analysis of the document's current text (cached by content, so usually free)."""
    if not ls.claims(uri):
        return None
    return _remember(uri, ls.analyse(uri, settings))


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
