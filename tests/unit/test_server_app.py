"""The server object's own parts: guarded feature handlers, and the other files formats read."""

from __future__ import annotations

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
