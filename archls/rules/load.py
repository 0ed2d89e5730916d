"""Load and latency (LOAD): capacity, utilisation and flow latency from the queueing model.

Every rule here reads :func:`archls.analysis.results`; see docs/analysis.md for the model and
the catalog figures behind it. Rules about utilisation only speak when the file says something
about request rates (a flow's ``rps`` or ``requirements.peak_rps``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING

from archls.analysis import queueing
from archls.analysis.text import ms, number, percent, rps, times
from archls.findings import Severity
from archls.model import ComponentType
from archls.rules.registry import Fix, Hit, RuleContext, rule

if TYPE_CHECKING:
    from archls.analysis import Results
    from archls.analysis.load import ComponentLoad

REFS_QUEUEING = (
    "Harchol-Balter, Performance Modeling and Design of Computer Systems (2013), ch. 14: M/M/k and Erlang C",
    "Gunther, Guerrilla Capacity Planning (2007)",
)
REFS_TAIL = ("Dean and Barroso, The Tail at Scale, CACM 56(2), 2013",)


def analysed(ctx: RuleContext) -> Results:
    return ctx.analysed()


def _capacity_text(load: ComponentLoad, autoscaled: bool) -> str:
    per = load.per_replica_rps or 0.0
    if autoscaled:
        return f"at most {load.replicas_max} x {rps(per)} (autoscaling max)"
    return f"{load.replicas} x {rps(per)}"


def _sizing_fix(ctx: RuleContext, cid: str, load: ComponentLoad, target: float) -> tuple[tuple, Fix | None]:
    """Where to report a capacity problem, and the replicas that would bring it to ``target``."""
    component = ctx.model.components[cid]
    per = load.per_replica_rps or 0.0
    needed = math.ceil(load.arrival_rps / (per * target)) if per > 0 else None
    if component.autoscaling is not None:
        path = ("components", cid, "autoscaling", "max")
        fix = (
            Fix(
                f"Raise autoscaling.max to {needed}",
                "set",
                ("components", cid, "autoscaling"),
                needed,
                "max",
                safe=False,
            )
            if needed and needed > component.autoscaling.max
            else None
        )
        return path, fix
    path = ("components", cid, "replicas")
    fix = (
        Fix(f"Set replicas to {needed}", "set", ("components", cid), needed, "replicas", safe=False)
        if needed and needed > load.replicas
        else None
    )
    return path, fix


def _fed_async(ctx: RuleContext, cid: str) -> bool:
    incoming = ctx.graph.incoming(cid)
    return bool(incoming) and all(c.is_async for _, c in incoming)


@rule(
    "LOAD001",
    "Component over capacity",
    severity=Severity.ERROR,
    what=(
        "A component receives more requests per second at peak than its replicas can serve: arrivals divided "
        "by replicas x per-replica throughput is at or above `thresholds.load.utilisation_error` (default 1.0). "
        "Arrivals come from the flows' `rps` and `requirements.peak_rps`, spread over connections by `share` "
        "and `calls`; per-replica throughput from `capacity_rps` or the catalog figure for the technology."
    ),
    why=(
        "Above capacity the queue grows without bound: latency climbs until callers time out, and retries add "
        "more load. A queue consumer over capacity builds a backlog that never drains."
    ),
    example="""
requirements: {peak_rps: 2800}
components:
  api:
    type: service
    technology: python
    replicas: 2          # 2 x 500 rps per vCPU = 1,000 rps for 2,800 rps
    resources: {cpu: 1}
