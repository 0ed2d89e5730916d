"""Acceptance criteria: loading, messages, hint levels and the criteria that judge the audit."""

from __future__ import annotations

from pathlib import Path

from archls import engine

FIXTURES = Path(__file__).parents[1] / "fixtures" / "acceptance"
GOOD = (FIXTURES / "meets-all.arch.yaml").read_text(encoding="utf-8")
BASE = GOOD.split("acceptance:\n")[0]


def audit(criteria: str, body: str = BASE) -> engine.Analysis:
    return engine.analyse(body + "acceptance:\n" + criteria, "shop.arch.yaml")


def codes(analysis: engine.Analysis, prefix: str = "") -> list[tuple[str, int]]:
    return [(f.code, f.range.start_line) for f in analysis.findings if f.code.startswith(prefix)]


def test_the_reference_design_meets_every_kind() -> None:
    analysis = audit(GOOD.split("acceptance:\n")[1] + "  - {check: latency, flow: order, p99_ms: 400, rps: 200}\n")
    assert len(analysis.model.acceptance) == 9 + 1
    assert codes(analysis) == []


def test_criteria_reference_flows_and_state_their_settings() -> None:
    analysis = audit("  - {check: latency, flow: brwose, p99_ms: 10}\n  - {check: latency, flow: browse}\n")
    found = {f.code: f.message for f in analysis.findings}
    assert "did you mean 'browse'" in found["ARCH007"]
    assert found["ARCH004"] == "a latency check needs 'p99_ms'"
    assert analysis.model.acceptance == []


def test_a_stronger_hint_points_at_the_design() -> None:
    first = audit("  - {check: latency, flow: order, p99_ms: 1}\n")
    third = audit("  - {check: latency, flow: order, p99_ms: 1, hint_level: 3}\n")
    [weak] = [f for f in first.findings if f.code == "SPEC001"]
    [strong] = [f for f in third.findings if f.code == "SPEC001"]
    assert "target at most 1.0 ms at 100 rps" in weak.message
    assert "queue grows steeply" in weak.message and "cache in front of the slow store" in strong.message
    assert weak.data["stronger_hint"] is True and strong.data["stronger_hint"] is False


def test_the_audit_criteria_see_what_the_user_sees() -> None:
    body = BASE.replace("    auth: oidc\n", "")
    shown = audit("  - {check: no-errors}\n", body)
    assert ("SPEC008", shown.text.splitlines().index("  - {check: no-errors}")) in codes(shown, "SPEC")
    assert "1 error (SEC002)" in next(f.message for f in shown.findings if f.code == "SPEC008")
    silenced = audit(
        "  - {check: no-errors}\n", body.replace("  api:\n", "  api:  # archls: ignore[SEC002] internal\n")
    )
    assert codes(silenced, "SPEC") == [] and codes(silenced, "SEC002") == []


def test_unmet_criteria_do_not_lower_the_grade() -> None:
    from archls.analysis.grade import grade

    analysis = audit("  - {check: cost, max_usd: 1}\n  - {check: availability, nines: 6}\n")
    assert len(codes(analysis, "SPEC")) == 2
    assert grade(analysis.findings, analysis.model).score == 100
