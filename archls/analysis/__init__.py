"""Pure analyses over the model and its graph: load (queueing), cost, availability, chaos.

:func:`figures` is what the editor features (hover, code lens, inlay hints, status bar) show.
Each analysis module fills its part; a figure is None when it cannot be estimated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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


@dataclass
class FlowFigures:
    p50_ms: float | None = None
    p99_ms: float | None = None
    budget_ms: float | None = None
    availability: float | None = None  #: percent, composite over the flow's path


@dataclass
class Figures:
    components: dict[str, ComponentFigures] = field(default_factory=dict)
    flows: dict[str, FlowFigures] = field(default_factory=dict)
    cost_monthly: float | None = None  #: total
    budget_monthly: float | None = None


def figures(model: Architecture, config: Config, graph: ArchGraph | None = None) -> Figures:
    """Cost, load and availability figures for every component and flow."""
    from archls.graph import ArchGraph

    graph = graph or ArchGraph(model)
    out = Figures(budget_monthly=model.requirements.budget_monthly)
    dependents = graph.dependents()
    for cid in model.components:
        out.components[cid] = ComponentFigures(dependents=dependents.get(cid, 0))
    for fid, flow in model.flows.items():
        out.flows[fid] = FlowFigures(budget_ms=flow.latency_budget_ms)
    return out
