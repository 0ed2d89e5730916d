"""Code actions: the quick fix of each finding, "suppress CODE on this line", and
``source.fixAll.archls`` (every safe fix of the document at once).

Edits carry the document's version when the client takes versioned edits, so a client whose
document moved on refuses them instead of applying them in the wrong place.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp
from pygls.workspace import TextDocument
from pygls.workspace.position_codec import ServerTextPosition, ServerTextRange

from archls import fixes, suppress
from archls.findings import Edit, Finding
from archls.rules.registry import Fix
from archls.server import views
from archls.server.convert import from_lsp_position, lines_of, to_lsp_range
from archls.server.features import assistant

if TYPE_CHECKING:
    from archls.engine import Analysis
    from archls.server.app import ArchServer

FIX_ALL = "source.fixAll.archls"
KINDS = [lsp.CodeActionKind.QuickFix, lsp.CodeActionKind.SourceFixAll, FIX_ALL]
#: Formats whose files cannot hold comments.
_NO_COMMENTS = frozenset({".json"})


def register(server: ArchServer) -> None:
    def code_action(ls: ArchServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction] | None:
        uri = params.text_document.uri
        if not ls.claims(uri):
            return None
        try:
            return actions(ls, params)
        except Exception:
            ls.log_exception(f"code actions for {uri}")
            return None

    def resolve(ls: ArchServer, action: lsp.CodeAction) -> lsp.CodeAction:
        data = action.data if isinstance(action.data, dict) else {}
        uri = data.get("uri")
        if action.edit is not None or not isinstance(uri, str) or uri not in ls.workspace.text_documents:
            return action
        try:
            doc = ls.document(uri)
            if data.get("version") not in (None, doc.version):
                return action  # the document moved on; the client asks again
            full = fix_all_action(ls, doc, ls.analyse(uri), lazy=False)
            if full is not None:
                action.edit = full.edit
        except Exception:
            ls.log_exception(f"resolving '{action.title}'")
        return action

    def uri_of(action: lsp.CodeAction) -> str | None:
        data = action.data if isinstance(action.data, dict) else {}
        uri = data.get("uri") if action.edit is None else None
        return uri if isinstance(uri, str) else None

    # Fixes are edits of the current text: when its audit waits behind another document's, there are
    # none yet rather than edits worked out on an older text.
    server.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        lsp.CodeActionOptions(code_action_kinds=KINDS, resolve_provider=True),
    )(views.after_audit(code_action, from_last=False))
    server.feature(lsp.CODE_ACTION_RESOLVE)(
        views.after_audit(resolve, lambda action: action, from_last=False, uri_of=uri_of)
    )


def _wants(only: list[str] | None, kind: str) -> bool:
    if not only:
        return True
    return any(kind == k or kind.startswith(k + ".") for k in only)


def actions(ls: ArchServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
    uri = params.text_document.uri
    doc = ls.document(uri)
    analysis = ls.analyse(uri)
    only = params.context.only
    out: list[lsp.CodeAction] = []
    if _wants(only, lsp.CodeActionKind.QuickFix):
        by_place = {}
        for finding in analysis.findings:
            if finding.file in (None, analysis.path):
                by_place.setdefault((finding.code, _key(to_lsp_range(doc, finding.range))), finding)
        for diagnostic in params.context.diagnostics:
            if diagnostic.source not in (None, "archls") or not isinstance(diagnostic.code, str):
                continue
            finding = by_place.get((diagnostic.code, _key(diagnostic.range)))
            out.extend(_for_diagnostic(ls, doc, analysis, diagnostic, finding))
            out.extend(assistant.code_actions(ls, uri, analysis, diagnostic, finding))
    if _wants(only, FIX_ALL) and (only or out):
        action = fix_all_action(ls, doc, analysis, lazy=_resolves_edits(ls))
        if action is not None:
            out.append(action)
    return out


def _resolves_edits(ls: ArchServer) -> bool:
    """Whether the client fetches an action's edit only when the user picks it (codeAction/resolve)."""
    caps = ls.client_capabilities.text_document
    action = caps.code_action if caps else None
    support = action.resolve_support if action else None
    return bool(support and "edit" in support.properties)


def _key(r: lsp.Range) -> tuple[int, int, int, int]:
    return (r.start.line, r.start.character, r.end.line, r.end.character)


