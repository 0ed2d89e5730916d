"""Diagnostics: pushed per document (debounced on change, at once on open and save, cleared on
close) and, for clients that ask for it, pulled with ``textDocument/diagnostic``."""

from __future__ import annotations

import asyncio
import gc
import os
import queue
import threading
import time
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from lsprotocol import types as lsp
from pygls.workspace import TextDocument

from archls import engine
from archls.server import timing, views
from archls.server.app import path_of
from archls.server.convert import to_diagnostic
from archls.server.diagnostic_json import Pieces, texts_of

if TYPE_CHECKING:
    from archls.config import Config
    from archls.server.app import ArchServer

_pending: dict[str, asyncio.Task[None]] = {}
T = TypeVar("T")


def pushing(ls: ArchServer, uri: str, settings: Config) -> bool:
    return settings.diagnostic_mode == "push" and ls.claims(uri)


def publish(ls: ArchServer, uri: str, settings: Config | None = None) -> None:
    """Audit the current text of ``uri`` and publish the result with its version.

    ``settings`` are the document's configuration when the caller has read them already: reading
    them walks the folders for a project file, which one edit needs to do only once.

    The audit runs on the audit thread (one audit at a time) while the server's loop goes on
    answering other requests; its result is published when it is done, unless the document changed
    or closed meanwhile (the newer version's audit publishes instead).
    """
    cancel(uri)
    if settings is None:
        settings = ls.config_for(uri)
    if not pushing(ls, uri, settings):
        return
    doc = ls.document(uri)
    # The text as it is now: the loop may apply the next edit to the document while the audit runs.
    snapshot = TextDocument(uri, doc.source, doc.version, position_codec=doc.position_codec)
    if not _running_loop():
        items = _audit(ls, uri, snapshot, settings, None)
        if items is not None:
            _send(ls, uri, items, snapshot.version)
            _shown.add(uri)
        return
    loop = asyncio.get_running_loop()
    _audits[uri] = loop.create_task(_publish_when_audited(ls, uri, snapshot, settings))


async def _publish_when_audited(ls: ArchServer, uri: str, snapshot: TextDocument, settings: Config) -> None:
    loop = asyncio.get_running_loop()
    collector.hold()
    timing.once("first audit started")
    try:
        try:
            items = await _worker().run(loop, _audit, ls, uri, snapshot, settings, loop, about=uri)
        finally:
            if _audits.get(uri) is asyncio.current_task():
                del _audits[uri]
        current = ls.workspace.text_documents.get(uri)
        if items is None or current is None or current.version != snapshot.version:
            return  # the document changed or closed meanwhile; its own audit is scheduled
        _send(ls, uri, items, snapshot.version)
        _shown.add(uri)
        timing.once("first diagnostics written", last=True)
    finally:
        collector.release()


class _Collector:
    """Python's cyclic garbage collector held off from the start of a pushed audit until its
    diagnostics are written. The audit allocates hundreds of thousands of objects; with collection
    on, the first allocation after the engine's own pauses walks all of them (several milliseconds
    on a 1,000-service compose file) before the diagnostics go out. Held, that collection comes
    after they are sent. Used on the loop's thread only."""

    def __init__(self) -> None:
        self.holds = 0
        self.paused = False
        #: when an audit last started or ended (time.monotonic)
        self.stirred = 0.0

    def hold(self) -> None:
        self.stirred = time.monotonic()
        if self.holds == 0 and gc.isenabled():
            gc.disable()
            self.paused = True
        self.holds += 1

    def release(self) -> None:
        self.stirred = time.monotonic()
        self.holds -= 1
        if self.holds == 0 and self.paused:
            self.paused = False
            gc.enable()

    def idle(self, seconds: float) -> bool:
        """Whether no audit ran for ``seconds``: a long pause (a full collection) now would delay no
        diagnostics, and most likely no keystroke's either. Read from any thread."""
        return self.holds == 0 and time.monotonic() - self.stirred >= seconds


