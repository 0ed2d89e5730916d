"""Reliability from the availability model (REL001-REL009): flows and components against
`requirements.availability`, zones, replicas, recovery points, retries and timeouts.

Figures come from :mod:`archls.analysis.availability`: replicas in zones for what the team runs,
SLAs for managed services (archls/catalog/technologies.yaml).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator

from archls.analysis.availability import hard_dependencies, waits_for
from archls.analysis.text import availability as pct
from archls.analysis.text import ms, percent, times
from archls.findings import Severity
from archls.model import Backups, ComponentType
from archls.rules._common import timed_calls
from archls.rules.load import analysed
from archls.rules.registry import Control, Fix, Hit, RuleContext, rule

REFS_AVAILABILITY = (
    "AWS Well-Architected Framework, Reliability pillar: REL10 (use fault isolation) and availability calculations",
    "Google SRE book, ch. 3: embracing risk (availability as a product of dependencies)",
)
REFS_TIMEOUTS = (
    "Nygard, Release It! 2nd ed. (2018): timeouts, circuit breakers and steady state",
    "AWS Builders' Library: Timeouts, retries, and backoff with jitter",
)


#: Availabilities closer than this count as equal (99.9 / 100 is not exactly 0.999 in floating point).
EPSILON = 1e-9


def _target(ctx: RuleContext) -> float | None:
    target = ctx.model.requirements.availability
    return target / 100 - EPSILON if target is not None else None


def _hard(ctx: RuleContext) -> set[str]:
    return ctx.cached(
        "analysis.hard_dependencies",
        lambda: hard_dependencies(ctx.model, ctx.graph),
        carry=lambda old: old,  # component ids only
    )


@rule(
    "REL001",
    "Flow availability below the target",
    severity=Severity.ERROR,
    what=(
        "The composite availability of a flow is below `requirements.availability`. A flow needs every "
        "component on its path up to the first hop it does not wait for (async, optional or with a fallback), "
        "so their availabilities multiply; each component's comes from its replicas in zones "
        "(1-(1-a)^n per zone set) or from its SLA when it is a managed service."
    ),
    why=(
        "Availabilities in series multiply: five components at 99.95% give 99.75%, about 22 hours of "
        "outage a year against the 4.4 hours a 99.95% target allows."
    ),
    example="""
requirements: {availability: 99.95}
components:
  api: {type: service, replicas: 2, zones: [a, b]}
  db: {type: database, technology: postgresql}         # one instance: ~99.5%
flows:
  read: {path: [web, api, db]}
""",
    fix=(
        "Raise the weakest component named in the message (more replicas, more zones, a managed service "
        "with a higher SLA), take it off the synchronous path (async, cache, fallback), or revise the target."
    ),
    references=REFS_AVAILABILITY,
    controls=(Control("soc2", "A1.2", "Environmental protections, software, data backup and recovery infrastructure"),),
)
def flow_below_target(ctx: RuleContext) -> Iterator[Hit]:
    target = _target(ctx)
    if target is None:
        return
    res = analysed(ctx)
    components = res.availability.components
    for fid, flow in res.availability.flows.items():
        if flow.value is None or flow.value >= target:
            continue
        parts = " x ".join(f"{m} {pct(components[m].value or 0.0)}" for m in flow.members)
        weakest = flow.weakest(components)
        yield Hit(
            ("flows", fid),
            f"{fid} is available {pct(flow.value)} ({parts}), below the {pct(target + EPSILON)} target"
            + (f"; weakest: {weakest}" if weakest else ""),
            data={"availability": flow.value},
        )


def _common_zone(ctx: RuleContext, have: list[str]) -> str | None:
    """The zone other components use most that this one lacks: the natural second zone."""
    return next((zone for zone in _zones_by_use(ctx) if zone not in have), None)


def _zones_by_use(ctx: RuleContext) -> list[str]:
    """Every zone the components list, the most listed first (the first listed first among equals)."""

    def rank() -> list[str]:
        counts: Counter[str] = Counter()
        for component in ctx.model.components.values():
            counts.update(str(z) for z in component.zones)
        return [zone for zone, _ in counts.most_common()]

    return ctx.cached("rules.zones_by_use", rank)


@rule(
    "REL002",
    "Single zone against a high availability target",
    severity=Severity.WARNING,
    what=(
        "A component that requests depend on lists exactly one zone while `requirements.availability` is above "
        "`thresholds.rel.multi_zone_target` (default 99.9)."
    ),
    why=(
        "A zone is a failure domain: power, network and control-plane events take out everything in it "
        "together, however many replicas run there. Above 99.9% the target leaves no room for one zone event a year."
    ),
    example="""
requirements: {availability: 99.95}
components:
  db: {type: database, technology: postgresql, replicas: 2, zones: [eu-west-1a]}
