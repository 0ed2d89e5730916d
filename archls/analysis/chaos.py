"""Chaos: what happens to the rest of the system when components, groups or zones fail.

A pure analysis over the model, its graph and the load, availability and queueing results. The
semantics are documented in ``docs/chaos.md``; in short:

- a failed component is down; a zone failure takes away the replicas in that zone (evenly spread
  over the zones a component lists) and every member of a zone group;
- a caller that waits for a callee (synchronous, ``required``, no ``fallback``) loses the share of
  its requests that make the call; when that is all of them it is down too. A router's requests
  each make one of its calls, so their failures add up: every target failing takes it down. An
  optional call or a fallback degrades the caller; an async hand-over leaves it up while a backlog
  grows;
- failed calls are assumed to hang until the caller's ``timeout_ms`` (a blackholed host, the worst
  common case). Waiting holds the caller's workers, so its utilisation is recomputed with the longer
  service time; a caller without a timeout is held for good. A circuit breaker fails fast once a
  callee is down and stops the calls reaching it;
- callers retry failed calls ``retries`` times: a retry may recover an attempt that failed by chance
  (a lost replica still in rotation), never a request that needs a component that is down. The
  attempts multiply the load on the replicas that are left (a retry storm). Traffic is propagated again in call order with the existing arrival
  figures scaled, utilisation is recomputed with the queueing model, and a component pushed past
  saturation goes down as well. States only ever get worse, so the cascade settles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from enum import StrEnum
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from archls.analysis import availability as avail
from archls.analysis import queueing
from archls.analysis.load import BROKERS, ROUTERS, _carries_load, _order, hop_connection
from archls.model import STATEFUL_TYPES, ComponentType, GroupType

if TYPE_CHECKING:
    from archls.analysis import Results
    from archls.analysis.load import ComponentLoad
    from archls.config import Config
    from archls.graph import ArchGraph
    from archls.model import Architecture, Component, Connection


class State(StrEnum):
    UP = "up"
    DEGRADED = "degraded"
    DOWN = "down"


_RANK = {State.UP: 0, State.DEGRADED: 1, State.DOWN: 2}

#: Group types whose failure is a zone failure (every member goes down).
ZONE_GROUPS = frozenset({GroupType.ZONE, GroupType.REGION, GroupType.SUBNET})

#: Infrastructure at the edge that checks its targets itself.
EDGE_TYPES = frozenset(
    {ComponentType.LOAD_BALANCER, ComponentType.API_GATEWAY, ComponentType.CDN, ComponentType.DNS, ComponentType.WAF}
)

#: Components that send each request to one of their targets (the load model's routers, and a CDN,
#: which goes to the origin the path names).
_ROUTERS = ROUTERS | {ComponentType.CDN}

#: Below this, a change in a probability or a utilisation is noise.
_EPS = 1e-9


class ChaosError(ValueError):
    """A name that is neither a component, a group nor a zone."""


@dataclass
class Reason:
    text: str
    cause: str | None = None  #: the component whose state led here; None for what was failed on purpose
    kind: str = "failed"  #: failed, zone, dependency, optional, fallback, async, saturated, timeouts, replicas, backlog

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "cause": self.cause, "kind": self.kind}


@dataclass
class ComponentImpact:
    cid: str
    state: State = State.UP
    reasons: list[Reason] = field(default_factory=list)
    capacity_left: float = 1.0  #: share of the replicas still running
    replicas_left: int | None = None
    failure: float = 0.0  #: share of the requests reaching it that fail (after its callers' retries)
    arrival_before: float = 0.0
    arrival_after: float = 0.0
    utilisation_before: float | None = None
    utilisation_after: float | None = None
    step: int = 0  #: how many hops from a failure (for the page's animation)
    chain: list[str] = field(default_factory=list)  #: from the failed component to this one

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.cid,
            "state": self.state.value,
            "reasons": [r.to_json() for r in self.reasons],
            "chain": self.chain,
            "step": self.step,
            "capacity_left": round(self.capacity_left, 4),
            "replicas_left": self.replicas_left,
            "failure": round(self.failure, 4),
            "arrival_rps_before": round(self.arrival_before, 3),
            "arrival_rps_after": round(self.arrival_after, 3),
            "utilisation_before": _round(self.utilisation_before),
            "utilisation_after": _round(self.utilisation_after),
        }


@dataclass
class FlowImpact:
    fid: str
    state: str = "ok"  #: ok, degraded or broken
    rps: float | None = None
    lost_rps: float = 0.0
    lost_share: float = 0.0
    broken_at: str | None = None
    reason: str | None = None
    p99_before: float | None = None
    p99_after: float | None = None
    budget_ms: float | None = None
    availability_before: float | None = None  #: 0..1
    availability_after: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.fid,
            "state": self.state,
            "rps": self.rps,
            "lost_rps": round(self.lost_rps, 3),
            "lost_share": round(self.lost_share, 4),
            "broken_at": self.broken_at,
            "reason": self.reason,
            "p99_ms_before": _round(self.p99_before),
            "p99_ms_after": _round(self.p99_after),
            "budget_ms": self.budget_ms,
            "availability_before": _percent(self.availability_before),
            "availability_after": _percent(self.availability_after),
        }


@dataclass
class Backlog:
    broker: str
    consumers: list[str]
    arrival_rps: float
    drain_rps: float

    @property
    def growth_per_hour(self) -> float:
        return max(0.0, self.arrival_rps - self.drain_rps) * 3600

    def to_json(self) -> dict[str, Any]:
        return {
            "broker": self.broker,
            "consumers": self.consumers,
            "arrival_rps": round(self.arrival_rps, 3),
            "drain_rps": round(self.drain_rps, 3),
            "growth_per_hour": round(self.growth_per_hour, 1),
        }


@dataclass
class ChaosResult:
    failed: list[str]  #: components and groups failed on purpose, as given
    zones: list[str]
    components: dict[str, ComponentImpact]
    flows: dict[str, FlowImpact]
    traffic_lost: float  #: share of the requests entering the system that now fail, 0..1
    traffic_basis: str  #: "flows" (their rps) or "entry points" (peak_rps at the entries)
    availability_before: float | None  #: 0..1, on the basis of traffic lost (flows, else entry points)
    availability_after: float | None
    backlogs: list[Backlog] = field(default_factory=list)

    def in_state(self, state: State) -> list[str]:
        return [cid for cid, c in self.components.items() if c.state == state]

    @property
    def flows_broken(self) -> list[str]:
        return [fid for fid, f in self.flows.items() if f.state == "broken"]

    @property
    def flows_degraded(self) -> list[str]:
        return [fid for fid, f in self.flows.items() if f.state == "degraded"]

    def to_json(self) -> dict[str, Any]:
        return {
            "failed": self.failed,
            "zones": self.zones,
            "traffic_lost": round(self.traffic_lost, 4),
            "traffic_basis": self.traffic_basis,
            "availability_before": _percent(self.availability_before),
            "availability_after": _percent(self.availability_after),
            "down": self.in_state(State.DOWN),
            "degraded": self.in_state(State.DEGRADED),
            "flows_broken": self.flows_broken,
            "flows_degraded": self.flows_degraded,
            "components": [c.to_json() for c in self.components.values()],
            "flows": [f.to_json() for f in self.flows.values()],
            "backlogs": [b.to_json() for b in self.backlogs],
        }


def _round(value: float | None, digits: int = 4) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(value, digits)


def _percent(value: float | None) -> float | None:
    return round(value * 100, 5) if value is not None else None


# --- what can fail ---------------------------------------------------------------------------------


def zone_names(model: Architecture) -> list[str]:
    """Zones a ``--zone`` may name: those components list, then groups of a zone-like type."""
    seen: dict[str, None] = {}
    for component in model.components.values():
        for zone in component.zones:
            seen.setdefault(str(zone), None)
    for gid, group in model.groups.items():
        if group.type in ZONE_GROUPS:
            seen.setdefault(gid, None)
    return list(seen)


def group_members(model: Architecture, gid: str) -> list[str]:
    """Members of a group and of the groups nested in it (through ``parent``)."""
    out: dict[str, None] = {}
    pending, seen = [gid], set()
    while pending:
        current = pending.pop()
        if current in seen or current not in model.groups:
            continue
        seen.add(current)
        for member in model.groups[current].members:
            if member in model.components:
                out.setdefault(member, None)
        pending.extend(g for g, group in model.groups.items() if group.parent == current)
    return list(out)


def resolve(model: Architecture, fail: list[str], zones: list[str]) -> tuple[dict[str, Reason], dict[str, list[int]]]:
    """The components failed on purpose (with why) and, per component, the positions of its zones lost.

    Raises :class:`ChaosError` naming what is unknown and what is known.
    """
    down: dict[str, Reason] = {}
    for name in fail:
        if name in model.components:
            down.setdefault(name, Reason(f"{name} failed", None, "failed"))
        elif name in model.groups:
            for member in group_members(model, name):
                down.setdefault(member, Reason(f"its group {name} failed", None, "failed"))
        else:
            raise ChaosError(_unknown(model, name, "component or group", list(model.components) + list(model.groups)))
    lost: dict[str, list[int]] = {}
    known = zone_names(model)
    for zone in zones:
        found = False
        if zone in model.groups:
            found = True
            for member in group_members(model, zone):
                down.setdefault(member, Reason(f"zone {zone} failed", None, "zone"))
        for cid, component in model.components.items():
            listed = list(dict.fromkeys(str(z) for z in component.zones))
            if zone in listed:
                found = True
                lost.setdefault(cid, []).append(listed.index(zone))
        if not found:
            raise ChaosError(_unknown(model, zone, "zone", known))
    return down, lost


def _unknown(model: Architecture, name: str, what: str, known: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    listing = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
    return f"no {what} named {name!r} in {model.name!r}{hint} (known: {listing or 'none'})"


def _replicas_left(replicas: int, zones: int, lost: list[int]) -> int:
    """Replicas still running when the zones at positions ``lost`` of the ``zones`` a component
    lists fail: replicas are spread evenly, the first zones listed taking the remainder."""
    if zones <= 0 or not lost:
        return replicas
    per = [replicas // zones + (1 if n < replicas % zones else 0) for n in range(zones)]
    return replicas - sum(per[n] for n in set(lost) if n < zones)


# --- the engine ------------------------------------------------------------------------------------


class _Setup:
    """What every scenario on one model shares: the baseline traffic and the call order."""

    def __init__(self, model: Architecture, graph: ArchGraph, res: Results) -> None:
        from archls.analysis.load import adjacency

        self.model = model
        self.graph = graph
        self.res = res
        adj = res.load.adjacency or adjacency(model)
        self.adj = adj
        components = model.components
        self.order, back = graph.structural("load.call_order", lambda: _order(model, adj))
        in_flow = _flow_connections(model, adj)
        self.out: dict[str, list[tuple[int, Connection]]] = {cid: [] for cid in components}
        self.counted: dict[int, bool] = {}
        incoming = dict.fromkeys(components, 0.0)
        for index, c in enumerate(model.connections):
            if c.source == c.target or c.source not in components or c.target not in components:
                continue
            self.out[c.source].append((index, c))
            counted = index not in back and _carries_load(c, components[c.target].type, index in in_flow)
            self.counted[index] = counted
            if counted:
                incoming[c.target] += res.load.connections.get(index, 0.0)
        loads = res.load.components
        self.base = {cid: loads[cid].arrival_rps for cid in components}
        self.seed = {cid: max(0.0, self.base[cid] - incoming[cid]) for cid in components}
        self.entries = [cid for cid in graph.entry_points if cid in components]
        # The share of a caller's requests that make each call. A router (a client, a load balancer,
        # a gateway) sends each request to one of its targets, as the load model reads it; every
        # request needs the name server first.
        self.weight: dict[int, float] = {}
        self.routes: dict[str, bool] = {}
        for cid, edges in self.out.items():
            spread = components[cid].type in _ROUTERS and all(c.share == 1.0 for _, c in edges)
            # Calls whose shares add up to at most 1 split the requests: each request makes one of them.
            sync = [c.share for _, c in edges if not c.is_async and components[c.target].type != ComponentType.DNS]
            split = len(sync) > 1 and all(x < 1 for x in sync) and sum(sync) <= 1 + 1e-6
            self.routes[cid] = spread or split
            targets = [i for i, c in edges if components[c.target].type != ComponentType.DNS]
            for index, c in edges:
                needs_all = components[c.target].type == ComponentType.DNS
                self.weight[index] = 1.0 / len(targets) if spread and not needs_all else min(1.0, c.share)
        self.callers: dict[str, list[tuple[int, Connection]]] = {cid: [] for cid in components}
        for edges in self.out.values():
            for index, c in edges:
                self.callers[c.target].append((index, c))


def _flow_connections(model: Architecture, adj: dict[str, list[tuple[int, Connection]]]) -> set[int]:
    """Connections some flow with a rate travels forward (their traffic is load even when async)."""
    out: set[int] = set()
    for flow in model.flows.values():
        if not flow.rps or flow.path[0] not in model.components:
            continue
        for a, b in pairwise(flow.path):
            if b not in model.components:
                break
            index = hop_connection(adj, a, b)
            if index is not None and model.connections[index].source == a:
                out.add(index)
    return out


def _routes_around(component: Component, managed: bool) -> bool:
    """Whether requests stop going to a lost replica: a health check takes it out of rotation, a
    managed service or a stateful cluster fails over on its own, an edge service probes its targets."""
    return bool(
        component.has_health_check or managed or component.type in STATEFUL_TYPES or component.type in EDGE_TYPES
    )


# A callee's failure has two parts. A share ``fixed`` of its requests fail on every attempt: they need
# something that is down (a retry of the same request needs it again). The others' attempts fail
# independently (they reach a lost replica still in rotation, or a callee that fails that way), so a
# retry may succeed. ``p`` is the whole failure of one attempt, fixed part included.


def _random_part(p: float, fixed: float) -> float:
    """Failure of one attempt of a request outside the fixed share."""
    return 0.0 if fixed >= 1 else min(1.0, max(0.0, (p - fixed) / (1 - fixed)))


def _after_retries(p: float, fixed: float, retries: int) -> float:
    """Failure of a call after ``retries`` retries."""
    return fixed + (1 - fixed) * _random_part(p, fixed) ** (retries + 1)


def _attempts(p: float, fixed: float, retries: int) -> float:
    """Expected attempts per call when failures are retried: every attempt for the fixed share,
    1 + q + ... + q^retries for the others."""
    q = _random_part(p, fixed)
    if q <= 0:
        random = 1.0
    elif q >= 1:
        random = float(retries + 1)
    else:
        random = (1 - q ** (retries + 1)) / (1 - q)
    return fixed * (retries + 1) + (1 - fixed) * random


def _uses_breaker(c: Connection, p: float) -> bool:
    # A breaker opens on repeated failures: once the callee is down, calls fail fast and stop reaching it.
    return bool(c.circuit_breaker) and p >= 1 - _EPS


def _call_failure(c: Connection, p: float, fixed: float) -> tuple[float, float]:
    """Failure of a call (after retries, or failing fast behind an open breaker) and its fixed part."""
    if _uses_breaker(c, p):
        return 1.0, 1.0
    return _after_retries(p, fixed, c.retries or 0), fixed


class _Scenario:
    def __init__(self, setup: _Setup, down: dict[str, Reason], lost_zones: dict[str, list[int]]) -> None:
        self.s = setup
        model = setup.model
        res = setup.res
        self.impacts = {cid: ComponentImpact(cid) for cid in model.components}
        self.own = dict.fromkeys(model.components, 0.0)  # failure from the component's own replicas
        self.p = dict.fromkeys(model.components, 0.0)  # failure seen by a caller's attempt
        self.fixed = dict.fromkeys(model.components, 0.0)  # the part of it every retry meets again
        self.left = dict.fromkeys(model.components, 1.0)
        self.zones_lost = {cid: len(set(positions)) for cid, positions in lost_zones.items()}
        self.routed = {cid: _routes_around(c, res.profiles[cid].managed) for cid, c in model.components.items()}
        for cid, positions in lost_zones.items():
            prof = res.profiles[cid]
            component = model.components[cid]
            zones = len({str(z) for z in component.zones})
            count = len(set(positions))
            lost_names = f"{count} of its {zones} zones"
            if prof.managed or prof.figures.sla is not None:
                # A managed service spans its zones itself: it loses their share of capacity, not its replicas.
                if count >= zones:
                    self._worsen(cid, State.DOWN, Reason(f"every zone it runs in failed ({lost_names})", None, "zone"))
                    continue
                share = (zones - count) / zones
                replicas, left = None, None
                text = f"runs on in {zones - count} of its {zones} zones"
            else:
                replicas = prof.replicas
                left = _replicas_left(replicas, zones, positions)
                if left <= 0:
                    self._worsen(
                        cid,
                        State.DOWN,
                        Reason(f"all its replicas were in the failed zones ({lost_names})", None, "zone"),
                    )
                    continue
                share = left / replicas if replicas else 0.0
                text = f"lost {replicas - left} of {replicas} replicas with {lost_names}"
                if left == replicas:
                    continue  # none of its replicas was in the lost zone
            impact = self.impacts[cid]
            impact.replicas_left = left
            self.left[cid] = share
            impact.capacity_left = share
            if not self.routed[cid]:
                self.own[cid] = 1 - share
                text += f"; without a health check {1 - share:.0%} of requests still go to the lost ones"
            self._worsen(cid, State.DEGRADED, Reason(text, None, "replicas"))
        for cid, reason in down.items():
            self._worsen(cid, State.DOWN, reason)
            self.impacts[cid].capacity_left = 0.0

    def _worsen(self, cid: str, state: State, reason: Reason) -> bool:
        """Move a component to a worse state (or add a reason to its state); True when anything changed."""
        impact = self.impacts[cid]
        if _RANK[state] < _RANK[impact.state]:
            return False
        for n, known in enumerate(impact.reasons):
            if (known.kind, known.cause) == (reason.kind, reason.cause):
                if _RANK[state] == _RANK[impact.state]:
                    impact.reasons[n] = reason  # the same cause, with today's figures
                    return False
                impact.reasons.pop(n)
                break
        if _RANK[state] > _RANK[impact.state]:
            # The reasons that count are those of the worst state; milder ones stay after them as context.
            impact.reasons.insert(0, reason)
            impact.state = state
            cause = self.impacts.get(reason.cause) if reason.cause else None
            impact.step = cause.step + 1 if cause is not None else 0
            impact.chain = [*cause.chain, cid] if cause is not None else [cid]
        else:
            impact.reasons.append(reason)
        if state == State.DOWN:
            self.left[cid] = 0.0
            self.p[cid] = 1.0
            self.fixed[cid] = 1.0
        return True

    def run(self) -> None:
        limit = len(self.impacts) + 8
        for _ in range(limit):
            arrival, traffic = self._traffic()
            changed = self._dependencies()
            changed = self._load(arrival, traffic) or changed
            if not changed:
                break
        arrival, traffic = self._traffic()
        self.arrival, self.traffic = arrival, traffic
        for cid, impact in self.impacts.items():
            impact.arrival_before = self.s.base[cid]
            impact.arrival_after = arrival[cid]
            impact.failure = self.p[cid]

    def _traffic(self) -> tuple[dict[str, float], dict[int, float]]:
        """Arrivals per component and traffic per connection, given the states so far."""
        s = self.s
        base_traffic = s.res.load.connections
        arrival = dict(s.seed)
        traffic: dict[int, float] = {}
        for cid in s.order:
            total = arrival[cid]
            if self.left[cid] <= 0 and self.impacts[cid].state == State.DOWN and self._dead(cid):
                ratio = 0.0  # nothing of it runs, so it calls nothing; one down for want of a callee still does
            elif s.base[cid] > 0:
                ratio = total / s.base[cid]
            else:
                ratio = 1.0
            for index, c in s.out[cid]:
                rate = base_traffic.get(index, 0.0) * ratio
                p = self.p[c.target]
                if _uses_breaker(c, p):
                    rate = 0.0
                elif p > 0:
                    rate *= _attempts(p, self.fixed[c.target], c.retries or 0)
                traffic[index] = rate
                if s.counted.get(index):
                    arrival[c.target] += rate
        return arrival, traffic

    def _dead(self, cid: str) -> bool:
        return any(r.kind in ("failed", "zone") for r in self.impacts[cid].reasons)

    def _load(self, arrival: dict[str, float], traffic: dict[int, float]) -> bool:
        """Recompute utilisation; a component pushed past saturation goes down."""
        changed = False
        loads = self.s.res.load.components
        for cid, impact in self.impacts.items():
            load = loads[cid]
            impact.utilisation_before = load.utilisation if load.capacity_rps is not None else None
            if impact.state == State.DOWN or load.capacity_rps is None or load.capacity_rps <= 0:
                continue
            hung = self._hung(cid)
            left = self.left[cid]
            lam = arrival[cid] * (left if not self.routed[cid] else 1.0)
            if hung is not None and arrival[cid] > 0:
                impact.utilisation_after = math.inf
                changed |= self._worsen(
                    cid,
                    State.DOWN,
                    Reason(f"its calls to {hung} wait without a timeout and hold every worker", hung, "timeouts"),
                )
                continue
            util = lam / (load.capacity_rps * left) if left > 0 else math.inf
            impact.utilisation_after = util
            before = load.utilisation or 0.0
            if util >= 1 and before < 1:
                cause, why = self._pressure(cid, arrival)
                if load.replicas_max > load.replicas and util * load.replicas / load.replicas_max < 1:
                    changed |= self._worsen(
                        cid,
                        State.DEGRADED,
                        Reason(
                            f"saturated at {util:.0%} ({why}) until the autoscaler adds replicas "
                            f"(up to {load.replicas_max})",
                            cause,
                            "saturated",
                        ),
                    )
                else:
                    changed |= self._worsen(
                        cid, State.DOWN, Reason(f"pushed past saturation: {util:.0%} busy ({why})", cause, "saturated")
                    )
        return changed

    def _hung(self, cid: str) -> str | None:
        """A callee that is down and called synchronously without a timeout (and without a breaker)."""
        for _, c in self.s.out[cid]:
            if c.is_async or c.timeout_ms is not None:
                continue
            p = self.p[c.target]
            if p >= 1 - _EPS and not _uses_breaker(c, p):
                return c.target
        return None

    def _pressure(self, cid: str, arrival: dict[str, float]) -> tuple[str | None, str]:
        """What pushed a component over: its callers' retries or its lost replicas."""
        s = self.s
        base = s.base[cid]
        retrying = sorted(
            {c.source for _, c in s.callers[cid] if (c.retries or 0) > 0 and not _uses_breaker(c, self.p[cid])}
        )
        parts = []
        cause: str | None = None
        grown = base > 0 and arrival[cid] > base * (1 + 1e-6)
        if grown and retrying and self.p[cid] > 0:
            parts.append(f"retries from {', '.join(retrying)} raise its load {arrival[cid] / base:.1f}x")
            cause = retrying[0]
        elif grown:
            parts.append(f"load up {arrival[cid] / base:.1f}x")
        if self.left[cid] < 1:
            parts.append(f"{self.left[cid]:.0%} of its replicas left")
        if cause is None:
            failing = [c.target for _, c in s.out[cid] if self.p[c.target] > 0]
            cause = failing[0] if failing else None
        return cause, "; ".join(parts) or "more load than its capacity"

    def _dependencies(self) -> bool:
        """Callers of failing components: down, degraded, or falling back."""
        changed = False
        s = self.s
        for cid in reversed(s.order):  # callees first, so a chain resolves in one pass
            impact = self.impacts[cid]
            if impact.state == State.DOWN or s.model.components[cid].type == ComponentType.CLIENT:
                continue  # a client's lost requests are counted as traffic lost, not as a client failing
            success = 1 - self.own[cid]
            held = 1.0  # the share of its requests outside the fixed failure (see _random_part)
            # A router's request makes one of its calls, so the calls' failures add up instead of
            # multiplying: every target failing fails every request.
            routed = routed_fixed = 0.0
            routed_to: list[str] = []
            for index, c in s.out[cid]:
                target = self.impacts[c.target]
                p = self.p[c.target]
                if p <= _EPS and target.state == State.UP:
                    continue
                if c.is_async:
                    # A broker's consumers falling behind is a backlog (see _backlogs), not a failure of the broker.
                    if target.state == State.DOWN and s.model.components[cid].type not in BROKERS:
                        changed |= self._worsen(
                            cid,
                            State.DEGRADED,
                            Reason(
                                f"cannot hand work to {c.target}, which is down: it waits or is lost", c.target, "async"
                            ),
                        )
                    continue
                failed, fixed = _call_failure(c, p, self.fixed[c.target])
                if failed <= _EPS:
                    continue
                if c.fallback:
                    changed |= self._worsen(
                        cid,
                        State.DEGRADED,
                        Reason(f"falls back when {c.target} fails: {c.fallback}", c.target, "fallback"),
                    )
                    continue
                if not c.required:
                    changed |= self._worsen(
                        cid,
                        State.DEGRADED,
                        Reason(f"its optional call to {c.target} fails", c.target, "optional"),
                    )
                    continue
                share = s.weight[index]
                if s.routes[cid] and s.model.components[c.target].type != ComponentType.DNS:
                    routed += share * failed
                    routed_fixed += share * fixed
                    routed_to.append(c.target)
                else:
                    success *= 1 - share * failed
                    held *= 1 - share * fixed
                what = "is down" if target.state == State.DOWN else f"fails {failed:.0%} of calls"
                if share >= 1 and failed >= 1 - _EPS:
                    changed |= self._worsen(
                        cid,
                        State.DOWN,
                        Reason(f"needs {c.target} (sync, required), which {what}", c.target, "dependency"),
                    )
                else:
                    changed |= self._worsen(
                        cid,
                        State.DEGRADED,
                        Reason(
                            f"{share:.0%} of its requests need {c.target}, which {what}",
                            c.target,
                            "dependency",
                        ),
                    )
            success *= max(0.0, 1 - routed)
            held *= max(0.0, 1 - routed_fixed)
            if routed_to and routed >= 1 - 1e-6 and impact.state != State.DOWN:
                every = all(self.impacts[t].state == State.DOWN for t in routed_to)
                changed |= self._worsen(
                    cid,
                    State.DOWN,
                    Reason(
                        f"each of its requests needs one of {', '.join(routed_to)}, "
                        f"and {'all are down' if every else 'all fail every call'}",
                        routed_to[0],
                        "dependency",
                    ),
                )
            if impact.state == State.DOWN:
                continue
            failure = min(1.0, max(0.0, 1 - success))
            if failure > self.p[cid] + 1e-12:
                self.p[cid] = failure
                changed = True
            fixed = min(failure, max(0.0, 1 - held))
            if fixed > self.fixed[cid] + 1e-12:
                self.fixed[cid] = fixed
                changed = True
        return changed


