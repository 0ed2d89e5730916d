"""The Anthropic backend through the real SDK over a mock transport: what is sent, and what happens
with valid, invalid and failing answers."""

from __future__ import annotations

import logging

import httpx2
import pytest

from archls.assistant.anthropic_backend import AnthropicBackend
from archls.assistant.generate import generate
from tests.assistant.conftest import KEY, StandIn, error, good_architecture, tool_answer

DESCRIPTION = (
    "A ride-sharing app like Uber: 100K concurrent riders, matching under 3 s, 99.99%. "
    "The staging database is postgres://admin:Sup3rS3cret@db.internal/rides and the maps api key: mk_live_9f8e7d6c5b4a"
)


def run(settings, client, stand_in: StandIn):  # type: ignore[no-untyped-def]
    return generate(DESCRIPTION, backend=AnthropicBackend(settings, http_client=client))


def test_valid_answer_is_used_and_the_request_is_what_the_docs_say(settings, client, stand_in, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    stand_in.answers = [tool_answer(good_architecture(DESCRIPTION), ["drivers share GPS every 4 s"])]
    result = run(settings, client, stand_in)
    assert result.backend == "anthropic" and result.errors == [] and result.repairs == 0
    assert "drivers share GPS every 4 s" in result.text  # the model's assumptions become comments
    # The description's own numbers win over whatever the answer says.
    assert result.analysis.model.requirements.availability == 99.99
    assert result.analysis.model.requirements.concurrent_users == 100_000

    (request,) = stand_in.requests
    assert request.url.path == "/v1/messages"
    assert KEY in (request.headers.get("x-api-key") or request.headers.get("authorization", ""))
    body = stand_in.bodies()[0]
    assert body["model"] == "claude-test"
    (tool,) = body["tools"]
    assert tool["name"] == "write_architecture"
    assert body["tool_choice"] == {"type": "tool", "name": "write_architecture"}
    schema = tool["input_schema"]
    assert "Component" in schema["$defs"] and "components" in schema["properties"]["architecture"]["properties"]
    sent = request.content.decode()
    assert "Sup3rS3cret" not in sent and "mk_live_9f8e7d6c5b4a" not in sent and "${SECRET}" in sent
    assert KEY not in sent
    assert KEY not in caplog.text
    assert "Sup3rS3cret" not in result.text  # nor written into the file


def test_invalid_answer_runs_the_repair_loop(settings, client, stand_in) -> None:
    broken = good_architecture(DESCRIPTION)
    broken["components"]["trips"]["type"] = "databse"
    broken["connections"].append({"from": "trips", "to": "nowhere"})
    stand_in.answers = [tool_answer(broken), tool_answer(good_architecture(DESCRIPTION))]
    result = run(settings, client, stand_in)
    assert result.backend == "anthropic" and result.repairs == 1
    assert result.analysis.model is not None and not [e for e in result.errors if e.startswith("ARCH")]
    repair = stand_in.bodies()[1]["messages"]
    assert [m["role"] for m in repair] == ["user", "assistant", "user"]
    assert "databse" in repair[-1]["content"] and "nowhere" in repair[-1]["content"]


def test_rate_limited_then_answered(settings, client, stand_in) -> None:
    stand_in.answers = [error(429), error(529), tool_answer(good_architecture(DESCRIPTION))]
    result = run(settings, client, stand_in)
    assert result.backend == "anthropic"
    assert len(stand_in.requests) == 3


def test_server_errors_until_retries_run_out_fall_back_offline(settings, client, stand_in, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    stand_in.answers = [error(500)] * 3
    result = run(settings, client, stand_in)
    assert len(stand_in.requests) == 3  # one try and max_retries=2
    assert result.backend == "offline" and result.analysis.model is not None and result.errors == []
    assert any("HTTP 500" in n and "after 2 retries" in n and "offline" in n for n in result.notes), result.notes
    assert KEY not in caplog.text and KEY not in " ".join(result.notes)


def test_timeout_falls_back_offline(settings, client, stand_in) -> None:
    def slow(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ReadTimeout("stand-in timeout", request=request)

    stand_in.answers = [slow] * 3
    result = run(settings, client, stand_in)
    assert result.backend == "offline" and result.errors == []
    assert any("did not answer within 5 s" in n for n in result.notes)


def test_same_request_is_answered_from_the_cache(settings, client, stand_in) -> None:
    stand_in.answers = [tool_answer(good_architecture(DESCRIPTION))]
    first = run(settings, client, stand_in)
    second = run(settings, client, stand_in)
    assert len(stand_in.requests) == 1 and first.text == second.text


@pytest.mark.parametrize(
    ("secret", "where"),
    [("hunter2hunter2", "password=hunter2hunter2"), ("AKIAIOSFODNN7EXAMPLE", "key AKIAIOSFODNN7EXAMPLE")],
)
def test_suggest_and_explain_redact_the_file(settings, client, stand_in, secret, where) -> None:
    from tests.assistant.conftest import text_answer

    stand_in.answers = [text_answer("  cache:\n    type: cache\n")]
    backend = AnthropicBackend(settings, http_client=client)
    text = f"name: x\ndescription: {where}\ncomponents:\n  api: {{type: service}}\n"
    (suggestion,) = backend.suggest(text, 3)
    assert "type: cache" in suggestion.text
    assert secret not in stand_in.requests[0].content.decode()
