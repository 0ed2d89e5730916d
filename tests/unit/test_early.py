"""The early start (archls.server.early): its answer to initialize (archls.server.answers) is pygls'
own for every client it is reused for, and what it reads is handed to pygls byte for byte, whatever
the input."""

from __future__ import annotations

import copy
import io
import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp

from archls import cachefile
from archls.server import answers, early, folders, protocol_types

protocol_types.load()

from archls.server.app import create_server  # noqa: E402

CLIENTS = sorted((Path(pytest_lsp.__file__).parent / "clients").glob("*.json"))
VSCODE = next(path for path in CLIENTS if path.name.startswith("visual_studio_code"))
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "url-shortener.arch.yaml"


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "initialize.json"
    monkeypatch.setattr(answers, "cache_path", lambda: cache)
    monkeypatch.setattr("sys.dont_write_bytecode", False)
    return cache


_converters: list[Any] = []


def pygls_answer(capabilities: dict[str, Any], options: Any = None) -> dict[str, Any] | None:
    """The answer of a new server to initialize, as sent (and kept, through the protocol's hook)."""
    if not _converters:
        _converters.append(create_server().protocol._converter)
    answer = answers.server_answer(capabilities, options, _converters[0])
    return json.loads(answer) if answer is not None else None


def _variants(capabilities: dict[str, Any]) -> list[dict[str, Any]]:
    """The client's capabilities with each true or false flipped, and each object left out, one at a time."""
    out = []

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        if isinstance(node, dict):
            for name, value in node.items():
                if isinstance(value, bool | dict):
                    out.append(_changed(capabilities, (*path, name), None if isinstance(value, dict) else not value))
                walk(value, (*path, name))

    walk(capabilities, ())
    return out