# --- flows, traffic lost, availability, backlogs -----------------------------------------------------


def _flow_impacts(scenario: _Scenario) -> dict[str, FlowImpact]:
    s = scenario.s
    model = s.model
    res = s.res
    out: dict[str, FlowImpact] = {}
    for fid, flow in model.flows.items():
        fl = res.load.flows[fid]
        fa = res.availability.flows[fid]
        impact = FlowImpact(
            fid,
            rps=flow.rps,
            p99_before=fl.p99_ms,
            budget_ms=flow.latency_budget_ms,
            availability_before=fa.value,
        )
        path = [cid for cid in flow.path if cid in model.components]
        waited: list[str] = path[:1]
        after: list[str] = []
        into: dict[str, Connection | None] = {}  #: the call that reaches each waited step
        for a, b in pairwise(path):
            index = hop_connection(s.adj, a, b)
            connection = model.connections[index] if index is not None else None
            if connection is not None and connection.source != a:
                connection = None
            if after or not avail.waits_for(connection):
                after.append(b)
            elif b not in waited:
                waited.append(b)
                into[b] = connection
        down = next((cid for cid in waited if scenario.impacts[cid].state == State.DOWN), None)
        if down is not None:
            ci = scenario.impacts[down]
            impact.state, impact.broken_at = "broken", down
            impact.reason = ci.reasons[0].text if ci.reasons else f"{down} is down"
            success = 0.0
        else:
            success = 1 - _path_failure(scenario, waited, into)
        if impact.state != "broken":
            troubled = _troubled(scenario, waited + after)
            if troubled or success < 1 - 1e-9:
                impact.state = "degraded"
                # Where requests are lost says more than a step that only runs on with less.
                losing = [
                    cid
                    for n, cid in enumerate(waited)
                    if cid in troubled
                    and _own_failure(scenario, cid, waited[n + 1] if n + 1 < len(waited) else None)[0] > 0
                ]
                first = losing[0] if losing and success < 1 - 1e-9 else troubled[0] if troubled else waited[0]
                reasons = scenario.impacts[first].reasons
                impact.reason = f"{first}: {reasons[0].text}" if reasons else None
        impact.lost_share = 1 - success
        impact.lost_rps = (flow.rps or 0.0) * impact.lost_share
        if impact.state != "broken" and success <= 1e-9:
            impact.state = "broken"
            impact.broken_at = next((m for m in waited if _own_failure(scenario, m, None)[0] >= 1 - 1e-9), waited[0])
            reasons = [r for m in waited for r in _failing_calls(scenario, m)]
            impact.reason = reasons[0] if reasons else impact.reason
        if impact.state != "broken":
            impact.p99_after, hangs = _flow_p99(scenario, fid)
            if impact.p99_after is None and (impact.state == "ok" or hangs):
                impact.state = "degraded"
                impact.reason = hangs or "a component on its path is saturated"
            composite = _flow_availability(scenario, waited)
            impact.availability_after = composite * success if composite is not None else None
        else:
            impact.availability_after = 0.0
        out[fid] = impact
    return out


