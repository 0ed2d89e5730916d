"""Cost (COST): the monthly estimate against the budget, and cheaper ways to the same result.

Estimates come from :mod:`archls.analysis.cost`: AWS on-demand list prices from the catalog for
the component's region, or the component's own ``cost_monthly``. `archls cost FILE` prints the
whole estimate line by line.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING

from archls.analysis.text import usd
from archls.findings import Severity
from archls.rules.load import analysed
from archls.rules.registry import Fix, Hit, RuleContext, rule

if TYPE_CHECKING:
    from archls.analysis.cost import Saving

REFS_PRICING = (
    "AWS Well-Architected Framework, Cost Optimization pillar (COST06: select the correct resource type, size and number)",
    "AWS pricing pages listed in archls/catalog/prices.yaml",
)


def _fix(saving: Saving, title: str) -> Fix | None:
    if saving.fix is None:
        return None
    spec = saving.fix
    return Fix(
        title, spec["kind"], tuple(spec["path"]), spec.get("value"), spec.get("key"), safe=spec.get("safe", False)
    )


def _largest(ctx: RuleContext, count: int = 3) -> str:
    costs = analysed(ctx).cost.components
    ranked = sorted(((c.monthly, cid) for cid, c in costs.items() if c.monthly), key=lambda item: (-item[0], item[1]))[
        :count
    ]
    return ", ".join(f"{cid} {usd(monthly)}" for monthly, cid in ranked)


@rule(
    "COST001",
    "Estimated cost over budget",
    severity=Severity.ERROR,
    what=(
        "The monthly estimate of all components, from list prices for their region (or their own "
        "`cost_monthly`), is above `requirements.budget_monthly`."
    ),
    why="The architecture as drawn costs more than the money there is for it; this is cheapest to learn before it is built.",
    example="""
requirements: {budget_monthly: 2000}
components:
  db: {type: database, technology: postgresql, replicas: 2, resources: {instance: db.r6g.4xlarge}}   # ~$2,600
""",
    fix=(
        "Act on the cheaper alternatives archls lists (COST002-COST007), size down the largest items the "
        "message names, or revise the budget. `archls cost FILE` shows every line of the estimate."
    ),
    references=REFS_PRICING,
)
def over_budget(ctx: RuleContext) -> Iterator[Hit]:
    budget = ctx.model.requirements.budget_monthly
    if budget is None:
        return
    cost = analysed(ctx).cost
    if cost.total <= budget:
        return
    over = cost.total - budget
    share = f" ({over / budget:.0%})" if budget else ""
    yield Hit(
        ("requirements", "budget_monthly"),
        f"estimated {usd(cost.total)}/month exceeds the {usd(budget)} budget by {usd(over)}{share}; "
        f"largest: {_largest(ctx)}",
        data={"estimate": cost.total},
    )


@rule(
    "COST002",
    "More replicas than the load needs",
    severity=Severity.INFO,
    what=(
        "A service, worker, gateway or load balancer runs more replicas (or a higher autoscaling minimum) "
        "than its peak arrival rate needs at `thresholds.load.target_utilisation` (default 0.7), keeping at least "
        "two (or one per zone listed) when it already has two. Reported when the saving is at least "
        "`thresholds.cost.min_saving_monthly` ($20) and `thresholds.cost.min_saving_share` (1%) of the estimate."
    ),
    why="Idle replicas are paid for every hour; redundancy is kept, only the surplus is counted.",
    example="""
components:
  api: {type: service, technology: go, replicas: 10, resources: {cpu: 1}}   # 4,000 rps each
flows:
  browse: {rps: 2000, path: [web, api]}      # needs 1, keeps 2 for redundancy
""",
    fix="Lower `replicas` (or `autoscaling.min`) to the number in the message, or state measured per-replica throughput with `capacity_rps` if the catalog's figure is too high for this service.",
    references=REFS_PRICING,
    fixable=True,
)
def over_provisioned(ctx: RuleContext) -> Iterator[Hit]:
    for saving in analysed(ctx).cost.savings_for("replicas"):
        needed = saving.extra["needed"]
        yield Hit(
            saving.path,
            f"{saving.message}: {usd(saving.monthly)}/month saved",
            fix=_fix(saving, f"Set {saving.path[-1]} to {needed}"),
            data={"saving": saving.monthly},
        )


@rule(
    "COST003",
    "Previous-generation instance class",
    severity=Severity.WARNING,
    what=(
        "`resources.instance` names an instance family AWS has superseded (t2, m4, c4, r4, db.m4, cache.r4, "
        "...) whose current-generation replacement of the same size costs less per hour."
    ),
    why="Older generations cost more for less performance, and AWS retires them over time.",
    example="""
