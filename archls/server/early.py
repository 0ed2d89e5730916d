"""The first diagnostics of a cold start, written before the protocol library is loaded.

Importing lsprotocol's 570 types, cattrs and pygls is about 0.3 s of CPU, on a machine whose editor
has just started and fills its cores: the server used to answer ``initialize`` only once all of it
was loaded, and a client sends nothing else before that answer. On POSIX stdio, :func:`first_audit`
instead:

1. imports the engine on a thread of its own from the start (:class:`_Engine`), while the client is
   still starting;
2. answers ``initialize`` with the answer pygls gave an earlier start for the same server build and
   the same kind of client (``archls.server.answers``; the extension's bundle ships the one for
   VS Code's client). Without such an answer nothing is done early;
3. audits the first document opened that archls reads and writes its diagnostics as the server
   would, with the settings the server would use: those of initializationOptions or, when they do
   not cover the folders, the client's answer to ``workspace/configuration``, asked for as the server
   asks at ``initialized``;
4. hands everything it read to pygls (:func:`hand_over`), which reads it as if it had just come: it
   answers ``initialize`` again (checked against the early answer, not sent), opens the document and
   audits it again, which the engine's cache makes cheap, and publishes nothing when it finds the
   same. The protocol library is imported at a lower CPU priority meanwhile (:func:`load_gently`):
   the editor is drawing the diagnostics.

Anything it does not expect (a request, a response, a message it cannot read, no document opened
within ``WAIT_S``, the document edited before its audit) ends it at once: pygls takes over from
there, with nothing lost. Elsewhere (Windows, whose pipes cannot be polled; a TCP server; or
``ARCHLS_EARLY_AUDIT=0``) the server starts as before.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from archls.server import answers, folders, timing

#: How long, after answering initialize, to wait for a document to be opened. A request or a
#: notification that is not part of opening a document ends the wait at once, so a longer wait only
#: delays what nobody waits for (the registration of watched files). A window that starts the server
#: with its folder opens its first file a few hundred ms later.
WAIT_S = 2.0
_FRAME = "Content-Length: {length}\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n"
#: What makes the opened text out of date before its early audit.
_MOVES_ON = ("textDocument/didChange", "textDocument/didClose", "textDocument/didSave")
#: The id of the workspace/configuration request of the early start, which the server ignores if it
#: is answered after the handover.
SETTINGS_ID = "archls-early-settings"


def available() -> bool:
    return os.name == "posix" and os.environ.get("ARCHLS_EARLY_AUDIT", "1") != "0"


@dataclass
class Handover:
    """What :func:`first_audit` read and did, for pygls to go on from."""

    #: every byte read from standard input, which pygls reads before the rest
    replay: bytes = b""
    #: the id of the initialize request answered early, and the answer's JSON (None: not answered)
    answered: Any = None
    answer: str | None = None
    #: the folders' settings the client gave when asked (workspace/configuration)
    settings: dict[str, dict[str, Any]] | None = None
    #: (uri, version, its diagnostics' JSON texts, their pieces), when diagnostics were written
    published: tuple[str, int, list[str], Any] | None = None
    #: what went wrong, for the server's log
    fault: str | None = None


class _Unreadable(Exception):
    """Input that is not a JSON-RPC frame: pygls reads it and says what it says of such input."""


class _Frames:
    """Frames read from a file descriptor as they come, each with its bytes kept for pygls."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = bytearray()
        self.eof = False

    def next(self, timeout: float | None) -> tuple[bytes, Any] | None:
        """The next frame's bytes and its JSON (None when it is not JSON); None at the end of the
        input or when nothing came within ``timeout`` seconds (None: as long as it takes)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            frame = self._frame()
            if frame is not None or self.eof:
                return frame
            if deadline is not None:
                ready, _, _ = select.select([self.fd], [], [], max(0.0, deadline - time.monotonic()))
                if not ready:
                    return None
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                self.eof = True
            self.buffer += chunk

    def _frame(self) -> tuple[bytes, Any] | None:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buffer) > 1 << 12:
                raise _Unreadable
            return None
        length = None
        for line in bytes(self.buffer[:end]).split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                try:
                    length = int(value.strip())
                except ValueError:
                    raise _Unreadable from None
        if length is None or length < 0:
            raise _Unreadable
        total = end + 4 + length
        if len(self.buffer) < total:
            return None
        raw = bytes(self.buffer[:total])
        del self.buffer[:total]
        try:
            message = json.loads(raw[end + 4 :])
        except ValueError:
            message = None
        return raw, message


def first_audit(fd: int = 0, out: IO[bytes] | None = None) -> Handover:
    """Answer initialize and publish the first document's diagnostics when that can be done early
    (see the module's text); the bytes read are in the returned handover, whatever happened."""
    frames = _Frames(fd)
    read: list[bytes] = []
    hand = Handover()
    # Read (and the sources' digest made) before the engine's thread starts, as all files this start reads.
    kept_answers = answers.read()
    answers.stamp()
    with _no_plugin_lookup():
        engine_thread = _Engine()
        try:
            _first_audit(
                frames,
                read,
                hand,
                out or sys.stdout.buffer,
                engine_thread,
                kept_answers,
            )
        except _Unreadable:
            pass
        except Exception:
            hand.fault = traceback.format_exc()
        # pygls is imported once the engine is: two threads importing at once could wait for each other
        engine_thread.ready()
    hand.fault = hand.fault or engine_thread.fault
    hand.replay = b"".join(read) + bytes(frames.buffer)
    return hand


#: pydantic's module that looks its plugins up (a private module, so its use is checked by a test:
#: tests/unit/test_early.py).
PLUGIN_LOADER = "pydantic.plugin._loader"


@contextlib.contextmanager
def _no_plugin_lookup() -> Iterator[None]:
    """pydantic imports ``importlib.metadata`` the first time it makes a validator, to look for plugins
    in every installed distribution's entry points: with the rule plugins' lookup
    (``archls.rules.registry``, which does without it where no distribution declares any), 5% of the
    work until the first diagnostics, for nothing when ``PYDANTIC_DISABLE_PLUGINS`` turns them all off
    (as ``archls.cli.main`` does for the program). Until the early audit is over, its loader is then
    one that answers "no plugins", as the real one does in that case; anything else asked of it loads
    the real one, and so does the first validator made afterwards."""
    if os.environ.get("PYDANTIC_DISABLE_PLUGINS") not in ("__all__", "1", "true") or PLUGIN_LOADER in sys.modules:
        yield
        return
    import types

    def real(name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)  # the import system's questions (`__path__`): a plain module's answer
        if sys.modules.get(PLUGIN_LOADER) is stand_in:
            del sys.modules[PLUGIN_LOADER]
        import importlib

        return getattr(importlib.import_module(PLUGIN_LOADER), name)

    stand_in = types.ModuleType(PLUGIN_LOADER)
    stand_in.get_plugins = lambda: ()  # type: ignore[attr-defined]
    stand_in.__getattr__ = real  # type: ignore[method-assign]
    sys.modules[PLUGIN_LOADER] = stand_in
    try:
        yield
    finally:
        if sys.modules.get(PLUGIN_LOADER) is stand_in:
            del sys.modules[PLUGIN_LOADER]


class _Engine:
    """The engine imported on a thread of its own from the start: an editor that is starting takes a
    few hundred ms to send initialize, in which the main thread, waiting, needs nothing of it. (A
    warm-up audit after the import was tried: pydantic-core builds its validators holding the
    interpreter's lock, which held back both the answer to initialize and the document's audit.)

    While it runs, the interpreter switches threads every 0.5 ms instead of 5: each time the main
    thread wakes up to read or write a message it waits for its turn, and the import would otherwise
    hold it back 5 ms every time."""

    SWITCH_S = 0.0005

    def __init__(self) -> None:
        import threading

        self._fault: str | None = None
        self._switch = sys.getswitchinterval()
        sys.setswitchinterval(self.SWITCH_S)
        self._thread = threading.Thread(target=self._run, name="archls-engine", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            from archls import codecache

            with codecache.kept():
                import archls.engine  # noqa: F401

            timing.once("engine imported")
        except Exception:
            self._fault = traceback.format_exc()

    def ready(self) -> bool:
        """Wait for it; whether it went well (else the server audits the document itself)."""
        self._thread.join()
        sys.setswitchinterval(self._switch)
        return self._fault is None

    @property
    def fault(self) -> str | None:
        return self._fault


def _first_audit(
    frames: _Frames,
    read: list[bytes],
    hand: Handover,
    out: IO[bytes],
    engine_thread: _Engine,
    kept_answers: dict[str, str],
) -> None:
    def receive(until: float | None) -> dict[str, Any] | None:
        """The next message (None if it is not a JSON object), waiting until the monotonic time
        ``until`` (None: as long as it takes; 0: not at all); None when none came."""
        frame = frames.next(None if until is None else max(0.0, until - time.monotonic()))
        if frame is None:
            return None
        read.append(frame[0])
        return frame[1] if isinstance(frame[1], dict) else None

    message = receive(None)
    timing.once("got initialize")
    if message is None or message.get("method") != "initialize" or "id" not in message:
        return
    params = message.get("params")
    params = params if isinstance(params, dict) else {}
    options = params.get("initializationOptions")
    init = options if isinstance(options, dict) else {}
    folder_settings = folders.seeded(init.get("folderSettings"))
    capabilities = params.get("capabilities")
    capabilities = capabilities if isinstance(capabilities, dict) else {}
    pull = folders.pulls(init, folder_settings)
    answer = kept_answers.get(answers.cache_key(capabilities, pull))
    if answer is None:
        return
    _write(out, f'{{"jsonrpc":"2.0","id":{json.dumps(message["id"])},"result":{answer}}}')
    hand.answered, hand.answer = message["id"], answer
    timing.once("initialize answered early")
    if pull:
        return

    opened: dict[str, dict[str, Any]] = {}
    target = None
    deadline = time.monotonic() + WAIT_S
    while target is None:
        message = receive(deadline)
        if message is None or "id" in message:
            return  # nothing opened in time, or a request or a response: pygls answers it now
        method = message.get("method")
        if method == "textDocument/didOpen":
            timing.once("got textDocument/didOpen")
            document = _opened(message)
            if document is None or not engine_thread.ready():
                return
            from archls import engine  # imported by its thread already

            opened[document["uri"]] = document
            path = folders.path_of(document["uri"])
            if path is not None and engine.claims(path, document["text"]):
                target = document
        elif method not in ("initialized", "$/setTrace"):
            return
    # The documents opened with it (a module's other files), which its audit reads from their buffers.
    while (message := receive(0)) is not None and message.get("method") == "textDocument/didOpen":
        document = _opened(message)
        if document is None:
            break
        opened.setdefault(document["uri"], document)
    if _moves_on(message, target["uri"]):
        return  # already edited or closed: the server audits what it is now

    from archls import config
    from archls.server import diagnostic_json

    uri = target["uri"]
    workspace = params.get("workspaceFolders")
    scopes = [f["uri"] for f in workspace or [] if isinstance(f, dict) and isinstance(f.get("uri"), str)]
    asks = bool((capabilities.get("workspace") or {}).get("configuration"))
    if asks and not all(scope in folder_settings for scope in scopes or [""]):
        # As the server asks at `initialized` when initializationOptions did not give every folder's
        # settings; the answers replace those (``ArchServer.early_settings``).
        asked = scopes or [""]
        items = [{"scopeUri": scope or None, "section": "archls"} for scope in asked]
        request = {"jsonrpc": "2.0", "id": SETTINGS_ID, "method": "workspace/configuration", "params": {"items": items}}
        _write(out, json.dumps(request))
        deadline = time.monotonic() + WAIT_S
        moved = False
        while (message := receive(deadline)) is not None:
            moved = moved or _moves_on(message, uri)
            if message.get("id") == SETTINGS_ID and "method" not in message:
                read.pop()  # an answer to this start's own request: not for pygls
                results = message.get("result")
                if not isinstance(results, list):
                    return
                folder_settings = {
                    scope: result if isinstance(result, dict) else {}
                    for scope, result in zip(asked, results, strict=False)
                }
                hand.settings = folder_settings
                break
        else:
            return
        if moved:
            return  # edited or closed while the settings came
    if asks and folders.scope_of([*scopes, *folder_settings], uri) not in folder_settings:
        return  # a file outside the folders: the server asks for its settings first
    settings = folders.editor_settings(init, folder_settings, uri)
    path = folders.path_of(uri)
    from archls import codecache

    failures: list[tuple[str, str]] = []
    # The configuration's classes, and the readers and analyses the audit imports on first use.
    with codecache.kept():
        try:
            chosen = config.for_path(path, settings) if path else config.build(None, settings)
        except config.ConfigError:
            return  # the server says what is wrong with it
        if chosen.diagnostic_mode != "push":
            return

        def buffer_or_disk(other: str) -> str | None:
            document = opened.get(Path(other).resolve().as_uri())
            return document["text"] if document is not None else engine.read_disk(other)

        analysis = engine.analyse(
            target["text"],
            path or uri,
            chosen,
            read=buffer_or_disk,
            on_rule_error=lambda rule, trace: failures.append((f"rule {rule}", trace)),
        )
        encoding = json.loads(answer).get("capabilities", {}).get("positionEncoding") or "utf-16"
        texts, pieces = diagnostic_json.texts_of(
            analysis, _Document(target["text"], encoding), {}, lambda what, trace: failures.append((what, trace))
        )
    for what, trace in failures:
        log = {"type": 1, "message": f"archls: {what} failed\n{trace}"}
        _write(out, json.dumps({"jsonrpc": "2.0", "method": "window/logMessage", "params": log}))
    _write(out, diagnostic_json.publish_body(uri, texts, target["version"]))
    hand.published = (uri, target["version"], texts, pieces)
    timing.once("first diagnostics written", last=True)


def _moves_on(message: dict[str, Any] | None, uri: str) -> bool:
    """Whether ``message`` edits, saves or closes ``uri`` (or might: its document is unreadable)."""
    if message is None or message.get("method") not in _MOVES_ON:
        return False
    params = message.get("params")
    document = params.get("textDocument") if isinstance(params, dict) else None
    return not isinstance(document, dict) or document.get("uri") == uri


def _opened(message: dict[str, Any]) -> dict[str, Any] | None:
    params = message.get("params")
    document = params.get("textDocument") if isinstance(params, dict) else None
    if not isinstance(document, dict):
        return None
    uri, text, version = document.get("uri"), document.get("text"), document.get("version")
    if not isinstance(uri, str) or not isinstance(text, str) or not isinstance(version, int):
        return None
    return document


class _Document:
    """The opened text, with pygls' position codec for the client's encoding loaded only when a
    finding sits on a line that is not ASCII."""

    def __init__(self, source: str, encoding: str) -> None:
        self.source = source
        self._encoding = encoding
        self._codec: Any = None

    @property
    def position_codec(self) -> Any:
        if self._codec is None:
            from archls.server import protocol_types

            protocol_types.load()
            from pygls.workspace.position_codec import PositionCodec

            self._codec = PositionCodec(encoding=self._encoding)
        return self._codec


def _write(out: IO[bytes], body: str) -> None:
    data = body.encode("utf-8")
    out.write(_FRAME.format(length=len(data)).encode("ascii") + data)
    out.flush()


#: How much lower the CPU priority of the protocol library's import is, after the early diagnostics.
NICER = 10


def _lower_priority() -> None:
    """Lower the calling thread's CPU priority by NICER, on Linux, where a thread has one of its own."""
    if sys.platform.startswith("linux"):
        import threading

        with contextlib.suppress(OSError):  # a limit on priorities: the work goes on as it is
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), os.getpriority(os.PRIO_PROCESS, 0) + NICER)


