"""Reading the requirements from users' words."""

from __future__ import annotations

import pytest

from archls.assistant.brief import parse


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("20k redirects per second", "peak_rps", 20_000),
        ("Around 300 req/s at the Monday peak", "peak_rps", 300),
        ("1,500 orders per minute", "peak_rps", 25),
        ("8k qps", "peak_rps", 8_000),
        ("50,000 vans, each sending GPS every 5 seconds", "peak_rps", 10_000),
        ("100K concurrent riders", "concurrent_users", 100_000),
        ("matching under 3 s", "p99_ms", 3_000),
        ("p99 under 400 ms", "p99_ms", 400),
        ("four nines", "availability", 99.99),
        ("99.95% uptime", "availability", 99.95),
        ("budget is $15k/month", "budget_monthly", 15_000),
        ("RPO 5 min, RTO 1 hour", "rpo_minutes", 5),
        ("RPO 5 min, RTO 1 hour", "rto_minutes", 60),
        ("no data loss", "rpo_minutes", 0),
        ("300 bananas", "peak_rps", 200),  # not a rate: the assumed default
    ],
)
def test_numbers(text: str, field: str, value: float) -> None:
    assert getattr(parse(text), field) == pytest.approx(value)


def test_compliance_words_bring_frameworks_and_data_kinds() -> None:
    brief = parse("Card payments for EU customers, patient records, SOC 2")
    assert set(brief.compliance) == {"pci-dss", "hipaa", "gdpr", "soc2"}
    assert {"card", "phi", "pii"} <= set(brief.data)
    assert brief.residency == ["eu"] and brief.regions == ["eu-central-1"]


def test_silence_is_an_assumption_not_a_requirement() -> None:
    brief = parse("a todo list app")
    assert brief.peak_rps == 200 and brief.availability == 99.9
    assert any("200 requests per second" in a for a in brief.assumptions)
    assert "availability" not in " ".join(brief.stated)
