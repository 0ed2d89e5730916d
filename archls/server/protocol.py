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
"""

from __future__ import annotations

from typing import Any

from pygls.protocol import LanguageServerProtocol


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

    def _execute_handler(self, msg_id: Any, handler: Any, callback: Any, args: Any = None, kwargs: Any = None) -> None:
        super()._execute_handler(msg_id, handler, callback, args=args, kwargs=kwargs)
        future = self._request_futures.get(msg_id)
        if future is not None:
            future.add_done_callback(lambda done: self._forget(msg_id, done))

    def _forget(self, msg_id: Any, done: Any) -> None:
        if self._request_futures.get(msg_id) is done:
            del self._request_futures[msg_id]

    def _handle_response(self, msg_id: Any, result: Any = None, error: Any = None) -> None:
        waiting = self._request_futures.get(msg_id)
        if waiting is not None and waiting.cancelled():
            del self._request_futures[msg_id]
            return
        super()._handle_response(msg_id, result, error)