def _changed(capabilities: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    copied = copy.deepcopy(capabilities)
    node = copied
    for name in path[:-1]:
        node = node[name]
    if value is None:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return copied


def test_the_answer_depends_on_nothing_the_key_leaves_out() -> None:
    """For every client pytest-lsp knows and every change of one of VS Code's capabilities, clients
    with the same key get the same answer from pygls: the early answer is the server's."""
    cases: list[tuple[dict[str, Any], Any]] = [({}, None), ({}, {"diagnosticMode": "pull"})]
    cases += [(json.loads(path.read_text())["capabilities"], None) for path in CLIENTS]
    vscode = json.loads(VSCODE.read_text())["capabilities"]
    cases += [(variant, None) for variant in _variants(vscode)]
    for encodings in (["utf-8"], ["utf-32", "utf-16"], ["latin-1"], [], ["latin-1", "utf-8"]):
        cases.append(({**vscode, "general": {"positionEncodings": encodings}}, None))
    cases.append((vscode, {"settings": {"diagnosticMode": "pull"}}))
    cases.append((vscode, {"folderSettings": {"": {"diagnosticMode": "pull"}}}))
    seen: dict[str, dict[str, Any]] = {}
    keys = set()
    for capabilities, options in cases:
        answer = pygls_answer(capabilities, options)
        if answer is None:
            continue
        pull = folders.pulls(options or {}, folders.seeded((options or {}).get("folderSettings")))
        key = answers.cache_key(capabilities, pull)
        keys.add(key)
        assert seen.setdefault(key, answer) == answer, (key, capabilities, options)
    assert len(keys) > 5  # the cases do reach different answers
    assert len(seen) == len(keys) and sum(1 for _ in cases) > 120


def test_pygls_answers_are_kept_for_the_next_start(own_cache: Path) -> None:
    vscode = json.loads(VSCODE.read_text())["capabilities"]
    answer = pygls_answer(vscode)
    assert answer is not None
    kept = json.loads(cachefile.read(own_cache, answers._HEADER) or b"{}")
    assert [json.loads(value) for value in kept.values()] == [answer]
    for n in range(answers.ENTRIES + 3):  # other clients' answers push out the oldest, never more than ENTRIES
        answers.remember({"general": {"positionEncodings": ["utf-8"]}, "n": n}, n % 2 == 0, "{}")
    assert len(json.loads(cachefile.read(own_cache, answers._HEADER) or b"{}")) <= answers.ENTRIES


class Client:
    """Frames written into a pipe the early start reads, as an editor writes them."""

    def __init__(self) -> None:
        self.read_fd, self.write_fd = os.pipe()
        self.sent = b""

    def send(self, message: dict[str, Any] | bytes) -> None:
        if isinstance(message, dict):
            body = json.dumps({"jsonrpc": "2.0", **message}).encode()
            message = b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        self.sent += message
        os.write(self.write_fd, message)

    def close(self) -> None:
        os.close(self.write_fd)

    def run(self, **kwargs: Any) -> tuple[early.Handover, list[dict[str, Any]]]:
        out = io.BytesIO()
        hand = early.first_audit(self.read_fd, out, **kwargs)
        os.close(self.read_fd)
        return hand, _frames(out.getvalue())


def _frames(data: bytes) -> list[dict[str, Any]]:
    out = []
    while data:
        head, _, rest = data.partition(b"\r\n\r\n")
        length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
        out.append(json.loads(rest[:length]))
        data = rest[length:]
    return out


def _initialize(client: Client, options: Any = None, folder: Path | None = None) -> None:
    params: dict[str, Any] = {"processId": None, "capabilities": json.loads(VSCODE.read_text())["capabilities"]}
    if folder is not None:
        params["rootUri"] = folder.as_uri()
        params["workspaceFolders"] = [{"uri": folder.as_uri(), "name": folder.name}]
    if options is not None:
        params["initializationOptions"] = options
    client.send({"id": 1, "method": "initialize", "params": params})


def _open(client: Client, path: Path, text: str | None = None, version: int = 1) -> None:
    text = path.read_text() if text is None else text
    document = {"uri": path.as_uri(), "languageId": "yaml", "version": version, "text": text}
    client.send({"method": "textDocument/didOpen", "params": {"textDocument": document}})


def _known_answer() -> dict[str, Any]:
    answer = pygls_answer(json.loads(VSCODE.read_text())["capabilities"])
    assert answer is not None
    return answer


def test_without_a_kept_answer_nothing_is_done_early() -> None:
    client = Client()
    _initialize(client)
    hand, written = client.run()
    assert written == [] and hand.answered is None
    assert hand.replay == client.sent  # pygls reads the initialize request as it came


def test_an_opened_document_gets_its_diagnostics_and_pygls_gets_every_byte(tmp_path: Path) -> None:
    answer = _known_answer()
    target = tmp_path / EXAMPLE.name
    target.write_text(EXAMPLE.read_text())
    client = Client()
    _initialize(client, {"folderSettings": {tmp_path.as_uri(): {}}}, tmp_path)
    client.send({"method": "initialized", "params": {}})
    _open(client, tmp_path / "notes.yaml", "just: yaml\n")  # not one archls reads: opened, not audited
    _open(client, target)
    client.send(
        {"id": 2, "method": "textDocument/documentSymbol", "params": {"textDocument": {"uri": target.as_uri()}}}
    )
    client.send(b'Content-Length: 40\r\n\r\n{"jsonrpc": ')  # half a frame: it is pygls' to read
    hand, written = client.run()
    assert hand.fault is None
    assert written[0] == {"jsonrpc": "2.0", "id": 1, "result": answer}
    [published] = [m for m in written if m.get("method") == "textDocument/publishDiagnostics"]
    assert published["params"]["uri"] == target.as_uri() and published["params"]["version"] == 1
    assert published["params"]["diagnostics"], "the example has findings"
    assert hand.replay == client.sent
    assert hand.published is not None and hand.published[0] == target.as_uri()


def test_the_early_diagnostics_are_the_servers(tmp_path: Path) -> None:
    """Same findings, ranges, links and data as the server publishes for the same text, including a
    non-ASCII line (positions in UTF-16 units)."""
    from archls import config, engine
    from archls.server.diagnostic_json import texts_of

    _known_answer()
    text = EXAMPLE.read_text().replace("description:", "description: 'ça coûte 💶' #", 1)
    target = tmp_path / EXAMPLE.name
    target.write_text(text)
    client = Client()
    _initialize(client, {"folderSettings": {tmp_path.as_uri(): {}}}, tmp_path)
    _open(client, target)
    client.close()
    _, written = client.run()
    [published] = [m for m in written if m.get("method") == "textDocument/publishDiagnostics"]

    from pygls.workspace import TextDocument

    analysis = engine.analyse(text, str(target), config.for_path(str(target), {}))
    texts, _ = texts_of(analysis, TextDocument(target.as_uri(), text, 1), {}, lambda what, trace: None)
    assert published["params"]["diagnostics"] == [json.loads(t) for t in texts]
    assert any(not line.isascii() for line in text.splitlines())


@pytest.mark.parametrize(
    "then",
    [
        pytest.param([{"id": 2, "method": "shutdown"}], id="a request"),
        pytest.param([{"method": "workspace/didChangeConfiguration", "params": {"settings": {}}}], id="a notification"),
        pytest.param([b"Content-Length: x\r\n\r\n{}"], id="a broken frame"),
        pytest.param([b"Content-Length: 2\r\n\r\n[]"], id="not an object"),
        pytest.param([], id="the end of the input"),
    ],
)
def test_anything_else_hands_over_at_once(then: list[Any]) -> None:
    _known_answer()
    client = Client()
    _initialize(client, {"folderSettings": {"": {}}})
    for message in then:
        client.send(message)
    client.close()
    hand, written = client.run()
    assert [m.get("id") for m in written] == [1] and hand.published is None
    assert hand.replay == client.sent


def test_a_quiet_client_is_not_waited_for_long(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(early, "WAIT_S", 0.2)
    _known_answer()
    client = Client()
    _initialize(client, {"folderSettings": {"": {}}})
    client.send({"method": "initialized", "params": {}})
    hand, written = client.run()  # the pipe stays open: nothing more comes
    assert [m.get("id") for m in written] == [1]
    assert hand.replay == client.sent
    client.close()


def test_settings_are_asked_for_as_the_server_asks(tmp_path: Path) -> None:
    """A client that sends no initializationOptions is asked for every folder's settings before the
    audit; its answer (only reliability findings here) decides what is published, and its answer
    is not for pygls, which takes the settings at `initialized` (``early_settings``)."""
    _known_answer()
    target = tmp_path / EXAMPLE.name
    target.write_text(EXAMPLE.read_text())
    client = Client()
    _initialize(client, None, tmp_path)
    client.send({"method": "initialized", "params": {}})
    _open(client, target)
    before = client.sent
    answer = {"id": early.SETTINGS_ID, "result": [{"select": ["REL"]}]}
    threading.Timer(0.1, client.send, [answer]).start()
    threading.Timer(0.3, client.close).start()
    hand, written = client.run()
    [asked] = [m for m in written if m.get("method") == "workspace/configuration"]
    assert asked["params"]["items"] == [{"scopeUri": tmp_path.as_uri(), "section": "archls"}]
    [published] = [m for m in written if m.get("method") == "textDocument/publishDiagnostics"]
    codes = {d["code"] for d in published["params"]["diagnostics"]}
    assert codes and all(code.startswith("REL") for code in codes)
    assert hand.settings == {tmp_path.as_uri(): {"select": ["REL"]}}
    assert hand.replay == before


def test_replayed_input_reads_as_the_pipe_would() -> None:
    rest = io.BytesIO(b"ent-Length: 2\r\n\r\n{}tail")
    replayed = early.Replayed(b"Content-Length: 2\r\n\r\n{}Cont", rest)
    assert replayed.readline() == b"Content-Length: 2\r\n"
    assert replayed.readline() == b"\r\n"
    assert replayed.read(2) == b"{}"
    assert replayed.readline() == b"Content-Length: 2\r\n"
    assert replayed.readline() == b"\r\n"
    assert replayed.read(6) == b"{}tail"
    assert replayed.read(1) == b""


def test_an_edit_before_the_audit_leaves_it_to_the_server(tmp_path: Path) -> None:
    _known_answer()
    target = tmp_path / EXAMPLE.name
    target.write_text(EXAMPLE.read_text())
    client = Client()
    _initialize(client, {"settings": {}, "folderSettings": {tmp_path.as_uri(): {}}}, tmp_path)
    _open(client, target)
    change = {"textDocument": {"uri": target.as_uri(), "version": 2}, "contentChanges": [{"text": "name: x\n"}]}
    client.send({"method": "textDocument/didChange", "params": change})
    client.close()
    hand, written = client.run()
    assert [m.get("id") for m in written] == [1] and hand.published is None
    assert hand.replay == client.sent


_PLUGINS = """
import json, os, sys
os.environ["PYDANTIC_DISABLE_PLUGINS"] = sys.argv[1]
from pydantic import BaseModel
from archls.server import early
with early._no_plugin_lookup():
    class Early(BaseModel):
        n: int
    first = Early.model_validate({"n": "1"}).n
    during = "importlib.metadata" in sys.modules
class Later(BaseModel):
    n: int
from pydantic.plugin import _loader
print(json.dumps({"first": first, "during": during, "later": Later.model_validate({"n": 2}).n,
                  "real": hasattr(_loader, "PYDANTIC_ENTRY_POINT_GROUP")}))
"""


@pytest.mark.parametrize("setting", ["__all__", ""])
def test_pydantic_plugins_are_not_looked_up_while_the_early_audit_runs(setting: str) -> None:
    """With plugins turned off, pydantic's first validators are made without its plugin loader's
    import of importlib.metadata; its real loader is what anything later gets. With them on, nothing
    is changed. (pydantic.plugin._loader is private: this is where a new pydantic that moved it shows.)"""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _PLUGINS, setting], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["first"] == 1 and result["later"] == 2 and result["real"]
    assert result["during"] is (setting == "")
