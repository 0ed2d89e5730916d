"""Availability: of each component from its replicas and zones, and of each flow from the
components it cannot do without.

A component the team runs is up when at least one of its zones is up and at least one replica
is: ``(1 - (1 - zone)^z) x (1 - (1 - replica)^n)`` for n replicas over z zones, capped at the
multi-zone ceiling (failover and deploys are never instant). A managed service is its SLA. A
flow needs every component on its path up to the first hop it does not wait for (an async
hand-over, an optional call, a call with a fallback): the product of their availabilities.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING

from archls.analysis.load import adjacency, hop_connection
from archls.analysis.memo import IdentityMemo
from archls.model import ComponentType

if TYPE_CHECKING:
    from archls.analysis.load import Adjacency
    from archls.analysis.profile import Profile
    from archls.catalog import Catalog
    from archls.graph import ArchGraph
    from archls.model import Architecture, Connection


@dataclass
class ComponentAvailability:
    cid: str
    value: float | None  #: 0..1; None for clients
    basis: str
    replicas: int = 1
    zones: int = 1
    zones_assumed: bool = False  #: no zones listed, so one is assumed
    managed: bool = False  #: an SLA figure, not replicas and zones
    source: str = ""


@dataclass
class FlowAvailability:
    fid: str
    value: float | None
    members: list[str] = field(default_factory=list)  #: the components the flow needs
    cut_at: str | None = None  #: the component after which the flow no longer waits

    def weakest(self, components: dict[str, ComponentAvailability]) -> str | None:
        known = [m for m in self.members if components[m].value is not None]
        return min(known, key=lambda m: components[m].value or 0.0) if known else None


@dataclass
class AvailabilityResult:
    components: dict[str, ComponentAvailability]
    flows: dict[str, FlowAvailability]
    target: float | None  #: 0..1


def waits_for(connection: Connection | None) -> bool:
    """Whether the caller fails when this call fails."""
    if connection is None:
        return True
    return not connection.is_async and connection.required and not connection.fallback


def component(cid: str, prof: Profile, catalog: Catalog) -> ComponentAvailability:
    figures = prof.figures
    if prof.type == ComponentType.CLIENT:
        return ComponentAvailability(cid, None, "a client is not part of the system's availability")
    if figures.sla is not None:
        source = figures.availability_source or ""
        return ComponentAvailability(
            cid, figures.sla, f"SLA {figures.sla:.4%} ({prof.figures_from})", managed=True, source=source
        )
    if prof.type == ComponentType.EXTERNAL:
        fig = catalog.availability("external")
        return ComponentAvailability(
            cid, fig.value, f"third party, {fig.value:.3%} assumed", managed=True, source=fig.source
        )
    replica = figures.availability or catalog.availability("replica").value
    zone = catalog.availability("zone").value
    ceiling = catalog.availability("multi_zone_ceiling").value
    n = prof.replicas
    if n <= 0:
        return ComponentAvailability(cid, 0.0, "no replicas", replicas=0, zones=prof.zones)
    value = 1 - (1 - replica) ** n
    if prof.zones:
        # Replicas in z zones survive as long as one zone is up; one zone is a single failure domain.
        z = max(1, min(prof.zones, n))
        value *= 1 - (1 - zone) ** z
    else:
        z = 0  # not listed: the platform may spread the replicas or not; only replicas are counted
    if n >= 2:
        # Failover, deploys and shared configuration are never perfectly redundant.
        value = min(value, catalog.availability("three_zone_ceiling").value if z >= 3 else ceiling)
    where = f"in {z} {'zone' if z == 1 else 'zones'}" if z else "zones not listed"
    basis = f"{n} {'replica' if n == 1 else 'replicas'} at {replica:.2%}, {where}"
    return ComponentAvailability(cid, value, basis, replicas=n, zones=z, zones_assumed=not prof.zones, source="ec2-sla")


_memo = IdentityMemo()


def hard_dependencies(model: Architecture, graph: ArchGraph, adj: Adjacency | None = None) -> set[str]:
    """Components some entry point cannot work without: reached over calls it waits for."""
    adj = adj if adj is not None else adjacency(model)
    seen: set[str] = set()
    stack = [cid for cid in graph.entry_points if cid in model.components]
    seen.update(stack)
    while stack:
        cid = stack.pop()
        for _, connection in adj.get(cid, ()):
            if waits_for(connection) and connection.target in model.components and connection.target not in seen:
                seen.add(connection.target)
                stack.append(connection.target)
    return seen


def analyse(
    model: Architecture,
    graph: ArchGraph,
    catalog: Catalog,
    profiles: dict[str, Profile],
    adj: Adjacency | None = None,
    since: tuple[AvailabilityResult, set[str]] | None = None,
) -> AvailabilityResult:
    """``since``: the result before an edit that kept the set of components, and the components
    whose profile it changed; the others keep their figures."""
    if since is not None:
        components = dict(since[0].components)
        for cid in since[1]:
            if cid in components:
                components[cid] = component(cid, profiles[cid], catalog)
    else:
        components = {
            cid: _memo.get((profiles[cid], catalog), cid, lambda: component(cid, profiles[cid], catalog))  # noqa: B023
            for cid in model.components
        }
    adj = adj if adj is not None else adjacency(model)
    flows: dict[str, FlowAvailability] = {}
    for fid, flow in model.flows.items():
        path = [cid for cid in flow.path if cid in model.components]
        members: list[str] = []
        cut_at = None
        if path:
            members.append(path[0])
            for a, b in pairwise(path):
                index = hop_connection(adj, a, b)
                connection = model.connections[index] if index is not None else None
                if connection is not None and connection.source != a:
                    connection = None  # only a response travels b -> a; the call itself is not modelled
                if not waits_for(connection):
                    cut_at = a
                    break
                if b not in members:
                    members.append(b)
        counted = [m for m in members if components[m].value is not None]
        value = None
        if counted:
            value = 1.0
            for m in counted:
                value *= components[m].value or 0.0
        flows[fid] = FlowAvailability(fid, value, counted, cut_at)
    target = model.requirements.availability
    return AvailabilityResult(components, flows, target / 100 if target is not None else None)