collector = _Collector()


def _pulled(
    ls: ArchServer, uri: str, snapshot: TextDocument, settings: Config, loop: asyncio.AbstractEventLoop
) -> list[lsp.Diagnostic]:
    """Pulled diagnostics of ``snapshot`` (on the audit thread): the text as it was when asked for."""
    return _audit(ls, uri, snapshot, settings, loop, to_diagnostic) or []


async def audited(ls: ArchServer, uri: str, wait: float) -> bool:
    """Make sure the analysis of the document's current text is cached, auditing it on the audit
    thread while the loop goes on answering. Its own audit is waited for however long it takes; the
    audits of other documents ahead of it (a large file's first audit) only until ``wait`` seconds
    have passed: then False, and the caller answers from what it has."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    job: asyncio.Future[Any] | None = None
    text: str | None = None
    while True:
        doc = ls.workspace.text_documents.get(uri)
        if doc is None or not ls.claims(uri):
            return True
        settings = ls.config_for(uri)
        if engine.ready(doc.source, path_of(uri) or uri, settings, read=ls.read_file) is not None:
            return True
        if job is not None and text is doc.source:
            return True  # audited, not cached (a file archls cannot read): the caller reads it again
        text = doc.source
        job = _worker().run(loop, _analysed, ls, uri, text, settings, loop, about=uri)
        job.add_done_callback(_retrieved)
        while not job.done():
            try:
                await asyncio.wait_for(asyncio.shield(job), 0.05)
            except TimeoutError:
                if _worker().about not in (uri, None) and loop.time() - began >= wait:
                    return False
            except Exception:
                return True  # the caller's own reading reports it


def _analysed(ls: ArchServer, uri: str, text: str, settings: Config, loop: asyncio.AbstractEventLoop) -> None:
    """Audit ``text`` into the engine's cache (on the audit thread), unless the document moved on
    meanwhile (a code action asked for at each keystroke): whoever still waits asks for its new text."""
    current = ls.workspace.text_documents.get(uri)
    if current is None or current.source is not text:
        return

    def tell(rule: str, trace: str) -> None:
        message = lsp.LogMessageParams(lsp.MessageType.Error, f"archls: rule {rule} failed\n{trace}")
        loop.call_soon_threadsafe(ls.window_log_message, message)

    engine.analyse(text, path_of(uri) or uri, settings, read=ls.read_file, on_rule_error=tell)


def _retrieved(job: asyncio.Future[Any]) -> None:
    if not job.cancelled():
        job.exception()  # seen: a job nobody awaits any more does not warn when it failed


def _audit(
    ls: ArchServer,
    uri: str,
    snapshot: TextDocument,
    settings: Config,
    loop: asyncio.AbstractEventLoop | None,
    convert: Callable[[Any, TextDocument, Config], Any] | None = None,
) -> list[Any] | None:
    """The diagnostics of ``snapshot`` as JSON texts; None when a newer version came before it started.
    Runs on the audit thread when ``loop`` is given: what it tells the client goes through the loop."""

    def tell(what: str, trace: str) -> None:
        message = lsp.LogMessageParams(lsp.MessageType.Error, f"archls: {what} failed\n{trace}")
        if loop is None:
            ls.window_log_message(message)
        else:
            loop.call_soon_threadsafe(ls.window_log_message, message)

    current = ls.workspace.text_documents.get(uri)
    if convert is None and (current is None or current.version != snapshot.version):
        return None
    try:
        analysis = engine.analyse(
            snapshot.source,
            path_of(uri) or uri,
            settings,
            read=ls.read_file,
            on_rule_error=lambda rule, trace: tell(f"rule {rule}", trace),
        )
    except Exception:
        tell(f"audit of {uri}", traceback.format_exc())
        return []
    if convert is None:
        out, _pieces[uri] = texts_of(analysis, snapshot, _pieces.get(uri, {}), tell)
        return out
    out = []
    for finding in analysis.findings:
        if finding.file not in (None, analysis.path):
            continue
        try:
            out.append(convert(finding, snapshot, analysis.config))
        except Exception:
            tell(f"diagnostic {finding.code}", traceback.format_exc())
    return out


#: Per document, the JSON of each diagnostic last published (see ``diagnostic_json.DiagnosticTexts``).
_pieces: dict[str, Pieces] = {}


_audits: dict[str, asyncio.Task[None]] = {}


class _AuditThread:
    """The audit thread: one, so audits run in the order they were asked for and never two at once.
    A daemon: the server exits when the editor says so, even in the middle of an audit (which writes
    nothing)."""

    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue[tuple[Callable[..., Any], tuple[Any, ...], asyncio.Future[Any], str | None]] = (
            queue.SimpleQueue()
        )
        #: the document the job under way is about (None between jobs)
        self.about: str | None = None
        threading.Thread(target=self._work, name="archls-audit", daemon=True).start()

    def run(
        self, loop: asyncio.AbstractEventLoop, work: Callable[..., T], *args: Any, about: str | None = None
    ) -> asyncio.Future[T]:
        done: asyncio.Future[T] = loop.create_future()
        self.jobs.put((work, args, done, about))
        return done

    def _work(self) -> None:
        while True:
            work, args, done, self.about = self.jobs.get()
            try:
                result = work(*args)
            except BaseException as exc:  # handed to the coroutine awaiting it
                done.get_loop().call_soon_threadsafe(_settle, done, None, exc)
            else:
                done.get_loop().call_soon_threadsafe(_settle, done, result, None)
            finally:
                self.about = None


def _settle(done: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if done.cancelled():
        return  # superseded: nobody waits for it
    if error is not None:
        done.set_exception(error)
    else:
        done.set_result(result)


_thread: list[_AuditThread] = []


def _worker() -> _AuditThread:
    if not _thread:
        _thread.append(_AuditThread())
    return _thread[0]


#: Documents whose diagnostics the server published and has not cleared: an edit that makes a file
#: no longer one archls reads (a manifest losing its ``kind:``) must clear them, not leave them stale.
_shown: set[str] = set()


def published_early(uri: str, version: int, texts: list[str], pieces: Pieces) -> None:
    """The early start (``archls.server.early``) published ``texts`` for version ``version`` of ``uri``:
    the server's own audit of that version, when it finds the same, publishes nothing again."""
    _pieces[uri] = pieces
    _shown.add(uri)
    _early[uri] = (version, texts)


