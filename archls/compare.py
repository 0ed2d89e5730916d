"""Two architectures side by side: cost, p99 per flow, availability, single points of failure, findings by
category and severity, grade, and the components added, removed and changed.

The two sides may be of different formats (an architecture file against the Terraform folder that
implements it): components are matched by id; then, among those left, by their id written the same
way (case, ``-``, ``_`` and ``.`` aside, and without a Terraform resource type such as ``aws_lb.``);
then by type and technology; each later pass only where it pairs exactly one with one.

A single point of failure is a component running one instance whose failure alone loses traffic or
takes another component down, as the chaos engine works it out (:func:`archls.analysis.chaos.each`):
the same reading in every format.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archls.engine import Analysis

#: Component settings whose change is reported (others, such as descriptions, are not architecture).
COMPARED = ("type", "technology", "version", "replicas", "public", "auth", "tls", "encryption_at_rest", "zones")


@dataclass
class Side:
    path: str
    format: str
    name: str
    components: int
    cost_monthly: float | None
    budget_monthly: float | None
    availability: float | None  #: percent, traffic-weighted over the flows
    availability_target: float | None
    grade: str | None
    score: float | None
    flows: dict[str, dict[str, float | None]]  #: id -> p99_ms, budget_ms, availability
    single_points: list[str]
    worst_failure: dict[str, Any] | None  #: the single failure that loses most traffic
    findings: dict[str, dict[str, int]]  #: category -> severity -> count
    severities: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "format": self.format,
            "name": self.name,
            "components": self.components,
            "cost_monthly": self.cost_monthly,
            "budget_monthly": self.budget_monthly,
            "availability": self.availability,
            "availability_target": self.availability_target,
            "grade": self.grade,
            "score": self.score,
            "flows": self.flows,
            "single_points_of_failure": self.single_points,
            "worst_single_failure": self.worst_failure,
            "findings_by_category": self.findings,
            "findings_by_severity": self.severities,
        }


@dataclass
class Comparison:
    a: Side
    b: Side
    added: list[str]  #: in B only
    removed: list[str]  #: in A only
    changed: dict[str, dict[str, list[Any]]]  #: B's id -> setting -> [A's value, B's value]
    matched: dict[str, str]  #: A's id -> B's id
    matched_by_kind: list[str] = field(default_factory=list)  #: A's ids paired by type and technology

    def to_json(self) -> dict[str, Any]:
        return {
            "a": self.a.to_json(),
            "b": self.b.to_json(),
            "components": {
                "added": self.added,
                "removed": self.removed,
                "changed": self.changed,
                "matched": self.matched,
                "matched_by_type_and_technology": self.matched_by_kind,
            },
        }


def _finite(value: float | None, digits: int = 4) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(value, digits)


def side(analysis: Analysis, label: str | None = None) -> Side:
    """One side's figures; ``label`` names it as the user gave it (a folder, say) instead of its file."""
    from archls.intel import facts

    model = analysis.model
    assert model is not None, "compare files whose architecture could be read"
    figures = facts.figures_of(analysis)
    grade = facts.grade_of(analysis)
    # the whole architecture's findings (every file of a module or manifest folder), as the grade reads them
    found = analysis.findings
    by_category: dict[str, dict[str, int]] = {}
    for finding in found:
        counts = by_category.setdefault(finding.category, {})
        counts[finding.severity.value] = counts.get(finding.severity.value, 0) + 1
    flows: dict[str, dict[str, float | None]] = {}
    weighted = weight = 0.0
    for fid, flow in model.flows.items():
        figs = figures.flows.get(fid) if figures else None
        flows[fid] = {
            "p99_ms": _finite(figs.p99_ms, 3) if figs else None,
            "budget_ms": flow.latency_budget_ms,
            "availability": _finite(figs.availability, 5) if figs else None,
        }
        if figs and figs.availability is not None:
            w = flow.rps or 1.0
            weighted += w * figs.availability
            weight += w
    spof, worst = _single_failures(analysis)
    return Side(
        path=label or analysis.path,
        format=analysis.format or "",
        name=model.name,
        components=len(model.components),
        cost_monthly=_finite(figures.cost_monthly, 2) if figures else None,
        budget_monthly=model.requirements.budget_monthly,
        availability=round(weighted / weight, 5) if weight else None,
        availability_target=model.requirements.availability,
        grade=facts.grade_letter(grade),
        score=facts.grade_score(grade),
        flows=flows,
        single_points=spof,
        worst_failure=worst,
        findings=by_category,
        severities=facts.counts(found),
    )


#: Types that are never a single point of failure of the system: its users and other parties' systems.
_NOT_OURS = frozenset({"client", "external"})


