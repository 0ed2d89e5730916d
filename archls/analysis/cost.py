"""Monthly cost: an estimate per component from list prices, the total against the budget, and
cheaper alternatives with what they save.

A component's estimate comes from, in order: its ``cost_monthly``; its ``resources.instance``
priced per replica (plus its storage); its technology's way of being sold (Fargate tasks sized by
``resources``, RDS, ElastiCache or MSK instances of a default class, per-request services priced by
the requests the load analysis sends them). Prices are those of the component's region (from
``regions`` or ``zones``), else the configured ``region``. Every line says how it was computed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from archls.analysis.load import DEFAULT_TARGET
from archls.analysis.memo import IdentityMemo
from archls.analysis.text import number, unit_price
from archls.catalog import Instance, parse_instance
from archls.model import COMPUTE_TYPES, ComponentType

if TYPE_CHECKING:
    from archls.analysis.load import LoadResult
    from archls.analysis.profile import Profile
    from archls.catalog import Catalog, Quote
    from archls.config import Config
    from archls.model import Architecture, Component

SECONDS_PER_MONTH = 730 * 3600

#: How a component of each type is sold when its technology does not say.
TYPE_PRICING = {
    ComponentType.SERVICE: "fargate",
    ComponentType.WORKER: "fargate",
    ComponentType.API_GATEWAY: "fargate",
    ComponentType.SCHEDULER: "fargate",
    ComponentType.IDENTITY: "fargate",
    ComponentType.FUNCTION: "lambda",
    ComponentType.LOAD_BALANCER: "alb",
    ComponentType.WAF: "waf",
    ComponentType.CDN: "cloudfront",
    ComponentType.DNS: "route53",
    ComponentType.DATABASE: "rds",
    ComponentType.CACHE: "elasticache",
    ComponentType.QUEUE: "sqs",
    ComponentType.STREAM: "msk",
    ComponentType.OBJECT_STORAGE: "s3",
    ComponentType.SEARCH: "opensearch",
}

#: Instance class assumed for instance-priced services when the component names none.
DEFAULT_INSTANCE = {
    "rds": "db.m6g.large",
    "elasticache": "cache.m6g.large",
    "msk": "kafka.m7g.large",
    "opensearch": "m6g.large.search",
    "mq": "mq.m5.large",
    "ec2": "m6i.large",
}

#: Where a service's attached storage is priced, and the volume type it uses by default.
STORAGE = {
    "rds": ("rds_storage", "gp3"),
    "msk": ("msk_storage", None),
    "opensearch": ("opensearch_storage", "gp3"),
    "ec2": ("ebs", "gp3"),
    "fargate": ("ebs", "gp3"),
}


@dataclass
class Line:
    """One part of a component's estimate."""

    label: str
    monthly: float
    basis: str  #: how it was computed, for people
    source: str = ""  #: catalog source key, or "config"


@dataclass
class ComponentCost:
    cid: str
    monthly: float | None = None  #: None: not estimated (clients, third parties, unknown pricing)
    lines: list[Line] = field(default_factory=list)
    region: str = ""
    overridden: bool = False
    per_replica: float | None = None  #: the part that scales with replicas
    replicas: int = 1
    assumed: list[str] = field(default_factory=list)  #: assumptions the estimate rests on
    note: str = ""  #: why there is no estimate


@dataclass
class Saving:
    """A cheaper way to get the same result."""

    cid: str
    kind: str  #: replicas, generation, arm, storage, nat
    monthly: float  #: US dollars saved per month
    message: str
    path: tuple[Any, ...]
    fix: dict[str, Any] | None = None  #: kind/path/key/value of the edit, when it is mechanical
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class CostResult:
    components: dict[str, ComponentCost]
    total: float
    budget: float | None
    savings: list[Saving]
    region: str
    unpriced: list[str]  #: components without an estimate
    worst_case: float = 0.0  #: the total with every autoscaling group at its maximum
    #: the components that autoscale, in the file's order
    autoscaled: list[str] = field(default_factory=list, repr=False)
    #: what the savings were judged against, and the savings of each component that has some
    saving_parts: tuple[tuple[Any, ...], dict[str, list[Saving]]] = field(default=((), {}), repr=False)

    def savings_for(self, kind: str) -> list[Saving]:
        return [s for s in self.savings if s.kind == kind]


