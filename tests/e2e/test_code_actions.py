"""Quick fixes, suppression and configuration through the real server: open a file, get a finding,
ask for code actions, apply the edit the way an editor does, and see the finding go."""

from __future__ import annotations

from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from tests.e2e.conftest import change, open_doc, wait_diagnostics, write

SHOP = """name: shop
components:
  web: {type: client}
  api:
    type: service
    health_check: {path: /healthz}
    replicas: 2
  users-db:
    type: database
    technology: postgresql
    data: [pii]
    replicas: 2
    backups: {retention_days: 7}
connections:
  - {from: web, to: api, protocol: https}
  - {from: api, to: users-db, protocol: postgres, tls: true, timeout_ms: 100}
"""


def apply_edit(text: str, edit: lsp.WorkspaceEdit, uri: str, version: int | None = None) -> str:
    """Apply a workspace edit to one document as a client would (ASCII text: UTF-16 = code points)."""
    edits: list[lsp.TextEdit] = []
    for change_ in edit.document_changes or []:
        assert isinstance(change_, lsp.TextDocumentEdit)
        assert change_.text_document.uri == uri
        if version is not None:
            assert change_.text_document.version == version
        edits.extend(e for e in change_.edits if isinstance(e, lsp.TextEdit))
    if edit.changes:
        edits.extend(edit.changes[uri])
    lines = text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)

    def offset(p: lsp.Position) -> int:
        if p.line >= len(lines):
            return len(text)
        return starts[p.line] + min(p.character, len(lines[p.line]))

    for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[: offset(e.range.start)] + e.new_text + text[offset(e.range.end) :]
    return text


async def code_actions(
    client: LanguageClient, uri: str, diagnostics: list[lsp.Diagnostic], only: list[str] | None = None
) -> list[lsp.CodeAction]:
    whole = lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0))
    result = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            range=diagnostics[0].range if diagnostics else whole,
            context=lsp.CodeActionContext(diagnostics=diagnostics, only=only),
        )
    )
    return [a for a in result or [] if isinstance(a, lsp.CodeAction)]


async def test_quick_fix_removes_the_finding(client: LanguageClient):
    published = await open_doc(client, "shop.arch.yaml", SHOP)
    finding = next(d for d in published.diagnostics if d.code == "SEC014")
    actions = await code_actions(client, published.uri, [finding])
    fix = next(a for a in actions if a.is_preferred)
    assert fix.kind == lsp.CodeActionKind.QuickFix
    assert list(fix.diagnostics or []) == [finding]
    assert "Encrypt 'users-db' at rest" in fix.title
    assert any(a.title == "Suppress SEC014 on this line" for a in actions)

    new_text = apply_edit(SHOP, fix.edit, published.uri, version=1)
    assert new_text.count("\n") == SHOP.count("\n") + 1  # one line added, nothing rewritten
    assert "    backups: {retention_days: 7}\n    encryption_at_rest: true\n" in new_text
    since = len(client.published)
    change(client, published.uri, 2, new_text)
    after = await wait_diagnostics(client, published.uri, version=2, since=since)
    assert "SEC014" not in {d.code for d in after.diagnostics}


async def test_suppress_action_adds_a_comment(client: LanguageClient):
    published = await open_doc(client, "shop.arch.yaml", SHOP)
    finding = next(d for d in published.diagnostics if d.code == "SEC014")
    actions = await code_actions(client, published.uri, [finding])
    suppress = next(a for a in actions if a.title == "Suppress SEC014 on this line")
    assert not suppress.is_preferred
    new_text = apply_edit(SHOP, suppress.edit, published.uri)
    assert "  users-db:  # archls: ignore[SEC014]\n" in new_text
    since = len(client.published)
    change(client, published.uri, 2, new_text)
    after = await wait_diagnostics(client, published.uri, version=2, since=since)
    codes = {d.code for d in after.diagnostics}
    assert "SEC014" not in codes
    assert "ARCH011" not in codes


async def test_unused_suppression_is_reported_and_removed(client: LanguageClient):
    text = SHOP.replace("  api:\n", "  api:  # archls: ignore[REL011]\n")
    published = await open_doc(client, "shop.arch.yaml", text)
    unused = next(d for d in published.diagnostics if d.code == "ARCH011")
    assert unused.range.start.line == 3
    actions = await code_actions(client, published.uri, [unused])
    remove = next(a for a in actions if a.is_preferred)
    new_text = apply_edit(text, remove.edit, published.uri)
    assert new_text.split("\n")[3] == "  api:  "
    since = len(client.published)
    change(client, published.uri, 2, new_text)
    after = await wait_diagnostics(client, published.uri, version=2, since=since)
    assert "ARCH011" not in {d.code for d in after.diagnostics}


