"""Pure analyses over the model and its graph: load (queueing), cost, availability.

:func:`results` runs them all once per model and configuration (rules share it through the rule
context; editor features through :func:`figures`). :func:`figures` is what the editor features
(hover, code lens, inlay hints, status bar) show; a figure is None when it cannot be estimated.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from archls import tracking

if TYPE_CHECKING:
    from archls.analysis.availability import AvailabilityResult
    from archls.analysis.cost import CostResult
    from archls.analysis.load import LoadResult
    from archls.analysis.profile import Profile
    from archls.catalog import Catalog
    from archls.config import Config
    from archls.graph import ArchGraph
    from archls.model import Architecture


@dataclass
class ComponentFigures:
    cost_monthly: float | None = None  #: US dollars per month, all replicas
    utilisation: float | None = None  #: 0..1 (or above 1 when overloaded) at the flows' peak rates
    p50_ms: float | None = None  #: time a request spends in this component, median
    p99_ms: float | None = None  #: ... 99th percentile
    capacity_rps: float | None = None  #: what all replicas sustain together
    dependents: int = 0  #: components that fail when this one fails (blocking callers, transitively)
    arrival_rps: float | None = None  #: requests per second reaching it at peak
    availability: float | None = None  #: percent, from replicas and zones (or the SLA)


@dataclass
class FlowFigures:
    p50_ms: float | None = None
    p99_ms: float | None = None
    budget_ms: float | None = None
    availability: float | None = None  #: percent, composite over the flow's path
    rps: float | None = None
    bottleneck: str | None = None  #: the path component with the highest utilisation


@dataclass
class Figures:
    components: dict[str, ComponentFigures] = field(default_factory=dict)
    flows: dict[str, FlowFigures] = field(default_factory=dict)
    cost_monthly: float | None = None  #: total
    budget_monthly: float | None = None
    savings_monthly: float | None = None  #: what the cheaper alternatives would save together
    availability_target: float | None = None  #: percent


@dataclass
class Results:
    """Every analysis of one model under one configuration."""

    catalog: Catalog
    profiles: dict[str, Profile]
    load: LoadResult
    cost: CostResult
    availability: AvailabilityResult
    #: Components whose figures (profile, load, cost or availability) an update from the results
    #: before an edit computed again; None when every figure was computed.
    changed: set[str] | None = None
    #: What the parts computed over the whole graph (the arrivals) read: an edit to one of these
    #: changes other components' figures, so it is not local to the components it touched.
    spanning: frozenset[tracking.Read] | None = None


@dataclass
class Earlier:
    """The results for the model before an edit, and what the edit changed (see :mod:`archls.tracking`)."""

    model: Architecture
    results: Results
    changed: set[tracking.Read]
    parts: tracking.Parts


#: What may change with the results updated in place of computed again: the components' own settings,
#: connections and flows (the arrivals are computed again when they read what changed). Anything else
#: (components added or removed, groups, requirements) computes everything.
_UPDATABLE = frozenset({"component", "connection", "flow"})


# Results by model identity and configuration; the model is kept alive with them so the id stays valid.
_results: OrderedDict[tuple[int, str], tuple[Architecture, Results, Any]] = OrderedDict()
_RESULTS_SIZE = 8
_lock = threading.Lock()  # the server may ask for figures from worker threads


def results(
    model: Architecture, config: Config, graph: ArchGraph | None = None, earlier: Earlier | None = None
) -> Results:
    """Run the profile, load, cost and availability analyses (cached per model and configuration).

    With ``earlier`` (the results for the same configuration before an edit), only what the edit
    touched is computed again: the changed components' profiles, the arrivals when they read
    something that changed, and the figures of the components whose profile or arrivals changed."""
    key = (id(model), config.model_dump_json(include={"region", "thresholds", "catalog"}))
    with _lock:
        hit = _results.get(key)
        if hit is not None and hit[0] is model:
            _results.move_to_end(key)
            tracking.replay(hit[2])
            return hit[1]
    from archls import catalog as catalogue
    from archls.analysis import availability, cost, load, profile
    from archls.graph import ArchGraph

    def compute() -> Results:
        nonlocal graph
        graph = graph or ArchGraph(model)
        data = catalogue.for_config(config)
        if earlier is not None and _updatable(earlier, data):
            return _update(model, config, graph, data, earlier)
        profiles = profile.profiles(model, data, config)
        loads = load.analyse(model, graph, data, config, profiles)
        return Results(
            catalog=data,
            profiles=profiles,
            load=loads,
            cost=cost.analyse(model, data, config, profiles, loads),
            availability=availability.analyse(model, graph, data, profiles, loads.adjacency),
            spanning=loads.arrivals[1] if loads.arrivals is not None else None,
        )

    out, reads = tracking.computed(compute)
    with _lock:
        _results[key] = (model, out, reads)
        if len(_results) > _RESULTS_SIZE:
            _results.popitem(last=False)
    return out


def _updatable(earlier: Earlier, data: Catalog) -> bool:
    return (
        earlier.results.catalog is data
        and earlier.results.load.arrivals is not None
        and all(kind in _UPDATABLE for kind, _ in earlier.changed)
    )


def _update(model: Architecture, config: Config, graph: ArchGraph, data: Catalog, earlier: Earlier) -> Results:
    from archls.analysis import availability, cost, load, profile

    before = earlier.results
    touched = earlier.parts.components
    profiles = profile.profiles(model, data, config, (before.profiles, touched))
    same_connections = not earlier.parts.connections and ("architecture", "connections") not in earlier.changed
    loads = load.analyse(
        model, graph, data, config, profiles, load.Since(before.load, earlier.changed, touched, same_connections)
    )
    # whether the file says anything about load decides for every component at once
    changed = touched | (loads.changed or set()) if loads.has_load == before.load.has_load else None
    return Results(
        catalog=data,
        profiles=profiles,
        load=loads,
        cost=cost.analyse(model, data, config, profiles, loads, (before.cost, touched | (loads.changed or set()))),
        availability=availability.analyse(
            model, graph, data, profiles, loads.adjacency, (before.availability, touched)
        ),
        changed=changed,
        spanning=loads.arrivals[1] if loads.arrivals is not None else None,
    )


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def figures(model: Architecture, config: Config, graph: ArchGraph | None = None) -> Figures:
    """Cost, load and availability figures for every component and flow."""
    from archls.graph import ArchGraph

    graph = graph or ArchGraph(model)
    res = results(model, config, graph)
    out = Figures(
        budget_monthly=model.requirements.budget_monthly,
        cost_monthly=res.cost.total if res.cost.total or not res.cost.unpriced else None,
        savings_monthly=sum(s.monthly for s in res.cost.savings) or None,
        availability_target=model.requirements.availability,
    )
    dependents = graph.dependents()
    loaded = res.load.has_load
    for cid in model.components:
        lc = res.load.components[cid]
        cc = res.cost.components[cid]
        ac = res.availability.components[cid]
        out.components[cid] = ComponentFigures(
            cost_monthly=cc.monthly,
            utilisation=_finite(lc.utilisation) if loaded else None,
            p50_ms=_finite(lc.p50_ms),
            p99_ms=_finite(lc.p99_ms),
            capacity_rps=lc.max_capacity_rps,
            dependents=dependents.get(cid, 0),
            arrival_rps=lc.arrival_rps if loaded else None,
            availability=ac.value * 100 if ac.value is not None else None,
        )
    for fid, flow in model.flows.items():
        fl = res.load.flows[fid]
        fa = res.availability.flows[fid]
        out.flows[fid] = FlowFigures(
            p50_ms=_finite(fl.p50_ms),
            p99_ms=_finite(fl.p99_ms),
            budget_ms=flow.latency_budget_ms,
            availability=fa.value * 100 if fa.value is not None else None,
            rps=flow.rps,
            bottleneck=fl.bottleneck,
        )
    return out


def summary(model: Architecture, config: Config, graph: ArchGraph | None = None) -> dict[str, Any]:
    """The headline figures as plain data (CLI JSON output)."""
    res = results(model, config, graph)
    return {
        "cost_monthly": round(res.cost.total, 2),
        "budget_monthly": model.requirements.budget_monthly,
        "region": res.cost.region,
        "entry_rps": res.load.entry_rps,
        "limit_rps": res.load.limit_rps,
        "limiting": res.load.limiting,
    }
