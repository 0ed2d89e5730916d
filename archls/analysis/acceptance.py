"""Acceptance criteria: each `acceptance:` entry of an architecture measured against its target.

A pure analysis over the model and the shared load, cost, availability and chaos results. Each
criterion gives an :class:`Outcome`: met or not, the measured value against the target, and a hint
at three levels of detail (1 names the concept, 2 points at the part of the design that misses,
3 says what kind of change meets it). The rules of the SPEC family report the unmet ones; the
coach counts them. Two kinds (``no-errors`` and ``grade``) judge the audit's other findings, so
they are measured after every other rule (:func:`judge_findings`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from archls.analysis.text import availability as pct
from archls.analysis.text import ms, rps, usd
from archls.model import STATEFUL_TYPES, CheckKind, ComponentType, Criterion

if TYPE_CHECKING:
    from archls.analysis import Results
    from archls.config import Config
    from archls.findings import Finding, ModelPath
    from archls.graph import ArchGraph
    from archls.model import Architecture

#: Kinds measured on the other findings of the audit, once every other rule has run.
JUDGES_FINDINGS = frozenset({CheckKind.NO_ERRORS, CheckKind.GRADE})

_GRADES = "ABCDF"


@dataclass
class Outcome:
    criterion: Criterion
    met: bool
    measured: str  #: what the design achieves, for people
    target: str  #: what the criterion asks, for people
    hints: tuple[str, str, str] = ("", "", "")  #: general, pointed, specific
    value: float | None = None  #: the measured figure, when there is one
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> ModelPath:
        return ("acceptance", self.criterion.index)

    def hint(self, level: int | None = None) -> str:
        level = min(max(level or self.criterion.hint_level or 1, 1), 3)
        return self.hints[level - 1]

    def summary(self) -> str:
        """``p99 of redirect 84 ms, target at most 50 ms``."""
        return f"{self.measured}; target {self.target}"


def label(criterion: Criterion) -> str:
    """A criterion in a few words, e.g. ``latency of redirect`` or ``cache on read``."""
    c = criterion
    if c.id:
        return str(c.id)
    if c.check == CheckKind.LATENCY:
        return f"p99 of {c.flow}"
    if c.check == CheckKind.COMPONENT_ON_FLOW:
        return f"{c.technology or (c.type.value if c.type else 'component')} on {c.flow}"
    if c.check == CheckKind.ENCRYPTED:
        return f"{', '.join(k.value for k in c.kinds)} encrypted"
    return c.check.value + (f" of {c.flow}" if c.flow else "")


def evaluate(
    model: Architecture, config: Config, graph: ArchGraph, res: Results, *, findings: list[Finding] | None = None
) -> list[Outcome]:
    """Every criterion of the model, in file order. ``findings`` (the audit's other findings) are
    needed for ``no-errors`` and ``grade``; without them those criteria are left out."""
    out: list[Outcome] = []
    for criterion in model.acceptance:
        if criterion.check in JUDGES_FINDINGS:
            if findings is not None:
                out.append(_judge(criterion, model, findings))
            continue
        measure = _MEASURES[criterion.check]
        out.append(measure(criterion, model, config, graph, res))
    return out


def judge_findings(model: Architecture, findings: list[Finding]) -> list[Outcome]:
    """The criteria measured on the audit's other findings."""
    return [_judge(c, model, findings) for c in model.acceptance if c.check in JUDGES_FINDINGS]


# --- one function per kind ---------------------------------------------------------------------------


def _latency(c: Criterion, model: Architecture, config: Config, graph: ArchGraph, res: Results) -> Outcome:
    from archls.analysis import results

    fid = c.flow or ""
    flow = model.flows[fid]
    at = c.rps if c.rps is not None else flow.rps
    if c.rps is not None and c.rps != flow.rps:
        # Measured on a copy carrying the asked rate: the design must hold it, not just today's traffic.
        flows = {**model.flows, fid: flow.model_copy(update={"rps": c.rps})}
        res = results(model.model_copy(update={"flows": flows}), config)
    load = res.load.flows[fid]
    p99 = load.p99_ms
    rate = f" at {rps(at)}" if at else ""
    target = f"at most {ms(c.p99_ms)}{rate}"
    slowest = load.slowest
    bottleneck = load.bottleneck
    util = res.load.components[bottleneck].utilisation if bottleneck else None
    if p99 is None or not math.isfinite(p99):
        saturated = ", ".join(load.saturated) or bottleneck or "a component"
        measured = f"p99 of {fid} is unbounded{rate}: {saturated} cannot keep up"
        pointed = f"{saturated} receives more requests than its replicas can serve; the queue grows without end."
    else:
        measured = f"p99 of {fid} is {ms(p99)}{rate}"
        pointed = (
            f"Most of {fid}'s time is spent in {slowest.cid} ({ms(slowest.p99_ms)} at p99)"
            if slowest is not None
            else f"{fid} has no step archls can time"
        ) + (f"; {bottleneck} runs at {util:.0%} utilisation." if bottleneck and util is not None else ".")
    hints = (
        "A flow's tail is the sum of its synchronous steps, and a busy component's queue grows steeply past "
        "about 70% utilisation (M/M/c): find the step that dominates.",
        pointed,
        "Serve repeated reads from a cache in front of the slow store, add replicas (or autoscaling) to the "
        "busiest component, or take steps off the synchronous path with a queue.",
    )
    met = p99 is not None and math.isfinite(p99) and p99 <= (c.p99_ms or 0)
    return Outcome(c, met, measured, target, hints, p99, {"bottleneck": bottleneck})


def _availability(c: Criterion, model: Architecture, config: Config, graph: ArchGraph, res: Results) -> Outcome:
    target = c.availability_target or 0.0
    wanted = f"at least {pct(target)}" + (f" ({c.nines:g} nines)" if c.nines is not None else "")
    flows = {fid: f for fid, f in res.availability.flows.items() if f.value is not None and fid in _flows(c, model)}
    if not flows:
        hints = ("Availability is measured per flow: describe the request paths users take.",) * 3
        return Outcome(c, False, "no flow to measure", wanted, hints)  # type: ignore[arg-type]
    fid, worst = min(flows.items(), key=lambda item: item[1].value or 0.0)
    value = worst.value or 0.0
    components = res.availability.components
    weakest = worst.weakest(components)
    detail = f"{weakest} at {pct(components[weakest].value or 0.0)}" if weakest else ""
    hints = (
        "Availabilities in series multiply: every component a flow waits for takes its share of the target.",
        f"The weakest link of {fid} is {detail or 'unknown'}.",
        "Run the weakest components as replicas across zones (or use a managed service with a higher SLA), or "
        "stop waiting for them: an async hand-over or a fallback takes a component off the flow's critical path.",
    )
    measured = f"{fid} is available {pct(value)}" + (f" (weakest: {detail})" if detail else "")
    return Outcome(c, value >= target - 1e-12, measured, wanted, hints, value * 100)


def _flows(c: Criterion, model: Architecture) -> list[str]:
    return [c.flow] if c.flow else list(model.flows)


def _spof(c: Criterion, model: Architecture, config: Config, graph: ArchGraph, res: Results) -> Outcome:
    from archls.analysis.availability import hard_dependencies
    from archls.rules.resilience import managed

    if model.flows:
        needed: dict[str, str] = {}
        for fid in _flows(c, model):
            for member in res.availability.flows[fid].members:
                needed.setdefault(member, fid)
    else:
        needed = {cid: "an entry point" for cid in sorted(hard_dependencies(model, graph, res.load.adjacency))}
    single = []
    for cid, fid in needed.items():
        comp = model.components[cid]
        if comp.type in {ComponentType.CLIENT, ComponentType.EXTERNAL, ComponentType.FUNCTION}:
            continue
        if managed(comp.technology) or res.availability.components[cid].managed:
            continue
        floor = comp.autoscaling.min if comp.autoscaling is not None else comp.replica_count
        if max(floor, comp.replicas or 0) < 2:
            single.append((cid, fid))
    where = f"on {c.flow}" if c.flow else "on any flow"
    if not single:
        return Outcome(c, True, f"no single instance {where}", f"no single point of failure {where}")
    names = ", ".join(f"{cid} ({fid})" for cid, fid in single)
    hints = (
        "A single point of failure is one instance that a request cannot do without: its crash, deploy or "
        "host failure is an outage.",
        f"Look at the components {where} that run one instance: {single[0][0]} is one.",
        f"Run at least two instances of {', '.join(cid for cid, _ in single)} (replicas or autoscaling.min), "
        "ideally in different zones; managed services carry their own redundancy.",
    )
    measured = f"{len(single)} single {'instance' if len(single) == 1 else 'instances'} {where}: {names}"
    return Outcome(
        c, False, measured, f"none {where}", hints, float(len(single)), {"components": [s[0] for s in single]}
    )


def _zone_loss(c: Criterion, model: Architecture, config: Config, graph: ArchGraph, res: Results) -> Outcome:
    from archls.analysis import chaos

    target = "every flow keeps working when any one zone fails" if not c.flow else f"{c.flow} survives any one zone"
    hints_general = (
        "A zone is a failure domain: power, network or a bad deploy takes out everything in it at once, "
        "however many replicas run there."
    )
    zones = chaos.zone_names(model)
    flows = set(_flows(c, model))
    unplaced = []
    for fid in flows:
        for member in res.availability.flows[fid].members:
            comp = model.components[member]
            ca = res.availability.components[member]
            if comp.type in {ComponentType.CLIENT, ComponentType.EXTERNAL} or ca.managed or comp.zones:
                continue
            if any(member in g.members for g in model.groups.values() if g.type in chaos.ZONE_GROUPS):
                continue
            unplaced.append(member)
    unplaced = sorted(set(unplaced))
    if len(zones) < 2 or unplaced:
        what = (
            f"{', '.join(unplaced[:4])} list{'s' if len(unplaced) == 1 else ''} no zones"
            if unplaced
            else f"the design lists {len(zones)} zone{'' if len(zones) == 1 else 's'}"
        )
        hints = (
            hints_general,
            f"archls can only judge a zone outage for components that say where they run: {what}.",
            "List at least two zones on each component the flows need (`zones: [a, b]`) and run a replica in each.",
        )
        return Outcome(c, False, f"cannot survive a zone loss: {what}", target, hints, details={"unplaced": unplaced})
    worst = None
    for zone in zones:
        result = chaos.simulate(model, config, zones=[zone], graph=graph, res=res)
        broken = [fid for fid in result.flows_broken if fid in flows]
        key = (len(broken), result.traffic_lost)
        if broken and (worst is None or key > worst[0]):
            worst = (key, zone, broken, result)
    if worst is None:
        return Outcome(c, True, f"every flow survives the loss of any one of {len(zones)} zones", target)
    _, zone, broken, result = worst
    down = [cid for cid in result.in_state(chaos.State.DOWN)]
    hints = (
        hints_general,
        f"When {zone} fails, {', '.join(down[:4]) or 'the flow'} go{'es' if len(down) == 1 else ''} down.",
        "Spread replicas of every component a flow waits for over two or more zones, with enough headroom that "
        "the zones left carry the peak (N+1), or use a managed multi-zone service.",
    )
    measured = f"losing {zone} breaks {', '.join(broken)} ({result.traffic_lost:.0%} of traffic lost)"
    return Outcome(c, False, measured, target, hints, result.traffic_lost, {"zone": zone, "down": down})


def _encrypted(c: Criterion, model: Architecture, config: Config, graph: ArchGraph, res: Results) -> Outcome:
    kinds = set(c.kinds)
    names = ", ".join(k.value for k in c.kinds)
    problems: list[str] = []
    places = 0
    for cid, comp in model.components.items():
        if comp.type in STATEFUL_TYPES and kinds.intersection(comp.data):
            places += 1
            if not comp.encryption_at_rest:
                problems.append(f"{cid} is not encrypted at rest")
    for conn in model.connections:
        target = model.components.get(conn.target)
        carried = set(conn.data) or (
            set(target.data) if target is not None and target.type in STATEFUL_TYPES else set()
        )
        if kinds.intersection(carried):
            places += 1
            if not conn.encrypted:
                problems.append(f"{conn.source} -> {conn.target} is not encrypted in transit")
    wanted = f"{names} encrypted in transit and at rest everywhere"
    if places == 0:
        hints = (
            "Say where the data lives: list the data kinds on the components that store them (`data: [card]`).",
        ) * 3
        return Outcome(c, False, f"no component or connection lists {names}", wanted, hints)  # type: ignore[arg-type]
    if not problems:
        return Outcome(c, True, f"{names} encrypted at all {places} places", wanted)
    hints = (
        "Sensitive data must be unreadable to whoever taps a network link or gets hold of a disk or a backup.",
        f"{len(problems)} of {places} places holding or carrying {names} are unprotected, e.g. {problems[0]}.",
        "Set `encryption_at_rest: true` on the stores and `tls: true` (or an encrypted protocol) on the connections.",
    )
    measured = f"{len(problems)} of {places} places unprotected: {'; '.join(problems[:3])}" + (
        "; ..." if len(problems) > 3 else ""
    )
    return Outcome(c, False, measured, wanted, hints, float(len(problems)), {"problems": problems})


def _cost(c: Criterion, model: Architecture, config: Config, graph: ArchGraph, res: Results) -> Outcome:
    total = res.cost.total
    limit = c.max_usd or 0.0
    parts = sorted(
        ((cid, cc.monthly) for cid, cc in res.cost.components.items() if cc.monthly), key=lambda item: -item[1]
    )
    top = ", ".join(f"{cid} {usd(v)}" for cid, v in parts[:3])
    hints = (
        "Cost follows capacity: replicas, instance sizes and managed throughput you pay for whether used or not.",
        f"The largest items are {top or 'not priced'}.",
        "Right-size the largest items (fewer or smaller replicas where utilisation is low, autoscaling instead of "
        "peak-sized fleets, Graviton instances, a cache that spares a bigger database).",
    )
    measured = f"estimated {usd(total)} a month"
    return Outcome(c, total <= limit + 1e-6, measured, f"at most {usd(limit)} a month", hints, total)


def _on_flow(c: Criterion, model: Architecture, config: Config, graph: ArchGraph, res: Results) -> Outcome:
    fid = c.flow or ""
    kind = c.type.value if c.type else "component"
    tech = str(c.technology).lower() if c.technology else None
    found = [
        cid
        for cid in model.flows[fid].path
        if cid in model.components
        and model.components[cid].type == c.type
        and (tech is None or str(model.components[cid].technology or "").lower() == tech)
    ]
    what = f"a {kind}" + (f" ({c.technology})" if tech else "")
    if found:
        return Outcome(c, True, f"{found[0]} is on {fid}", f"{what} on {fid}")
    hints = (_WHY_TYPE.get(kind, f"The design calls for {what} on this path."), *_pointed(kind, fid))
    return Outcome(c, False, f"no {kind}{f' ({c.technology})' if tech else ''} on {fid}", f"{what} on {fid}", hints)  # type: ignore[arg-type]


_WHY_TYPE = {
    "cache": "Reads that repeat are cheaper and faster served from memory than recomputed or re-read from a store.",
    "queue": "A queue decouples a fast producer from a slow consumer: the request returns at once and bursts wait "
    "in line instead of timing out.",
    "stream": "A log (stream) lets many consumers read the same events at their own pace and replay them.",
    "cdn": "A CDN serves bytes from a location near the user, so the origin sees a fraction of the traffic.",
    "load-balancer": "A load balancer spreads requests over replicas and stops sending to the ones that fail.",
    "search": "An inverted index answers text queries that a row store can only answer by scanning.",
    "api-gateway": "One entry point authenticates, rate-limits and routes before any service sees a request.",
    "object-storage": "Large blobs belong in object storage: cheap, durable and served without your servers.",
    "worker": "Slow work done by a worker off the request path keeps the user's request fast.",
}


def _pointed(kind: str, fid: str) -> tuple[str, str]:
    return (
        f"Which component of {fid} does the same work for many requests, or waits longest? A {kind} belongs there.",
        f"Add a component of type {kind}, connect it on {fid}'s path and list it in the flow's `path`.",
    )


def _judge(c: Criterion, model: Architecture, findings: list[Finding]) -> Outcome:
    from archls.analysis.grade import grade
    from archls.findings import Severity

    graded = [f for f in findings if f.category != "SPEC" and not f.code.startswith("SPEC")]
    if c.check == CheckKind.NO_ERRORS:
        errors = [f for f in graded if f.severity is Severity.ERROR and f.code not in {"ARCH011"}]
        codes = sorted({f.code for f in errors})
        hints = (
            "An error is a finding the audits consider a defect, not a matter of taste.",
            f"The errors are {', '.join(codes[:5])}; `archls rule CODE` explains each.",
            "Fix each error (many have a quick fix), or silence it with a reason where it does not apply.",
        )
        measured = f"{len(errors)} error{'' if len(errors) == 1 else 's'}" + (
            f" ({', '.join(codes[:5])})" if codes else ""
        )
        return Outcome(c, not errors, measured, "no error-severity finding", hints, float(len(errors)))
    result = grade(graded, model)
    wanted = c.grade or "B"
    met = _GRADES.index(result.letter) <= _GRADES.index(wanted)
    worst = sorted(result.breakdown.values(), key=lambda s: -s.loss)
    costs = ", ".join(f"{s.category} -{s.loss:.0f}" for s in worst[:3] if s.loss >= 0.5)
    hints = (
        "The grade weighs every finding by severity and category; errors cost four times a warning.",
        f"The categories costing most are {costs or 'none'}.",
        f"Work through the findings of {worst[0].category if worst else 'each category'} first, errors before warnings.",
    )
    return Outcome(c, met, f"grade {result.summary()}", f"at least {wanted}", hints, result.score)


_MEASURES = {
    CheckKind.LATENCY: _latency,
    CheckKind.AVAILABILITY: _availability,
    CheckKind.NO_SINGLE_POINT_OF_FAILURE: _spof,
    CheckKind.SURVIVES_ZONE_LOSS: _zone_loss,
    CheckKind.ENCRYPTED: _encrypted,
    CheckKind.COST: _cost,
    CheckKind.COMPONENT_ON_FLOW: _on_flow,
}
