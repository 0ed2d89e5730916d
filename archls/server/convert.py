"""Findings and ranges in LSP terms, as the protocol's objects (the JSON of pushed diagnostics is made
without them: ``diagnostic_json``)."""

from __future__ import annotations

from lsprotocol import types as lsp
from pygls.workspace import TextDocument

from archls.config import Config
from archls.findings import Finding, Range, Severity
from archls.rule_pages import docs_href
from archls.server.diagnostic_json import client_position, lines_of

SEVERITY = {
    Severity.ERROR: lsp.DiagnosticSeverity.Error,
    Severity.WARNING: lsp.DiagnosticSeverity.Warning,
    Severity.INFO: lsp.DiagnosticSeverity.Information,
    Severity.HINT: lsp.DiagnosticSeverity.Hint,
}


def to_lsp_range(doc: TextDocument, r: Range) -> lsp.Range:
    lines = lines_of(doc)
    start = client_position(doc, lines, r.start_line, r.start_col)
    end = client_position(doc, lines, r.end_line, r.end_col)
    return lsp.Range(lsp.Position(*start), lsp.Position(*end))


def from_lsp_position(doc: TextDocument, p: lsp.Position) -> tuple[int, int]:
    server = doc.position_codec.position_from_client_units(lines_of(doc), p)
    return server.line, server.character


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
