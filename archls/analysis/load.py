"""Load and latency: how many requests reach each component at peak, what that does to it, and how
long each flow takes.

Arrivals. Each flow with an ``rps`` sends that rate along its path, multiplied by ``calls`` on
every hop (fan-out); a connection that some such flow uses carries those flows' traffic. The part
of ``requirements.peak_rps`` the flows do not account for enters at the entry points (components
nothing calls: clients, the public edge). Every request reaching a component makes each of its
calls ``share`` of the time, ``calls`` times; a connection no flow uses carries ``share x calls``
of everything its caller receives. Three readings keep the defaults realistic:

- a client or a router (load balancer, API gateway, WAF, DNS) sends each request to one of its
  targets, so when none of its connections gives a ``share`` its requests are split evenly;
- a CDN passes on only its cache misses (the catalog's ``cdn_miss_ratio``) unless a ``share`` says;
- an async hand-over is load on the queue or stream that takes it, but a consumer reading from it
  works at its own pace and in batches, so its rate is only known where a flow says so.

Components are visited in call order; a connection that closes a cycle is not followed (a
request does not re-enter a loop at full rate) and is listed in ``dropped``.

Capacity is replicas x per-replica throughput (see :mod:`archls.analysis.profile`); with autoscaling
the replicas are what the scaler would run at peak (the target utilisation, within min..max).
Each component is an M/M/c queue whose servers are replicas x (throughput x service time), so
a replica serves as many requests at once as Little's law says it does; a component without a
capacity (a third party, an elastic managed service) is a pure delay. A flow's p50 and p99 add
the components' percentiles and one network round trip per hop; after a hop with ``calls: N`` the
rest of the path is waited on N times in parallel, so its percentile q is taken at q^(1/N)
(tail amplification). Adding percentiles overstates the flow's p99 slightly, which errs on the
safe side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING

from archls import tracking
from archls.analysis import queueing
from archls.analysis.memo import IdentityMemo
from archls.model import ComponentType

if TYPE_CHECKING:
    from archls.analysis.profile import Profile
    from archls.catalog import Catalog
    from archls.config import Config
    from archls.graph import ArchGraph
    from archls.model import Architecture, Component, Connection

#: Utilisation a scaler aims for when the file does not say (autoscaling.target_cpu).
DEFAULT_TARGET = 0.7

#: Outgoing connections with their indices, per component.
Adjacency = dict[str, list[tuple[int, "Connection"]]]
#: Arrival rate and the flows' part of it per component, traffic per connection, the entry rate and
#: the connections not followed (see :func:`arrivals`).
Arrivals = tuple[dict[str, float], dict[str, float], dict[int, float], float, list[int]]


@dataclass
class ComponentLoad:
    cid: str
    arrival_rps: float = 0.0
    flow_rps: float = 0.0  #: part of the arrivals the flows account for
    per_replica_rps: float | None = None
    replicas: int = 1  #: replicas serving at peak
    replicas_max: int = 1
    capacity_rps: float | None = None  #: at the replicas serving at peak
    max_capacity_rps: float | None = None  #: at the most replicas (autoscaling max)
    utilisation: float | None = None
    servers: int = 1
    service_ms: float | None = None
    wait_probability: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    queued: bool = False

    @property
    def saturated(self) -> bool:
        return self.utilisation is not None and self.utilisation >= 1

    def quantile(self, q: float) -> float | None:
        """Time a request spends here at quantile q, in ms; None when unknown or the queue grows without bound."""
        if self.service_ms is None:
            return None
        if not self.queued:
            return queueing.delay_quantile(self.service_ms, q)
        if self.utilisation is None or self.saturated:
            return None
        return queueing.sojourn_quantile(self.servers, self.utilisation, self._server_ms, q)

    def survival(self, t_ms: float) -> float | None:
        """Share of requests that take longer than ``t_ms`` here."""
        if self.service_ms is None:
            return None
        if not self.queued:
            return queueing.delay_survival(self.service_ms, t_ms)
        if self.utilisation is None:
            return None
        return queueing.survival(self.servers, self.utilisation, self._server_ms, t_ms)

    @property
    def _server_ms(self) -> float:
        # The catalog's service time, adjusted so that servers x 1/service equals the capacity exactly.
        if self.capacity_rps and self.servers:
            return 1000 * self.servers / self.capacity_rps
        return self.service_ms or 0.0


@dataclass
class Step:
    """One component on a flow's path and what it adds to the flow's time."""

    cid: str
    fanout: float  #: parallel calls this step is waited on (cumulative)
    network_ms: float  #: round trip of the hop into this step
    connection: int | None
    p50_ms: float | None
    p99_ms: float | None
    is_async: bool = False


@dataclass
class FlowLoad:
    fid: str
    rps: float | None
    steps: list[Step] = field(default_factory=list)
    p50_ms: float | None = None
    p99_ms: float | None = None
    budget_ms: float | None = None
    saturated: list[str] = field(default_factory=list)
    bottleneck: str | None = None  #: the path component with the highest utilisation
    bottleneck_utilisation: float | None = None
    network_ms: float = 0.0

    @property
    def slowest(self) -> Step | None:
        """The step that adds most to the flow's p99."""
        known = [s for s in self.steps if s.p99_ms is not None]
        return max(known, key=lambda s: s.p99_ms or 0.0) if known else None


