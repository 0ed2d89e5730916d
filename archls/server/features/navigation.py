"""Go to definition, find references, document highlight and rename for component and group ids;
definition from a reference in compose, Terraform and Kubernetes files."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException

from archls.server import views
from archls.server.app import guarded_async

if TYPE_CHECKING:
    from archls.engine import Analysis
    from archls.intel import refs
    from archls.server.app import ArchServer


def _at(ls: ArchServer, uri: str, position: lsp.Position) -> tuple[Analysis, refs.Occurrence | None] | None:
    from archls.intel import refs  # on first use, not at start-up

    analysis = views.fresh(ls, uri)
    if analysis is None:
        return None
    line, col = views.position(ls.document(uri), position)
    return analysis, refs.at(analysis, line, col)


def definition(ls: ArchServer, params: lsp.DefinitionParams) -> list[lsp.Location] | None:
    from archls.intel import native, refs

    uri = params.text_document.uri
    found = _at(ls, uri, params.position)
    if found is None:
        return None
    analysis, occurrence = found
    doc = ls.document(uri)
    if analysis.format != "arch":
        line, col = views.position(doc, params.position)
        target = native.reference_at(analysis, line, col)
        if target is None:
            return None
        return [lsp.Location(uri, views.lsp_range(doc, target[2]))]
    if occurrence is None:
        return None
    defined = refs.definition(analysis, occurrence.kind, occurrence.name)
    if defined is None:
        return None
    return [lsp.Location(uri, views.lsp_range(doc, defined.range))]


def references(ls: ArchServer, params: lsp.ReferenceParams) -> list[lsp.Location] | None:
    from archls.intel import refs

    uri = params.text_document.uri
    found = _at(ls, uri, params.position)
    if found is None or found[1] is None:
        return None
    analysis, occurrence = found
    doc = ls.document(uri)
    include = params.context.include_declaration
    return [
        lsp.Location(uri, views.lsp_range(doc, o.range))
        for o in refs.index(analysis).of(occurrence.kind, occurrence.name)
        if include or not o.definition
    ]


def highlights(ls: ArchServer, params: lsp.DocumentHighlightParams) -> list[lsp.DocumentHighlight] | None:
    from archls.intel import refs

    uri = params.text_document.uri
    found = _at(ls, uri, params.position)
    if found is None or found[1] is None:
        return None
    analysis, occurrence = found
    doc = ls.document(uri)
    return [
        lsp.DocumentHighlight(
            views.lsp_range(doc, o.range),
            lsp.DocumentHighlightKind.Write if o.definition else lsp.DocumentHighlightKind.Read,
        )
        for o in refs.index(analysis).of(occurrence.kind, occurrence.name)
    ]


def prepare_rename(ls: ArchServer, params: lsp.PrepareRenameParams) -> lsp.PrepareRenamePlaceholder | None:
    uri = params.text_document.uri
    found = _at(ls, uri, params.position)
    if found is None or found[1] is None:
        return None
    occurrence = found[1]
    return lsp.PrepareRenamePlaceholder(
        range=views.lsp_range(ls.document(uri), occurrence.range), placeholder=occurrence.name
    )


def rename(ls: ArchServer, params: lsp.RenameParams) -> lsp.WorkspaceEdit | None:
    from archls.intel import refs

    uri = params.text_document.uri
    found = _at(ls, uri, params.position)
    if found is None or found[1] is None:
        raise JsonRpcException(
            "archls: there is no component or group id here to rename", lsp.LSPErrorCodes.RequestFailed
        )
    analysis, occurrence = found
    try:
        edits = refs.rename(analysis, occurrence, params.new_name)
    except refs.RenameError as exc:
        raise JsonRpcException(f"archls: {exc}", lsp.LSPErrorCodes.RequestFailed) from exc
    doc = ls.document(uri)
    text_edits = [lsp.TextEdit(views.lsp_range(doc, e.range), e.new_text) for e in edits]
    if views.capability(ls, "workspace.workspace_edit.document_changes"):
        return lsp.WorkspaceEdit(
            document_changes=[
                lsp.TextDocumentEdit(
                    lsp.OptionalVersionedTextDocumentIdentifier(uri=uri, version=doc.version),
                    text_edits,  # type: ignore[arg-type]
                )
            ]
        )
    return lsp.WorkspaceEdit(changes={uri: text_edits})


def register(server: ArchServer) -> None:
    server.feature(lsp.TEXT_DOCUMENT_DEFINITION)(guarded_async("definition", views.after_audit(definition)))
    server.feature(lsp.TEXT_DOCUMENT_REFERENCES)(guarded_async("references", views.after_audit(references)))
    server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_HIGHLIGHT)(
        guarded_async("document highlight", views.after_audit(highlights))
    )
    # a rename is an edit: never worked out on an older text
    server.feature(lsp.TEXT_DOCUMENT_PREPARE_RENAME)(
        guarded_async("prepare rename", views.after_audit(prepare_rename, from_last=False))
    )
    server.feature(lsp.TEXT_DOCUMENT_RENAME)(guarded_async("rename", views.after_audit(rename, from_last=False)))
