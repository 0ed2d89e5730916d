"""The preview from the editor.

- ``archls.preview`` (document URI): starts a loopback server for the document's live page and asks the
  client to open it in the browser (``window/showDocument`` with ``external: true``); answers ``{url}``.
  The server stops when the document is closed, and when the language server shuts down.
  The page redraws after each edit (the document's text, saved or not, debounced); its "go to source"
  comes back as a ``window/showDocument`` selecting the component.
- ``archls.previewPage`` (document URI, optional ``{"cspSource"}``): the page for a VS Code webview.
- ``archls.previewData`` (document URI): what the webview redraws from (``svg``, ``scene``, ``version``).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcInvalidParams

from archls.server import views
from archls.server.app import ArchServer
from archls.server.features import diagnostics

log = logging.getLogger(__name__)

#: How often an open preview looks for a new version of its document, and how long the text must
#: stay unchanged before it is redrawn.
POLL_S = 0.1
DEBOUNCE_S = 0.15
#: How long a redraw waits for other documents' audits ahead of its own before auditing on the loop.
AUDIT_WAIT_S = 2.0


@dataclass
class _Session:
    uri: str
    server: Any  # archls.preview.server.PreviewServer
    version: int | None = None
    task: asyncio.Task[None] | None = field(default=None, repr=False)


_sessions: dict[str, _Session] = {}
_pending: set[asyncio.Future[Any]] = set()  # requests to the client in flight (kept from the collector)


def _analysis(ls: ArchServer, uri: Any) -> Any:
    if not isinstance(uri, str) or uri not in ls.workspace.text_documents:
        raise JsonRpcInvalidParams(f"archls: {uri!r} is not an open document")
    analysis = views.fresh(ls, uri)
    if analysis is None:
        raise JsonRpcInvalidParams(f"archls: {uri} is not a file archls reads")
    if analysis.model is None:
        raise JsonRpcInvalidParams(f"archls: {uri} cannot be drawn yet; see its diagnostics")
    return analysis


def _reveal(ls: ArchServer, loop: asyncio.AbstractEventLoop, uri: str, cid: str) -> str:
    """Select a component's key in the editor, in the file that defines it (a module's or a manifest
    set's other file too); called from the preview server's thread."""
    import os

    from pygls.uris import from_fs_path

    from archls.findings import Range
    from archls.preview.scene import source_of
    from archls.server.app import path_of

    analysis = views.recent(ls, uri)
    found = source_of(analysis, cid) if analysis is not None else None
    if found is None:
        return f"{cid} has no place in the file"
    path, key = found
    opened = path_of(uri)
    same = opened is not None and os.path.abspath(path) == os.path.abspath(opened)
    target = uri if same else (from_fs_path(os.path.abspath(path)) or uri)
    doc = ls.document(target)
    selection = views.lsp_range(doc, Range(key.start_line, key.start_col, key.end_line, key.end_col))
    params = lsp.ShowDocumentParams(uri=target, take_focus=True, selection=selection)

    def send() -> None:
        task = asyncio.ensure_future(ls.window_show_document_async(params))
        _pending.add(task)
        task.add_done_callback(_pending.discard)

    loop.call_soon_threadsafe(send)
    where = "" if same else f"{os.path.basename(path)} "
    return f"{cid}: {where}line {key.start_line + 1}"


def _end(session: _Session) -> threading.Thread | None:
    """Stop a preview: its page's server and the task that redraws it. The server stops on a thread of
    its own (it waits for its serving thread to notice, up to half a second), which is returned."""
    if _sessions.get(session.uri) is session:
        del _sessions[session.uri]
    task = session.task
    if task is not None and not task.done() and task is not asyncio.current_task():
        task.cancel()
    if session.server.closed:
        return None
    stopping = threading.Thread(target=session.server.stop, name="archls-preview-stop", daemon=True)
    stopping.start()
    return stopping


async def _follow(ls: ArchServer, session: _Session) -> None:
    """Redraw the page whenever the document changes (and has stayed unchanged for a moment); end the
    preview when the document is closed."""
    while not session.server.closed:
        await asyncio.sleep(POLL_S)
        doc = ls.workspace.text_documents.get(session.uri)
        if doc is None:
            break
        if doc.version == session.version:
            continue
        version = doc.version
        await asyncio.sleep(DEBOUNCE_S)
        doc = ls.workspace.text_documents.get(session.uri)
        if doc is None:
            break
        if doc.version != version:
            continue
        try:
            # The audit on the audit thread (the diagnostics' own, when it is under way or done), so
            # the loop goes on answering; then the analysis is the cached one.
            await diagnostics.audited(ls, session.uri, AUDIT_WAIT_S)
            analysis = views.fresh(ls, session.uri)
            if analysis is not None:
                # Drawing a large architecture whose graph changed takes a layout (0.1 s of CPU or more
                # for 200 components): off the loop, so the editor's requests are answered meanwhile.
                await asyncio.to_thread(session.server.publish, analysis)
        except Exception:  # a broken redraw must not end the preview
            ls.log_exception("redrawing the preview")
        session.version = version
    _end(session)


async def open_preview(ls: ArchServer, uri: Any) -> dict[str, Any]:
    from archls.preview.server import PreviewServer

    analysis = _analysis(ls, uri)
    loop = asyncio.get_running_loop()
    session = _sessions.get(uri)
    if session is None or session.server.closed:
        server = PreviewServer(on_reveal=lambda cid: _reveal(ls, loop, uri, cid))
        server.publish(analysis)
        server.start()
        session = _Session(uri, server, ls.document(uri).version)
        session.task = loop.create_task(_follow(ls, session))
        _sessions[uri] = session
    url = session.server.url
    shown = False
    if views.capability(ls, "window.show_document.support"):
        try:
            answer = await ls.window_show_document_async(lsp.ShowDocumentParams(uri=url, external=True))
            shown = bool(answer and answer.success)
        except Exception:
            log.warning("window/showDocument failed", exc_info=True)
    if not shown:
        ls.window_show_message(lsp.ShowMessageParams(lsp.MessageType.Info, f"archls preview: open {url}"))
    return {"url": url, "shown": shown}


def register(server: ArchServer) -> None:
    @server.feature(lsp.SHUTDOWN)
    def shutdown(ls: ArchServer, params: None) -> None:
        # every preview's page stops with the language server
        stopping = [thread for session in list(_sessions.values()) if (thread := _end(session)) is not None]
        for thread in stopping:
            thread.join(timeout=2.0)

    @server.command("archls.preview")
    async def preview(ls: ArchServer, *args: Any) -> dict[str, Any]:
        uri = args[0].get("uri") if args and isinstance(args[0], dict) else (args[0] if args else None)
        return await open_preview(ls, uri)

    # The drawing is made off the loop (a layout of a large architecture takes 0.1 s or more).

    @server.command("archls.previewPage")
    async def preview_page(ls: ArchServer, *args: Any) -> dict[str, Any]:
        from archls.preview import page, scene

        uri = args[0] if args else None
        options = args[1] if len(args) > 1 and isinstance(args[1], dict) else {}
        analysis = _analysis(ls, uri)
        version = ls.document(uri).version
        csp = options.get("cspSource")
        html = await asyncio.to_thread(
            lambda: page.render(
                analysis, scene.build(analysis), mode="vscode", csp_source=csp if isinstance(csp, str) else None
            )
        )
        return {"html": html, "version": version}

    @server.command("archls.previewData")
    async def preview_data(ls: ArchServer, *args: Any) -> dict[str, Any]:
        from archls.preview import page, scene

        uri = args[0] if args else None
        analysis = _analysis(ls, uri)
        version = ls.document(uri).version
        data = await asyncio.to_thread(lambda: page.payload(analysis, scene.build(analysis), with_chaos=False))
        data["version"] = version
        return data