class _Estimator:
    def __init__(self, catalog: Catalog, config: Config, model: Architecture, load: LoadResult) -> None:
        self.catalog = catalog
        self.config = config
        self.model = model
        self.load = load
        self.hours = catalog.hours_per_month

    def monthly_requests(self, cid: str) -> float:
        lam = self.load.components[cid].arrival_rps
        return lam * self.catalog.assumption("average_to_peak") * SECONDS_PER_MONTH

    def unit(self, region: str, service: str, name: str) -> Quote | None:
        return self.catalog.unit(region, service, name)

    def estimate(self, cid: str, component: Component, prof: Profile) -> ComponentCost:
        region = self.catalog.region_name(prof.region)
        out = ComponentCost(cid, region=region, replicas=prof.replicas)
        if component.cost_monthly is not None:
            out.monthly = component.cost_monthly
            out.overridden = True
            out.lines.append(Line("stated", component.cost_monthly, "cost_monthly on the component", "config"))
            return out
        resources = component.resources
        instance = parse_instance(resources.instance) if resources and resources.instance else None
        tech = prof.technology
        if component.type in (ComponentType.CLIENT, ComponentType.EXTERNAL):
            out.note = "a client" if component.type == ComponentType.CLIENT else "a third party"
            return out
        pricing = tech.pricing if tech and tech.pricing else TYPE_PRICING.get(component.type)
        if pricing == "none":
            out.note = f"{tech.name if tech else 'it'} is sold on plans archls does not price"
            return out
        if resources and resources.instance and instance is None:
            out.note = f"instance class '{resources.instance}' is not one archls can price"
            return out
        if instance is not None:
            self._instances(out, instance, prof, component, assumed=False)
        elif pricing in ("rds", "elasticache", "msk", "opensearch", "mq", "ec2"):
            name = (tech.default_instance if tech and tech.default_instance else None) or DEFAULT_INSTANCE[pricing]
            default = parse_instance(name)
            if default is None:  # pragma: no cover - catalog data error
                return out
            out.assumed.append(f"{name} instances (no resources.instance)")
            self._instances(out, default, prof, component, assumed=True)
        elif pricing == "fargate":
            self._fargate(out, component, prof, region)
        elif pricing is not None:
            self._usage(out, pricing, component, prof, region)
        else:
            out.note = {
                ComponentType.CLIENT: "a client",
                ComponentType.EXTERNAL: "a third party",
            }.get(component.type, f"no price for a {component.type.value} of unknown technology")
            return out
        if out.lines:
            out.monthly = sum(line.monthly for line in out.lines)
        elif not out.note:
            out.note = "no price for it in the catalog"
        return out

    # --- instance-priced services ------------------------------------------------------------

    def _instances(
        self, out: ComponentCost, instance: Instance, prof: Profile, component: Component, assumed: bool
    ) -> None:
        quote = self.catalog.instance_hourly(out.region, instance)
        if quote is None:
            out.note = f"no price for {instance.name} in {out.region}"
            return
        replicas = prof.replicas
        per = quote.amount * self.hours
        out.per_replica = per
        label = "brokers" if instance.service == "msk" else "instances"
        out.lines.append(
            Line(
                label,
                per * replicas,
                f"{replicas} x {instance.name} at ${quote.amount:.4g}/h{' (assumed class)' if assumed else ''}"
                + (f", {quote.note}" if quote.note else ""),
                quote.source,
            )
        )
        self._storage(out, instance.service, component, replicas)

    def _storage(self, out: ComponentCost, service: str, component: Component, replicas: int) -> None:
        resources = component.resources
        if resources is None or not resources.storage_gb or service not in STORAGE:
            return
        block, default_type = STORAGE[service]
        volume = (resources.storage_type or default_type or "").lower()
        name = f"{volume}_gb_month" if volume else "gb_month"
        quote = self.unit(out.region, block, name) or self.unit(out.region, block, "gb_month")
        if quote is None:
            return
        amount = resources.storage_gb * quote.amount * replicas
        out.per_replica = (out.per_replica or 0.0) + resources.storage_gb * quote.amount
        out.lines.append(
            Line(
                "storage",
                amount,
                f"{replicas} x {number(resources.storage_gb)} GiB {volume or ''} at ${quote.amount:g}/GiB-month".replace(
                    "  ", " "
                ),
                quote.source,
            )
        )

    # --- containers -----------------------------------------------------------------------------

    def _fargate(self, out: ComponentCost, component: Component, prof: Profile, region: str) -> None:
        resources = component.resources
        vcpu = resources.cpu if resources and resources.cpu else None
        memory = resources.memory_mb if resources and resources.memory_mb else None
        if vcpu is None:
            vcpu = self.catalog.assumption("task_vcpu")
            out.assumed.append(f"{vcpu:g} vCPU per replica (no resources.cpu)")
        if memory is None:
            memory = self.catalog.assumption("task_memory_mb")
            out.assumed.append(f"{memory:g} MiB per replica (no resources.memory_mb)")
        cpu_price = self.unit(region, "fargate", "vcpu_hour")
        mem_price = self.unit(region, "fargate", "gb_hour")
        if cpu_price is None or mem_price is None:
            return
        per = (vcpu * cpu_price.amount + memory / 1024 * mem_price.amount) * self.hours
        out.per_replica = per
        replicas = prof.replicas
        out.lines.append(
            Line(
                "tasks",
                per * replicas,
                f"{replicas} x Fargate {vcpu:g} vCPU + {memory / 1024:g} GiB at ${cpu_price.amount:g}/vCPU-h, "
                f"${mem_price.amount:g}/GiB-h",
                cpu_price.source,
            )
        )
        self._storage(out, "fargate", component, replicas)

    # --- pay-per-use services ----------------------------------------------------------------

    def _usage(self, out: ComponentCost, pricing: str, component: Component, prof: Profile, region: str) -> None:
        requests = self.monthly_requests(out.cid)
        share = self.catalog.assumption("average_to_peak")
        if requests and f"average rate {share:g} x peak" not in out.assumed:
            out.assumed.append(f"average rate {share:g} x peak")
        million = requests / 1e6
        hours = self.hours
        add = out.lines.append
        if pricing == "lambda":
            memory = (component.resources.memory_mb if component.resources else None) or self.catalog.assumption(
                "lambda_memory_mb"
            )
            duration = (prof.service_ms or 50.0) / 1000
            req = self.unit(region, "lambda", "request_million")
            gbs = self.unit(region, "lambda", "gb_second")
            if req and gbs:
                add(
                    Line(
                        "requests",
                        million * req.amount,
                        f"{number(million)} M requests at ${req.amount:g}/M",
                        req.source,
                    )
                )
                seconds = requests * duration * memory / 1024
                add(
                    Line(
                        "compute",
                        seconds * gbs.amount,
                        f"{seconds:,.0f} GB-s at {memory:g} MiB, {duration * 1000:g} ms",
                        gbs.source,
                    )
                )
        elif pricing == "cloudfront":
            kb = self.catalog.assumption("response_kb")
            gb = requests * kb / 1e6
            per_gb = self.unit(region, "cloudfront", "gb")
            per_req = self.unit(region, "cloudfront", "https_10k")
            tiered = self.catalog.tiered(region, "cloudfront", "cloudfront_tiers", gb)
            if per_gb and per_req:
                out.assumed.append(f"{kb:g} KB per response")
                if tiered is not None and gb > 0:
                    amount, source = tiered
                    add(Line("transfer", amount, f"{number(gb)} GB at ${amount / gb:.3f}/GB (volume tiers)", source))
                else:
                    add(
                        Line("transfer", gb * per_gb.amount, f"{number(gb)} GB at ${per_gb.amount:g}/GB", per_gb.source)
                    )
                add(
                    Line(
                        "requests",
                        requests / 1e4 * per_req.amount,
                        f"{number(million)} M HTTPS requests",
                        per_req.source,
                    )
                )
        elif pricing == "s3":
            storage = (component.resources.storage_gb if component.resources else None) or None
            if storage is None:
                storage = self.catalog.assumption("object_storage_gb")
                out.assumed.append(f"{storage:g} GB stored (no resources.storage_gb)")
            gb = self.unit(region, "s3", "gb_month")
            get = self.unit(region, "s3", "get_thousand")
            put = self.unit(region, "s3", "put_thousand")
            if gb and get and put:
                add(Line("storage", storage * gb.amount, f"{number(storage)} GB at ${gb.amount:g}/GB-month", gb.source))
                per_k = 0.95 * get.amount + 0.05 * put.amount
                add(Line("requests", requests / 1000 * per_k, f"{number(million)} M requests (95% reads)", get.source))
        elif pricing in ("sqs", "sns", "api_gateway"):
            price = self.unit(region, pricing, "request_million")
            api_calls = 3 if pricing == "sqs" else 1  # send, receive, delete
            if price:
                add(
                    Line(
                        "requests",
                        million * api_calls * price.amount,
                        f"{number(million * api_calls)} M API requests at ${price.amount:g}/M",
                        price.source,
                    )
                )
        elif pricing == "dynamodb":
            read = self.unit(region, "dynamodb", "read_million")
            write = self.unit(region, "dynamodb", "write_million")
            gb = self.unit(region, "dynamodb", "gb_month")
            if read and write and gb:
                add(
                    Line(
                        "requests",
                        million * (0.8 * read.amount + 0.2 * write.amount),
                        f"{number(million)} M on-demand requests (80% reads)",
                        read.source,
                    )
                )
                storage = (
                    component.resources.storage_gb if component.resources and component.resources.storage_gb else 0
                )
                if storage:
                    add(
                        Line(
                            "storage",
                            storage * gb.amount,
                            f"{number(storage)} GB at ${gb.amount:g}/GB-month",
                            gb.source,
                        )
                    )
        elif pricing in ("alb", "nlb"):
            hour = self.unit(region, pricing, "hour")
            lcu = self.unit(region, pricing, "lcu_hour")
            if hour and lcu:
                kb = self.catalog.assumption("response_kb")
                lam = self.load.components[out.cid].arrival_rps * share
                lcus = max(1.0, lam * kb * 3600 / 1e6)
                add(Line("hours", hour.amount * hours, f"{hours:g} h at ${hour.amount:g}/h", hour.source))
                add(
                    Line(
                        "capacity units",
                        lcus * lcu.amount * hours,
                        f"{lcus:,.1f} LCU at ${lcu.amount:g}/LCU-h",
                        lcu.source,
                    )
                )
        elif pricing == "nat_gateway":
            hour = self.unit(region, "nat_gateway", "hour")
            if hour:
                count = component.replicas if component.replicas is not None else max(1, len(component.zones))
                out.per_replica = hour.amount * hours
                out.replicas = count
                add(
                    Line(
                        "gateways",
                        count * hour.amount * hours,
                        f"{count} x {hours:g} h at ${hour.amount:g}/h (data processing not included)",
                        hour.source,
                    )
                )
        elif pricing == "waf":
            acl = self.unit(region, "waf", "acl_month")
            rule = self.unit(region, "waf", "rule_month")
            req = self.unit(region, "waf", "request_million")
            if acl and rule and req:
                rules = self.catalog.assumption("waf_rules")
                add(Line("web ACL", acl.amount + rules * rule.amount, f"1 web ACL and {rules:g} rules", acl.source))
                add(
                    Line(
                        "requests",
                        million * req.amount,
                        f"{number(million)} M requests at ${req.amount:g}/M",
                        req.source,
                    )
                )
        elif pricing == "route53":
            zone = self.unit(region, "route53", "zone_month")
            if zone:
                add(Line("hosted zone", zone.amount, "1 hosted zone", zone.source))