""",
    fix="Spread the replicas over two or more zones (the quick fix adds the zone the rest of the system uses most).",
    references=(*REFS_AVAILABILITY, "AWS, Regions and Availability Zones"),
    fixable=True,
)
def single_zone(ctx: RuleContext) -> Iterator[Hit]:
    target = ctx.model.requirements.availability
    if target is None or target <= ctx.threshold("rel.multi_zone_target", 99.9):
        return
    res = analysed(ctx)
    hard = _hard(ctx)
    for cid, component in ctx.model.components.items():
        zones = list(dict.fromkeys(str(z) for z in component.zones))
        if len(zones) != 1 or cid not in hard or res.availability.components[cid].managed:
            continue
        other = _common_zone(ctx, zones)
        fix = Fix(f"Add zone {other}", "append", ("components", cid, "zones"), other, safe=False) if other else None
        yield Hit(
            ("components", cid, "zones"),
            f"{cid} runs only in {zones[0]}: one zone cannot meet the {target:g}% target",
            fix=fix,
        )


@rule(
    "REL003",
    "Component availability below the target",
    severity=Severity.WARNING,
    what=(
        "A component the team runs, which some entry point cannot work without, has a modelled availability "
        "below `requirements.availability`: too few replicas, or all in one zone (or no zones listed). "
        "Managed services and third parties are judged by their SLA in REL001 and REL004 instead."
    ),
    why="Any flow through it is at most as available as it is, whatever the rest of the path does.",
    example="""
requirements: {availability: 99.9}
components:
  db: {type: database, technology: postgresql}    # 1 replica: ~99.5%
""",
    fix="Add replicas (the quick fix sets two) and spread them over zones, or make the callers tolerate its failure (a fallback, `required: false`).",
    references=REFS_AVAILABILITY,
    fixable=True,
    scope="component",
)
def component_below_target(ctx: RuleContext) -> Iterator[Hit]:
    target = _target(ctx)
    if target is None:
        return
    res = analysed(ctx)
    hard = _hard(ctx)
    for cid, component in ctx.components():
        avail = res.availability.components[cid]
        if avail.value is None or avail.managed or cid not in hard or avail.value >= target:
            continue
        if component.type in (ComponentType.CLIENT, ComponentType.EXTERNAL):
            continue
        fix = None
        # A second replica in the one zone listed still fails with the zone: no quick fix then.
        if component.autoscaling is None and (component.replicas or 1) < 2 and len(component.zones or ()) != 1:
            fix = Fix("Set replicas to 2", "set", ("components", cid), 2, "replicas", safe=False)
        path = ("components", cid, "autoscaling", "min") if component.autoscaling else ("components", cid, "replicas")
        yield Hit(
            path,
            f"{cid} is available ~{pct(avail.value)} ({avail.basis}), below the {pct(target + EPSILON)} target",
            fix=fix,
        )


@rule(
    "REL004",
    "Required call to a third party below the target",
    severity=Severity.WARNING,
    what=(
        "A synchronous, required call without a `fallback` goes to an external component whose availability "
        "(its SLA in the catalog, or 99.9% when unknown) is below `requirements.availability`, from a "
        "component that requests wait for."
    ),
    why="The third party's outages become yours, one for one; no amount of replicas on your side changes that.",
    example="""
requirements: {availability: 99.95}
connections:
  - {from: checkout, to: tax-api, protocol: https, timeout_ms: 2000}   # tax-api: external, 99.9%
""",
    fix="Give the call a `fallback` (a cached answer, a default, deferred processing through a queue), make it optional, or use a provider with a stronger SLA.",
    references=(*REFS_AVAILABILITY, *REFS_TIMEOUTS),
    scope="connection",
)
def third_party_below_target(ctx: RuleContext) -> Iterator[Hit]:
    target = _target(ctx)
    if target is None:
        return
    res = analysed(ctx)
    hard = _hard(ctx)
    for index, connection in ctx.connections():
        callee = ctx.model.components.get(connection.target)
        if callee is None or callee.type != ComponentType.EXTERNAL or connection.source not in hard:
            continue
        if not waits_for(connection):
            continue
        value = res.availability.components[connection.target].value
        if value is None or value >= target:
            continue
        yield Hit(
            ("connections", index),
            f"{connection.source} waits on {connection.target} ({pct(value)}) with no fallback: "
            f"below the {pct(target + EPSILON)} target on its own",
        )


@rule(
    "REL005",
    "Fewer replicas than zones listed",
    severity=Severity.WARNING,
    what="A component lists more `zones` than it runs replicas (or than its autoscaling minimum).",
    why="Some of the zones it claims have nothing running in them, so the zone redundancy the file suggests is not there.",
    example="""
