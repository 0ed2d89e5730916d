"""The server object's own parts: guarded feature handlers, and the other files formats read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pygls.workspace import Workspace

from archls.server import views
from archls.server.app import ArchServer, create_server, guarded


class Server:
    def __init__(self) -> None:
        self.logged: list[str] = []

    def log_exception(self, what: str) -> None:
        self.logged.append(what)


def test_a_failing_handler_answers_its_fallback_and_is_logged() -> None:
    def broken(ls: Any, params: Any) -> Any:
        raise KeyError("oops")

    ls = Server()
    assert guarded("hover", broken)(ls, object()) is None
    assert guarded("code lens", broken, lambda params: [])(ls, object()) == []
    assert guarded("completion resolve", broken, lambda item: item)(ls, "the item") == "the item"
    assert ls.logged == ["hover", "code lens", "completion resolve"]
    assert guarded("hover", lambda ls, params: params * 2)(ls, 21) == 42


def test_errors_meant_for_the_client_reach_it() -> None:
    def refuses(ls: Any, params: Any) -> Any:
        raise JsonRpcException("archls: there is no component or group id here to rename")

    ls = Server()
    with pytest.raises(JsonRpcException):
        guarded("rename", refuses)(ls, object())
    assert ls.logged == []


def test_other_files_come_from_the_editor_first_and_are_never_read_cut_short(tmp_path: Path) -> None:
    ls = ArchServer()
    ls.protocol._workspace = Workspace(tmp_path.as_uri())  # what initialize sets up
    small, big, opened = tmp_path / "variables.tf", tmp_path / "huge.tf", tmp_path / "main.tf"
    small.write_text('variable "x" {}\n', encoding="utf-8")
    big.write_bytes(b"#" * 5_000_001)
    opened.write_text("on disk\n", encoding="utf-8")
    ls.workspace.put_text_document(lsp.TextDocumentItem(opened.as_uri(), "terraform", 1, "in the editor\n"))
    assert ls.read_file(str(small)) == 'variable "x" {}\n'
    assert ls.read_file(str(opened)) == "in the editor\n"
    assert ls.read_file(str(big)) is None  # too large to read, as the engine's own reader says
    assert ls.read_file(str(tmp_path / "missing.tf")) is None


def test_a_closed_document_leaves_no_analysis_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ls = create_server()
    ls.protocol._workspace = Workspace(tmp_path.as_uri())
    published: list[lsp.PublishDiagnosticsParams] = []
    monkeypatch.setattr(ls, "text_document_publish_diagnostics", published.append)
    uri = (tmp_path / "shop.arch.yaml").as_uri()
    ls.workspace.put_text_document(
        lsp.TextDocumentItem(uri, "yaml", 1, "name: shop\ncomponents:\n  api: {type: service}\n")
    )
    assert views.fresh(ls, uri) is not None and uri in views._good
    ls.workspace.remove_text_document(uri)  # what pygls does before the server's own handler runs
    close = ls.protocol.fm.features[lsp.TEXT_DOCUMENT_DID_CLOSE]
    close(lsp.DidCloseTextDocumentParams(lsp.TextDocumentIdentifier(uri)))  # the server is bound in
    assert uri not in views._good
    assert [(p.uri, p.diagnostics) for p in published] == [(uri, [])]


@pytest.mark.parametrize("encoding", [lsp.PositionEncodingKind.Utf16, lsp.PositionEncodingKind.Utf8])
def test_diagnostics_sent_as_json_are_what_the_protocol_objects_would_give(encoding: str) -> None:
    from lsprotocol.converters import get_converter
    from pygls.workspace.position_codec import ServerTextPosition, ServerTextRange

    from archls.config import Config
    from archls.findings import Finding, Range, Severity
    from archls.server.convert import to_diagnostic
    from archls.server.diagnostic_json import diagnostic_json, diagnostic_text

    text = "name: shop\ncomponents:\n  café: {type: service, description: 'naïve 🙂 x'}\n  api: {type: service}\n"
    doc = Workspace(None, position_encoding=encoding).get_text_document("untitled:x")
    doc._source = text
    findings = [
        Finding("SEC001", "ascii line", Severity.ERROR, Range(3, 2, 3, 5), "SEC", ("components", "api")),
        Finding("SEC002", "after wide characters", Severity.WARNING, Range(2, 40, 2, 44), fix={"set": 1}),
        Finding("ARCH003", "past the end", Severity.INFO, Range(9, 3, 12, 1), data={"rule": "x"}),
        Finding("ARCH004", "past a line's end", Severity.HINT, Range(0, 50, 1, 99)),
    ]
    converter = get_converter()
    lines = text.splitlines(True)
    for finding in findings:
        expected = converter.unstructure(to_diagnostic(finding, doc, Config()), lsp.Diagnostic)
        assert diagnostic_json(finding, doc, Config()) == expected
        # ... and the positions are pygls' own conversion, kept inside the text (past a line's end: its
        # end; past the last line: the empty line after the final line break)
        r = finding.range
        ends = [
            (line, min(col, len(lines[line].rstrip("\n")))) if line < len(lines) else (len(lines), 0)
            for line, col in r_ends(r)
        ]
        codec = doc.position_codec.range_to_client_units(
            [*lines, ""], ServerTextRange(ServerTextPosition(*ends[0]), ServerTextPosition(*ends[1]))
        )
        assert expected["range"] == converter.unstructure(codec, lsp.Range)
    # as text, reused for the same finding at the same place, written again when anything differs
    earlier: dict = {}
    first = [diagnostic_text(f, doc, Config(), {}, earlier) for f in findings]
    assert [json.loads(t) for t in first] == [diagnostic_json(f, doc, Config()) for f in findings]
    findings[1].fix = {"set": 2}
    again: dict = {}
    second = [diagnostic_text(f, doc, Config(), earlier, again) for f in findings]
    assert second[0] is first[0] and second[1] != first[1] and json.loads(second[1])["data"]["fix"] == {"set": 2}


def r_ends(r: Any) -> list[tuple[int, int]]:
    return [(r.start_line, r.start_col), (r.end_line, r.end_col)]


@pytest.mark.parametrize("text", ["a: 1\nbb: 22\n\nccc: 3\n", "a: 1\nbb: 22", "x\r\ny\n", "a\x0cb\nc\n", "\n", ""])
def test_positions_worked_out_once_per_text_are_those_of_each_position_alone(text: str) -> None:
    from archls.server.diagnostic_json import _positions, client_position, lines_of

    doc = Workspace(None).get_text_document("untitled:x")
    doc._source = text
    position, lines = _positions(doc), lines_of(doc)
    for line in range(-1, len(lines) + 3):
        for col in range(-1, 10):
            assert position(line, col) == client_position(doc, lines, line, col), (line, col)


def test_a_request_behind_another_documents_audit_answers_from_the_last_finished_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio
    import threading

    from archls.server.features import diagnostics

    ls = create_server()
    ls.protocol._workspace = Workspace(tmp_path.as_uri())
    uri = (tmp_path / "shop.arch.yaml").as_uri()
    text = "name: shop\ncomponents:\n  api: {type: service, replicas: 2}\n"
    ls.workspace.put_text_document(lsp.TextDocumentItem(uri, "yaml", 1, text))
    finished = views.fresh(ls, uri)
    assert finished is not None

    def edit(version: int, new: str) -> None:
        ls.workspace.update_text_document(
            lsp.VersionedTextDocumentIdentifier(version=version, uri=uri),
            lsp.TextDocumentContentChangeWholeDocument(text=new),
        )

    edit(2, text.replace("replicas: 2", "replicas: 3"))
    monkeypatch.setattr(views, "WAIT_S", 0.1)
    params = lsp.HoverParams(lsp.TextDocumentIdentifier(uri), lsp.Position(2, 4))
    release = threading.Event()

    def read(ls: ArchServer, params: Any) -> Any:
        return views.fresh(ls, uri)

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        # the audit thread busy with another document's audit until released
        other = diagnostics._worker().run(loop, release.wait, 30, about=(tmp_path / "big.arch.yaml").as_uri())
        assert await views.after_audit(read)(ls, params) is finished  # same lines: the last finished audit
        assert await views.after_audit(read, lambda params: "none", from_last=False)(ls, params) == "none"
        edit(3, text.replace("replicas: 2", "replicas: 4\n    tls: true"))
        assert await views.after_audit(read)(ls, params) is None  # lines moved: nothing rather than misplaced
        assert not other.done()
        release.set()
        await other
        current = await views.after_audit(read)(ls, params)  # the thread free: the current text's own audit
        assert current is not None and "replicas: 4" in current.text

    asyncio.run(scenario())


def test_shutdown_cancels_what_still_runs_while_finished_work_is_forgotten() -> None:
    from concurrent.futures import Future

    protocol = create_server().protocol
    # a notification's handler still waiting (the client never answered a request of the server's),
    # as a step of one of pygls' generator handlers: cancelling it forgets it at once
    waiting: Future[Any] = Future()
    protocol._request_futures["step"] = waiting
    waiting.add_done_callback(lambda done: protocol._forget("step", done))
    protocol._request_futures["other"] = Future()
    for _ in protocol.lsp_shutdown(None):
        pass
    assert waiting.cancelled() and "step" not in protocol._request_futures