_memo = IdentityMemo()


def analyse(
    model: Architecture,
    catalog: Catalog,
    config: Config,
    profiles: dict[str, Profile],
    load: LoadResult,
    since: tuple[CostResult, set[str]] | None = None,
) -> CostResult:
    """``since``: the result before an edit that kept the set of components, and the components
    whose profile or arrivals it changed; the others keep their estimates."""
    estimator = _Estimator(catalog, config, model, load)
    if since is not None:
        components = dict(since[0].components)
        for cid in since[1]:
            if cid in components:
                components[cid] = estimator.estimate(cid, model.components[cid], profiles[cid])
    else:
        components = {
            cid: _memo.get(
                (c, profiles[cid], catalog),
                (cid, load.components[cid].arrival_rps),
                lambda: estimator.estimate(cid, c, profiles[cid]),  # noqa: B023
            )
            for cid, c in model.components.items()
        }
    total = sum(c.monthly for c in components.values() if c.monthly is not None)
    if since is not None:
        scaled = [cid for cid in since[0].autoscaled if cid not in since[1]]
        news = [cid for cid in since[1] if model.components[cid].autoscaling is not None]
        if news:
            scaled = [cid for cid in model.components if cid in {*scaled, *news}]
    else:
        scaled = [cid for cid, component in model.components.items() if component.autoscaling is not None]
    worst = total
    for cid in scaled:
        cost = components[cid]
        if cost.per_replica is not None and not cost.overridden:
            worst += cost.per_replica * (model.components[cid].autoscaling.max - profiles[cid].replicas)  # type: ignore[union-attr]
    result = CostResult(
        components=components,
        total=total,
        budget=model.requirements.budget_monthly,
        savings=[],
        region=catalog.region_name(config.region),
        unpriced=[cid for cid, c in components.items() if c.monthly is None],
        worst_case=worst,
        autoscaled=scaled,
    )
    terms = _saving_terms(model, config, load)
    kept = since[0].saving_parts if since is not None and since[0].saving_parts[0] == terms else None
    by_component: dict[str, list[Saving]] = {}
    if kept is not None:
        by_component = dict(kept[1])
        added = False
        for cid in since[1]:  # type: ignore[index]
            found = _component_savings(cid, model.components[cid], catalog, profiles[cid], load, components[cid], terms)
            if found:
                added = added or cid not in by_component
                by_component[cid] = found
            else:
                by_component.pop(cid, None)
        if added:  # in the file's order again
            by_component = {cid: by_component[cid] for cid in model.components if cid in by_component}
    else:
        for cid, component in model.components.items():
            found = _component_savings(cid, component, catalog, profiles[cid], load, components[cid], terms)
            if found:
                by_component[cid] = found
    # A suggestion worth the work: at least this many dollars and this share of the total.
    scale = max(total, model.requirements.budget_monthly or 0.0)
    minimum = max(
        float(config.thresholds.get("cost.min_saving_monthly", 20.0)),
        float(config.thresholds.get("cost.min_saving_share", 0.01)) * scale,
    )
    result.savings = [
        saving
        for found in by_component.values()
        for saving in found
        if saving.kind not in _AT_LEAST_MINIMUM or saving.monthly >= minimum
    ]
    # the candidates of each component, before the minimum (which follows the total): kept for the next edit
    result.saving_parts = (terms, by_component)
    return result


