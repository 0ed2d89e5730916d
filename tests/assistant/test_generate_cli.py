"""`archls generate` and `archls ai status` as a user runs them, with no key and no network."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archls import engine
from archls.cli import main

UBER = "a ride-sharing app like Uber: 100K concurrent riders, matching under 3 s, 99.99%"


@pytest.fixture(autouse=True)
def no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL", "ARCHLS_AI_BACKEND"):
        monkeypatch.delenv(name, raising=False)


def test_generate_writes_a_file_that_loads_and_states_what_was_asked(tmp_path: Path, capsys) -> None:
    out = tmp_path / "uber.arch.yaml"
    assert main(["generate", UBER, "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "offline backend" in err and "no Anthropic API key" in err and f"wrote {out}" in err
    text = out.read_text()
    assert "# Assumptions" in text and "100,000 concurrent users" in text
    analysis = engine.analyse(text, str(out))
    model = analysis.model
    assert model is not None
    assert model.requirements.availability == 99.99 and model.requirements.concurrent_users == 100_000
    assert model.requirements.latency.p99_ms == 3000
    assert not [f for f in analysis.findings if f.severity == "error"]
    assert {"matching", "trips", "driver-locations"} <= set(model.components)
    # Never over an existing file unless asked.
    assert main(["generate", UBER, "-o", str(out)]) == 2
    assert "exists; use --force" in capsys.readouterr().err


def test_generate_from_a_markdown_spec(tmp_path: Path, capsys) -> None:
    spec = tmp_path / "spec.md"
    spec.write_text(
        "# Clinic booking\n\nPatients book appointments with doctors at 40 clinics in the UK.\n\n"
        "## Non-functional\n- 300 requests per second at peak\n- p99 under 400 ms\n- RPO 5 minutes\n",
        encoding="utf-8",
    )
    assert main(["generate", "--from", str(spec)]) == 0
    text = capsys.readouterr().out
    model = engine.analyse(text, "clinic.arch.yaml").model
    assert model is not None
    assert "hipaa" in model.requirements.compliance and model.requirements.rpo_minutes == 5
    assert model.requirements.peak_rps == 300 and any("phi" in c.data for c in model.components.values())


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, capsys) -> None:
    assert main(["generate"]) == 2
    assert main(["generate", "--from", str(tmp_path / "missing.md")]) == 2
    assert main(["generate", "x", "-o", str(tmp_path / "no" / "such" / "dir.arch.yaml")]) == 2
    assert main(["generate", "   "]) == 2
    err = capsys.readouterr().err
    assert err.count("archls: ") == 4 and "Traceback" not in err
    assert not list(tmp_path.iterdir())


def test_show_request_prints_what_would_be_sent_with_secrets_redacted(capsys) -> None:
    assert (
        main(
            ["generate", "--show-request", "a shop; admin password=hunter2hunter2, db postgres://app:pa55word@db/shop"]
        )
        == 0
    )
    captured = capsys.readouterr()
    request = json.loads(captured.out)
    assert request["tools"][0]["name"] == "write_architecture" and request["model"]
    sent = json.dumps(request)
    assert "hunter2hunter2" not in sent and "pa55word" not in sent and "${SECRET}" in sent
    assert "nothing is sent" in captured.err


def test_ai_status_says_which_backend_and_why(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    assert main(["ai", "status"]) == 0
    out = capsys.readouterr().out
    assert "backend: offline" in out and "no Anthropic API key" in out
    key = "sk-ant-api03-statuskey-0000"
    monkeypatch.setenv("ANTHROPIC_API_KEY", key)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9/gateway")
    assert main(["ai", "status", "--format", "json"]) == 0
    out = capsys.readouterr().out
    info = json.loads(out)
    assert info["backend"] == "anthropic" and info["base_url"] == "http://127.0.0.1:9/gateway" and info["key_set"]
    assert key not in out
    monkeypatch.setenv("ARCHLS_AI_BACKEND", "offline")
    assert main(["ai", "status"]) == 0
    assert "backend: offline" in capsys.readouterr().out