def _single_failures(analysis: Analysis) -> tuple[list[str], dict[str, Any] | None]:
    """The single points of failure and the single failure that loses most traffic."""
    from archls.analysis import chaos
    from archls.rules.resilience import managed

    model = analysis.model
    assert model is not None
    try:
        blasts = chaos.each(model, analysis.config, analysis.graph)
    except Exception:  # an estimate that fails leaves these figures out, never the comparison
        return [], None
    spof = []
    for blast in blasts:
        component = model.components.get(blast.target) if blast.kind == "component" else None
        if component is None or component.type.value in _NOT_OURS:
            continue
        # requests lost, or a part of the system down with it (traffic no flow measures, work behind a queue)
        if blast.traffic_lost <= 0 and not blast.down:
            continue
        # the provider runs a managed service's redundancy; no replicas is switched off on purpose
        if component.replica_count != 1 or component.replicas == 0 or managed(component.technology):
            continue
        spof.append(blast.target)
    worst = None
    if blasts and blasts[0].traffic_lost > 0:
        worst = {"target": blasts[0].target, "kind": blasts[0].kind, "traffic_lost": round(blasts[0].traffic_lost, 4)}
    return sorted(spof), worst


def _settings(component: Any) -> dict[str, Any]:
    out = {}
    for key in COMPARED:
        value = getattr(component, key, None)
        if key == "replicas":
            value = component.replica_count
        elif hasattr(value, "value"):
            value = value.value
        elif isinstance(value, list):
            value = sorted(str(v) for v in value)
        out[key] = value
    return out


#: A Terraform address in front of a resource's name: the modules it sits in and its resource type.
_TERRAFORM_TYPE = re.compile(r"^(?:module\.[^.]+\.)*[a-z][a-z0-9]*_[a-z0-9_]+\.(?=.)")


def normalised(cid: str) -> str:
    """A component's id as written in any format: ``links-api``, ``links_api``, ``Links.API``,
    ``aws_ecs_service.links_api`` and ``module.app.aws_ecs_service.links_api`` are one id."""
    return re.sub(r"[-_.]", "", _TERRAFORM_TYPE.sub("", cid.lower()))


def compare(a: Analysis, b: Analysis, labels: tuple[str | None, str | None] = (None, None)) -> Comparison:
    """A against B; ``labels`` name the sides as the user gave them (a folder, say)."""
    model_a, model_b = a.model, b.model
    assert model_a is not None and model_b is not None
    matched = {cid: cid for cid in model_a.components if cid in model_b.components}
    left_a = [cid for cid in model_a.components if cid not in matched]
    left_b = [cid for cid in model_b.components if cid not in matched.values()]
    by_name_a: dict[str, list[str]] = {}
    by_name_b: dict[str, list[str]] = {}
    for cid in left_a:
        by_name_a.setdefault(normalised(cid), []).append(cid)
    for cid in left_b:
        by_name_b.setdefault(normalised(cid), []).append(cid)
    for key, ids in by_name_a.items():
        other = by_name_b.get(key, [])
        if len(ids) == 1 and len(other) == 1:
            matched[ids[0]] = other[0]
    left_a = [cid for cid in left_a if cid not in matched]
    left_b = [cid for cid in left_b if cid not in matched.values()]

    def kind(component: Any) -> tuple[str, str]:
        return component.type.value, (component.technology or "").lower()

    by_kind_a: dict[tuple[str, str], list[str]] = {}
    by_kind_b: dict[tuple[str, str], list[str]] = {}
    for cid in left_a:
        by_kind_a.setdefault(kind(model_a.components[cid]), []).append(cid)
    for cid in left_b:
        by_kind_b.setdefault(kind(model_b.components[cid]), []).append(cid)
    by_kind = []
    for key, ids in by_kind_a.items():
        other = by_kind_b.get(key, [])
        if len(ids) == 1 and len(other) == 1 and key[1]:
            matched[ids[0]] = other[0]
            by_kind.append(ids[0])
    removed = [cid for cid in model_a.components if cid not in matched]
    added = [cid for cid in model_b.components if cid not in matched.values()]
    changed: dict[str, dict[str, list[Any]]] = {}
    for cid_a, cid_b in matched.items():
        before, after = _settings(model_a.components[cid_a]), _settings(model_b.components[cid_b])
        diff = {k: [before[k], after[k]] for k in COMPARED if before[k] != after[k]}
        if diff:
            changed[cid_b] = diff
    return Comparison(side(a, labels[0]), side(b, labels[1]), added, removed, changed, matched, by_kind)


# --- text -----------------------------------------------------------------------------------------------


def _money(value: float | None) -> str:
    from archls.analysis.text import usd

    return usd(value) + "/mo" if value is not None else "-"


def _ms(value: float | None) -> str:
    from archls.analysis.text import ms

    return ms(value) if value is not None else "-"


def _avail(value: float | None) -> str:
    from archls.analysis.text import availability

    return availability(value / 100) if value is not None else "-"