async def test_fix_all_applies_every_safe_fix(client: LanguageClient):
    text = SHOP.replace("    health_check: {path: /healthz}\n", "").replace("    backups: {retention_days: 7}\n", "")
    published = await open_doc(client, "shop.arch.yaml", text)
    before = {d.code for d in published.diagnostics}
    assert {"SEC014", "REL011", "REL015"} <= before
    actions = await code_actions(client, published.uri, [], only=["source.fixAll.archls"])
    assert [a.kind for a in actions] == ["source.fixAll.archls"]
    action = actions[0]
    if action.edit is None:  # the client resolves edits lazily
        action = await client.code_action_resolve_async(action)
    new_text = apply_edit(text, action.edit, published.uri, version=1)
    since = len(client.published)
    change(client, published.uri, 2, new_text)
    after = await wait_diagnostics(client, published.uri, version=2, since=since)
    assert not {"SEC014", "REL011", "REL015"} & {d.code for d in after.diagnostics}
    assert not [d for d in after.diagnostics if d.code.startswith("ARCH")]


async def test_editor_settings_change_takes_effect(client: LanguageClient):
    published = await open_doc(client, "shop.arch.yaml", SHOP)
    assert "SEC014" in {d.code for d in published.diagnostics}
    client.set_configuration({"archls": {"debounceMs": 0, "ignore": ["SEC014"]}})
    since = len(client.published)
    client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))
    after = await wait_diagnostics(client, published.uri, since=since)
    assert "SEC014" not in {d.code for d in after.diagnostics}


async def test_project_file_change_takes_effect(client: LanguageClient):
    published = await open_doc(client, "shop.arch.yaml", SHOP)
    assert "SEC014" in {d.code for d in published.diagnostics}
    config_uri = write(client, ".archls.yaml", "severity:\n  SEC014: hint\nignore: [QUAL]\n")
    since = len(client.published)
    client.workspace_did_change_watched_files(
        lsp.DidChangeWatchedFilesParams(changes=[lsp.FileEvent(uri=config_uri, type=lsp.FileChangeType.Created)])
    )
    after = await wait_diagnostics(client, published.uri, since=since)
    sec014 = next(d for d in after.diagnostics if d.code == "SEC014")
    assert sec014.severity == lsp.DiagnosticSeverity.Hint
    assert not [d for d in after.diagnostics if str(d.code).startswith("QUAL")]


async def test_quick_fix_in_a_crlf_document(client: LanguageClient):
    text = SHOP.replace("\n", "\r\n")
    published = await open_doc(client, "crlf.arch.yaml", text)
    finding = next(d for d in published.diagnostics if d.code == "SEC014")
    actions = await code_actions(client, published.uri, [finding])
    fix = next(a for a in actions if a.is_preferred)
    new_text = apply_edit(text, fix.edit, published.uri)
    assert "\n" not in new_text.replace("\r\n", "")  # every line break is still CRLF
    assert "    encryption_at_rest: true\r\n" in new_text
    since = len(client.published)
    change(client, published.uri, 2, new_text)
    after = await wait_diagnostics(client, published.uri, version=2, since=since)
    assert "SEC014" not in {d.code for d in after.diagnostics}


async def test_typed_suppression_comments(client: LanguageClient):
    published = await open_doc(client, "shop.arch.yaml", SHOP)
    assert "SEC014" in {d.code for d in published.diagnostics}
    since = len(client.published)
    change(client, published.uri, 2, "# archls: ignore-file[SEC014] encrypted by the platform\n" + SHOP)
    after = await wait_diagnostics(client, published.uri, version=2, since=since)
    assert "SEC014" not in {d.code for d in after.diagnostics}
    since = len(client.published)
    change(client, published.uri, 3, "# archls: ignore-file[SEC099]\n" + SHOP)
    stale = await wait_diagnostics(client, published.uri, version=3, since=since)
    unused = [d for d in stale.diagnostics if d.code == "ARCH011"]
    assert [d.range.start.line for d in unused] == [0]
    assert "SEC014" in {d.code for d in stale.diagnostics}
