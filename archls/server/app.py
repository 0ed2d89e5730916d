"""The server object: open documents, settings per workspace folder, and the way to audit a document."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pygls.feature_manager import has_ls_param_or_annotation
from pygls.lsp.server import LanguageServer
from pygls.workspace import TextDocument

from archls import __version__, config, engine
from archls.config import Config, ConfigError
from archls.server import folders
from archls.server.diagnostic_json import publish_body
from archls.server.folders import path_of
from archls.server.protocol import ArchProtocol

log = logging.getLogger(__name__)

#: How long a first audit waits for the client's settings before going on with the initializationOptions.
SETTINGS_TIMEOUT = 5.0
#: Document requests that still run on a document over the size limit: the notifications that keep
#: its text, and pulled diagnostics (they say the file is too large).
_UNBOUNDED = frozenset(
    {
        lsp.TEXT_DOCUMENT_DID_OPEN,
        lsp.TEXT_DOCUMENT_DID_CHANGE,
        lsp.TEXT_DOCUMENT_DID_SAVE,
        lsp.TEXT_DOCUMENT_DID_CLOSE,
        lsp.TEXT_DOCUMENT_WILL_SAVE,
        lsp.TEXT_DOCUMENT_DIAGNOSTIC,
    }
)


class ArchServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "archls",
            __version__,
            text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental,
            protocol_cls=ArchProtocol,
        )
        self.init_options: dict[str, Any] = {}
        #: Editor settings (the ``archls`` section) per workspace folder URI; "" is the fallback.
        self.folder_settings: dict[str, dict[str, Any]] = {}
        self._reported_config_errors: set[str] = set()
        #: The workspace/configuration request under way (all folders at once), which a first audit awaits.
        self._settings_request: asyncio.Future[None] | None = None
        #: Per document URI: (version, whether it is over the size limit).
        self._over_limit: dict[str, tuple[int | None, bool]] = {}
        #: The folders' settings the client gave the early start (``archls.server.early``), taken at
        #: `initialized` as the answer the server would have asked for then.
        self.early_settings: dict[str, dict[str, Any]] | None = None
        #: Writes to the client under way (a transport that writes asynchronously).
        self._writes: set[asyncio.Future[Any]] = set()

    def feature(self, feature_name: str, options: Any | None = None) -> Callable[[Callable[..., Any]], Any]:
        """Register a handler; a request about one document answers nothing at once when the
        document is over the size limit (``max_file_bytes``), whatever the feature."""
        register = super().feature(feature_name, options)
        if not feature_name.startswith("textDocument/") or feature_name in _UNBOUNDED:
            return register
        return lambda handler: register(_bounded(handler, self))

    def over_limit(self, uri: str) -> bool:
        """Whether the open document ``uri`` is larger than archls reads (setting ``max_file_bytes``)."""
        doc = self.workspace.text_documents.get(uri)
        if doc is None:
            return False
        known = self._over_limit.get(uri)
        if known is not None and known[0] == doc.version:
            return known[1]
        text = doc.source
        limit = self.config_for(uri).max_file_bytes
        over = len(text) * 4 > limit and (len(text) > limit or len(text.encode("utf-8", "surrogatepass")) > limit)
        self._over_limit[uri] = (doc.version, over)
        return over

    def settings_changed(self) -> None:
        """Forget what was worked out from the settings (they or a project file changed)."""
        self._over_limit.clear()

    # --- settings ------------------------------------------------------------------------------

    def editor_settings(self, uri: str) -> dict[str, Any]:
        return folders.editor_settings(self.init_options, self.folder_settings, uri)

    def config_for(self, uri: str) -> Config:
        settings = self.editor_settings(uri)
        path = path_of(uri)
        try:
            return config.for_path(path, settings) if path else config.build(None, settings)
        except ConfigError as exc:
            if str(exc) not in self._reported_config_errors:
                self._reported_config_errors.add(str(exc))
                self.window_show_message(
                    lsp.ShowMessageParams(lsp.MessageType.Error, f"archls: invalid configuration: {exc}")
                )
            return Config()

    def scope_of(self, uri: str) -> str:
        """The workspace folder URI whose settings apply to ``uri``; "" outside every folder."""
        return folders.scope_of([*self.workspace.folders, *self.folder_settings], uri)

    def seed_folder_settings(self, given: Any) -> None:
        """Take the ``archls`` section of each folder from ``initializationOptions.folderSettings``
        (folder URI, or "" without folders -> settings), as a client that knows them at start-up sends
        them: the first audits then wait for no workspace/configuration round trip. Asked again, like
        any answer, after didChangeConfiguration."""
        self.folder_settings.update(folders.seeded(given))

    def settings_seeded(self) -> bool:
        """Whether every workspace folder's settings came with initializationOptions."""
        return all(scope in self.folder_settings for scope in list(self.workspace.folders) or [""])

    def asks_for_settings(self) -> bool:
        caps = self.client_capabilities.workspace
        return bool(caps and caps.configuration)

    async def refresh_settings(self) -> None:
        """Ask the client for the ``archls`` section of each workspace folder (cached until the next
        didChangeConfiguration); audits waiting for their folder's settings wait for this answer."""
        if not self.asks_for_settings():
            return
        scopes = list(self.workspace.folders) or [""]
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._settings_request = done
        try:
            answers = await self._ask(scopes)
            if answers is not None:
                self.folder_settings = answers
        finally:
            if self._settings_request is done:
                self._settings_request = None
            done.set_result(None)

    async def settings_ready(self, uri: str) -> None:
        """Make sure the settings of ``uri``'s folder came from the client before its first audit, so
        a client that sends them only through workspace/configuration (no initializationOptions)
        never shows a finding its settings hide, not even for a moment."""
        if not self.asks_for_settings():
            return
        if self._settings_request is not None:
            await asyncio.shield(self._settings_request)
        scope = self.scope_of(uri)
        if scope in self.folder_settings:
            return
        answers = await self._ask([scope])
        if answers is not None:
            self.folder_settings.update(answers)

    def settings_known(self, uri: str) -> bool:
        """Whether the settings of ``uri``'s folder are in (answered, or not to be asked for)."""
        if not self.asks_for_settings():
            return True
        return self._settings_request is None and self.scope_of(uri) in self.folder_settings

    async def _ask(self, scopes: list[str]) -> dict[str, dict[str, Any]] | None:
        items = [lsp.ConfigurationItem(scope_uri=f or None, section="archls") for f in scopes]
        try:
            results = await asyncio.wait_for(
                self.workspace_configuration_async(lsp.ConfigurationParams(items=items)), SETTINGS_TIMEOUT
            )
        except Exception:  # a client that cannot answer keeps the initializationOptions
            log.warning("workspace/configuration failed; using the initializationOptions", exc_info=True)
            return {scope: {} for scope in scopes}
        return {
            scope: (result if isinstance(result, dict) else {}) for scope, result in zip(scopes, results, strict=False)
        }

    # --- documents -----------------------------------------------------------------------------

    def document(self, uri: str) -> TextDocument:
        return self.workspace.get_text_document(uri)

    def claims(self, uri: str) -> bool:
        path = path_of(uri)
        if path is None:
            return False
        doc = self.workspace.text_documents.get(uri)
        return engine.claims(path, doc.source if doc is not None else None)

    def analyse(self, uri: str, settings: Config | None = None) -> engine.Analysis:
        """Audit the document's current text (cached by content); ``settings`` when already read."""
        doc = self.document(uri)
        path = path_of(uri) or uri
        return engine.analyse(
            doc.source,
            path,
            settings if settings is not None else self.config_for(uri),
            read=self.read_file,
            on_rule_error=self._rule_failed,
        )

    def read_file(self, path: str) -> str | None:
        """Another file's text for formats that read several files: the editor's buffer first, then disk."""
        uri = Path(path).resolve().as_uri()
        doc = self.workspace.text_documents.get(uri)
        if doc is not None:
            return doc.source
        return engine.read_disk(path)

    def publish_diagnostics_text(self, uri: str, diagnostics: list[str], version: int | None) -> None:
        """publishDiagnostics with each diagnostic as JSON text already (``diagnostic_json``):
        thousands of them skip pygls' conversion of protocol objects and most skip writing JSON at all,
        which together cost more than the audit that found them."""
        body = publish_body(uri, diagnostics, version)
        protocol = self.protocol
        writer = getattr(protocol, "writer", None)
        headers = getattr(protocol, "_include_headers", None)
        if writer is None or headers is None:  # not the pygls this was written for: the ordinary way
            protocol._send_data(json.loads(body))
            return
        # As pygls frames a message (its JSON is ASCII: the length in characters is the one in bytes).
        data = (
            f"Content-Length: {len(body)}\r\nContent-Type: {protocol.CONTENT_TYPE}; charset={protocol.CHARSET}\r\n\r\n{body}"
            if headers
            else body
        )
        result = writer.write(data.encode(protocol.CHARSET))
        if inspect.isawaitable(result):
            task = asyncio.ensure_future(result)
            self._writes.add(task)
            task.add_done_callback(self._writes.discard)

    def _rule_failed(self, rule_id: str, trace: str) -> None:
        self.window_log_message(lsp.LogMessageParams(lsp.MessageType.Error, f"archls: rule {rule_id} failed\n{trace}"))

    def log_exception(self, what: str) -> None:
        self.window_log_message(
            lsp.LogMessageParams(lsp.MessageType.Error, f"archls: {what} failed\n{traceback.format_exc()}")
        )