components:
  cache: {type: cache, technology: redis, zones: [a, b, c]}    # one replica, three zones
""",
    fix="Run at least one replica per zone (the quick fix sets that many), or list only the zones it runs in.",
    references=REFS_AVAILABILITY,
    fixable=True,
    scope="component",
)
def zones_without_replicas(ctx: RuleContext) -> Iterator[Hit]:
    res = analysed(ctx)
    for cid, component in ctx.components():
        zones = len({str(z) for z in component.zones})
        if zones < 2 or res.availability.components[cid].managed:
            continue
        running = component.replica_count
        if running >= zones:
            continue
        if component.autoscaling is not None:
            yield Hit(
                ("components", cid, "autoscaling", "min"),
                f"{cid} lists {zones} zones but may run only {running} {'replica' if running == 1 else 'replicas'}",
                fix=Fix(
                    f"Set autoscaling.min to {zones}",
                    "set",
                    ("components", cid, "autoscaling"),
                    zones,
                    "min",
                    safe=False,
                ),
            )
        else:
            yield Hit(
                ("components", cid, "replicas"),
                f"{cid} lists {zones} zones but runs {running} {'replica' if running == 1 else 'replicas'}",
                fix=Fix(f"Set replicas to {zones}", "set", ("components", cid), zones, "replicas", safe=False),
            )


@rule(
    "REL006",
    "Autoscaling can go down to one replica",
    severity=Severity.WARNING,
    what=(
        "A component that requests depend on autoscales with `min` of 1 (or 0) while `requirements.availability` "
        "is at least `thresholds.rel.min_replicas_target` (default 99.9)."
    ),
    why="At quiet hours the scaler leaves a single replica: one crash, deploy or zone event is then a full outage until a new one starts.",
    example="""
requirements: {availability: 99.9}
components:
  api: {type: service, autoscaling: {min: 1, max: 10}}
""",
    fix="Set `autoscaling.min` to 2 or more (the quick fix sets 2), one per zone for zone redundancy.",
    references=REFS_AVAILABILITY,
    fixable=True,
    scope="component",
)
def autoscaling_min_one(ctx: RuleContext) -> Iterator[Hit]:
    target = ctx.model.requirements.availability
    if target is None or target < ctx.threshold("rel.min_replicas_target", 99.9):
        return
    res = analysed(ctx)
    hard = _hard(ctx)
    for cid, component in ctx.components():
        scaling = component.autoscaling
        if scaling is None or scaling.min >= 2 or cid not in hard or res.availability.components[cid].managed:
            continue
        wanted = max(2, min(len(set(component.zones)), scaling.max))
        if wanted > scaling.max:
            continue
        yield Hit(
            ("components", cid, "autoscaling", "min"),
            f"{cid} may scale down to {scaling.min} {'replica' if scaling.min == 1 else 'replicas'} against a {target:g}% target",
            fix=Fix(
                f"Set autoscaling.min to {wanted}", "set", ("components", cid, "autoscaling"), wanted, "min", safe=False
            ),
        )


#: Data that backups restore: stores whose loss is loss of record.
_RPO_TYPES = frozenset({ComponentType.DATABASE, ComponentType.FILE_STORAGE, ComponentType.DATA_WAREHOUSE})
#: In-memory stores: snapshots are all they offer, and what they hold is usually derived.
_IN_MEMORY = frozenset({"redis", "valkey", "memcached"})


@rule(
    "REL007",
    "Backups cannot meet the recovery point objective",
    severity=Severity.WARNING,
    what=(
        "A database, file store or warehouse is backed up without point-in-time recovery, so the most recent "
        "restore point is up to a day old (daily snapshots), while `requirements.rpo_minutes` is shorter."
    ),
    why="When the data is corrupted or deleted (not just a lost replica) everything since the last snapshot is gone: up to 24 hours against the minutes promised.",
    example="""
requirements: {rpo_minutes: 15}
components:
  db: {type: database, technology: postgresql, backups: true}   # daily snapshots only
