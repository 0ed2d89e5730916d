"""A failing editor feature answers its fallback and logs why; errors meant for the client pass."""

from __future__ import annotations

from typing import Any

import pytest
from pygls.exceptions import JsonRpcException

from archls.server.app import guarded


class Server:
    def __init__(self) -> None:
        self.logged: list[str] = []

    def log_exception(self, what: str) -> None:
        self.logged.append(what)


def test_a_failing_handler_answers_its_fallback_and_is_logged() -> None:
    def broken(ls: Any, params: Any) -> Any:
        raise KeyError("oops")

    ls = Server()
    assert guarded("hover", broken)(ls, object()) is None
    assert guarded("code lens", broken, lambda params: [])(ls, object()) == []
    assert guarded("completion resolve", broken, lambda item: item)(ls, "the item") == "the item"
    assert ls.logged == ["hover", "code lens", "completion resolve"]
    assert guarded("hover", lambda ls, params: params * 2)(ls, 21) == 42


def test_errors_meant_for_the_client_reach_it() -> None:
    def refuses(ls: Any, params: Any) -> Any:
        raise JsonRpcException("archls: there is no component or group id here to rename")

    ls = Server()
    with pytest.raises(JsonRpcException):
        guarded("rename", refuses)(ls, object())
    assert ls.logged == []
