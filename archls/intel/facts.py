"""The figures editor features show (cost, utilisation, latency, dependents, grade), computed once
per analysis and written the same way everywhere."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from archls.findings import Finding, Severity

if TYPE_CHECKING:
    from archls.analysis import Figures
    from archls.engine import Analysis

log = logging.getLogger(__name__)

_MEMO: OrderedDict[tuple[int, str], tuple[Any, Any]] = OrderedDict()
_MEMO_SIZE = 64


def memo(analysis: Analysis, name: str, compute: Callable[[], Any]) -> Any:
    """``compute()`` once per analysis object (the analysis is kept alive with its result, so an id
    is never reused while the entry lives)."""
    key = (id(analysis), name)
    found = _MEMO.get(key)
    if found is not None and found[0] is analysis:
        _MEMO.move_to_end(key)
        return found[1]
    value = compute()
    _MEMO[key] = (analysis, value)
    if len(_MEMO) > _MEMO_SIZE:
        _MEMO.popitem(last=False)
    return value


def memoised(analysis: Analysis, name: str) -> Any:
    """What :func:`memo` holds for ``name`` on this analysis, or None when it has not been computed."""
    found = _MEMO.get((id(analysis), name))
    return found[1] if found is not None and found[0] is analysis else None


def figures_of(analysis: Analysis) -> Figures | None:
    """Cost, load and availability figures of the analysed model, or None when there is no model."""

    def compute() -> Figures | None:
        if analysis.model is None:
            return None
        from archls.analysis import figures

        try:
            return figures(analysis.model, analysis.config, analysis.graph)
        except Exception:  # an estimate that fails leaves the figures out, never the feature
            log.exception("figures failed for %s", analysis.path)
            return None

    return memo(analysis, "figures", compute)


def grade_of(analysis: Analysis) -> Any | None:
    """The architecture's grade (``archls.analysis.grade``), when that analysis is present."""

    def compute() -> Any | None:
        if analysis.model is None:
            return None
        try:
            from archls.analysis.grade import grade  # type: ignore[import-not-found]
        except ImportError:
            return None
        try:
            return grade(analysis.findings, analysis.model)
        except Exception:
            log.exception("grade failed for %s", analysis.path)
            return None

    return memo(analysis, "grade", compute)


def _attr(value: Any, *names: str) -> Any:
    for name in names:
        found = value.get(name) if isinstance(value, dict) else getattr(value, name, None)
        if found is not None:
            return found
    return None


def grade_letter(grade: Any) -> str | None:
    if grade is None:
        return None
    if isinstance(grade, str):
        return grade
    letter = _attr(grade, "letter", "grade")
    return str(letter) if letter is not None else None


def grade_score(grade: Any) -> float | None:
    if grade is None or isinstance(grade, str):
        return None
    score = _attr(grade, "score", "points")
    return float(score) if isinstance(score, int | float) else None


def grade_explanation(grade: Any) -> str | None:
    """What cost points: "SEC -10, REL -6" from the grade's breakdown, or its own explanation."""
    if grade is None or isinstance(grade, str):
        return None
    breakdown = _attr(grade, "breakdown")
    if isinstance(breakdown, dict) and breakdown:
        losses = sorted(
            (c for c in breakdown.values() if (_attr(c, "loss") or 0) >= 0.5),
            key=lambda c: (-_attr(c, "loss"), str(_attr(c, "category"))),
        )
        return ", ".join(f"{_attr(c, 'category')} -{_attr(c, 'loss'):.0f}" for c in losses) or None
    text = _attr(grade, "explanation", "reason")
    if isinstance(text, list | tuple):
        return "\n".join(f"- {line}" for line in text)
    return str(text) if text else None


def grade_formula() -> str | None:
    """How the grade is computed, as the grade module states it."""
    try:
        from archls.analysis import grade as module  # type: ignore[attr-defined]
    except ImportError:
        return None
    formula = getattr(module, "FORMULA", None)
    return str(formula) if formula else None


def counts(findings: list[Finding]) -> dict[str, int]:
    out = {s.value: 0 for s in Severity}
    for finding in findings:
        out[finding.severity.value] += 1
    return out


def own_findings(analysis: Analysis) -> list[Finding]:
    """Findings about this file (a finding may name another file, e.g. a module it reads)."""
    return [f for f in analysis.findings if f.file in (None, analysis.path)]


def summary(analysis: Analysis) -> dict[str, Any]:
    """What an editor's status bar shows for one document."""
    figures = figures_of(analysis)
    return {
        "grade": grade_letter(grade_of(analysis)),
        "costMonthly": _round(figures.cost_monthly) if figures else None,
        "budgetMonthly": figures.budget_monthly
        if figures and figures.budget_monthly is not None
        else (analysis.model.requirements.budget_monthly if analysis.model else None),
        "findings": counts(own_findings(analysis)),
    }


def _round(value: float | None) -> float | None:
    return round(value, 2) if value is not None else None


# --- writing figures -----------------------------------------------------------------------------


def money(value: float) -> str:
    cents = round(value, 2)
    if cents >= 100 or cents == int(cents):
        return f"${cents:,.0f}"
    return f"${cents:,.2f}"


def ms(value: float) -> str:
    if value >= 10_000:
        return f"{value / 1000:,.1f} s"
    if value >= 100:
        return f"{value:,.0f} ms"
    if value >= 10:
        return f"{value:.0f} ms"
    return f"{value:.1f} ms".replace(".0 ms", " ms")


def percent(value: float) -> str:
    return f"{value * 100:.0f}%"


def availability(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return f"{text}%"


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