def guarded(
    what: str, handler: Callable[[ArchServer, Any], Any], fallback: Callable[[Any], Any] = lambda params: None
) -> Callable[[ArchServer, Any], Any]:
    """``handler`` answering ``fallback(params)`` when it fails, with the trace logged to the client:
    a bug in one feature must not turn every request of its kind into an error. JSON-RPC errors a
    handler raises on purpose (a rename that cannot be done) still reach the client."""

    def answer(ls: ArchServer, params: Any) -> Any:
        try:
            return handler(ls, params)
        except JsonRpcException:
            raise
        except Exception:
            ls.log_exception(what)
            return fallback(params)

    return answer


def guarded_async(
    what: str, handler: Callable[[ArchServer, Any], Any], fallback: Callable[[Any], Any] = lambda params: None
) -> Callable[[ArchServer, Any], Any]:
    """:func:`guarded` for a coroutine handler (one that lets other messages through while it works)."""

    async def answer(ls: ArchServer, params: Any) -> Any:
        try:
            return await handler(ls, params)
        except (JsonRpcException, asyncio.CancelledError):
            raise
        except Exception:
            ls.log_exception(what)
            return fallback(params)

    return answer


def _bounded(handler: Callable[..., Any], server: ArchServer) -> Callable[..., Any]:
    takes_server = has_ls_param_or_annotation(handler, type(server))

    def too_big(params: Any) -> bool:
        document = getattr(params, "text_document", None)
        uri = getattr(document, "uri", None)
        return isinstance(uri, str) and server.over_limit(uri)

    if asyncio.iscoroutinefunction(handler):

        async def bounded_async(ls: ArchServer, params: Any) -> Any:
            if too_big(params):
                return None
            return await (handler(ls, params) if takes_server else handler(params))

        return bounded_async

    def bounded(ls: ArchServer, params: Any) -> Any:
        if too_big(params):
            return None
        return handler(ls, params) if takes_server else handler(params)

    return bounded


def create_server() -> ArchServer:
    from archls.server.features import register_all

    server = ArchServer()
    register_all(server)
    return server