""",
    fix=(
        "Add replicas (the quick fix sets enough for the target utilisation), raise `autoscaling.max`, give "
        "each replica more CPU, or put a cache or a queue in front. If the catalog figure is wrong for your "
        "service, state the measured figure with `capacity_rps`."
    ),
    references=REFS_QUEUEING,
    fixable=True,
    scope="component",
)
def over_capacity(ctx: RuleContext) -> Iterator[Hit]:
    res = analysed(ctx)
    if not res.load.has_load:
        return
    limit = ctx.threshold("load.utilisation_error", 1.0)
    target = ctx.threshold("load.target_utilisation", 0.7)
    for cid, _ in ctx.components():
        load = res.load.components[cid]
        if load.utilisation is None or load.utilisation < limit or load.arrival_rps <= 0:
            continue
        component = ctx.model.components[cid]
        path, fix = _sizing_fix(ctx, cid, load, target)
        if load.capacity_rps == 0:
            message = f"{cid} receives {rps(load.arrival_rps)} but runs 0 replicas"
        else:
            message = (
                f"{cid} at {times(load.utilisation)} capacity: {rps(load.arrival_rps)} against "
                f"{_capacity_text(load, component.autoscaling is not None)}"
            )
        if _fed_async(ctx, cid) and load.capacity_rps is not None and math.isfinite(load.utilisation):
            backlog = (load.arrival_rps - load.capacity_rps) * 3600
            message += f"; its backlog grows by {number(backlog)} messages an hour"
        yield Hit(path, message, fix=fix, data={"utilisation": load.utilisation})


@rule(
    "LOAD002",
    "High utilisation at peak",
    severity=Severity.WARNING,
    what=(
        "A component runs at or above `thresholds.load.utilisation_warning` (default 0.7) of its capacity at peak, "
        "but below the over-capacity threshold."
    ),
    why=(
        "Queueing time grows as 1/(1-utilisation): at 70% a single server makes requests wait 2.3x their "
        "service time, at 90% 9x. There is also no headroom left for a traffic spike, a lost zone or a deploy."
    ),
    example="""
components:
  search-api:
    type: service
    technology: python
    replicas: 2          # 1,000 rps of capacity for 850 rps: 85%
    resources: {cpu: 1}
flows:
  search: {rps: 850, path: [web, search-api]}
""",
    fix="Add replicas (the quick fix sets enough for the target utilisation, `thresholds.load.target_utilisation`) or raise `autoscaling.max`.",
    references=REFS_QUEUEING,
    fixable=True,
    scope="component",
)
def high_utilisation(ctx: RuleContext) -> Iterator[Hit]:
    res = analysed(ctx)
    if not res.load.has_load:
        return
    low = ctx.threshold("load.utilisation_warning", 0.7)
    high = ctx.threshold("load.utilisation_error", 1.0)
    target = ctx.threshold("load.target_utilisation", 0.7)
    for cid, _ in ctx.components():
        load = res.load.components[cid]
        if load.utilisation is None or not low <= load.utilisation < high:
            continue
        component = ctx.model.components[cid]
        path, fix = _sizing_fix(ctx, cid, load, min(target, low * 0.95))
        serving = (
            f"{load.replicas} x {rps(load.per_replica_rps or 0)} (autoscaled)"
            if component.autoscaling is not None
            else _capacity_text(load, False)
        )
        message = (
            f"{cid} at {percent(load.utilisation, 0)} utilisation at peak: {rps(load.arrival_rps)} against {serving}"
        )
        unloaded = _unloaded_p99(load)
        if load.p99_ms is not None and unloaded:
            message += f"; its p99 is {ms(load.p99_ms)}, {times(load.p99_ms / unloaded)} its unloaded p99"
        yield Hit(path, message, fix=fix, data={"utilisation": load.utilisation})


def _unloaded_p99(load: ComponentLoad) -> float | None:
    if load.service_ms is None:
        return None
    return queueing.delay_quantile(load.service_ms, 0.99)


def _budget_reason(res: Results, fid: str) -> str:
    flow = res.load.flows[fid]
    if flow.saturated:
        worst = max(flow.saturated, key=lambda c: res.load.components[c].utilisation or 0)
        return f"{worst} is over capacity ({times(res.load.components[worst].utilisation or math.inf)})"
    slowest = flow.slowest
    if slowest is None:
        return ""
    load = res.load.components[slowest.cid]
    detail = f"{slowest.cid} adds {ms(slowest.p99_ms)}"
    if load.utilisation is not None and load.queued:
        detail += f" at {percent(load.utilisation, 0)} utilisation"
    if slowest.fanout > 1:
        detail += f", waited on {number(slowest.fanout)} times in parallel"
    return detail


@rule(
    "LOAD003",
    "Flow p99 over its latency budget",
    severity=Severity.ERROR,
    what=(
        "The 99th-percentile latency of a flow, from the queueing model, is above the flow's "
        "`latency_budget_ms`. The flow's p99 adds each component's p99 at its peak utilisation (M/M/c), one "
        "network round trip per hop, and takes fanned-out steps at the slowest of their parallel calls."
    ),
    why="One request in a hundred will take longer than the flow is allowed to, at the load the file describes.",
    example="""
