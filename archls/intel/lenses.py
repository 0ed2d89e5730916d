"""Figures beside the text: a code lens per component and flow, inlay hints beside ``replicas``
(utilisation) and ``technology`` (cost)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from archls.findings import Range
from archls.intel import facts
from archls.intel.text import range_order

if TYPE_CHECKING:
    from archls.engine import Analysis


@dataclass(frozen=True, slots=True)
class Lens:
    range: Range
    title: str
    kind: str  #: "component", "flow" or "coach"
    id: str


@dataclass(frozen=True, slots=True)
class Hint:
    line: int
    col: int
    label: str
    tooltip: str
    kind: str  #: "utilisation" or "cost"


def _component_heads(analysis: Analysis) -> list[tuple[str, Range]]:
    loaded = analysis.loaded
    model = analysis.model
    if loaded is None or model is None:
        return []
    if analysis.format != "arch":
        from archls.intel.native import places

        return [(p.cid, p.head) for p in places(analysis)]
    out = []
    for cid in model.components:
        entry = loaded.smap.get(("components", cid))
        if entry is not None and entry.key is not None:
            out.append((cid, entry.key))
    return out


def component_title(figs: Any, traffic_lost: float | None = None) -> str:
    parts = []
    if figs.cost_monthly is not None:
        parts.append(f"≈ {facts.money(figs.cost_monthly)}/mo")
    if figs.p99_ms is not None:
        parts.append(f"p99 {facts.ms(figs.p99_ms)}")
    if traffic_lost:
        lost = f"{traffic_lost * 100:.0f}%" if traffic_lost >= 0.01 else "<1%"
        parts.append(f"its failure loses {lost} of traffic")
    parts.append(facts.plural(figs.dependents, "dependent"))
    return " · ".join(parts)


#: Above this many components the blast radius is left out of the lenses (failing each one in turn
#: grows with the square of the size); `archls chaos --each` still answers.
BLAST_LIMIT = 80


def blast_radius(analysis: Analysis) -> dict[str, float]:
    """Traffic lost when each component fails on its own (the chaos engine's ``--each``)."""

    def compute() -> dict[str, float]:
        model = analysis.model
        if model is None or len(model.components) > BLAST_LIMIT:
            return {}
        from archls.analysis import chaos

        try:
            blasts = chaos.each(model, analysis.config, analysis.graph)
        except Exception:  # the figure is left out, never the lens
            return {}
        return {b.target: b.traffic_lost for b in blasts if b.kind == "component"}

    return facts.memo(analysis, "blast-radius", compute)


def flow_title(figs: Any) -> str | None:
    budget = figs.budget_ms
    if figs.p99_ms is not None:
        title = f"p99 {facts.ms(figs.p99_ms)}" + (f" of {facts.ms(budget)} budget" if budget else "")
    elif budget:
        title = f"budget {facts.ms(budget)} (p99 not estimated)"
    else:
        return None
    if figs.availability is not None:
        title += f" · {facts.availability(figs.availability)} available"
    return title


def lenses(analysis: Analysis) -> list[Lens]:
    figures = facts.figures_of(analysis)
    if figures is None:
        return []
    out = []
    blasts = blast_radius(analysis)
    for cid, head in _component_heads(analysis):
        figs = figures.components.get(cid)
        if figs is not None:
            out.append(Lens(head, component_title(figs, blasts.get(cid)), "component", cid))
    if analysis.format == "arch" and analysis.loaded is not None:
        for fid, figs in figures.flows.items():
            entry = analysis.loaded.smap.get(("flows", fid))
            title = flow_title(figs)
            if entry is not None and entry.key is not None and title is not None:
                out.append(Lens(entry.key, title, "flow", fid))
    coach = _coach_lens(analysis)
    if coach is not None:
        out.append(coach)
    out.sort(key=range_order)
    return out


def _coach_lens(analysis: Analysis) -> Lens | None:
    """On a coach file's ``coach:`` key: ``stage 2/4 · 3 of 5 criteria met``."""
    model = analysis.model
    if model is None or model.coach is None or analysis.loaded is None:
        return None
    from archls import coach

    entry = analysis.loaded.smap.get(("coach",))
    try:
        score = coach.score(analysis)
    except coach.CoachError:
        return None
    if entry is None or entry.key is None:
        return None
    return Lens(entry.key, score.title, "coach", score.challenge.name)


def hints(analysis: Analysis, first_line: int = 0, last_line: int | None = None) -> list[Hint]:
    """Hints on the lines ``first_line``..``last_line`` (inclusive)."""
    loaded = analysis.loaded
    model = analysis.model
    if loaded is None or model is None or analysis.format != "arch":
        return []
    figures = facts.figures_of(analysis)
    if figures is None:
        return []
    last = last_line if last_line is not None else 1 << 30
    out = []
    for cid, component in model.components.items():
        figs = figures.components.get(cid)
        if figs is None:
            continue
        if figs.utilisation is not None:
            entry = loaded.smap.get(("components", cid, "replicas"))
            if entry is not None and first_line <= entry.value.end_line <= last:
                capacity = f" (capacity {figs.capacity_rps:,.0f} rps)" if figs.capacity_rps else ""
                out.append(
                    Hint(
                        entry.value.end_line,
                        entry.value.end_col,
                        f"{facts.percent(figs.utilisation)} busy",
                        f"Utilisation of {cid} at the flows' peak rate with {facts.plural(component.replica_count, 'replica')}{capacity}",
                        "utilisation",
                    )
                )
        if figs.cost_monthly is not None:
            entry = loaded.smap.get(("components", cid, "technology"))
            if entry is not None and first_line <= entry.value.end_line <= last:
                out.append(
                    Hint(
                        entry.value.end_line,
                        entry.value.end_col,
                        f"≈ {facts.money(figs.cost_monthly)}/mo",
                        f"Estimated monthly cost of {cid} ({facts.plural(component.replica_count, 'replica')})",
                        "cost",
                    )
                )
    out.sort(key=lambda h: (h.line, h.col))
    return out
