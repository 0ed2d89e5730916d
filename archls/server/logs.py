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


class LateCancelsAreNormal(logging.Filter):
    """Drops pygls's warning for a cancel that arrives after its request was answered. Editors cancel
    what the user has moved past (VS Code, every few keystrokes), and the answer often wins the race:
    VS Code shows the line as an error in the output channel, though nothing went wrong."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.name == "pygls.protocol.json_rpc"
            and isinstance(record.msg, str)
            and record.msg.startswith("Cancel notification for unknown message id")
        )


def configure(level: int = logging.WARNING) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(AnswersAreNotFaults())
    handler.addFilter(LateCancelsAreNormal())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
