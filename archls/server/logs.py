"""What the server writes to stderr, which editors show in their output panel: one line per event,
and a traceback only for a real fault. A JSON-RPC error a handler raises on purpose (a command given
a file it cannot export, say) is an answer to the client, not a fault of the server."""

from __future__ import annotations

import logging
import sys

from pygls.exceptions import JsonRpcException, JsonRpcInternalError


class AnswersAreNotFaults(logging.Filter):
    """Drops the traceback pygls attaches when a handler answers with a deliberate JSON-RPC error."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, JsonRpcException) and not isinstance(error, JsonRpcInternalError):
            record.msg = f"{record.getMessage()}: {error}"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.INFO, "INFO"
            return logging.getLogger().isEnabledFor(logging.INFO)
        return True


def configure(level: int = logging.WARNING) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(AnswersAreNotFaults())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