def _path_failure(scenario: _Scenario, waited: list[str], into: dict[str, Connection | None]) -> float:
    """Share of a flow's requests that fail on the steps it waits for. A retry repeats the whole
    attempt at the next step (with everything that step waits for), so the failure is nested from
    the end: an attempt at a step fails when the step fails on its own or the call to the next step
    fails after its retries. A client after the first step only receives: what it calls on its own
    is other traffic."""
    model = scenario.s.model
    attempt = fixed = 0.0
    for n in range(len(waited) - 1, -1, -1):
        cid = waited[n]
        nxt = waited[n + 1] if n + 1 < len(waited) else None
        c = into.get(nxt) if nxt is not None else None
        onward, onward_fixed = _call_failure(c, attempt, fixed) if c is not None else (attempt, fixed)
        if n > 0 and model.components[cid].type == ComponentType.CLIENT:
            own, own_fixed = 0.0, 0.0
        else:
            own, own_fixed = _own_failure(scenario, cid, nxt)
        attempt = 1 - (1 - own) * (1 - onward)
        fixed = 1 - (1 - own_fixed) * (1 - onward_fixed)
    return min(1.0, max(0.0, attempt))


def _own_failure(scenario: _Scenario, cid: str, next_hop: str | None) -> tuple[float, float]:
    """Failure at ``cid`` not counted at the next step of the same path, and its fixed part: its own
    replicas, and the required calls it makes elsewhere (a router sends the flow's requests to the
    next step only)."""
    s = scenario.s
    success = 1 - scenario.own[cid]
    held = 1.0
    routed = routed_fixed = 0.0  # a router's request makes one of its calls: their failures add up
    for index, c in s.out[cid]:
        if c.target == next_hop or c.is_async or c.fallback or not c.required:
            continue
        by_route = s.routes[cid] and s.model.components[c.target].type != ComponentType.DNS
        if next_hop is not None and by_route:
            continue
        p = scenario.p[c.target]
        if p <= 0:
            continue
        failed, fixed = _call_failure(c, p, scenario.fixed[c.target])
        if by_route:
            routed += s.weight[index] * failed
            routed_fixed += s.weight[index] * fixed
        else:
            success *= 1 - s.weight[index] * failed
            held *= 1 - s.weight[index] * fixed
    return 1 - success * max(0.0, 1 - routed), 1 - held * max(0.0, 1 - routed_fixed)