components:
  db: {type: database, technology: postgresql, resources: {instance: db.m4.large}}
""",
    fix="Move to the class in the message (the quick fix replaces it); for databases this is a modification with a short failover.",
    references=(
        *REFS_PRICING,
        "Amazon EC2 previous generation instances: https://aws.amazon.com/ec2/previous-generation/",
    ),
    fixable=True,
)
def previous_generation(ctx: RuleContext) -> Iterator[Hit]:
    yield from _cheaper_class(ctx, "generation", "a previous generation")


def _cheaper_class(ctx: RuleContext, kind: str, what: str) -> Iterator[Hit]:
    """The savings of one ``kind`` that swap an instance class for a cheaper one; ``what`` the old class is."""
    for saving in analysed(ctx).cost.savings_for(kind):
        yield Hit(
            saving.path,
            f"{saving.extra['from']} is {what}: {saving.message}, {usd(saving.monthly)}/month saved",
            fix=_fix(saving, f"Use {saving.extra['to']}"),
            on_value=True,
            data={"saving": saving.monthly},
        )


@rule(
    "COST004",
    "gp2 volume where gp3 costs less",
    severity=Severity.INFO,
    what="A component's `resources.storage_type` is gp2, and gp3 volumes of the same size cost less in its region.",
    why="gp3 is about 20% cheaper per GiB than gp2 and includes a 3,000 IOPS baseline at any size; the change is online.",
    example="""
components:
  search: {type: search, technology: opensearch, resources: {instance: r6g.large, storage_gb: 500, storage_type: gp2}}
""",
    fix="Set `storage_type: gp3` (the quick fix does) and migrate the volume; it needs no downtime.",
    references=(
        *REFS_PRICING,
        "AWS, Migrate your Amazon EBS volumes from gp2 to gp3 and save up to 20% on costs (2020)",
    ),
    fixable=True,
)
def gp2_volume(ctx: RuleContext) -> Iterator[Hit]:
    for saving in analysed(ctx).cost.savings_for("storage"):
        yield Hit(
            saving.path,
            f"{saving.message}: {usd(saving.monthly)}/month saved",
            fix=_fix(saving, "Use gp3"),
            on_value=True,
            data={"saving": saving.monthly},
        )


@rule(
    "COST005",
    "Autoscaling maximum can exceed the budget",
    severity=Severity.WARNING,
    what=(
        "With every autoscaling component at its `autoscaling.max`, the monthly estimate would be above "
        "`requirements.budget_monthly`. The finding is on the maximum that adds most, with the largest maximum "
        "that keeps the total within budget."
    ),
    why=(
        "An unbounded or generous maximum turns a traffic spike, a retry storm or a scraping bot into an "
        "unplanned bill; the maximum is the only limit the scaler obeys."
    ),
    example="""
requirements: {budget_monthly: 3000}
components:
  api:
    type: service
    technology: node
    autoscaling: {min: 2, max: 200}     # 200 x $36 = $7,200 at the top