flows:
  checkout:
    rps: 400
    latency_budget_ms: 300
    path: [web, api, payments, payment-provider]   # the provider alone has a p99 near 1.4 s
""",
    fix=(
        "Shorten the path (cache, precompute, move work behind a queue), add capacity to the component "
        "named in the message, or raise the budget if it was too tight. State measured figures with "
        "`latency_ms` and `capacity_rps` where the catalog's do not fit."
    ),
    references=(*REFS_QUEUEING, *REFS_TAIL),
)
def flow_over_budget(ctx: RuleContext) -> Iterator[Hit]:
    res = analysed(ctx)
    for fid, flow in ctx.model.flows.items():
        budget = flow.latency_budget_ms
        fl = res.load.flows[fid]
        if budget is None:
            continue
        if fl.saturated:
            yield Hit(
                ("flows", fid, "latency_budget_ms"),
                f"{fid} cannot meet its {ms(budget)} budget: {_budget_reason(res, fid)}",
            )
        elif fl.p99_ms is not None and fl.p99_ms > budget:
            yield Hit(
                ("flows", fid, "latency_budget_ms"),
                f"{fid} p99 ~{ms(fl.p99_ms)} exceeds its {ms(budget)} budget; {_budget_reason(res, fid)}",
                data={"p99_ms": fl.p99_ms},
            )


@rule(
    "LOAD004",
    "Flow slower than the latency requirement",
    severity=Severity.WARNING,
    what=(
        "A flow without its own `latency_budget_ms` has a modelled p50 or p99 above `requirements.latency` "
        "(`p50_ms`, `p99_ms`). Flows with their own budget are measured against that instead (LOAD003)."
    ),
    why="The requirement is what users were promised; this flow breaks it at the load the file describes.",
    example="""
requirements:
  latency: {p50_ms: 100, p99_ms: 500}
flows:
  report:                      # no budget of its own
    path: [web, api, warehouse]   # the warehouse query alone takes ~500 ms on average
""",
    fix="Make the flow faster, give it an explicit `latency_budget_ms` if it is allowed to be slower, or revise the requirement.",
    references=REFS_QUEUEING,
)
def flow_over_requirement(ctx: RuleContext) -> Iterator[Hit]:
    target = ctx.model.requirements.latency
    if target is None or (target.p50_ms is None and target.p99_ms is None):
        return
    res = analysed(ctx)
    for fid, flow in ctx.model.flows.items():
        if flow.latency_budget_ms is not None:
            continue
        fl = res.load.flows[fid]
        if fl.saturated:
            yield Hit(("flows", fid), f"{fid} cannot meet requirements.latency: {_budget_reason(res, fid)}")
            continue
        if fl.p99_ms is not None and target.p99_ms is not None and fl.p99_ms > target.p99_ms:
            yield Hit(
                ("flows", fid),
                f"{fid} p99 ~{ms(fl.p99_ms)} exceeds the {ms(target.p99_ms)} p99 requirement; {_budget_reason(res, fid)}",
            )
        elif fl.p50_ms is not None and target.p50_ms is not None and fl.p50_ms > target.p50_ms:
            yield Hit(
                ("flows", fid),
                f"{fid} p50 ~{ms(fl.p50_ms)} exceeds the {ms(target.p50_ms)} p50 requirement",
            )


@rule(
    "LOAD005",
    "Capacity below the required peak",
    severity=Severity.ERROR,
    what=(
        "Scaling today's traffic pattern up, the first component to reach capacity (at its autoscaling "
        "maximum) does so below `requirements.peak_rps`: the system as drawn cannot serve the peak."
    ),
    why="The peak is the load the system was designed for; below it, some requests fail or queue without bound at the busiest time.",
    example="""