@dataclass
class LoadResult:
    components: dict[str, ComponentLoad]
    flows: dict[str, FlowLoad]
    connections: dict[int, float]  #: requests per second over each connection
    entry_rps: float  #: requests per second entering the system at peak
    has_load: bool  #: whether the model says anything about request rates
    dropped: list[int] = field(default_factory=list)
    limit_rps: float | None = None  #: entry rate at which the first component saturates
    limiting: str | None = None
    adjacency: Adjacency = field(default_factory=dict)
    #: what :func:`arrivals` gave and read, kept for the next edit (see :class:`Since`)
    arrivals: tuple[Arrivals, frozenset[tracking.Read]] | None = field(default=None, repr=False)
    #: the components whose figures an incremental update computed again (None: all of them)
    changed: set[str] | None = field(default=None, repr=False)

    def headroom(self) -> float | None:
        if self.limit_rps is None or not self.entry_rps:
            return None
        return self.limit_rps / self.entry_rps


def adjacency(model: Architecture) -> Adjacency:
    """Outgoing connections (with their indices) per component, in file order."""
    out: Adjacency = {}
    for index, connection in enumerate(model.connections):
        out.setdefault(connection.source, []).append((index, connection))
    return out


def _order(model: Architecture, adj: Adjacency) -> tuple[list[str], set[int]]:
    """Components in call order, and the connections that close cycles (ignored)."""
    indegree = dict.fromkeys(model.components, 0)
    for c in model.connections:
        if c.source != c.target and c.source in indegree and c.target in indegree:
            indegree[c.target] += 1
    ready = [cid for cid, n in indegree.items() if n == 0]
    ready.reverse()
    order: list[str] = []
    done: set[str] = set()
    back: set[int] = set()
    pending = list(model.components)
    position = 0
    while len(order) < len(indegree):
        if not ready:
            # A cycle: start from the first component not visited yet, in file order.
            while pending[position] in done:
                position += 1
            ready.append(pending[position])
        cid = ready.pop()
        if cid in done:
            continue
        done.add(cid)
        order.append(cid)
        for index, c in adj.get(cid, ()):
            if c.target == cid or c.target not in indegree:
                continue
            if c.target in done:
                back.add(index)
                continue
            indegree[c.target] -= 1
            if indegree[c.target] == 0:
                ready.append(c.target)
    return order, back


def hop_connection(adj: Adjacency, a: str, b: str) -> int | None:
    """The connection that carries a flow's step from a to b (or, failing that, one from b to a)."""
    for index, c in adj.get(a, ()):
        if c.target == b:
            return index
    for index, c in adj.get(b, ()):
        if c.target == a:
            return index
    return None


