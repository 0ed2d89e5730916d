"""The server's JSON-RPC protocol forgets what it no longer needs: a long session stays lean."""

from __future__ import annotations

import asyncio
from concurrent.futures import Future

from archls.server.app import create_server


def test_notifications_leave_no_future_behind() -> None:
    server = create_server()
    protocol = server.protocol
    seen: list[str] = []

    async def note(params: object) -> None:
        seen.append("async")

    def plain(params: object) -> None:
        seen.append("plain")

    async def session() -> None:
        protocol.fm.features["test/async"] = note
        protocol.fm.features["test/plain"] = plain
        for _ in range(50):
            protocol._handle_notification("test/async", None)
            protocol._handle_notification("test/plain", None)
        await asyncio.sleep(0.05)

    asyncio.run(session())
    assert seen.count("async") == 50 and seen.count("plain") == 50
    assert protocol._request_futures == {}


def test_a_late_answer_to_a_request_given_up_on_is_dropped() -> None:
    protocol = create_server().protocol
    waiting: Future[object] = Future()
    protocol._request_futures["late"] = waiting
    waiting.cancel()  # the server stopped waiting (a timeout)
    protocol._handle_response("late", {"archls": {}})  # pygls raised InvalidStateError here
    assert "late" not in protocol._request_futures
