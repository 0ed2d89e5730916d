"""Findings and ranges in LSP terms."""

from __future__ import annotations

from collections import deque
from functools import cache
from pathlib import Path

from lsprotocol import types as lsp
from pygls.workspace import TextDocument
from pygls.workspace.position_codec import ServerTextPosition, ServerTextRange

from archls.config import Config
from archls.findings import Finding, Range, Severity

SEVERITY = {
    Severity.ERROR: lsp.DiagnosticSeverity.Error,
    Severity.WARNING: lsp.DiagnosticSeverity.Warning,
    Severity.INFO: lsp.DiagnosticSeverity.Information,
    Severity.HINT: lsp.DiagnosticSeverity.Hint,
}

DOCS_DIR = Path(__file__).resolve().parents[2] / "docs" / "rules"
PROJECT_DOCS = "https://github.com/archls/archls/blob/main/docs/rules"


_recent: deque[tuple[str, tuple[str, ...]]] = deque(maxlen=4)


def lines_of(doc: TextDocument) -> tuple[str, ...]:
    """The document's lines, split once per text: ``TextDocument.lines`` splits the whole text on
    every call, which made converting a hundred findings in a large file cost a hundred splits."""
    source = doc.source
    for text, lines in _recent:
        if text is source:
            return lines
    lines = tuple(source.splitlines(True))
    _recent.appendleft((source, lines))
    return lines


def to_lsp_range(doc: TextDocument, r: Range) -> lsp.Range:
    lines = lines_of(doc)
    last = len(lines) - 1

    def pos(line: int, col: int) -> ServerTextPosition:
        if line > last:
            line, col = max(last, 0), len(lines[last]) if lines else 0
        return ServerTextPosition(line, col)

    server_range = ServerTextRange(pos(r.start_line, r.start_col), pos(r.end_line, r.end_col))
    return doc.position_codec.range_to_client_units(lines, server_range)


def from_lsp_position(doc: TextDocument, p: lsp.Position) -> tuple[int, int]:
    server = doc.position_codec.position_from_client_units(lines_of(doc), p)
    return server.line, server.character


def docs_href(code: str, config: Config) -> str:
    if config.docs_url:
        return f"{config.docs_url.rstrip('/')}/{code}.md"
    return _local_page(code) or f"{PROJECT_DOCS}/{code}.md"


@cache
def _local_page(code: str) -> str | None:
    """A file: link to the rule's page, readable offline: the checkout's docs/rules/, or (for an
    installed archls without its source tree, such as the VS Code bundle) the page written once
    into the user's cache from the same registry the docs are generated from."""
    page = DOCS_DIR / f"{code}.md"
    if page.is_file():
        return page.as_uri()
    from archls.paths import cache_dir
    from archls.report import rule_markdown
    from archls.rules.registry import get

    rule, folder = get(code), cache_dir("rules")
    if rule is None or folder is None:
        return None
    target = folder / f"{code}.md"
    try:
        if not target.is_file():
            target.write_text(rule_markdown(rule), encoding="utf-8")
    except OSError:
        return None
    return target.as_uri()


def to_diagnostic(finding: Finding, doc: TextDocument, config: Config) -> lsp.Diagnostic:
    data: dict[str, object] = {"path": list(finding.path), "category": finding.category}
    if finding.fix:
        data["fix"] = finding.fix
    if finding.data:
        data.update(finding.data)
    return lsp.Diagnostic(
        range=to_lsp_range(doc, finding.range),
        message=finding.message,
        severity=SEVERITY[finding.severity],
        code=finding.code,
        code_description=lsp.CodeDescription(href=docs_href(finding.code, config)),
        source="archls",
        data=data,
    )