def arrivals(model: Architecture, graph: ArchGraph, adj: Adjacency | None = None, miss_ratio: float = 0.1) -> Arrivals:
    """Arrival rate per component, the part of it the flows account for, traffic per connection,
    the total entry rate, and the connections not followed because they close a cycle."""
    adj = adj if adj is not None else adjacency(model)
    components = model.components
    seed = dict.fromkeys(components, 0.0)
    flow_in = dict.fromkeys(components, 0.0)
    flow_conn: dict[int, float] = {}
    flow_total = 0.0
    for flow in model.flows.values():
        if not flow.rps or flow.path[0] not in components:
            continue
        flow_total += flow.rps
        rate = flow.rps
        seed[flow.path[0]] += rate
        flow_in[flow.path[0]] += rate
        for a, b in pairwise(flow.path):
            if b not in components:
                break
            index = hop_connection(adj, a, b)
            if index is not None and model.connections[index].source == a:
                rate *= model.connections[index].calls
            flow_in[b] += rate
            if index is None:
                if components[b].type != ComponentType.CLIENT:
                    seed[b] += rate  # a step without a connection: the flow still says it arrives
            elif model.connections[index].source == a:
                flow_conn[index] = flow_conn.get(index, 0.0) + rate
            # A step against a connection's direction is an answer or a push over it: no new request.

    peak = model.requirements.peak_rps
    unattributed = max(0.0, (peak or 0.0) - flow_total)
    if unattributed > 0:
        callers = {c.target for c in model.connections if c.source != c.target}
        entries = [cid for cid in graph.entry_points if cid not in callers]
        roots = entries or [cid for cid in components if cid not in callers] or list(components)
        for cid in roots:
            seed[cid] += unattributed / len(roots)

    # The call order depends only on how components are wired, which most edits leave as it was.
    order, back = graph.structural("load.call_order", lambda: _order(model, adj))
    is_cdn = {cid: c.type == ComponentType.CDN for cid, c in components.items()}
    arrival = dict(seed)
    traffic: dict[int, float] = {}
    for cid in order:
        total = arrival[cid]
        spare = max(0.0, total - flow_in[cid])
        outgoing = [(i, c) for i, c in adj.get(cid, ()) if c.target != cid and c.target in components]
        # A user's request, or one a load balancer routes, goes to one place: unless shares say
        # otherwise, a client's or a router's requests are split evenly, not each sent everywhere.
        spread = 1.0
        if components[cid].type in ROUTERS and all(c.share == 1.0 for _, c in outgoing):
            spread = 1.0 / max(1, len(outgoing))
        for index, c in outgoing:
            share = c.share
            if is_cdn[cid] and c.share == 1.0:
                share = miss_ratio  # a CDN passes on its cache misses
            if index in flow_conn:
                rate = flow_conn[index] + spare * share * spread * c.calls
            else:
                rate = total * share * spread * c.calls
            traffic[index] = rate
            if index in back or not _carries_load(c, components[c.target].type, index in flow_conn):
                continue
            arrival[c.target] += rate
    return arrival, flow_in, traffic, flow_total + unattributed, sorted(back)


#: Types that send each request on to one of their targets rather than to all of them.
ROUTERS = frozenset(
    {
        ComponentType.CLIENT,
        ComponentType.LOAD_BALANCER,
        ComponentType.API_GATEWAY,
        ComponentType.WAF,
        ComponentType.DNS,
    }
)

#: Types that take messages in: an async hand-over to them is load on them.
BROKERS = frozenset({ComponentType.QUEUE, ComponentType.STREAM})


def _carries_load(connection: Connection, target: ComponentType, in_flow: bool) -> bool:
    """Whether a connection's traffic is load on its target.

    A synchronous call is. An async hand-over loads the broker that takes it; a consumer reading
    from a broker works at its own pace and in batches, so its rate is only known when a flow says so.
    """
    return in_flow or not connection.is_async or target in BROKERS