def _troubled(scenario: _Scenario, route: list[str]) -> list[str]:
    """The components of a flow's route whose trouble concerns this flow: their own (lost replicas,
    saturation, a backlog, a failure on purpose), a later step's trouble, or a call elsewhere that
    every request makes (a router's or a split caller's other calls serve other requests)."""
    concerned: dict[str, bool] = {}
    for n in range(len(route) - 1, -1, -1):
        cid = route[n]
        impact = scenario.impacts[cid]
        later = set(route[n + 1 :])
        hit = False
        if impact.state != State.UP:
            for reason in impact.reasons:
                if reason.cause is None or reason.kind in ("saturated", "replicas", "backlog"):
                    hit = True
                elif reason.cause in later:
                    hit = concerned.get(reason.cause, False)
                else:
                    hit = not scenario.s.routes[cid]
                if hit:
                    break
        concerned[cid] = hit
    return [cid for cid in route if concerned[cid]]


def _failing_calls(scenario: _Scenario, cid: str) -> list[str]:
    out = []
    for _, c in scenario.s.out[cid]:
        if c.is_async or c.fallback or not c.required or scenario.p[c.target] <= 0:
            continue
        state = scenario.impacts[c.target].state
        out.append(f"{cid} needs {c.target}, which {'is down' if state == State.DOWN else 'fails'}")
    return out