requirements: {peak_rps: 4000}
components:
  api: {type: service, technology: python, replicas: 4, resources: {cpu: 1}}   # 2,000 rps
""",
    fix="Add capacity to the component the message names (and check the next one after it), or lower the requirement if it is out of date.",
    references=REFS_QUEUEING,
)
def capacity_below_peak(ctx: RuleContext) -> Iterator[Hit]:
    peak = ctx.model.requirements.peak_rps
    if not peak:
        return
    res = analysed(ctx)
    limit, limiting = res.load.limit_rps, res.load.limiting
    if limit is None or limiting is None or limit >= peak:
        return
    load = res.load.components[limiting]
    yield Hit(
        ("requirements", "peak_rps"),
        f"the system saturates at ~{rps(limit)}, below the {rps(peak)} peak: {limiting} reaches capacity first "
        f"({load.replicas_max} x {rps(load.per_replica_rps or 0)} for {rps(load.arrival_rps)} at peak)",
        data={"limit_rps": limit, "component": limiting},
    )


@rule(
    "LOAD006",
    "Flow bottleneck with little headroom",
    severity=Severity.INFO,
    what=(
        "The busiest component on a flow's path runs at or above `thresholds.load.bottleneck_utilisation` "
        "(default 0.5) at peak. The finding names it and the surge the flow can absorb before it saturates."
    ),
    why="It is where the flow fails first when traffic grows; capacity added anywhere else does not help this flow.",
    example="""
flows:
  search: {rps: 600, path: [web, api, search-index]}   # search-index at 60%: saturates at 1.7x
""",
    fix="Plan capacity for the named component first: more replicas, a cache in front of it, or a faster technology.",
    references=REFS_QUEUEING,
)
def flow_bottleneck(ctx: RuleContext) -> Iterator[Hit]:
    res = analysed(ctx)
    if not res.load.has_load:
        return
    floor = ctx.threshold("load.bottleneck_utilisation", 0.5)
    warn = ctx.threshold("load.utilisation_warning", 0.7)
    for fid, flow in ctx.model.flows.items():
        # Headroom counts what autoscaling can add: the busiest component at its maximum replicas.
        worst: tuple[float, str] | None = None
        for cid in dict.fromkeys(flow.path):
            load = res.load.components.get(cid)
            if load is None or not load.max_capacity_rps or load.arrival_rps <= 0:
                continue
            at_max = load.arrival_rps / load.max_capacity_rps
            if worst is None or at_max > worst[0]:
                worst = (at_max, cid)
        if worst is None or not floor <= worst[0] < warn:
            continue
        u, cid = worst
        load = res.load.components[cid]
        autoscaled = ctx.model.components[cid].autoscaling is not None
        yield Hit(
            ("flows", fid, "path", flow.path.index(cid)),
            f"{cid} is {fid}'s bottleneck at {percent(u, 0)} of its capacity"
            f"{' at autoscaling max' if autoscaled else ''}: the flow saturates at {times(1 / u)} today's peak",
            on_value=True,
        )


@rule(
    "LOAD007",
    "Fan-out amplifies tail latency",
    severity=Severity.WARNING,
    what=(
        "A synchronous connection makes `calls` parallel calls per request, so the request waits for the "
        "slowest of them: the share of requests that meet at least one call slower than the callee's p99 is "
        "1-(1-0.01)^N, and the rule fires when it reaches `thresholds.load.fanout_slow_share` (default 5%, N >= 6) "
        "and the callee's p99 with the round trip is at least `thresholds.load.fanout_min_p99_ms` (default 2 ms)."
    ),
    why=(
        "The callee's rare slow responses become the caller's common case: with 10 calls, one request in ten "
        "waits for a callee p99, and the caller's p99 becomes the callee's p99.9."
    ),
    example="""