def network_rtt(model: Architecture, catalog: Catalog, a: str, b: str) -> float:
    """Round trip of one call from ``a`` to ``b``: none from a client (its network is not the system's)."""
    ca, cb = model.components.get(a), model.components.get(b)
    if ca is None or cb is None or ca.type == ComponentType.CLIENT:
        return 0.0
    if ComponentType.EXTERNAL in (ca.type, cb.type):
        return catalog.network("internet_rtt_ms").value
    if ca.regions and cb.regions and set(ca.regions).isdisjoint(cb.regions):
        return catalog.network("cross_region_rtt_ms").value
    zones, other = ca.zones, cb.zones
    # the same list (one zones value shared by a whole slice of the file) or the same zones in order
    if zones and other and zones is not other and zones != other and set(zones).isdisjoint(other):
        return catalog.network("cross_zone_rtt_ms").value
    return catalog.network("same_zone_rtt_ms").value


def _component(
    cid: str, component: Component, prof: Profile, lam: float, flow_rps: float, default_target: float
) -> ComponentLoad:
    load = ComponentLoad(cid, arrival_rps=lam, flow_rps=flow_rps, service_ms=prof.service_ms)
    load.replicas = prof.replicas
    load.replicas_max = prof.replicas_max
    if prof.queued and prof.per_replica_rps is not None:
        load.queued = True
        per = prof.per_replica_rps
        load.per_replica_rps = per
        replicas = prof.replicas
        if component.autoscaling is not None:
            target = (component.autoscaling.target_cpu or default_target * 100) / 100
            wanted = math.ceil(lam / (per * target)) if lam > 0 else 0
            replicas = min(max(wanted, component.autoscaling.min, 1), component.autoscaling.max)
        load.replicas = replicas
        load.capacity_rps = replicas * per
        load.max_capacity_rps = prof.replicas_max * per
        load.servers = max(1, replicas * prof.servers_per_replica)
        if load.capacity_rps > 0:
            load.utilisation = lam / load.capacity_rps
        elif lam > 0:
            load.utilisation = math.inf
        else:
            load.utilisation = 0.0
        if not load.saturated and load.capacity_rps > 0:
            load.wait_probability = queueing.erlang_c(load.servers, load.utilisation * load.servers)
    load.p50_ms = load.quantile(0.5)
    load.p99_ms = load.quantile(0.99)
    return load


# Components whose text, profile and arrivals did not change keep their figures across edits.
_memo = IdentityMemo()


@dataclass
class Since:
    """The load of the model before an edit that kept the set of components and the groups."""

    result: LoadResult
    #: what the edit changed (see :func:`archls.tracking.changes`) and the components it changed
    changed: set[tracking.Read]
    components: set[str]
    #: whether it left every connection as it was
    same_connections: bool


