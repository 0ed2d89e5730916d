"""Cold start timing lines, written on stderr (which editors show in their output panel) only when
``ARCHLS_TIMING`` is set: each names an event of the server's start once, with this machine's clock
in epoch milliseconds, so that a client's own timeline can be laid beside it (the code-server test
prints both)."""

from __future__ import annotations

import os
import sys
import time
from typing import Any

ON = bool(os.environ.get("ARCHLS_TIMING"))
_said: set[str] = set()
#: Set once the first diagnostics are out: what comes after is not the cold start.
_done = False


def once(event: str, last: bool = False) -> None:
    global _done
    if not ON or _done or event in _said:
        return
    _said.add(event)
    _done = last
    cpu = time.process_time() * 1000
    sys.stderr.write(f"timing: server {event} ({cpu:.0f} ms CPU) [{time.time() * 1000:.0f}]\n")
    sys.stderr.flush()


def watch(protocol: Any) -> None:
    """Names the first message of each method the client sends before the first diagnostics."""
    if not ON:
        return
    handle = protocol.handle_message

    def handle_message(message: Any) -> Any:
        method = getattr(message, "method", None)
        if method:
            once(f"got {method}")
        return handle(message)

    protocol.handle_message = handle_message