""",
    fix="Enable continuous backups with point-in-time recovery (`backups: {point_in_time: true}`; the quick fix sets it), or revise the RPO.",
    references=(
        "AWS Well-Architected Reliability pillar, REL09: back up data",
        "NIST SP 800-34 Rev. 1, Contingency Planning Guide (recovery point objective)",
    ),
    controls=(
        Control("soc2", "A1.2", "Data backup and recovery"),
        Control("hipaa", "164.308(a)(7)(ii)(A)", "Data backup plan"),
    ),
    fixable=True,
    scope="component",
)
def rpo_not_met(ctx: RuleContext) -> Iterator[Hit]:
    rpo = ctx.model.requirements.rpo_minutes
    if rpo is None or rpo >= 24 * 60:
        return
    res = analysed(ctx)
    for cid, component in ctx.components():
        if component.type not in _RPO_TYPES or component.backups_enabled is not True:
            continue
        tech = res.profiles[cid].technology
        if tech is not None and tech.id in _IN_MEMORY:
            continue
        backups = component.backups
        if isinstance(backups, Backups) and backups.point_in_time:
            continue
        path = ("components", cid, "backups")
        if isinstance(backups, Backups):
            fix = Fix("Enable point-in-time recovery", "set", path, True, "point_in_time", safe=False)
        else:
            fix = Fix("Enable point-in-time recovery", "replace", path, {"point_in_time": True}, safe=False)
        yield Hit(
            path,
            f"{cid}'s backups have no point-in-time recovery: up to 24 h of data lost against an RPO of "
            f"{rpo:g} {'minute' if rpo == 1 else 'minutes'}",
            fix=fix,
        )


@rule(
    "REL008",
    "Retries into a busy component without a circuit breaker",
    severity=Severity.WARNING,
    what=(
        "A synchronous call with `retries` and no `circuit_breaker` goes to a component that runs at or above "
        "`thresholds.rel.retry_utilisation` (default 0.7) of its capacity at peak."
    ),
    why=(
        "When the callee slows down, every caller retries: its load multiplies by up to 1 + retries exactly "
        "when it has no room, and the slowdown becomes an outage (a retry storm)."
    ),
    example="""
connections:
  - {from: api, to: search, protocol: https, timeout_ms: 500, retries: 3}   # search at 80%
""",
    fix="Add a circuit breaker (the quick fix sets `circuit_breaker: true`), retry with backoff and a retry budget, or add capacity.",
    references=REFS_TIMEOUTS,
    fixable=True,
    scope="connection",
)
def retry_storm(ctx: RuleContext) -> Iterator[Hit]:
    res = analysed(ctx)
    if not res.load.has_load:
        return
    limit = ctx.threshold("rel.retry_utilisation", 0.7)
    for index, connection in ctx.connections():
        if connection.is_async or not connection.retries or connection.circuit_breaker:
            continue
        load = res.load.components.get(connection.target)
        if load is None or load.utilisation is None or load.utilisation < limit:
            continue
        worst = load.utilisation * (1 + connection.retries)
        yield Hit(
            ("connections", index, "retries"),
            f"{connection.source} retries {connection.target} {connection.retries}x without a circuit breaker while it runs "
            f"at {percent(load.utilisation, 0)}: retries can take it to {times(worst)} capacity",
            fix=Fix("Add a circuit breaker", "set", ("connections", index), True, "circuit_breaker", safe=False),
        )


@rule(
    "REL009",
    "Downstream waits longer than the caller",
    severity=Severity.WARNING,
    what=(
        "A component waits for a synchronous call longer (`timeout_ms` x (1 + `retries`)) than its own callers "
        "wait for it (the longest `timeout_ms` on its incoming synchronous connections)."
    ),
    why=(
        "By the time the slow call returns, the caller has given up: the work is wasted, threads and "
        "connections stay held, and the caller's retries pile new requests onto the same slow path. "
        "Timeouts should shrink along a call chain."
    ),
    example="""
connections:
  - {from: gateway, to: orders, protocol: grpc, timeout_ms: 800}
  - {from: orders, to: payments, protocol: grpc, timeout_ms: 2000}   # orders waits after gateway gave up
""",
    fix="Make the inner timeout (times its attempts) shorter than the outer one (the quick fix proposes one), or raise the caller's timeout if the slow call is expected.",
    references=REFS_TIMEOUTS,
    fixable=True,
)
def nested_timeouts(ctx: RuleContext) -> Iterator[Hit]:
    timed = timed_calls(ctx)
    incoming: dict[str, float] = {}
    for _, connection in timed:
        incoming[connection.target] = max(incoming.get(connection.target, 0.0), connection.timeout_ms)  # type: ignore[arg-type]
    for index, connection in timed:
        outer = incoming.get(connection.source)
        if outer is None:
            continue
        attempts = 1 + (connection.retries or 0)
        total = connection.timeout_ms * attempts
        if total <= outer:
            continue
        proposed = math.floor(outer * 0.8 / attempts / 10) * 10
        fix = (
            Fix(f"Set timeout_ms to {proposed}", "replace", ("connections", index, "timeout_ms"), proposed, safe=False)
            if proposed >= 10
            else None
        )
        tries = f" ({ms(connection.timeout_ms)} x {attempts} attempts)" if attempts > 1 else ""
        yield Hit(
            ("connections", index, "timeout_ms"),
            f"{connection.source} waits up to {ms(total)} for {connection.target}{tries}, "
            f"but its callers give up after {ms(outer)}",
            fix=fix,
        )