def _flow_p99(scenario: _Scenario, fid: str) -> tuple[float | None, str | None]:
    """The flow's p99 after the failure, or None with why it is unbounded (None alone: saturation).

    Each step's queueing percentile at its new utilisation on the replicas left, its network time,
    and the timeouts the p99 request waits through at that step: on the call to the next step
    (attempts that reach its lost replicas hang) and on failing calls elsewhere."""
    s = scenario.s
    model = s.model
    fl = s.res.load.flows[fid]
    if fl.p99_ms is None:
        return None, None
    total = 0.0
    steps = fl.steps
    for n, step in enumerate(steps):
        load = s.res.load.components[step.cid]
        impact = scenario.impacts[step.cid]
        if step.p99_ms is None:
            return None, None
        if (
            model.components[step.cid].type == ComponentType.CLIENT
            or load.service_ms is None
            or not load.queued
            or impact.utilisation_after is None
        ):
            value: float | None = step.p99_ms
        else:
            value = _quantile(load, impact.utilisation_after, scenario.left[step.cid], step.fanout)
        if value is None:
            return None, None
        nxt = steps[n + 1].cid if n + 1 < len(steps) else None
        if n > 0 and model.components[step.cid].type == ComponentType.CLIENT:
            wait, hung = 0.0, None  # a client at the end of a flow receives; its own calls are other traffic
        else:
            wait, hung = _waiting(scenario, step.cid, nxt)
        index = hop_connection(s.adj, step.cid, nxt) if nxt is not None else None
        c = model.connections[index] if index is not None else None
        if hung is None and nxt is not None and c is not None and c.source == step.cid and not c.is_async:
            # The next step's own failure (its lost replicas still in rotation) hangs the attempts
            # that reach it; what it waits for further on is counted at its own step.
            on_path = _wait(c, 1.0, scenario.own[nxt], 0.0)
            if on_path is None:
                hung = nxt
            else:
                wait = max(wait, on_path)
        if hung is not None:
            return None, f"{step.cid} waits without a timeout for {hung}, which fails {scenario.p[hung]:.0%} of calls"
        total += value + step.network_ms + wait
    return total, None