#: Savings suggested only when they reach the minimum worth the work (the others are always worth it).
_AT_LEAST_MINIMUM = frozenset({"replicas", "arm"})


# --- cheaper alternatives ----------------------------------------------------------------------


def replicas_needed(arrival: float, per_replica: float, target: float, floor: int) -> int:
    """Replicas that serve ``arrival`` at ``target`` utilisation, never fewer than ``floor``."""
    return max(math.ceil(arrival / (per_replica * target)) if arrival > 0 else 0, floor, 1)


def _saving_terms(model: Architecture, config: Config, load: LoadResult) -> tuple[Any, ...]:
    """What every component's savings are judged against: the target utilisation, the availability
    target, and whether the file says anything about load."""
    target = float(config.thresholds.get("load.target_utilisation", DEFAULT_TARGET))
    return target, model.requirements.availability, load.has_load


def _component_savings(
    cid: str,
    component: Component,
    catalog: Catalog,
    prof: Profile,
    load: LoadResult,
    cost: ComponentCost,
    terms: tuple[Any, ...],
) -> list[Saving]:
    """The savings ``cid`` could make, each kind in ``_AT_LEAST_MINIMUM`` whatever its size (the caller
    keeps those worth the work)."""
    out: list[Saving] = []
    target, target_availability, _ = terms
    if cost.overridden or cost.monthly is None:
        return out
    lc = load.components[cid]
    # Over-provisioned replicas of stateless compute, measured against what the flows send.
    if (
        load.has_load
        and component.type in COMPUTE_TYPES | {ComponentType.LOAD_BALANCER}
        and lc.queued
        and lc.per_replica_rps
        and lc.arrival_rps > 0
        and cost.per_replica
    ):
        current = component.autoscaling.min if component.autoscaling else component.replicas
        if current is not None:
            floor = 2 if current >= 2 else 1
            floor = max(floor, min(prof.zones, current))
            needed = replicas_needed(lc.arrival_rps, lc.per_replica_rps, target, floor)
            saving = (current - needed) * cost.per_replica
            if needed < current:
                key = "min" if component.autoscaling else "replicas"
                path = (
                    ("components", cid, "autoscaling", "min")
                    if component.autoscaling
                    else ("components", cid, "replicas")
                )
                out.append(
                    Saving(
                        cid,
                        "replicas",
                        saving,
                        f"{cid} runs {current} replicas{' at least' if component.autoscaling else ''}; "
                        f"{lc.arrival_rps:,.0f} rps needs {needed} at {target:.0%} utilisation "
                        f"({lc.per_replica_rps:,.0f} rps each)"
                        + (f", {floor} kept for redundancy" if floor > 1 and needed == floor else ""),
                        path,
                        fix={"kind": "set", "path": path[:-1], "key": key, "value": needed},
                        extra={"current": current, "needed": needed},
                    )
                )
    instance_name = component.resources.instance if component.resources else None
    instance = parse_instance(instance_name) if instance_name else None
    replicas = prof.replicas
    if instance is not None:
        for kind, better in (
            ("generation", catalog.previous_generation(instance)),
            ("arm", catalog.arm_equivalent(instance)),
        ):
            if better is None:
                continue
            old = catalog.instance_hourly(cost.region, instance)
            new = catalog.instance_hourly(cost.region, better)
            if old is None or new is None:
                continue
            saving = (old.amount - new.amount) * catalog.hours_per_month * replicas
            if saving <= 0:
                continue
            out.append(
                Saving(
                    cid,
                    kind,
                    saving,
                    f"{better.name} costs {unit_price(new.amount)}/h instead of {unit_price(old.amount)}/h"
                    f" for {replicas} {'replica' if replicas == 1 else 'replicas'}",
                    ("components", cid, "resources", "instance"),
                    fix={
                        "kind": "replace",
                        "path": ("components", cid, "resources", "instance"),
                        "value": better.name,
                    },
                    extra={"from": instance.name, "to": better.name},
                )
            )
    # gp2 volumes cost more than gp3 for the same size and baseline.
    resources = component.resources
    if resources is not None and resources.storage_gb and (resources.storage_type or "").lower() == "gp2":
        service = instance.service if instance else (prof.technology.pricing if prof.technology else None) or "ec2"
        block = STORAGE.get(service, ("ebs", "gp3"))[0]
        gp2 = catalog.unit(cost.region, block, "gp2_gb_month")
        gp3 = catalog.unit(cost.region, block, "gp3_gb_month")
        if gp2 and gp3:
            saving = resources.storage_gb * (gp2.amount - gp3.amount) * max(replicas, 1)
            if saving > 0:
                out.append(
                    Saving(
                        cid,
                        "storage",
                        saving,
                        f"{resources.storage_gb:g} GiB of gp3 costs {unit_price(gp3.amount)} per GiB-month instead of "
                        f"{unit_price(gp2.amount)} for gp2, on {max(replicas, 1)} "
                        f"{'volume' if max(replicas, 1) == 1 else 'volumes'}",
                        ("components", cid, "resources", "storage_type"),
                        fix={
                            "kind": "replace",
                            "path": ("components", cid, "resources", "storage_type"),
                            "value": "gp3",
                            "safe": True,
                        },
                    )
                )
    # One NAT gateway per zone buys availability the target does not ask for.
    tech = prof.technology
    if (
        tech is not None
        and tech.pricing == "nat_gateway"
        and cost.per_replica
        and cost.replicas > 1
        and (target_availability is None or target_availability < 99.95)
    ):
        saving = (cost.replicas - 1) * cost.per_replica
        path = ("components", cid, "replicas")
        out.append(
            Saving(
                cid,
                "nat",
                saving,
                f"{cost.replicas} NAT gateways at ${cost.per_replica:,.0f}/month each"
                + (
                    f" for an availability target of {target_availability:g}%"
                    if target_availability is not None
                    else " with no availability target"
                ),
                path,
                fix={"kind": "set", "path": path[:-1], "key": "replicas", "value": 1},
                extra={"count": cost.replicas},
            )
        )
    return out