def load_gently(load: Callable[[], None]) -> None:
    """Run ``load`` (importing the protocol library, after the early diagnostics went out) on a
    thread of lower CPU priority: the editor is drawing those diagnostics, and on a machine of few
    cores a third of a second of imports beside it held the squiggles back. On Linux a thread has a
    priority of its own; this one ends with the import, so the server's threads keep theirs. Where
    that is not so, ``load`` runs as it is."""
    if not sys.platform.startswith("linux"):
        load()
        return
    import threading

    failed: list[BaseException] = []

    def run() -> None:
        _lower_priority()
        try:
            load()
        except BaseException as error:  # raised again in the caller's thread
            failed.append(error)

    thread = threading.Thread(target=run, name="archls-load")
    thread.start()
    thread.join()
    if failed:
        raise failed[0]


# --- pygls takes over ----------------------------------------------------------------------------


class Replayed:
    """Standard input as pygls reads it: what :func:`first_audit` read first, then the rest."""

    def __init__(self, first: bytes, rest: IO[bytes]) -> None:
        import io

        self._first = io.BytesIO(first)
        self._rest = rest

    def readline(self) -> bytes:
        line = self._first.readline()
        return line if line.endswith(b"\n") else line + self._rest.readline()

    def read(self, n: int = -1) -> bytes:
        data = self._first.read(n)
        if n < 0 or len(data) < n:
            data += self._rest.read(n - len(data) if n >= 0 else -1)
        return data


def hand_over(hand: Handover, server: Any, on_fault: Callable[[str], None]) -> Replayed:
    """Give the server what the early start did, and the input to read it from."""
    if hand.fault:
        on_fault(hand.fault)
    if hand.answered is not None and hand.answer is not None:
        server.protocol.answered_early(hand.answered, hand.answer)
    server.early_settings = hand.settings
    if hand.published is not None:
        from archls.server.features import diagnostics

        diagnostics.published_early(*hand.published)
    return Replayed(hand.replay, sys.stdin.buffer)