#: The share of requests that makes a wait part of a p99: one request in a hundred.
_P99_SHARE = 0.01


def _timeouts(share: float, p: float, fixed: float, retries: int) -> int:
    """How many timeouts the p99 request waits through on one call: the most failed attempts in a row
    (at most every attempt it makes) that at least 1% of all requests see, when a share of them
    make the call and its attempts fail as ``p`` and ``fixed`` say."""
    q = _random_part(p, fixed)
    k = 0
    while k <= retries and share * (fixed + (1 - fixed) * q ** (k + 1)) >= _P99_SHARE - 1e-12:
        k += 1
    return k


def _wait(c: Connection, share: float, p: float, fixed: float) -> float | None:
    """Time the p99 request spends waiting on a call whose attempts fail with probability p; None
    when it waits without a timeout."""
    if p <= 0 or _uses_breaker(c, p):
        return 0.0
    k = _timeouts(share, p, fixed, c.retries or 0)
    if k == 0:
        return 0.0
    return None if c.timeout_ms is None else c.timeout_ms * k


def _waiting(scenario: _Scenario, cid: str, next_hop: str | None) -> tuple[float, str | None]:
    """Time the p99 request waits at ``cid`` for failing calls other than the next hop (the longest of
    them), and a callee it waits for without a timeout, if any."""
    worst = 0.0
    s = scenario.s
    for index, c in s.out[cid]:
        if c.target == next_hop or c.is_async:
            continue
        if next_hop is not None and s.routes[cid]:
            continue  # a router's other calls serve other requests
        wait = _wait(c, s.weight[index], scenario.p[c.target], scenario.fixed[c.target])
        if wait is None:
            return worst, c.target
        worst = max(worst, wait)
    return worst, None