def analyse(
    model: Architecture,
    graph: ArchGraph,
    catalog: Catalog,
    config: Config,
    profiles: dict[str, Profile],
    since: Since | None = None,
) -> LoadResult:
    """The load figures. With ``since``, the arrivals are kept when nothing they read changed, and a
    component keeps its figures when neither it nor its arrivals changed; ``LoadResult.changed``
    then names the components whose figures were computed again."""
    before = since.result if since is not None else None
    adj = before.adjacency if before is not None and since.same_connections else adjacency(model)  # type: ignore[union-attr]
    miss = catalog.technologies_file.cdn_miss_ratio.value
    kept = before is not None and before.arrivals is not None and not tracking.stale(before.arrivals[1], since.changed)  # type: ignore[union-attr]
    if kept:
        flowing, arrival_reads = before.arrivals  # type: ignore[union-attr,misc]
        tracking.replay(arrival_reads)
    elif tracking.active():
        # recorded on their own: an edit that reads nothing of them (a replicas value) keeps them
        with tracking.isolated() as reads:
            flowing = arrivals(model, graph, adj, miss)
        arrival_reads = frozenset(reads)
    else:
        flowing, arrival_reads = arrivals(model, graph, adj, miss), None
    arrival, flow_in, traffic, entry, dropped = flowing
    has_load = entry > 0
    default_target = float(config.thresholds.get("load.target_utilisation", DEFAULT_TARGET))
    out: dict[str, ComponentLoad] = {}
    limit: float | None = None
    limiting: str | None = None
    changed: set[str] | None = None if before is None else set()
    if kept:
        # the same arrivals: only the components the edit changed have other figures
        out = dict(before.components)  # type: ignore[union-attr]
        for cid in since.components:  # type: ignore[union-attr]
            component = model.components.get(cid)
            if component is not None:
                lam, flow_rps = arrival.get(cid, 0.0), flow_in.get(cid, 0.0)
                out[cid] = _component(cid, component, profiles[cid], lam, flow_rps, default_target)
                changed.add(cid)  # type: ignore[union-attr]
        for cid, load in out.items():
            lam = load.arrival_rps
            if lam > 0 and load.max_capacity_rps is not None:
                scale = load.max_capacity_rps / lam
                if limit is None or scale < limit:
                    limit, limiting = scale, cid
    else:
        for cid, component in model.components.items():
            prof = profiles[cid]
            lam = arrival.get(cid, 0.0)
            flow_rps = flow_in.get(cid, 0.0)
            if before is not None:
                load = before.components[cid]
                if cid in since.components or load.arrival_rps != lam or load.flow_rps != flow_rps:  # type: ignore[union-attr]
                    load = _component(cid, component, prof, lam, flow_rps, default_target)
                    changed.add(cid)  # type: ignore[union-attr]
            else:
                load = _memo.get(
                    (component, prof),
                    (cid, lam, flow_rps, default_target),
                    lambda: _component(cid, component, prof, lam, flow_rps, default_target),  # noqa: B023
                )
            if lam > 0 and load.max_capacity_rps is not None:
                scale = load.max_capacity_rps / lam
                if limit is None or scale < limit:
                    limit, limiting = scale, cid
            out[cid] = load

    flows = {fid: _flow(model, adj, catalog, fid, out) for fid in model.flows}
    return LoadResult(
        out,
        flows,
        traffic,
        entry,
        has_load,
        dropped,
        limit_rps=entry * limit if limit is not None and has_load else None,
        limiting=limiting if has_load else None,
        adjacency=adj,
        arrivals=(flowing, arrival_reads) if arrival_reads is not None else None,
        changed=changed,
    )


def _flow(model: Architecture, adj: Adjacency, catalog: Catalog, fid: str, loads: dict[str, ComponentLoad]) -> FlowLoad:
    flow = model.flows[fid]
    result = FlowLoad(fid, flow.rps, budget_ms=flow.latency_budget_ms)
    path = [cid for cid in flow.path if cid in model.components]
    if not path:
        return result
    steps = [Step(path[0], 1.0, 0.0, None, None, None)]
    fanout = 1.0
    for a, b in pairwise(path):
        index = hop_connection(adj, a, b)
        connection = model.connections[index] if index is not None else None
        if connection is not None and connection.source == a:
            fanout *= connection.calls
        steps.append(
            Step(
                b,
                fanout,
                network_rtt(model, catalog, a, b),
                index,
                None,
                None,
                bool(connection and connection.is_async),
            )
        )
    p50 = p99 = 0.0
    known = True
    for step in steps:
        load = loads[step.cid]
        if load.saturated:
            result.saturated.append(step.cid)
        if model.components[step.cid].type == ComponentType.CLIENT or load.service_ms is None:
            step.p50_ms = step.p99_ms = 0.0  # nothing modelled: a user's device, DNS, a sink
        else:
            step.p50_ms = load.quantile(queueing.fanout_quantile(0.5, step.fanout))
            step.p99_ms = load.quantile(queueing.fanout_quantile(0.99, step.fanout))
        if step.p50_ms is None or step.p99_ms is None:
            known = False
        else:
            p50 += step.p50_ms
            p99 += step.p99_ms
        p50 += step.network_ms
        p99 += step.network_ms
        result.network_ms += step.network_ms
        if load.utilisation is not None and (
            result.bottleneck_utilisation is None or load.utilisation > result.bottleneck_utilisation
        ):
            result.bottleneck, result.bottleneck_utilisation = step.cid, load.utilisation
    result.steps = steps
    if known:
        result.p50_ms, result.p99_ms = p50, p99
    return result
