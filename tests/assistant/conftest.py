"""A stand-in for Anthropic's Messages API: canned answers over the real SDK's HTTP client."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx2
import pytest

from archls.assistant.backend import Settings
from archls.assistant.brief import parse
from archls.assistant.offline import compose

KEY = "sk-ant-api03-TESTKEY-do-not-log-0123456789"


def message(content: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": "msg_test",
        "type": "message",
        "role": "assistant",
        "model": "claude-test",
        "content": content,
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {"input_tokens": 100, "output_tokens": 100},
    }


def tool_answer(architecture: dict[str, Any], assumptions: list[str] | None = None) -> httpx2.Response:
    block = {
        "type": "tool_use",
        "id": "toolu_test",
        "name": "write_architecture",
        "input": {"architecture": architecture, "assumptions": assumptions or ["a stand-in answer"]},
    }
    return httpx2.Response(200, json=message([block]))


def text_answer(text: str) -> httpx2.Response:
    return httpx2.Response(200, json=message([{"type": "text", "text": text}]))


def error(status: int) -> httpx2.Response:
    kind = {429: "rate_limit_error", 529: "overloaded_error"}.get(status, "api_error")
    return httpx2.Response(
        status, json={"type": "error", "error": {"type": kind, "message": "stand-in"}}, headers={"retry-after-ms": "1"}
    )


def good_architecture(description: str) -> dict[str, Any]:
    return compose(parse(description)).architecture


class StandIn:
    """Answers requests in order from ``answers`` (responses, or callables raising transport errors)."""

    def __init__(self) -> None:
        self.answers: list[httpx2.Response | Callable[[httpx2.Request], httpx2.Response]] = []
        self.requests: list[httpx2.Request] = []

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        if not self.answers:
            return error(500)
        answer = self.answers.pop(0)
        return answer(request) if callable(answer) else answer


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> StandIn:
    # The SDK's backoff starts at half a second; the retries are what is tested, not the wait.
    import anthropic._base_client as base

    monkeypatch.setattr(base, "INITIAL_RETRY_DELAY", 0.001)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    from archls.assistant.anthropic_backend import CACHE

    CACHE.clear()
    return StandIn()


@pytest.fixture
def settings() -> Settings:
    return Settings(api_key=KEY, model="claude-test", timeout_s=5, max_retries=2)


@pytest.fixture
def client(stand_in: StandIn) -> httpx2.Client:
    return httpx2.Client(transport=httpx2.MockTransport(stand_in))