def _quantile(load: ComponentLoad, utilisation: float, left: float, fanout: float) -> float | None:
    if not math.isfinite(utilisation) or utilisation >= 1:
        return None
    servers = max(1, round(load.servers * left))
    capacity = (load.capacity_rps or 0.0) * left
    changed = replace(load, utilisation=utilisation, servers=servers, capacity_rps=capacity)
    return changed.quantile(queueing.fanout_quantile(0.99, fanout))


def _flow_availability(scenario: _Scenario, members: list[str]) -> float | None:
    value: float | None = None
    for cid in members:
        figure = _component_availability(scenario, cid)
        if figure is None:
            continue
        value = (1.0 if value is None else value) * figure
    return value


def _component_availability(scenario: _Scenario, cid: str) -> float | None:
    """A component's availability with the replicas and zones it has left."""
    res = scenario.s.res
    base = res.availability.components[cid]
    if base.value is None:
        return None
    impact = scenario.impacts[cid]
    if impact.replicas_left is not None and impact.replicas_left < base.replicas:
        prof = res.profiles[cid]
        lost = scenario.zones_lost.get(cid, 0)
        changed = replace(prof, replicas=impact.replicas_left, zones=max(0, prof.zones - lost))
        return avail.component(cid, changed, res.catalog).value
    return base.value


def _backlogs(scenario: _Scenario) -> list[Backlog]:
    s = scenario.s
    model = s.model
    loads = s.res.load.components
    out = []
    for cid, component in model.components.items():
        if component.type not in BROKERS or scenario.impacts[cid].state == State.DOWN:
            continue
        consumers = [c for _, c in s.out[cid]]
        if not consumers:
            continue
        drain_before = drain_after = 0.0
        for c in consumers:
            consumer = loads[c.target]
            before = consumer.capacity_rps if consumer.capacity_rps is not None else math.inf
            impact = scenario.impacts[c.target]
            if impact.state == State.DOWN:
                after = 0.0
            elif consumer.capacity_rps is not None:
                after = consumer.capacity_rps * scenario.left[c.target]
            else:
                after = math.inf
            drain_before += before
            drain_after += after
        arrival_before = s.base[cid]
        arrival_after = scenario.arrival[cid]
        grew = max(0.0, arrival_after - drain_after) - max(0.0, arrival_before - drain_before)
        if grew > 1e-9:
            names = [c.target for c in consumers]
            out.append(Backlog(cid, names, arrival_after, drain_after))
            scenario._worsen(
                cid,
                State.DEGRADED,
                Reason(
                    f"its backlog grows by {_count(max(0.0, arrival_after - drain_after) * 3600)} messages an hour "
                    f"while {', '.join(n for n in names if scenario.impacts[n].state != State.UP) or 'its consumers'} "
                    "cannot keep up",
                    next((n for n in names if scenario.impacts[n].state != State.UP), None),
                    "backlog",
                ),
            )
    return out


def _count(value: float) -> str:
    from archls.analysis.text import number

    return number(value)


def _traffic_lost(scenario: _Scenario, flows: dict[str, FlowImpact]) -> tuple[float, str]:
    rated = [f for f in flows.values() if f.rps]
    total = sum(f.rps or 0.0 for f in rated)
    if total > 0:
        return min(1.0, sum(f.lost_rps for f in rated) / total), "flows"
    weights = _entry_weights(scenario)
    if not weights:
        return 0.0, "entry points"
    lost = sum(weight * _entry_failure(scenario, cid) for cid, weight in weights.items())
    return min(1.0, lost / sum(weights.values())), "entry points"


def _entry_weights(scenario: _Scenario) -> dict[str, float]:
    """Where requests enter, weighted by their peak arrivals: the public edge and clients, else (a
    compose project with nothing published) the components nothing calls, as the load model reads it."""
    s = scenario.s
    called = {c.target for edges in s.out.values() for _, c in edges}
    starts = s.entries or [cid for cid in s.model.components if cid not in called]
    entries = [cid for cid in starts if s.base[cid] > 0] or starts
    return {cid: s.base[cid] or 1.0 for cid in entries}