""",
    fix="Lower `autoscaling.max` to what the budget allows (the quick fix sets it), or raise the budget knowingly.",
    references=(*REFS_PRICING, "AWS Well-Architected, COST09: manage demand and supply resources"),
    fixable=True,
)
def autoscaling_over_budget(ctx: RuleContext) -> Iterator[Hit]:
    budget = ctx.model.requirements.budget_monthly
    if budget is None:
        return
    res = analysed(ctx)
    cost = res.cost
    if cost.worst_case <= budget:
        return
    extras = []
    for cid, component in ctx.model.components.items():
        scaling = component.autoscaling
        per = cost.components[cid].per_replica
        if scaling is None or per is None or cost.components[cid].overridden:
            continue
        extra = per * (scaling.max - res.profiles[cid].replicas)
        if extra > 0:
            extras.append((extra, cid, per))
    if not extras:
        return
    extra, cid, per = max(extras)
    scaling = ctx.model.components[cid].autoscaling
    assert scaling is not None
    room = budget - (cost.worst_case - extra) + per * res.profiles[cid].replicas
    fits = max(scaling.min, min(scaling.max - 1, math.floor(room / per))) if per > 0 else scaling.max
    fix = None
    if fits < scaling.max and fits >= max(scaling.min, 1):
        fix = Fix(f"Set autoscaling.max to {fits}", "set", ("components", cid, "autoscaling"), fits, "max", safe=False)
    yield Hit(
        ("components", cid, "autoscaling", "max"),
        f"at autoscaling maximums the estimate reaches {usd(cost.worst_case)}/month, above the {usd(budget)} budget; "
        f"{cid} adds up to {usd(extra)} at max {scaling.max} ({usd(per)} a replica)"
        + (f"; max {fits} keeps within budget" if fix else ""),
        fix=fix,
        data={"worst_case": cost.worst_case},
    )


@rule(
    "COST006",
    "A NAT gateway per zone where one would do",
    severity=Severity.INFO,
    what=(
        "A NAT gateway component (`technology: nat-gateway`) runs several gateways (one per zone) while "
        "`requirements.availability` is below 99.95% or not set."
    ),
    why=(
        "Each NAT gateway is billed every hour whether it carries traffic or not. One per zone protects "
        "outbound traffic from a zone outage, which only a high availability target needs."
    ),
    example="""
requirements: {availability: 99.5}
components:
  nat: {type: load-balancer, technology: nat-gateway, replicas: 3, zones: [a, b, c]}
""",
    fix="Use one NAT gateway (the quick fix sets `replicas: 1`), accepting that a zone outage stops outbound traffic from the other zones.",
    references=(*REFS_PRICING, "Amazon VPC pricing: NAT gateway hours"),
    fixable=True,
)
def nat_per_zone(ctx: RuleContext) -> Iterator[Hit]:
    for saving in analysed(ctx).cost.savings_for("nat"):
        yield Hit(
            saving.path,
            f"{saving.message}: one would save {usd(saving.monthly)}/month",
            fix=_fix(saving, "Use one NAT gateway"),
            data={"saving": saving.monthly},
        )


@rule(
    "COST007",
    "x86 instance where the Graviton equivalent costs less",
    severity=Severity.HINT,
    what=(
        "`resources.instance` is an x86 class (m5, m6i, r5, c6i, db.r5, cache.m5, kafka.m5, ...) whose AWS "
        "Graviton (arm64) counterpart of the same size costs less per hour. Reported when the saving passes "
        "the same thresholds as COST002."
    ),
    why=(
        "Graviton classes cost less for the same vCPUs and memory. Managed databases, caches and brokers "
        "switch without code changes; your own services need arm64 images."
    ),
    example="""
components:
  cache: {type: cache, technology: redis, replicas: 3, resources: {instance: cache.r5.xlarge}}
""",
    fix="Switch to the class in the message (the quick fix replaces it) after checking that your images are built for arm64.",
    references=(*REFS_PRICING, "AWS Graviton Getting Started: https://github.com/aws/aws-graviton-getting-started"),
    fixable=True,
)
def graviton(ctx: RuleContext) -> Iterator[Hit]:
    yield from _cheaper_class(ctx, "arm", "x86")


@rule(
    "COST008",
    "Estimate close to the budget",
    severity=Severity.WARNING,
    what=(
        "The monthly estimate is within budget but at or above `thresholds.cost.budget_warning` (default 0.9) of "
        "`requirements.budget_monthly`."
    ),
    why="Data transfer, logs, backups and support are not in the estimate; with less than 10% left they will push the bill over.",
    example="""
requirements: {budget_monthly: 10000}
# ... components estimated at $9,400 a month
""",
    fix="Take the cheaper alternatives archls lists, or plan for a larger budget.",
    references=REFS_PRICING,
)
def near_budget(ctx: RuleContext) -> Iterator[Hit]:
    budget = ctx.model.requirements.budget_monthly
    if not budget:
        return
    cost = analysed(ctx).cost
    share = cost.total / budget
    if not ctx.threshold("cost.budget_warning", 0.9) <= share <= 1:
        return
    yield Hit(
        ("requirements", "budget_monthly"),
        f"estimated {usd(cost.total)}/month is {share:.0%} of the {usd(budget)} budget; largest: {_largest(ctx)}",
    )
