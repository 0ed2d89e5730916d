"""The JSON-RPC protocol the server speaks: pygls' own, minus a memory leak and a spurious error.

pygls files the future of every handler it runs under a message id, and forgets it only when it
answers a request. Notifications (didOpen, didChange, didSave...) and the steps of its built-in
generator handlers are filed under made-up ids that nothing ever answers, so each one stayed in
``_request_futures`` for good, with whatever its task still referenced (a cancelled audit keeps its
traceback, and the traceback keeps the frames' analyses). In an editing session that is thousands of
futures a minute. Here every future is forgotten once it is done; a request's is still forgotten
after its answer is sent, as before, so ``$/cancelRequest`` finds the ones still running.

A request to the client that the server stopped waiting for (``workspace/configuration`` past its
timeout on a busy machine) may still be answered; pygls then set a result on the cancelled future
and logged "Unable to handle message" with a traceback. The late answer is dropped instead.

Its answer to ``initialize`` is kept for the next start (``archls.server.early``), and not sent when
that start answered already.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from lsprotocol import types as lsp
from pygls.protocol import LanguageServerProtocol

from archls.server import answers, early, folders

log = logging.getLogger(__name__)


class _Futures(dict[Any, Any]):
    """``_request_futures`` whose ``items()`` is a snapshot: pygls' shutdown walks them cancelling the
    ones still running, and cancelling a step of a generator handler runs its callbacks at once,
    which forget it (see ``_forget``) in the middle of that walk."""

    def items(self) -> list[tuple[Any, Any]]:  # type: ignore[override]
        return list(super().items())


class ArchProtocol(LanguageServerProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._request_futures = _Futures(self._request_futures)
        #: the initialize request under way: (its id, its params)
        self._initialize: tuple[Any, lsp.InitializeParams] | None = None
        #: (the id, the JSON) of the answer to initialize the early start sent
        self._early: tuple[Any, str] | None = None

    def answered_early(self, msg_id: Any, answer: str) -> None:
        """The early start answered the initialize request ``msg_id`` with ``answer``: this
        protocol's own answer is compared with it, not sent."""
        self._early = (msg_id, answer)

    def _handle_request(self, msg_id: Any, method_name: str, params: Any) -> None:
        if method_name == lsp.INITIALIZE and isinstance(params, lsp.InitializeParams):
            self._initialize = (msg_id, params)
        super()._handle_request(msg_id, method_name, params)

    def _send_response(self, msg_id: Any, result: Any = None, error: Any = None) -> None:
        if self._initialize is not None and self._initialize[0] == msg_id:
            params = self._initialize[1]
            self._initialize = None
            if error is None:
                try:
                    self._keep_answer(params, result)
                except Exception:  # a start without the cache is only slower
                    log.warning("could not keep the answer to initialize", exc_info=True)
            if self._early is not None and self._early[0] == msg_id:
                self._early = None
                self._result_types.pop(msg_id, None)
                return
        super()._send_response(msg_id, result, error)

    def _keep_answer(self, params: lsp.InitializeParams, result: Any) -> None:
        answer = json.dumps(result, default=self._serialize_message)
        capabilities = self._converter.unstructure(params.capabilities)
        init = params.initialization_options
        pull = folders.pulls(init, folders.seeded(init.get("folderSettings") if isinstance(init, dict) else None))
        if self._early is not None and json.loads(self._early[1]) != json.loads(answer):
            sys.stderr.write(
                "archls: the early answer to initialize was not the server's; corrected for the next start\n"
            )
        answers.remember(capabilities if isinstance(capabilities, dict) else {}, pull, answer)

    def _execute_handler(self, msg_id: Any, handler: Any, callback: Any, args: Any = None, kwargs: Any = None) -> None:
        super()._execute_handler(msg_id, handler, callback, args=args, kwargs=kwargs)
        future = self._request_futures.get(msg_id)
        if future is not None:
            future.add_done_callback(lambda done: self._forget(msg_id, done))

    def _forget(self, msg_id: Any, done: Any) -> None:
        if self._request_futures.get(msg_id) is done:
            del self._request_futures[msg_id]

    def _handle_response(self, msg_id: Any, result: Any = None, error: Any = None) -> None:
        if msg_id == early.SETTINGS_ID:
            return  # the early start stopped waiting for it; the server asks again
        waiting = self._request_futures.get(msg_id)
        if waiting is not None and waiting.cancelled():
            del self._request_futures[msg_id]
            return
        super()._handle_response(msg_id, result, error)