def _entry_availability(scenario: _Scenario, after: bool) -> float | None:
    """Availability at the entry points (weighted as traffic lost is), before or after the failure.

    An entry point's composite availability is that of the components its requests wait for, met
    the way requests meet them: a call every request makes multiplies, a router's targets are
    weighted by the share of requests each gets. After the failure each component counts with the
    replicas and zones it has left, the composite is taken over the requests that still succeed
    (a router's failed targets drop out of its weights), and it is multiplied by that share."""
    weights = _entry_weights(scenario)
    if not weights:
        return None
    memo: dict[str, float] = {}
    total = 0.0
    for cid, weight in weights.items():
        value = _composite(scenario, cid, after, memo, set())
        if after:
            value *= 1 - _entry_failure(scenario, cid)
        total += weight * value
    return total / sum(weights.values())


def _composite(scenario: _Scenario, cid: str, after: bool, memo: dict[str, float], path: set[str]) -> float:
    if cid in memo:
        return memo[cid]
    s = scenario.s
    figure = _component_availability(scenario, cid) if after else s.res.availability.components[cid].value
    value = 1.0 if figure is None else figure
    path = path | {cid}
    routed: list[tuple[float, float, float]] = []  #: a router's targets: share, success, composite
    for index, c in s.out[cid]:
        if not avail.waits_for(c) or c.target in path:
            continue
        sub = _composite(scenario, c.target, after, memo, path)
        ok = 1.0
        if after:
            failed, _ = _call_failure(c, scenario.p[c.target], scenario.fixed[c.target])
            ok = 1 - failed
        share = s.weight[index]
        if s.routes[cid] and s.model.components[c.target].type != ComponentType.DNS:
            routed.append((share, ok, sub))
        else:
            value *= _given([(share, ok, sub)])
    if routed:
        value *= _given(routed)
    memo[cid] = value
    return value


def _given(calls: list[tuple[float, float, float]]) -> float:
    """Composite availability of one choice among calls (share of requests, share that succeed,
    composite availability of the callee), over the requests that succeed; the requests that make
    none of the calls count as available."""
    rest = max(0.0, 1 - sum(share for share, _, _ in calls))
    served = rest + sum(share * ok for share, ok, _ in calls)
    if served <= 0:
        return 1.0  # nothing succeeds: the share of requests that succeed is 0 and says so
    return (rest + sum(share * ok * sub for share, ok, sub in calls)) / served


def _entry_failure(scenario: _Scenario, cid: str) -> float:
    if scenario.impacts[cid].state == State.DOWN:
        return 1.0
    if scenario.s.model.components[cid].type != ComponentType.CLIENT:
        return scenario.p[cid]
    return _own_failure(scenario, cid, None)[0]


def _weighted_availability(flows: dict[str, FlowImpact], which: str) -> float | None:
    values = [(f.rps or 0.0, getattr(f, which)) for f in flows.values() if getattr(f, which) is not None]
    if not values:
        return None
    weight = sum(w for w, _ in values)
    if weight <= 0:
        return sum(v for _, v in values) / len(values)
    return sum(w * v for w, v in values) / weight


# --- entry points ------------------------------------------------------------------------------------


def simulate(
    model: Architecture,
    config: Config,
    fail: list[str] | tuple[str, ...] = (),
    zones: list[str] | tuple[str, ...] = (),
    graph: ArchGraph | None = None,
    res: Results | None = None,
    setup: _Setup | None = None,
) -> ChaosResult:
    """Fail components, groups and zones; the state of everything else, flows, traffic and backlogs."""
    from archls.analysis import results
    from archls.graph import ArchGraph

    graph = graph or ArchGraph(model)
    res = res or results(model, config, graph)
    setup = setup or _Setup(model, graph, res)
    down, lost = resolve(model, list(fail), list(zones))
    scenario = _Scenario(setup, down, lost)
    scenario.run()
    backlogs = _backlogs(scenario)
    flows = _flow_impacts(scenario)
    lost_share, basis = _traffic_lost(scenario, flows)
    # Availability is given on the same basis as traffic lost: the flows' rates, else the entry points.
    if basis == "flows":
        before = _weighted_availability(flows, "availability_before")
        after = _weighted_availability(flows, "availability_after")
    else:
        before, after = _entry_availability(scenario, False), _entry_availability(scenario, True)
    return ChaosResult(
        failed=list(fail),
        zones=list(zones),
        components=scenario.impacts,
        flows=flows,
        traffic_lost=lost_share,
        traffic_basis=basis,
        availability_before=before,
        availability_after=after,
        backlogs=backlogs,
    )


@dataclass
class Blast:
    """What failing one component or zone costs."""

    target: str
    kind: str  #: component or zone
    traffic_lost: float
    down: list[str]
    degraded: list[str]
    flows_broken: list[str]
    flows_degraded: list[str]
    availability_after: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "kind": self.kind,
            "traffic_lost": round(self.traffic_lost, 4),
            "down": self.down,
            "degraded": self.degraded,
            "flows_broken": self.flows_broken,
            "flows_degraded": self.flows_degraded,
            "availability_after": _percent(self.availability_after),
        }


def each(
    model: Architecture, config: Config, graph: ArchGraph | None = None, res: Results | None = None
) -> list[Blast]:
    """Fail every component (clients aside) and every zone in turn, worst first."""
    from archls.analysis import results
    from archls.graph import ArchGraph

    graph = graph or ArchGraph(model)
    res = res or results(model, config, graph)
    setup = _Setup(model, graph, res)
    out = []
    targets = [(cid, "component") for cid, c in model.components.items() if c.type != ComponentType.CLIENT]
    targets += [(zone, "zone") for zone in zone_names(model)]
    for name, kind in targets:
        result = simulate(
            model,
            config,
            fail=[name] if kind == "component" else [],
            zones=[name] if kind == "zone" else [],
            graph=graph,
            res=res,
            setup=setup,
        )
        down = [cid for cid in result.in_state(State.DOWN) if cid != name]
        out.append(
            Blast(
                name,
                kind,
                result.traffic_lost,
                down,
                result.in_state(State.DEGRADED),
                result.flows_broken,
                result.flows_degraded,
                result.availability_after,
            )
        )
    out.sort(key=lambda b: (-round(b.traffic_lost, 6), -len(b.down), -len(b.flows_broken), b.kind, b.target))
    return out
