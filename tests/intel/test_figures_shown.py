"""How figures are written in hovers, lenses and hints, with known figures in place of the estimates."""

from __future__ import annotations

import pytest

from archls import engine
from archls.analysis import ComponentFigures, Figures, FlowFigures
from archls.findings import Range
from archls.intel import facts, hover, lenses
from tests.e2e.shop import SHOP, where

PATH = "/tmp/shop.arch.yaml"


@pytest.fixture
def known(monkeypatch: pytest.MonkeyPatch) -> Figures:
    figures = Figures(
        components={
            "web": ComponentFigures(cost_monthly=40.5, utilisation=0.12, p50_ms=0.4, p99_ms=2.0, capacity_rps=20000),
            "api": ComponentFigures(
                cost_monthly=300, utilisation=0.625, p50_ms=8, p99_ms=42, capacity_rps=800, dependents=1
            ),
            "db": ComponentFigures(cost_monthly=1234.4, dependents=2),
        },
        flows={"checkout": FlowFigures(p50_ms=20, p99_ms=180, budget_ms=300, availability=99.95)},
        cost_monthly=1574.9,
        budget_monthly=2000,
    )
    monkeypatch.setattr(facts, "figures_of", lambda analysis: figures)
    monkeypatch.setattr(lenses, "blast_radius", lambda analysis: {"api": 0.5, "db": 0.004})
    return figures


def analysis():
    return engine.analyse(SHOP, PATH)


def test_component_hover_with_figures(known: Figures):
    line, col = where("  api:", offset=2)
    found = hover.hover(analysis(), line, col)
    assert found.markdown.split("\n")[:10] == [
        "### api",
        "",
        "`service` · go · 2 replicas",
        "",
        "- Cost: ≈ $300/month (set in the file)",
        "- Utilisation: 62% at peak of 800 rps capacity",
        "- Latency added per request: p50 8 ms · p99 42 ms",
        "- Dependents: 1 (components that fail when it fails)",
        "- Calls: `db`",
        "- Called by: `web`",
    ]


def test_architecture_hover_with_totals(known: Figures):
    line, col = where("name: Shop")
    text = hover.hover(analysis(), line, col).markdown
    assert "- Cost: ≈ $1,575/month of $2,000 budget" in text


def test_flow_hover_with_latency(known: Figures):
    line, col = where("  checkout:", offset=2)
    assert hover.hover(analysis(), line, col).markdown == (
        "### Flow checkout\n\n`web` → `api` → `db`\n\n- Rate: 50 requests/s at peak\n"
        "- Latency: p50 20 ms · p99 180 ms\n- Availability: 99.95%\n- Budget: p99 300 ms"
    )


def test_lenses_with_figures(known: Figures):
    found = lenses.lenses(analysis())
    assert [(lens.title, lens.kind, lens.id) for lens in found] == [
        ("≈ $40.50/mo · p99 2 ms · 0 dependents", "component", "web"),
        ("≈ $300/mo · p99 42 ms · its failure loses 50% of traffic · 1 dependent", "component", "api"),
        ("≈ $1,234/mo · its failure loses <1% of traffic · 2 dependents", "component", "db"),
        ("p99 180 ms of 300 ms budget · 99.95% available", "flow", "checkout"),
    ]


def test_hints_beside_replicas_and_technology(known: Figures):
    found = lenses.hints(analysis())
    replicas = where("    replicas: 2")
    go = where("    technology: go")
    assert [(h.line, h.col, h.label, h.kind) for h in found] == [
        (where("technology: nginx")[0], len("    technology: nginx"), "≈ $40.50/mo", "cost"),
        (go[0], len("    technology: go"), "≈ $300/mo", "cost"),
        (replicas[0], len("    replicas: 2"), "62% busy", "utilisation"),
        (where("technology: postgresql")[0], len("    technology: postgresql"), "≈ $1,234/mo", "cost"),
    ]
    assert found[2].tooltip == "Utilisation of api at the flows' peak rate with 2 replicas (capacity 800 rps)"
    only = lenses.hints(analysis(), replicas[0], replicas[0])
    assert [h.kind for h in only] == ["utilisation"]


def test_summary_uses_the_totals(known: Figures):
    result = facts.summary(analysis())
    assert result["costMonthly"] == 1574.9
    assert result["budgetMonthly"] == 2000


def test_inferred_connection_shows_its_evidence():
    a = analysis()
    connection = a.model.connections[0]
    connection._evidence = [
        "depends_on: api",
        {"reason": "API_URL=http://api:8080", "file": "compose.yaml", "line": 11},
    ]
    text = "\n".join(hover.connection_lines(connection))
    assert text.endswith("**Inferred from**\n\n- depends_on: api\n- API_URL=http://api:8080 (compose.yaml:12)")


def test_grade_of_any_shape(monkeypatch: pytest.MonkeyPatch):
    assert facts.grade_letter("B") == "B"
    assert facts.grade_letter({"letter": "C", "score": 71}) == "C"
    assert facts.grade_score({"letter": "C", "score": 71}) == 71

    class Grade:
        letter = "A"
        score = 93.5
        explanation = ("no errors", "2 warnings")

    assert (facts.grade_letter(Grade()), facts.grade_score(Grade())) == ("A", 93.5)
    assert facts.grade_explanation(Grade()) == "- no errors\n- 2 warnings"

    class Category:
        def __init__(self, category: str, loss: float) -> None:
            self.category, self.loss = category, loss

    class Breakdown:
        letter = "C"
        score = 72.4

        def __init__(self) -> None:
            self.breakdown = {"SEC": Category("SEC", 10.2), "REL": Category("REL", 6), "QUAL": Category("QUAL", 0.2)}

    assert facts.grade_explanation(Breakdown()) == "SEC -10, REL -6"
    monkeypatch.setattr(facts, "grade_of", lambda analysis: Breakdown())
    line, col = where("name: Shop")
    text = hover.hover(analysis(), line, col).markdown
    assert text.startswith("### Shop\n\nGrade: **C** (72/100) · points lost: SEC -10, REL -6\n")


def test_numbers_are_written_for_people():
    assert [facts.money(v) for v in (0, 3.5, 40.5, 99.999, 1234.4, 45000)] == [
        "$0",
        "$3.50",
        "$40.50",
        "$100",
        "$1,234",
        "$45,000",
    ]
    assert [facts.ms(v) for v in (0.5, 2.0, 12.4, 180, 2500, 12000)] == [
        "0.5 ms",
        "2 ms",
        "12 ms",
        "180 ms",
        "2,500 ms",
        "12.0 s",
    ]
    assert facts.percent(0.625) == "62%"
    assert facts.availability(99.9500) == "99.95%"


def test_suppression_code_range():
    text = "  tls: true  # archls: ignore[QUAL002, QUAL003] reason"
    code, r = hover.suppression_code(text, text.index("QUAL003") + 2)
    assert code == "QUAL003"
    assert r == Range(0, text.index("QUAL003"), 0, text.index("QUAL003") + 7)
    assert hover.suppression_code(text, 3) is None