def rows(result: Comparison) -> list[tuple[str, str, str, str]]:
    """(what, A, B, which is better: "a", "b", "" when equal or not comparable, "~" when they differ
    with neither better, "=" when the same though written differently)."""
    a, b = result.a, result.b
    out: list[tuple[str, str, str, str]] = []

    def better(x: float | None, y: float | None, lower: bool) -> str:
        if x is None or y is None or abs(x - y) < 1e-9:
            return ""
        return ("a" if x < y else "b") if lower else ("a" if x > y else "b")

    out.append(("name", a.name, b.name, ""))
    out.append(("format", a.format, b.format, ""))
    out.append(("components", str(a.components), str(b.components), "" if a.components == b.components else "~"))
    out.append(
        ("cost per month", _money(a.cost_monthly), _money(b.cost_monthly), better(a.cost_monthly, b.cost_monthly, True))
    )
    out.append(
        ("availability", _avail(a.availability), _avail(b.availability), better(a.availability, b.availability, False))
    )
    for fid in list(dict.fromkeys([*a.flows, *b.flows])):
        fa, fb = a.flows.get(fid, {}), b.flows.get(fid, {})
        budget = fa.get("budget_ms") or fb.get("budget_ms")
        label = f"p99 {fid}" + (f" (budget {_ms(budget)})" if budget else "")
        pa, pb = fa.get("p99_ms"), fb.get("p99_ms")
        out.append(
            (
                label,
                _ms(pa) if fid in a.flows else "no flow",
                _ms(pb) if fid in b.flows else "no flow",
                better(pa, pb, True),
            )
        )
    # the same components under the matching are the same single points, however each side spells them
    spelled = ", ".join(a.single_points) != ", ".join(b.single_points)
    same = spelled and {result.matched.get(cid) for cid in a.single_points} == set(b.single_points)
    out.append(
        (
            "single points of failure",
            ", ".join(a.single_points) or "none",
            ", ".join(b.single_points) or "none",
            "=" if same else better(float(len(a.single_points)), float(len(b.single_points)), True),
        )
    )

    def worst(s: Side) -> str:
        if not s.worst_failure:
            return "none loses traffic"
        return f"{s.worst_failure['target']} ({s.worst_failure['traffic_lost'] * 100:.0f}% lost)"

    wa = a.worst_failure["traffic_lost"] if a.worst_failure else 0.0
    wb = b.worst_failure["traffic_lost"] if b.worst_failure else 0.0
    out.append(("worst single failure", worst(a), worst(b), better(wa, wb, True)))
    out.append(("grade", f"{a.grade} ({a.score:.0f})" if a.grade and a.score is not None else a.grade or "-",
                f"{b.grade} ({b.score:.0f})" if b.grade and b.score is not None else b.grade or "-",
                better(a.score, b.score, False)))  # fmt: skip
    for severity in ("error", "warning", "info"):
        x, y = a.severities.get(severity, 0), b.severities.get(severity, 0)
        out.append((f"{severity}s", str(x), str(y), better(float(x), float(y), True)))
    for category in sorted({*a.findings, *b.findings}):
        x, y = sum(a.findings.get(category, {}).values()), sum(b.findings.get(category, {}).values())
        out.append((f"  {category} findings", str(x), str(y), better(float(x), float(y), True)))
    return out


def differs(what: str, x: str, y: str, mark: str) -> bool:
    """Whether a row of :func:`rows` is highlighted as a difference."""
    return x != y and mark != "=" and what not in ("name", "format", "")


def render_text(result: Comparison) -> str:
    words = {"a": "A better", "b": "B better", "~": "differs", "=": "same components"}
    table = [("", "A", "B", ""), *rows(result)]
    widths = [max(len(r[n]) for r in table) for n in range(3)]
    lines = [f"A: {result.a.path}", f"B: {result.b.path}", ""]
    for what, x, y, mark in table:
        changed = "*" if differs(what, x, y, mark) else " "
        word = words.get(mark, "")
        lines.append(f"{changed} {what.ljust(widths[0])}  {x.ljust(widths[1])}  {y.ljust(widths[2])}  {word}".rstrip())
    lines.append("")
    lines.append(f"Components: {len(result.added)} added, {len(result.removed)} removed, {len(result.changed)} changed")
    for cid in result.added:
        lines.append(f"  + {cid}")
    for cid in result.removed:
        lines.append(f"  - {cid}")
    for cid, diff in result.changed.items():
        parts = ", ".join(f"{k} {_show(v[0])} -> {_show(v[1])}" for k, v in diff.items())
        lines.append(f"  ~ {cid}: {parts}")
    if result.matched_by_kind:
        pairs = ", ".join(f"{a} = {result.matched[a]}" for a in result.matched_by_kind)
        lines.append(f"Matched by type and technology: {pairs}")
    from archls.terminal import printable

    return printable("\n".join(lines) + "\n")


def _show(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)
