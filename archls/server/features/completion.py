"""Completion and completion item resolve, for architecture files.

Besides the schema's items, a line that starts a component or a connection also gets the
assistant's offline suggestions (the next component or connection this architecture lacks), read
from the last audit's model: no model call, no network (``archls.ai.completionSuggestions``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp

from archls.formats.archyaml import is_arch_file
from archls.intel.text import TRIGGERS
from archls.server import views
from archls.server.app import guarded

if TYPE_CHECKING:
    from archls.intel import complete as completing
    from archls.server.app import ArchServer

KIND = {
    "key": lsp.CompletionItemKind.Property,
    "section": lsp.CompletionItemKind.Module,
    "value": lsp.CompletionItemKind.EnumMember,
    "component": lsp.CompletionItemKind.Reference,
    "group": lsp.CompletionItemKind.Folder,
    "technology": lsp.CompletionItemKind.Constant,
    "version": lsp.CompletionItemKind.Value,
    "snippet": lsp.CompletionItemKind.Snippet,
    "rule": lsp.CompletionItemKind.Keyword,
}


def items_for(ls: ArchServer, params: lsp.CompletionParams) -> lsp.CompletionList | None:
    from archls.intel import complete as completing  # on the first completion, not at start-up

    uri = params.text_document.uri
    if not ls.claims(uri) or not is_arch_file(uri):
        return None
    doc = ls.document(uri)
    text = doc.source
    lines = text.split("\n")  # once: the document can be tens of thousands of lines
    codec = ls.workspace.position_codec
    server_position = codec.position_from_client_units(lines, params.position)
    line, col = server_position.line, server_position.character
    context = params.context
    trigger = (
        context.trigger_character
        if context is not None and context.trigger_kind == lsp.CompletionTriggerKind.TriggerCharacter
        else None
    )
    recent = views.recent(ls, uri)
    result = completing.complete(text, line, col, recent, trigger=trigger, lines=lines)
    # A typed trigger character (a space of indentation) opens no list where the schema offers
    # nothing either: an open list would hide the ghost text that is not its selected item.
    suggested = _suggested(ls, uri, lines, line, col, recent) if trigger is None or result is not None else []
    if result is None:
        return lsp.CompletionList(is_incomplete=False, items=suggested) if suggested else None
    snippets = bool(views.capability(ls, "text_document.completion.completion_item.snippet_support"))
    line_text = lines[result.line] if result.line < len(lines) else ""
    edit_range = lsp.Range(
        lsp.Position(result.line, codec.client_num_units(line_text[: result.start])),
        lsp.Position(result.line, codec.client_num_units(line_text[: result.end])),
    )
    out = [_item(uri, item, edit_range, snippets) for item in result.items]
    return lsp.CompletionList(is_incomplete=result.incomplete, items=out + suggested)


#: What may stand before the cursor for a suggestion to replace the line: indentation, a list
#: dash, the start of an id.
_STARTING = re.compile(r"^\s*(?:-\s*)?[A-Za-z0-9_.-]*$")


def _suggested(
    ls: ArchServer, uri: str, lines: list[str], line: int, col: int, recent: Any
) -> list[lsp.CompletionItem]:
    """The assistant's offline suggestions as items that replace the line being started."""
    if line >= len(lines) or lines[line][col:].strip() or not _STARTING.match(lines[line][:col]):
        return []
    settings = ls.editor_settings(uri).get("ai")
    if isinstance(settings, dict) and settings.get("completionSuggestions") is False:
        return []
    from archls.assistant.suggest import suggestions_at

    found = suggestions_at(lines, line, recent.model if recent is not None else None)
    codec = ls.workspace.position_codec
    whole = lsp.Range(lsp.Position(line, 0), lsp.Position(line, codec.client_num_units(lines[line][:col])))
    out = []
    for n, suggestion in enumerate(found[:5]):
        block = suggestion.text.rstrip("\n")
        first = block.split("\n", 1)[0]
        out.append(
            lsp.CompletionItem(
                label=suggestion.label.split(":", 1)[0],
                label_details=lsp.CompletionItemLabelDetails(description="suggested"),
                kind=lsp.CompletionItemKind.Snippet,
                detail=suggestion.label,
                documentation=lsp.MarkupContent(lsp.MarkupKind.Markdown, f"```yaml\n{block}\n```"),
                # After the schema's own items; the typed indentation is replaced by the block's own.
                sort_text=f"~{n}",
                filter_text=first.strip(),
                text_edit=lsp.TextEdit(range=whole, new_text=block),
                insert_text_format=lsp.InsertTextFormat.PlainText,
                insert_text_mode=lsp.InsertTextMode.AsIs,
            )
        )
    return out


def _item(uri: str, item: completing.Item, edit_range: lsp.Range, snippets: bool) -> lsp.CompletionItem:
    snippet = item.snippet if snippets and item.snippet is not None else None
    text = snippet if snippet is not None else item.insert
    return lsp.CompletionItem(
        label=item.label,
        kind=KIND.get(item.kind, lsp.CompletionItemKind.Text),
        detail=item.detail,
        sort_text=item.sort,
        filter_text=item.filter,
        text_edit=lsp.TextEdit(range=edit_range, new_text=text),
        insert_text_format=lsp.InsertTextFormat.Snippet if snippet is not None else lsp.InsertTextFormat.PlainText,
        # Multi-line inserts carry their own indentation; the client must not add more.
        insert_text_mode=lsp.InsertTextMode.AsIs if "\n" in text else None,
        data={"uri": uri, **item.ref},
    )


def resolve(ls: ArchServer, item: lsp.CompletionItem) -> lsp.CompletionItem:
    data: Any = item.data
    if not isinstance(data, dict) or not isinstance(data.get("uri"), str):
        return item
    from archls.intel import complete as completing

    analysis = views.recent(ls, data["uri"])
    text = completing.documentation(data, analysis)
    if text:
        item.documentation = views.markdown(ls, text, "completion")
    return item


def register(server: ArchServer) -> None:
    server.feature(
        lsp.TEXT_DOCUMENT_COMPLETION,
        lsp.CompletionOptions(trigger_characters=list(TRIGGERS), resolve_provider=True),
    )(guarded("completion", items_for))
    server.feature(lsp.COMPLETION_ITEM_RESOLVE)(guarded("completion resolve", resolve, lambda item: item))
