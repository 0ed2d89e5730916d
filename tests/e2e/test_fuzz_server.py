"""The real server keeps answering after fuzzed documents: each case opens a fuzzed file, replaces
its text with another fuzzed text, then asks for everything an editor asks for on it. Every
request must get an answer (not an error), and the diagnostics published for the last text must
lie inside it. Fuzzed project files (.archls.yaml) are written beside an example, announced as a
watched-file change, and the example must still be audited and answered. One server for the module;
the inputs are drawn deterministically (tests/fuzzing).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from hypothesis import strategies as st
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from archls import engine
from tests.e2e.conftest import server_config, start, wait_diagnostics
from tests.fuzzing.documents import generated
from tests.fuzzing.harness import as_text, document_lines
from tests.fuzzing.mutations import mutated
from tests.fuzzing.sample import drawn

CASES = int(os.environ.get("ARCHLS_FUZZ_SERVER_CASES", "8"))
NAMES = {
    "arch": ("system.arch.yaml", "yaml"),
    "compose": ("docker-compose.yml", "yaml"),
    "terraform": ("main.tf", "terraform"),
    "kubernetes": ("deploy.yaml", "yaml"),
}
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = (ROOT / "examples" / "url-shortener.arch.yaml").read_text(encoding="utf-8")
ANSWER_TIMEOUT = 30.0


def _texts(name: str) -> st.SearchStrategy[str]:
    return st.one_of(generated(name), mutated(name)).map(lambda data: as_text(data)[0])


def _cases(name: str) -> list[tuple[str, str, list[tuple[int, int]]]]:
    places = st.lists(st.tuples(st.integers(0, 400), st.integers(0, 120)), min_size=3, max_size=3)
    return drawn(st.tuples(_texts(name), _texts(name), places), CASES, seed=f"server-{name}")


@pytest_lsp.fixture(config=server_config(), scope="module")
async def client(lsp_client: LanguageClient, tmp_path_factory: pytest.TempPathFactory):
    await start(lsp_client, "visual-studio-code", tmp_path_factory.mktemp("fuzz-server"))
    yield
    await lsp_client.shutdown_session()


def _inside(lines: list[str], line: int, col: int) -> lsp.Position:
    line = line % len(lines)
    return lsp.Position(line, col % (len(lines[line]) + 1))


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _requests(client: LanguageClient, uri: str, text: str, places: list[tuple[int, int]]) -> dict[str, Any]:
    """Every request an editor sends about a document, at the drawn places."""
    lines = document_lines(text)
    doc = lsp.TextDocumentIdentifier(uri)
    here, there, third = (_inside(lines, *p) for p in places)
    # positions are in UTF-16 code units for the client; a place inside a surrogate pair is what
    # a buggy client might send, and the server must still answer
    whole = lsp.Range(lsp.Position(0, 0), lsp.Position(len(lines), 0))
    return {
        "hover": client.text_document_hover_async(lsp.HoverParams(doc, here)),
        "completion": client.text_document_completion_async(lsp.CompletionParams(doc, there)),
        "documentSymbol": client.text_document_document_symbol_async(lsp.DocumentSymbolParams(doc)),
        "codeAction": client.text_document_code_action_async(
            lsp.CodeActionParams(doc, whole, lsp.CodeActionContext([]))
        ),
        "codeActionHere": client.text_document_code_action_async(
            lsp.CodeActionParams(doc, lsp.Range(here, here), lsp.CodeActionContext([]))
        ),
        "foldingRange": client.text_document_folding_range_async(lsp.FoldingRangeParams(doc)),
        "selectionRange": client.text_document_selection_range_async(lsp.SelectionRangeParams(doc, [here, third])),
        "inlayHint": client.text_document_inlay_hint_async(lsp.InlayHintParams(doc, whole)),
        "codeLens": client.text_document_code_lens_async(lsp.CodeLensParams(doc)),
        "definition": client.text_document_definition_async(lsp.DefinitionParams(doc, there)),
        "references": client.text_document_references_async(
            lsp.ReferenceParams(context=lsp.ReferenceContext(True), text_document=doc, position=third)
        ),
        "documentHighlight": client.text_document_document_highlight_async(lsp.DocumentHighlightParams(doc, here)),
        "prepareRename": client.text_document_prepare_rename_async(lsp.PrepareRenameParams(doc, there)),
    }


def _logged_errors(client: LanguageClient, since: int) -> list[str]:
    """Errors the server logged (a handler that raised answers a fallback and logs its trace)."""
    return [m.message[-1500:] for m in client.log_messages[since:] if m.type == lsp.MessageType.Error]


async def _ask_everything(client: LanguageClient, uri: str, text: str, places: list[tuple[int, int]]) -> None:
    logs = len(client.log_messages)
    requests = _requests(client, uri, text, places)
    answers = await asyncio.wait_for(asyncio.gather(*requests.values(), return_exceptions=True), timeout=ANSWER_TIMEOUT)
    failed = {name: repr(a)[:300] for name, a in zip(requests, answers, strict=True) if isinstance(a, BaseException)}
    assert not failed, f"requests failed on {uri}: {failed}\n--- text ---\n{text[:2000]!r}"
    errors = _logged_errors(client, logs)
    assert not errors, f"the server logged errors on {uri}: {errors}\n--- text ---\n{text[:2000]!r}"


def _assert_inside(published: lsp.PublishDiagnosticsParams, text: str) -> None:
    lines = document_lines(text)
    for d in published.diagnostics:
        for p in (d.range.start, d.range.end):
            assert p.line < len(lines) and p.character <= _utf16(lines[p.line]), (d.code, d.range, d.message)


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("name", sorted(NAMES))
async def test_the_server_answers_every_request_after_fuzzed_edits(client: LanguageClient, name: str):
    file_name, language = NAMES[name]
    for n, (first, second, places) in enumerate(_cases(name)):
        uri = (client.workspace_root / f"{name}-{n}" / file_name).as_uri()
        since = len(client.published)
        client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, language, 1, first)))
        client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                lsp.VersionedTextDocumentIdentifier(uri=uri, version=2),
                [lsp.TextDocumentContentChangeWholeDocument(text=second)],
            )
        )
        await _ask_everything(client, uri, second, places)
        path = str(client.workspace_root / f"{name}-{n}" / file_name)
        if engine.claims(path, second):
            _assert_inside(await wait_diagnostics(client, uri, version=2, since=since), second)
        elif engine.claims(path, first):
            # no longer a file archls reads (a manifest without its kind): what it showed is cleared
            cleared = await wait_diagnostics(client, uri, version=2, since=since)
            assert not cleared.diagnostics
        client.text_document_did_close(lsp.DidCloseTextDocumentParams(lsp.TextDocumentIdentifier(uri)))


@pytest.mark.asyncio(loop_scope="module")
async def test_the_server_answers_under_a_fuzzed_project_file(client: LanguageClient):
    cases = drawn(st.tuples(_texts("config"), _texts("config")), CASES, seed="server-config")
    for n, (first, second) in enumerate(cases):
        folder = client.workspace_root / f"config-{n}"
        folder.mkdir()
        project_file = folder / ".archls.yaml"
        project_file.write_text(first, encoding="utf-8")
        uri = (folder / "system.arch.yaml").as_uri()
        since = len(client.published)
        client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, "yaml", 1, EXAMPLE)))
        await wait_diagnostics(client, uri, version=1, since=since)
        project_file.write_text(second, encoding="utf-8")
        since = len(client.published)
        client.workspace_did_change_watched_files(
            lsp.DidChangeWatchedFilesParams([lsp.FileEvent(project_file.as_uri(), lsp.FileChangeType.Changed)])
        )
        _assert_inside(await wait_diagnostics(client, uri, since=since), EXAMPLE)
        await _ask_everything(client, uri, EXAMPLE, [(40, 6), (3, 2), (120, 10)])
        client.text_document_did_close(lsp.DidCloseTextDocumentParams(lsp.TextDocumentIdentifier(uri)))


SERVER_FIXTURES = ROOT / "tests" / "fixtures" / "fuzz" / "server"


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize(
    "fixture", sorted(p for p in SERVER_FIXTURES.iterdir() if p.suffix != ".then"), ids=lambda p: p.name
)
async def test_an_edit_that_once_broke_the_server_is_answered(client: LanguageClient, fixture: Path):
    """Each fixture is opened, then replaced by its ``.then`` companion when there is one, and every
    request is asked at the start, middle and end of every line."""
    first = fixture.read_text(encoding="utf-8")
    then = fixture.with_name(fixture.name + ".then")
    second = then.read_text(encoding="utf-8") if then.is_file() else first
    folder = client.workspace_root / f"fixture-{fixture.name}"
    folder.mkdir()
    path = folder / ("system.arch.yaml" if ".arch." in fixture.name else "deploy.yaml")
    uri = path.as_uri()
    since = len(client.published)
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, "yaml", 1, first)))
    opened = await wait_diagnostics(client, uri, version=1, since=since)
    since = len(client.published)
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(uri=uri, version=2),
            [lsp.TextDocumentContentChangeWholeDocument(text=second)],
        )
    )
    for number, line in enumerate(document_lines(second)):
        await _ask_everything(client, uri, second, [(number, 0), (number, len(line) // 2), (number, len(line))])
    latest = await wait_diagnostics(client, uri, version=2, since=since)
    if engine.claims(str(path), second):
        _assert_inside(latest, second)
    else:
        assert opened.diagnostics and not latest.diagnostics  # what the first text showed is cleared
