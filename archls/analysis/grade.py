"""The overall grade of an architecture, A to F, from its findings.

The formula, shown to users on hover and in ``docs/grade.md``:

1. Each finding weighs by its severity: error 8, warning 2, info 0.5, hint 0. Suppressed findings
   do not count; neither do ARCH000 (a rule failed), ARCH011 (unused suppression), ARCH020 (a
   template), ARCH021 (a module not followed) and ARCH022 (a custom resource), which are about the
   tooling rather than the design, nor unmet acceptance criteria (SPEC), which are goals a team sets
   rather than defects.
2. Weights add up per category (SEC, CMP, PERF, COST, VULN, QUAL, LOAD, REL, and ARCH for
   loading problems), scaled to the size of the architecture: a category loses
   ``weights x 10 / max(20, components)`` points, so one error costs a design of up to 20
   components 4 points and a 200-component design 0.4 points; a warning costs a quarter of that.
3. A category loses at most 25 points, so one weak area cannot hide how the others do.
4. The score is 100 minus the losses, never below 0; A is 90 and up, B 80, C 70, D 60, F below.
   A file that could not be read at all scores 0 (F).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from archls.findings import UNREADABLE, Finding, Severity

if TYPE_CHECKING:
    from archls.model import Architecture

WEIGHTS = {Severity.ERROR: 8.0, Severity.WARNING: 2.0, Severity.INFO: 0.5, Severity.HINT: 0.0}
CATEGORY_CAP = 25.0
SIZE_FLOOR = 20
LETTERS = (("A", 90.0), ("B", 80.0), ("C", 70.0), ("D", 60.0))
#: Codes about the tooling, not the design.
NOT_GRADED = frozenset({"ARCH000", "ARCH011", "ARCH020", "ARCH021", "ARCH022"})
#: Codes that mean nothing could be audited.

FORMULA = (
    "Each finding weighs by severity (error 8, warning 2, info 0.5). Per category the weights are scaled to "
    "the architecture's size (x 10 / max(20, components)) and capped at 25 points. "
    "Score = 100 - the sum of the category losses; A >= 90, B >= 80, C >= 70, D >= 60, else F."
)


@dataclass(frozen=True, slots=True)
class CategoryScore:
    category: str
    loss: float
    errors: int = 0
    warnings: int = 0
    infos: int = 0


@dataclass(frozen=True)
class Grade:
    letter: str
    score: float
    breakdown: dict[str, CategoryScore] = field(default_factory=dict)

    def summary(self) -> str:
        """``B (84/100)``, with the categories that cost points: ``SEC -10, REL -6``."""
        losses = sorted(self.breakdown.values(), key=lambda c: (-c.loss, c.category))
        costs = ", ".join(f"{c.category} -{c.loss:.0f}" for c in losses if c.loss >= 0.5)
        return f"{self.letter} ({self.score:.0f}/100)" + (f": {costs}" if costs else "")


def letter_for(score: float) -> str:
    for letter, floor in LETTERS:
        if score >= floor:
            return letter
    return "F"


def grade(findings: list[Finding], model: Architecture | None) -> Grade:
    """The grade of one file from its (already suppressed and configured) findings."""
    # another file of a module that cannot be read is its own finding, not a verdict on this model
    if model is None or any(f.code in UNREADABLE and f.file is None for f in findings):
        return Grade("F", 0.0)
    size = max(SIZE_FLOOR, len(model.components))
    totals: dict[str, list[float]] = {}
    for f in findings:
        if f.code in NOT_GRADED or f.category == "SPEC":
            continue
        counts = totals.setdefault(f.category or f.code.rstrip("0123456789"), [0, 0, 0, 0])
        counts[0] += WEIGHTS[f.severity]
        if f.severity is Severity.ERROR:
            counts[1] += 1
        elif f.severity is Severity.WARNING:
            counts[2] += 1
        elif f.severity is Severity.INFO:
            counts[3] += 1
    breakdown = {
        category: CategoryScore(category, min(CATEGORY_CAP, weight * 10 / size), int(errors), int(warnings), int(infos))
        for category, (weight, errors, warnings, infos) in sorted(totals.items())
    }
    score = max(0.0, 100.0 - sum(c.loss for c in breakdown.values()))
    score = round(score, 1)
    return Grade(letter_for(score), score, breakdown)


def explain(result: Grade) -> str:
    """Markdown for the editor: the grade, what cost points, and the formula."""
    lines = [f"**Architecture grade {result.letter}** ({result.score:.0f}/100)", ""]
    rows = [c for c in sorted(result.breakdown.values(), key=lambda c: -c.loss) if c.loss > 0]
    if rows:
        lines += ["| category | points lost | errors | warnings | info |", "| --- | --- | --- | --- | --- |"]
        lines += [f"| {c.category} | {c.loss:.1f} | {c.errors} | {c.warnings} | {c.infos} |" for c in rows]
        lines.append("")
    lines.append(FORMULA)
    return "\n".join(lines)