#: Per document, what the early start published (version, diagnostics' JSON texts).
_early: dict[str, tuple[int, list[str]]] = {}


def _send(ls: ArchServer, uri: str, items: list[str], version: int | None) -> None:
    if _early and _early.pop(uri, None) == (version, items):
        return  # the early start said exactly this
    ls.publish_diagnostics_text(uri, items, version)


def clear(ls: ArchServer, uri: str, anyway: bool = False) -> None:
    if uri in _shown or anyway:
        _shown.discard(uri)
        version = ls.document(uri).version if uri in ls.workspace.text_documents else None
        ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[], version=version))


def cancel(uri: str) -> None:
    current = asyncio.current_task() if _running_loop() else None
    for tasks in (_pending, _audits):
        task = tasks.pop(uri, None)
        if task is not None and task is not current and not task.done():
            task.cancel()


def _running_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def schedule(ls: ArchServer, uri: str, settings: Config) -> None:
    """Publish after the debounce delay, unless another edit comes first. The audit uses ``settings``
    as read at the edit: a change of settings, or of a project file the client watches, meanwhile
    audits every document again anyway. An edit made before the client's settings for the folder
    came waits for them and reads the settings again."""
    delay = settings.debounce_ms / 1000
    known = ls.settings_known(uri)

    async def later() -> None:
        await asyncio.sleep(delay)
        if not known:
            await ls.settings_ready(uri)
        if _pending.get(uri) is asyncio.current_task():
            _pending.pop(uri, None)
            publish(ls, uri, settings if known else None)

    cancel(uri)
    _pending[uri] = asyncio.get_running_loop().create_task(later())


