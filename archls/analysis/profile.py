"""What archls knows about each component before any analysis: its technology (from `technology`
or from its image), version, replicas, zones, region and the load figures that apply, each with
where it came from. Explicit values on the component win over the catalog.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from archls.analysis.memo import IdentityMemo
from archls.catalog import LoadFigures, Technology, parse_instance
from archls.model import ComponentType, GroupType

if TYPE_CHECKING:
    from archls.catalog import Catalog
    from archls.config import Config
    from archls.model import Architecture, Component

_REGION = re.compile(r"^([a-z]{2}(?:-gov)?-[a-z]+-\d+)[a-z]?$")

#: Types whose work is not modelled as queueing: users, DNS, observability sinks.
UNMODELLED = frozenset(
    {ComponentType.CLIENT, ComponentType.DNS, ComponentType.MONITORING, ComponentType.LOGGING, ComponentType.SCHEDULER}
)


@dataclass(frozen=True, slots=True)
class Profile:
    cid: str
    type: ComponentType
    technology: Technology | None
    technology_via: str | None  #: "technology" or "image"
    version: str | None
    version_via: str | None  #: "version" or "image"
    figures: LoadFigures
    figures_from: str  #: e.g. "postgresql" or "type service"
    per_replica_rps: float | None
    capacity_from: str  #: "capacity_rps" or the catalog source key
    service_ms: float | None
    service_from: str  #: "latency_ms" or the catalog source key
    vcpu: float | None
    vcpu_from: str | None
    replicas: int
    replicas_max: int
    zones: int
    region: str
    region_from: str  #: "regions", "zones" or "config"

    @property
    def queued(self) -> bool:
        """Whether the component has a capacity, so load makes requests wait."""
        return self.per_replica_rps is not None and self.type not in UNMODELLED

    @property
    def servers_per_replica(self) -> int:
        """Requests one replica serves at once: its throughput times its service time (Little's law)."""
        if self.per_replica_rps is None or self.service_ms is None:
            return 1
        return max(1, round(self.per_replica_rps * self.service_ms / 1000))

    @property
    def managed(self) -> bool:
        return bool(self.technology and self.technology.managed)


def region_of(component: Component, default: str, group: str | None = None) -> tuple[str, str]:
    if component.regions:
        return str(component.regions[0]), "regions"
    for zone in component.zones:
        region = _zone_region(str(zone))
        if region:
            return region, "zones"
    if group:
        return group, "groups"
    return default, "config"


def region_groups(model: Architecture) -> dict[str, str]:
    """Components inside a group of type region named like one (``eu-west-1``), by component."""
    out: dict[str, str] = {}
    for gid, group in model.groups.items():
        if group.type == GroupType.REGION and _zone_region(gid) == gid.lower():
            for member in group.members:
                out.setdefault(member, gid.lower())
    return out


@lru_cache(maxsize=4096)
def _zone_region(zone: str) -> str | None:
    found = _REGION.match(zone.strip().lower())
    return found.group(1) if found else None


def profile(
    cid: str, component: Component, catalog: Catalog, config: Config, group_region: str | None = None
) -> Profile:
    tech: Technology | None = catalog.technology(component.technology)
    tech_via = "technology" if tech else None
    version = component.version
    version_via = "version" if version else None
    if component.image:
        from_image = catalog.technology_for_image(component.image)
        if from_image is not None:
            image_tech, image_version = from_image
            if tech is None and not component.technology:
                tech, tech_via = image_tech, "image"
            if not version and image_version and tech is not None and image_tech.id == tech.id:
                version, version_via = image_version, "image"
    figures: LoadFigures
    if tech is not None and (tech.throughput_rps is not None or tech.service_ms is not None or tech.sla is not None):
        figures, figures_from = tech, tech.id
    else:
        figures, figures_from = catalog.type_figures(component.type.value), f"type {component.type.value}"

    resources = component.resources
    vcpu: float | None = None
    vcpu_from: str | None = None
    if resources is not None and resources.cpu is not None:
        vcpu, vcpu_from = resources.cpu, "resources.cpu"
    elif resources is not None and resources.instance:
        instance = parse_instance(resources.instance)
        found = catalog.vcpus(instance) if instance else None
        if found is not None:
            vcpu, vcpu_from = found, f"instance {resources.instance}"
    if vcpu is None and figures.per_vcpu:
        vcpu, vcpu_from = figures.default_vcpu, "assumed"

    per_replica: float | None
    if component.capacity_rps is not None:
        per_replica, capacity_from = component.capacity_rps, "capacity_rps"
    elif figures.elastic:
        per_replica, capacity_from = None, "elastic"
    elif figures.throughput_rps is not None:
        per_replica = figures.throughput_rps * ((vcpu or 1.0) if figures.per_vcpu else 1.0)
        capacity_from = figures.source or "catalog"
    else:
        per_replica, capacity_from = None, ""
    if component.latency_ms is not None:
        service_ms: float | None = component.latency_ms
        service_from = "latency_ms"
    else:
        service_ms, service_from = figures.service_ms, figures.source or "catalog"

    replicas = component.replica_count
    replicas_max = component.autoscaling.max if component.autoscaling else replicas
    zones = len({str(z) for z in component.zones})
    region, region_from = region_of(component, config.region, group_region)
    return Profile(
        cid=cid,
        type=component.type,
        technology=tech,
        technology_via=tech_via,
        version=str(version) if version else None,
        version_via=version_via,
        figures=figures,
        figures_from=figures_from,
        per_replica_rps=per_replica,
        capacity_from=capacity_from,
        service_ms=service_ms,
        service_from=service_from,
        vcpu=vcpu,
        vcpu_from=vcpu_from,
        replicas=replicas,
        replicas_max=max(replicas_max, replicas),
        zones=zones,
        region=region,
        region_from=region_from,
    )


_memo = IdentityMemo()


def profiles(
    model: Architecture,
    catalog: Catalog,
    config: Config,
    since: tuple[dict[str, Profile], set[str]] | None = None,
) -> dict[str, Profile]:
    """Every component's profile. ``since`` (the profiles of the model before an edit that left the
    groups and the set of components as they were, and the components it changed) keeps the others."""
    groups = region_groups(model) if model.groups else {}
    if since is not None:
        out = dict(since[0])
        for cid in since[1]:
            component = model.components.get(cid)
            if component is not None:
                out[cid] = profile(cid, component, catalog, config, groups.get(cid))
        return out
    return {
        cid: _memo.get(
            (component, catalog),
            (cid, config.region, groups.get(cid)),
            lambda: profile(cid, component, catalog, config, groups.get(cid)),  # noqa: B023
        )
        for cid, component in model.components.items()
    }