connections:
  - {from: feed, to: profile, protocol: grpc, calls: 20}   # 18% of feeds wait for a profile p99
""",
    fix="Batch the calls into one, cache the callee, send hedged requests after the p95, or return partial results when a call is slow.",
    references=REFS_TAIL,
    scope="connection",
)
def fanout_tail(ctx: RuleContext) -> Iterator[Hit]:
    from archls.analysis.load import network_rtt

    res = analysed(ctx)
    limit = ctx.threshold("load.fanout_slow_share", 0.05)
    floor = ctx.threshold("load.fanout_min_p99_ms", 2.0)
    for index, connection in ctx.connections():
        if connection.calls < 2 or connection.is_async or connection.target not in res.load.components:
            continue
        share = queueing.tail_amplification(0.01, connection.calls)
        if share < limit:
            continue
        load = res.load.components[connection.target]
        p99, p999 = load.quantile(0.99), load.quantile(0.999)
        rtt = network_rtt(ctx.model, res.catalog, connection.source, connection.target)
        if p99 is not None and p99 + rtt < floor:
            continue  # a tail this short does not matter however often it is met
        detail = ""
        if p99 is not None and p999 is not None and load.service_ms is not None:
            detail = f" ({ms(p99)}); the caller's p99 becomes the p99.9 of {connection.target} ({ms(p999)})"
        yield Hit(
            ("connections", index, "calls"),
            f"{connection.source} calls {connection.target} {connection.calls} times per request: "
            f"{percent(share, 1)} of requests wait for a {connection.target} p99 instead of 1%{detail}",
        )


@rule(
    "LOAD008",
    "Timeout shorter than the callee's response time",
    severity=Severity.WARNING,
    what=(
        "A synchronous connection's `timeout_ms` is shorter than the time the callee takes for more than "
        "`thresholds.load.timeout_miss_share` (default 1%) of requests at peak, from the callee's modelled "
        "distribution plus one network round trip. Only the callee's own time counts, so the real share is higher."
    ),
    why="Those calls fail although the callee answers; with retries they add load exactly when the callee is slow.",
    example="""
connections:
  - {from: api, to: search, protocol: https, timeout_ms: 20}   # search's p99 is ~70 ms
""",
    fix="Raise the timeout above the callee's p99.9 (the quick fix proposes one), or make the callee faster.",
    references=("Nygard, Release It! 2nd ed. (2018): timeouts", *REFS_QUEUEING),
    fixable=True,
    scope="connection",
)
def timeout_too_short(ctx: RuleContext) -> Iterator[Hit]:
    from archls.analysis.load import network_rtt

    res = analysed(ctx)
    limit = ctx.threshold("load.timeout_miss_share", 0.01)
    for index, connection in ctx.connections():
        if connection.is_async or connection.timeout_ms is None:
            continue
        load = res.load.components.get(connection.target)
        if load is None or load.service_ms is None:
            continue
        rtt = network_rtt(ctx.model, res.catalog, connection.source, connection.target)
        if load.saturated:
            miss = 1.0
        else:
            miss = load.survival(max(0.0, connection.timeout_ms - rtt)) or 0.0
        if miss < limit:
            continue
        p999 = load.quantile(0.999)
        fix = None
        if p999 is not None:
            proposed = math.ceil((p999 + rtt) * 1.2 / 10) * 10
            fix = Fix(
                f"Set timeout_ms to {proposed}", "replace", ("connections", index, "timeout_ms"), proposed, safe=False
            )
        state = "is over capacity" if load.saturated else f"takes longer for {percent(miss, 1)} of calls at peak"
        yield Hit(
            ("connections", index, "timeout_ms"),
            f"{connection.source} -> {connection.target} times out after {ms(connection.timeout_ms)}, but "
            f"{connection.target} {state} (p99 {ms(load.p99_ms)})",
            fix=fix,
        )


@rule(
    "LOAD009",
    "Flows exceed the stated peak",
    severity=Severity.WARNING,
    what="The flows' `rps` add up to more than `requirements.peak_rps`.",
    why="One of the two figures is out of date, and capacity planning uses whichever is larger; the load figures archls shows follow the flows.",
    example="""