def dependents(ls: ArchServer, uri: str) -> list[str]:
    """The other open documents whose last audit read ``uri``'s file: the Terraform files of its
    module, a compose file and its override, Kubernetes manifests of the same folder."""
    path = path_of(uri)
    if path is None:
        return []
    target = os.path.normpath(path)
    out = []
    for other in list(ls.workspace.text_documents):
        other_path = path_of(other) if other != uri else None
        analysis = engine.latest(other_path) if other_path else None
        if analysis is not None and any(os.path.normpath(read) == target for read in analysis.inputs):
            out.append(other)
    return out


def refresh_dependents(ls: ArchServer, uri: str) -> None:
    """Audit again, after the usual delay, the open documents that read ``uri``'s file."""
    for other in dependents(ls, uri):
        settings = ls.config_for(other)
        if pushing(ls, other, settings):
            schedule(ls, other, settings)


def register(server: ArchServer) -> None:
    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(ls: ArchServer, params: lsp.DidOpenTextDocumentParams) -> None:
        uri = params.text_document.uri
        if not ls.claims(uri):
            return  # a YAML file archls does not read: nothing to wait for, nothing to say
        await ls.settings_ready(uri)
        timing.once("settings ready for the first document")
        if uri in ls.workspace.text_documents:  # not closed while the settings came
            publish(ls, uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: ArchServer, params: lsp.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        _early.pop(uri, None)
        settings = ls.config_for(uri)
        if pushing(ls, uri, settings):
            schedule(ls, uri, settings)
        else:
            # an audit under way would have published: the client is told there is nothing now
            auditing = uri in _audits
            cancel(uri)
            clear(ls, uri, auditing)
        refresh_dependents(ls, uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: ArchServer, params: lsp.DidSaveTextDocumentParams) -> None:
        publish(ls, params.text_document.uri)
        refresh_dependents(ls, params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: ArchServer, params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        cancel(uri)
        _pieces.pop(uri, None)
        _early.pop(uri, None)  # reopened, its first version's diagnostics are published again
        views.forget(uri)  # its last good analysis (a whole model and text) is no longer needed
        # Cleared when anything was shown, even if the file on disk is not one archls reads: a
        # manifest's unsaved buffer closed over a saved text without ``kind:`` left its findings up.
        shown = uri in _shown
        _shown.discard(uri)
        if shown or ls.claims(uri):
            ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
        # The others now read the file from disk instead of the closed buffer.
        refresh_dependents(ls, uri)


def enable_pull(server: ArchServer) -> None:
    """Answer ``textDocument/diagnostic``; registered at initialize when the client asks for pull mode."""

    @server.feature(
        lsp.TEXT_DOCUMENT_DIAGNOSTIC,
        lsp.DiagnosticOptions(identifier="archls", inter_file_dependencies=False, workspace_diagnostics=False),
    )
    async def pull(ls: ArchServer, params: lsp.DocumentDiagnosticParams) -> lsp.FullDocumentDiagnosticReport:
        uri = params.text_document.uri
        if not ls.claims(uri):
            return lsp.FullDocumentDiagnosticReport(items=[])
        await ls.settings_ready(uri)
        doc = ls.workspace.text_documents.get(uri)
        if doc is None:
            return lsp.FullDocumentDiagnosticReport(items=[])
        # audited on the audit thread, like pushed diagnostics: the loop answers other requests meanwhile
        snapshot = TextDocument(uri, doc.source, doc.version, position_codec=doc.position_codec)
        loop = asyncio.get_running_loop()
        items = await _worker().run(loop, _pulled, ls, uri, snapshot, ls.config_for(uri), loop, about=uri)
        return lsp.FullDocumentDiagnosticReport(items=items)