def _for_diagnostic(
    ls: ArchServer, doc: TextDocument, analysis: Analysis, diagnostic: lsp.Diagnostic, finding: Finding | None
) -> list[lsp.CodeAction]:
    out = []
    data = diagnostic.data if isinstance(diagnostic.data, dict) else {}
    fix_data: dict[str, Any] | None = finding.fix if finding is not None else data.get("fix")
    if fix_data:
        try:
            fix = Fix.from_json(fix_data)
            edits = fixes.edits_for(analysis, fix)
        except (fixes.FixError, KeyError, TypeError, ValueError):
            edits = []
        if edits:
            out.append(
                lsp.CodeAction(
                    title=f"{fix.title} ({diagnostic.code})",
                    kind=lsp.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic],
                    is_preferred=fix.safe,
                    edit=workspace_edit(ls, doc, edits),
                )
            )
    code = diagnostic.code
    if isinstance(code, str) and code not in suppress.UNSUPPRESSIBLE and code != suppress.UNUSED and _commentable(doc):
        line = from_lsp_position(doc, diagnostic.range.start)[0] if lines_of(doc) else 0
        out.append(
            lsp.CodeAction(
                title=f"Suppress {code} on this line",
                kind=lsp.CodeActionKind.QuickFix,
                diagnostics=[diagnostic],
                edit=workspace_edit(ls, doc, [suppress.suppress_edit(doc.source, line, code)]),
            )
        )
    return out


def _commentable(doc: TextDocument) -> bool:
    return PurePath(doc.uri).suffix.lower() not in _NO_COMMENTS


def fix_all_action(ls: ArchServer, doc: TextDocument, analysis: Analysis, *, lazy: bool) -> lsp.CodeAction | None:
    """Every safe fix at once. ``lazy`` leaves the edit to codeAction/resolve: computing it re-audits
    the file, which is worth doing only when the user picks the action."""
    safe = [f for f in analysis.findings if f.fix and f.fix.get("safe", True) and f.file in (None, analysis.path)]
    if not safe:
        return None
    if lazy:
        return lsp.CodeAction(
            title="Fix all safe archls problems",
            kind=FIX_ALL,
            data={"uri": doc.uri, "version": doc.version},
        )
    result = fixes.fix_all(analysis)
    if not result.applied or result.text == analysis.text:
        return None
    edits = fixes.diff_edits(analysis.text, result.text)
    codes = sorted({f.code for f in result.applied})
    return lsp.CodeAction(
        title=f"Fix all safe archls problems ({len(result.applied)}: {', '.join(codes)})",
        kind=FIX_ALL,
        edit=workspace_edit(ls, doc, edits),
    )


def workspace_edit(ls: ArchServer, doc: TextDocument, edits: list[Edit]) -> lsp.WorkspaceEdit:
    text_edits = [lsp.TextEdit(range=_edit_range(doc, e), new_text=e.new_text) for e in edits]
    caps = ls.client_capabilities.workspace
    versioned = bool(caps and caps.workspace_edit and caps.workspace_edit.document_changes)
    if versioned:
        identifier = lsp.OptionalVersionedTextDocumentIdentifier(uri=doc.uri, version=doc.version)
        return lsp.WorkspaceEdit(document_changes=[lsp.TextDocumentEdit(text_document=identifier, edits=text_edits)])
    return lsp.WorkspaceEdit(changes={doc.uri: text_edits})


def _edit_range(doc: TextDocument, edit: Edit) -> lsp.Range:
    """An edit's range in the client's units. Positions past the last line mean the end of the text."""
    lines = lines_of(doc)
    count = len(lines)

    def position(line: int, col: int) -> ServerTextPosition:
        if line >= count:
            if count and not lines[-1].endswith(("\n", "\r")):
                return ServerTextPosition(count - 1, len(lines[-1]))
            return ServerTextPosition(count, 0)
        return ServerTextPosition(line, min(col, len(lines[line].rstrip("\r\n"))))

    start = position(edit.range.start_line, edit.range.start_col)
    end = position(edit.range.end_line, edit.range.end_col)
    if start.line >= count or end.line >= count:
        # At the very end of a text that ends with a line break: nothing to convert.
        inside = ServerTextRange(
            start if start.line < count else ServerTextPosition(0, 0),
            end if end.line < count else ServerTextPosition(0, 0),
        )
        converted = doc.position_codec.range_to_client_units(lines, inside)
        return lsp.Range(
            converted.start if start.line < count else lsp.Position(count, 0),
            converted.end if end.line < count else lsp.Position(count, 0),
        )
    return doc.position_codec.range_to_client_units(lines, ServerTextRange(start, end))