requirements: {peak_rps: 1000}
flows:
  browse: {rps: 900, path: [web, api]}
  search: {rps: 400, path: [web, search]}   # 1,300 rps together
""",
    fix="Correct the flows' rates or the requirement (the quick fix raises `peak_rps` to the flows' total).",
    fixable=True,
)
def flows_exceed_peak(ctx: RuleContext) -> Iterator[Hit]:
    peak = ctx.model.requirements.peak_rps
    if peak is None:
        return
    total = sum(f.rps or 0.0 for f in ctx.model.flows.values())
    if total <= peak:
        return
    value = math.ceil(total)
    yield Hit(
        ("requirements", "peak_rps"),
        f"the flows send {rps(total)} together but requirements.peak_rps is {rps(peak)}",
        fix=Fix(f"Set peak_rps to {value}", "replace", ("requirements", "peak_rps"), value, safe=False),
    )


@rule(
    "LOAD010",
    "Cold starts on a latency-bound flow",
    severity=Severity.WARNING,
    what=(
        "A function (or a component whose technology runs as one, such as AWS Lambda) is on a flow whose "
        "latency budget, or `requirements.latency.p99_ms`, is shorter than the runtime's typical cold start."
    ),
    why=(
        "A cold start happens on scale-out and after idle periods, so a steady share of requests pays it; "
        "for those the budget is broken before any work is done."
    ),
    example="""
components:
  resize: {type: function, technology: java}
flows:
  upload: {latency_budget_ms: 300, path: [web, api, resize]}   # a Java cold start takes about a second
""",
    fix="Keep instances warm (provisioned concurrency; say so with `replicas`), use a runtime with shorter cold starts, or move the function off the synchronous path.",
    references=("AWS, Operating Lambda: Performance optimization - Part 1 (2021)",),
    scope="component",
)
def cold_starts(ctx: RuleContext) -> Iterator[Hit]:
    res = analysed(ctx)
    target = ctx.model.requirements.latency.p99_ms if ctx.model.requirements.latency else None
    flows = ctx.model.flows
    through: dict[str, list[str]] = {}  # the flows each component is on, in the file's order
    for fid, flow in flows.items():
        for step in dict.fromkeys(flow.path):
            through.setdefault(step, []).append(fid)
    for cid, component in ctx.components():
        prof = res.profiles[cid]
        tech = prof.technology
        if component.type != ComponentType.FUNCTION and (tech is None or tech.id != "lambda"):
            continue
        if component.replicas:
            continue  # instances kept warm (provisioned concurrency)
        cold = tech.cold_start_ms if tech is not None else None
        # A runtime without a figure of its own starts as slowly as a typical Lambda function.
        cold = cold or res.catalog.technology("lambda").cold_start_ms  # type: ignore[union-attr]
        if cold is None:
            continue
        for fid in through.get(cid, ()):
            budget = flows[fid].latency_budget_ms or target
            if budget is not None and cold >= budget:
                runtime = tech.name if tech is not None else "the runtime"
                yield Hit(
                    ("components", cid),
                    f"{cid} is a function on {fid} ({ms(budget)} budget); a {runtime} cold start takes ~{ms(cold)}",
                )
                break
