"""Reliability rules REL010-099: how the design behaves when a part fails.

Single points of failure, health checks, failure handling on calls that leave the system,
timeouts that outlive their callers, retries that multiply, and backups against the recovery
objectives. (REL001-009, availability figures and zones, live with the analyses.)
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from archls.analysis.text import plural
from archls.findings import Severity
from archls.model import STATEFUL_TYPES, Backups, ComponentType
from archls.rules._common import OUTSIDE, blocking_order, facts, names, timed_calls
from archls.rules.registry import Control, Fix, Hit, RuleContext, rule

NYGARD = "Release It! (Nygard), 2nd ed.: stability patterns"
SRE = "Google SRE book, chapter 22: Addressing Cascading Failures"
AWS_REL = "AWS Well-Architected Reliability Pillar"

#: Services whose redundancy the provider manages: replicas in the model say nothing about them.
MANAGED = re.compile(
    r"^(aws-|amazon-|gcp-|google-|azure-)?(dynamodb|s3|sqs|sns|kinesis|eventbridge|firestore|firebase|bigquery|bigtable|spanner|cosmos-?db|"
    r"aurora-serverless|lambda|cloud-?run|cloud-?functions|azure-functions|api-?gateway|aws-api-gateway|apigee|"
    r"alb|elb|nlb|cloud-load-balancing|azure-load-balancer|front-?door|cloudfront|route-?53|pub-?sub|"
    r"secrets-?manager|kms|key-?vault|cognito|auth0|okta|cloudflare|fastly|akamai|snowflake|upstash|"
    r"planetscale|neon|mongodb-atlas|atlas|cloudhsm|waf|cloud-?armor|elasticache-serverless)\b",
    re.IGNORECASE,
)
_SPOF_TYPES = frozenset(
    {
        ComponentType.SERVICE,
        ComponentType.API_GATEWAY,
        ComponentType.LOAD_BALANCER,
        ComponentType.WORKER,
        ComponentType.DATABASE,
        ComponentType.CACHE,
        ComponentType.SEARCH,
        ComponentType.QUEUE,
        ComponentType.STREAM,
        ComponentType.FILE_STORAGE,
        ComponentType.IDENTITY,
        ComponentType.SECRETS,
    }
)
#: Stores that are systems of record: backups and recovery objectives are about these.
RECORD_STORES = frozenset({ComponentType.DATABASE, ComponentType.FILE_STORAGE, ComponentType.DATA_WAREHOUSE})


def managed(technology: str | None) -> bool:
    return bool(technology) and MANAGED.match(technology or "") is not None


def _replica_fix(cid: str, c: object) -> Fix:
    autoscaling = getattr(c, "autoscaling", None)
    if autoscaling is not None:
        return Fix(
            f"Keep at least 2 replicas of '{cid}'", "set", ("components", cid, "autoscaling"), value=2, key="min"
        )
    return Fix(f"Run 2 replicas of '{cid}'", "set", ("components", cid), value=2, key="replicas")


#: Formats where a store's replica count starts independent copies rather than replicas of its data.
_REPLICAS_ARE_COPIES = frozenset({"compose", "kubernetes"})


@rule(
    "REL010",
    "Single point of failure on a required path",
    severity=Severity.WARNING,
    what=(
        "A component that runs one instance (`replicas` 1 or unset, and no autoscaling minimum above 1) while "
        "other components call it synchronously with `required` calls. Clients, external systems, functions "
        "and managed services whose provider runs the redundancy (DynamoDB, S3, SQS, ...) are not reported, "
        "and neither are data stores in compose files and Kubernetes manifests, where a second replica is a "
        "second, empty store: replication is set up in the product (an operator, a managed service)."
    ),
    why=(
        "When the one instance stops (a crash, a node drain, a deploy, a zone outage) every caller waiting on "
        "it fails too. Two instances behind a health check turn those events into non-events."
    ),
    example="""
components:
  api: {type: service, replicas: 3}
  db: {type: database}            # one instance; api fails with it
connections:
  - {from: api, to: db}
""",
    fix="Run at least two replicas (`replicas: 2`, or `autoscaling.min: 2`) in different zones; for databases, a standby with automatic failover.",
    references=(f"{AWS_REL} REL10: use fault isolation to protect your workload", NYGARD),
    controls=(Control("soc2", "A1.2", "Environmental protections, software, data backup and recovery infrastructure"),),
    fixable=True,
    scope="component",
)
def single_point(ctx: RuleContext) -> Iterator[Hit]:
    if ctx.development:
        return  # a stack on a developer's machine is not run for production (docs/formats.md)
    f = facts(ctx)
    for cid, c in ctx.components():
        incoming = f.blocking_in.get(cid)
        if not incoming or c.type not in _SPOF_TYPES or managed(c.technology) or c.replica_count > 1:
            continue
        if c.type in STATEFUL_TYPES and ctx.format in _REPLICAS_ARE_COPIES:
            continue
        if c.autoscaling is not None and c.autoscaling.min > 1:
            continue
        callers = sorted({conn.source for _, conn in incoming})
        if c.replicas == 0:
            continue  # switched off on purpose
        key = "autoscaling" if c.autoscaling is not None else "replicas"
        yield Hit(
            ("components", cid, key),
            f"'{cid}' runs a single instance and {names(callers)} wait{'s' if len(callers) == 1 else ''} on it: "
            "one failure or deploy takes them down",
            fix=_replica_fix(cid, c),
        )


_PROBED = frozenset({ComponentType.SERVICE, ComponentType.API_GATEWAY, ComponentType.WORKER})


@rule(
    "REL011",
    "No health check",
    severity=Severity.WARNING,
    what=(
        "A service or API gateway, or a worker that serves requests (it is public, listens on a port, or is "
        "called synchronously), without `health_check`. In compose, Kubernetes and Terraform files, where every "
        "long-running workload is read as a service, a workload counts only when a port, its exposure or a "
        "caller shows it serves requests. Managed services are not reported, and neither are jobs, scheduled "
        "tasks and queue consumers that nothing calls: no traffic is routed to them, so there is nothing for a "
        "probe to steer away."
    ),
    why=(
        "Load balancers and orchestrators route around dead instances and restart hung ones only if they can "
        "tell; without a probe a deadlocked process keeps receiving traffic until a person notices."
    ),
    example="""
components:
  api: {type: service, replicas: 3}   # no health_check
""",
    fix="Add a cheap liveness endpoint and declare it (`health_check: {path: /healthz}`); for workers, a command or heartbeat (`health_check: true`).",
    references=(
        f"{AWS_REL} REL11-BP01: monitor all components of the workload to detect failures",
        "Kubernetes documentation: liveness, readiness and startup probes",
    ),
    fixable=True,
    related=(
        (
            "checkov",
            "CKV_K8S_8",
            "checkov asks every container for a liveness probe; archls asks for a probe where traffic is routed (a Service or Ingress reaches the pods, or a port is published), not of jobs and queue consumers, and stays quiet about data stores run from images.",
        ),
        (
            "checkov",
            "CKV_K8S_9",
            "checkov asks every container for a readiness probe; archls only where traffic is routed to the pods.",
        ),
    ),
)
def no_health_check(ctx: RuleContext) -> Iterator[Hit]:
    if ctx.development:
        return  # a stack on a developer's machine is not run for production (docs/formats.md)
    graph = ctx.graph
    for cid, c in ctx.model.components.items():
        if c.type not in _PROBED or c.has_health_check or managed(c.technology):
            continue
        # An architecture file says what serves requests by the type; the loaders of other formats type
        # every long-running workload a service, so there a port, exposure or a caller has to say it.
        declared = ctx.format == "arch" and c.type is not ComponentType.WORKER
        if not declared and not (c.public or c.ports or any(not conn.is_async for _, conn in graph.incoming(cid))):
            continue
        if c.type is ComponentType.WORKER:
            fix = Fix(f"Declare a health check for '{cid}'", "set", ("components", cid), value=True, key="health_check")
        else:
            fix = Fix(
                f"Probe '{cid}' at /healthz", "set", ("components", cid), value={"path": "/healthz"}, key="health_check"
            )
        consequence = (
            "nothing tells a hung container from a working one (docker ps, depends_on conditions, Swarm)"
            if ctx.format == "compose"
            else "a hung instance keeps getting traffic and is never restarted"
        )
        yield Hit(("components", cid, "health_check"), f"'{cid}' has no health check: {consequence}", fix=fix)


@rule(
    "REL012",
    "Call to an external service without retries",
    severity=Severity.WARNING,
    what=(
        "A required synchronous call to an `external` component (a third-party API) with no `retries` "
        "(`retries: 0` written out counts as a decision and is not reported)."
    ),
    why=(
        "Calls that leave your network fail transiently far more often than internal ones: rate limits, "
        "connection resets, provider deploys. One retry with backoff and jitter turns most of those into "
        "successes. (Internal calls are usually retried by the mesh or client library, so they are not reported.)"
    ),
    example="""
components:
  mailer: {type: worker}
  sendgrid: {type: external}
connections:
  - {from: mailer, to: sendgrid, protocol: https, timeout_ms: 2000}   # no retries
""",
    fix="Retry with exponential backoff and jitter (`retries: 2`) when the call is idempotent, or send an idempotency key with it.",
    references=("AWS Builders' Library: Timeouts, retries, and backoff with jitter", NYGARD),
    fixable=True,
)
def external_without_retries(ctx: RuleContext) -> Iterator[Hit]:
    if not ctx.can_say("retries"):
        return
    model = ctx.model
    for index, conn in enumerate(model.connections):
        if conn.is_async or not conn.required or conn.retries is not None:
            continue
        source = model.components.get(conn.source)
        target = model.components.get(conn.target)
        if source is None or target is None or source.type in OUTSIDE or target.type is not ComponentType.EXTERNAL:
            continue
        yield Hit(
            ("connections", index, "retries"),
            f"{conn.source} -> {conn.target} leaves the system without retries; transient provider errors reach users",
            fix=Fix("Retry twice with backoff", "set", ("connections", index), value=2, key="retries", safe=False),
        )


@rule(
    "REL013",
    "Call to an external service without a circuit breaker",
    severity=Severity.WARNING,
    what=(
        "A required synchronous call to an `external` component, made while a user request waits, with "
        "neither `circuit_breaker: true` nor a `fallback`."
    ),
    why=(
        "When a provider slows down, every request waits for its timeout and the caller's threads and "
        "connections fill up with waiting calls: the provider's outage becomes yours. A circuit breaker "
        "fails fast once the provider is known to be down and lets it recover."
    ),
    example="""
components:
  payments: {type: service}
  stripe: {type: external}
connections:
  - {from: payments, to: stripe, protocol: https, timeout_ms: 5000, retries: 2}
""",
    fix="Wrap the call in a circuit breaker (`circuit_breaker: true`) and decide what users see while it is open (`fallback`).",
    references=(NYGARD, "Martin Fowler: CircuitBreaker"),
    fixable=True,
)
def external_without_breaker(ctx: RuleContext) -> Iterator[Hit]:
    if not ctx.can_say("circuit_breaker"):
        return
    model = ctx.model
    f = facts(ctx)
    for index, conn in enumerate(model.connections):
        if conn.is_async or not conn.required or conn.circuit_breaker or conn.fallback:
            continue
        target = model.components.get(conn.target)
        if target is None or target.type is not ComponentType.EXTERNAL or conn.source not in f.on_request_path:
            continue
        source = model.components.get(conn.source)
        if source is None or source.type in OUTSIDE:
            continue
        yield Hit(
            ("connections", index, "circuit_breaker"),
            f"{conn.source} -> {conn.target} waits on a third party during user requests with no circuit breaker; "
            f"a slow '{conn.target}' would tie up '{conn.source}'",
            fix=Fix("Add a circuit breaker", "set", ("connections", index), value=True, key="circuit_breaker"),
        )


@rule(
    "REL014",
    "Timeout longer than the caller's",
    severity=Severity.WARNING,
    what=(
        "A synchronous call whose `timeout_ms` is longer than the shortest `timeout_ms` of the calls into its "
        "caller: the caller's caller gives up before this call does."
    ),
    why=(
        "When the outer timeout fires first, the inner call keeps running for nobody: the work is wasted, "
        "retries above pile more of it on, and side effects (a payment, an order) can complete after the user "
        "was told it failed. Timeouts should shrink along a call chain."
    ),
    example="""
connections:
  - {from: gateway, to: orders, timeout_ms: 800}
  - {from: orders, to: payments, timeout_ms: 2000}   # outlives the gateway's 800 ms
""",
    fix="Give each hop a timeout below its caller's, leaving room for its own work and retries (a deadline that is passed down the chain does this automatically).",
    references=(SRE, "gRPC documentation: deadlines and deadline propagation"),
    fixable=True,
)
def timeout_inversion(ctx: RuleContext) -> Iterator[Hit]:
    shortest: dict[str, tuple[float, str]] = {}
    timed = [(i, c) for i, c in timed_calls(ctx) if c.timeout_ms and c.source != c.target]
    for _, conn in timed:
        current = shortest.get(conn.target)
        if current is None or conn.timeout_ms < current[0]:  # type: ignore[operator]
            shortest[conn.target] = (conn.timeout_ms, conn.source)  # type: ignore[assignment]
    for index, conn in timed:
        outer = shortest.get(conn.source)
        if outer is None or conn.timeout_ms <= outer[0]:
            continue
        limit, caller = outer
        attempts = (conn.retries or 0) + 1
        worst = f" ({attempts} attempts: up to {conn.timeout_ms * attempts:g} ms)" if attempts > 1 else ""
        suggested = int(limit * 0.8 / attempts)
        suggested = max(1, suggested // 10 * 10 if suggested >= 20 else suggested)
        yield Hit(
            ("connections", index, "timeout_ms"),
            f"{conn.source} waits up to {conn.timeout_ms:g} ms for {conn.target}{worst}, but {caller} gives up on "
            f"{conn.source} after {limit:g} ms",
            fix=Fix(
                f"Time out after {suggested} ms",
                "set",
                ("connections", index),
                value=suggested,
                key="timeout_ms",
                safe=False,
            ),
            on_value=True,
        )


def _backup_fix(cid: str) -> Fix:
    return Fix(
        f"Back up '{cid}' daily, keep 7 days", "set", ("components", cid), value={"retention_days": 7}, key="backups"
    )


@rule(
    "REL015",
    "Stateful store without backups",
    severity=Severity.WARNING,
    what="A database, file store or data warehouse without `backups` (or with `backups: false`).",
    why=(
        "Replicas copy deletions and corruption as faithfully as good writes; only a backup taken before the "
        "mistake brings the data back. Ransomware, a bad migration or a dropped table are routine events."
    ),
    example="""
components:
  orders-db: {type: database, replicas: 2}   # replicated, but no backups
""",
    fix="Enable backups with a retention period (`backups: {retention_days: 14, point_in_time: true}`) and test a restore.",
    references=(f"{AWS_REL} REL09: back up data", "CIS Controls v8 11.2: perform automated backups"),
    controls=(
        Control("soc2", "A1.2", "Environmental protections, software, data backup and recovery infrastructure"),
        Control(
            "gdpr",
            "Art. 32(1)(c)",
            "Ability to restore the availability and access to personal data in a timely manner",
        ),
    ),
    checkov=("CKV_AWS_133",),
    fixable=True,
    related=(
        (
            "trivy",
            "AVD-AWS-0077",
            "Trivy asks for more than one day of retention; REL015 reports no backups at all and REL102 a retention under the backup_retention_days threshold (7 by default).",
        ),
    ),
    scope="component",
)
def no_backups(ctx: RuleContext) -> Iterator[Hit]:
    sayable = ctx.can_say("backups")
    for cid, c in ctx.components():
        if c.type not in RECORD_STORES or c.backups_enabled:
            continue
        if c.backups_enabled is None and not sayable:
            continue  # backups are run outside compose and Kubernetes files; their absence there says nothing
        state = "has backups turned off" if c.backups_enabled is False else "keeps no backups"
        yield Hit(
            ("components", cid, "backups"),
            f"{c.type.value} '{cid}' {state}: a bad migration or deletion could not be undone",
            fix=_backup_fix(cid),
        )


PITR_RPO_MINUTES = 5.0
SNAPSHOT_RPO_MINUTES = 24 * 60.0


@rule(
    "REL016",
    "Backups cannot meet the recovery point objective",
    severity=Severity.ERROR,
    what=(
        "With `requirements.rpo_minutes` set: a database, file store or warehouse whose backups lose more "
        "data than allowed. Daily snapshots lose up to 24 hours; point-in-time recovery (`backups.point_in_time`) "
        "about 5 minutes; below 5 minutes only a synchronous standby (`replicas` 2 or more, or a managed store "
        "that replicates across zones such as DynamoDB) with point-in-time recovery meets it."
    ),
    why=(
        "The recovery point objective is how much recent data the business accepts losing. Snapshot-only "
        "backups silently promise a day; the gap shows only during the incident."
    ),
    example="""
requirements: {rpo_minutes: 15}
components:
  orders-db: {type: database, backups: true}   # daily snapshots: up to 24 h of orders lost
""",
    fix="Turn on continuous backups (`backups: {point_in_time: true}`); for an RPO under 5 minutes add a synchronous standby.",
    references=(
        f"{AWS_REL} REL13: plan for disaster recovery",
        "AWS RDS documentation: point-in-time recovery (restorable within about 5 minutes)",
    ),
    controls=(Control("soc2", "A1.2", "Environmental protections, software, data backup and recovery infrastructure"),),
    fixable=True,
)
def rpo_unmet(ctx: RuleContext) -> Iterator[Hit]:
    rpo = ctx.model.requirements.rpo_minutes
    if rpo is None:
        return
    for cid, c in ctx.model.components.items():
        if c.type not in RECORD_STORES or not c.backups_enabled:
            continue
        pitr = isinstance(c.backups, Backups) and bool(c.backups.point_in_time)
        achieved = PITR_RPO_MINUTES if pitr else SNAPSHOT_RPO_MINUTES
        if pitr and (c.replica_count >= 2 or managed(c.technology)):
            achieved = 0.0  # a synchronous standby (or a provider's multi-zone storage) loses nothing committed
        if achieved <= rpo:
            continue
        fix = None
        if not pitr and rpo >= PITR_RPO_MINUTES:
            if isinstance(c.backups, Backups):
                fix = Fix(
                    "Turn on point-in-time recovery",
                    "set",
                    ("components", cid, "backups"),
                    value=True,
                    key="point_in_time",
                )
            else:
                fix = Fix(
                    "Turn on point-in-time recovery",
                    "replace",
                    ("components", cid, "backups"),
                    value={"point_in_time": True},
                )
        how = "point-in-time recovery loses about 5 minutes" if pitr else "snapshot backups can lose up to 24 hours"
        yield Hit(
            ("components", cid, "backups"),
            f"'{cid}': {how} of data, more than the RPO of {plural(rpo, 'minute')}",
            fix=fix,
        )


@rule(
    "REL017",
    "Single-instance store cannot meet the recovery time objective",
    severity=Severity.WARNING,
    what=(
        "With `requirements.rto_minutes` below `rel.restore_minutes` (default 60): a database, file store or "
        "warehouse running one instance, so recovering from its loss means restoring a backup. Managed "
        "services that fail over on their own are not reported."
    ),
    why=(
        "Restoring a database from a backup means provisioning an instance, copying the data and replaying "
        "logs: tens of minutes for small databases, hours for large ones. A standby that fails over takes a "
        "minute or two."
    ),
    example="""
requirements: {rto_minutes: 30}
components:
  orders-db: {type: database, backups: true}   # one instance: a restore takes longer than 30 minutes
""",
    fix="Run a standby with automatic failover (`replicas: 2` across zones, e.g. RDS Multi-AZ).",
    references=(f"{AWS_REL} REL13: plan for disaster recovery",),
    controls=(Control("soc2", "A1.2", "Environmental protections, software, data backup and recovery infrastructure"),),
    fixable=True,
    scope="component",
)
def rto_unmet(ctx: RuleContext) -> Iterator[Hit]:
    rto = ctx.model.requirements.rto_minutes
    restore = ctx.threshold("rel.restore_minutes", 60)
    if rto is None or rto >= restore:
        return
    for cid, c in ctx.components():
        if c.type not in RECORD_STORES or c.replica_count > 1 or managed(c.technology) or c.replicas == 0:
            continue
        yield Hit(
            ("components", cid, "replicas"),
            f"'{cid}' runs one instance: recovering it means restoring a backup, which typically takes over "
            f"{plural(restore, 'minute')}, against an RTO of {plural(rto, 'minute')}",
            fix=_replica_fix(cid, c),
        )


@rule(
    "REL018",
    "Retries multiply across layers",
    severity=Severity.WARNING,
    what=(
        "A chain of synchronous calls where each layer retries, so that one request can arrive at a component "
        "more than `rel.max_retry_amplification` times (default 10). The finding is on the call where the "
        "product of attempts (retries + 1 per hop) first passes the limit."
    ),
    why=(
        "Retries at every layer multiply: three layers of three attempts send 27 calls to the bottom for one "
        "user request. When that component is already struggling, the retries are what finish it off: a retry "
        "storm."
    ),
    example="""
connections:
  - {from: gateway, to: orders, retries: 2}     # x3
  - {from: orders, to: stock, retries: 2}       # x9
  - {from: stock, to: stock-db, retries: 2}     # x27: reported
""",
    fix="Retry at one layer only (usually the one closest to the user, or the one that knows the call is idempotent), and use retry budgets.",
    references=(SRE, "AWS Builders' Library: Timeouts, retries, and backoff with jitter"),
    fixable=True,
)
def retry_amplification(ctx: RuleContext) -> Iterator[Hit]:
    model = ctx.model
    f = facts(ctx)
    limit = ctx.threshold("rel.max_retry_amplification", 10)
    attempts: dict[str, float] = dict.fromkeys(model.components, 1.0)
    before: dict[str, str] = {}

    def path_to(cid: str) -> list[str]:
        out = [cid]
        while out[-1] in before and len(out) <= len(model.components):
            out.append(before[out[-1]])
        return out[::-1]

    for cid in blocking_order(ctx):
        here = attempts[cid]
        for index, conn in f.blocking_out.get(cid, ()):
            factor = (conn.retries or 0) + 1
            total = here * factor
            if here <= limit < total:
                yield Hit(
                    ("connections", index, "retries"),
                    f"'{conn.target}' can receive up to {total:g} attempts per request: retries multiply along "
                    f"{' -> '.join([*path_to(cid), conn.target])}; retry at one layer only",
                    fix=Fix(
                        "Do not retry this call (retries: 0)",
                        "set",
                        ("connections", index),
                        value=0,
                        key="retries",
                        safe=False,
                    ),
                    on_value=conn.retries is not None,
                )
            # A call into a client or a third party does not cause the calls they make to us.
            if total > attempts[conn.target] and model.components[conn.target].type not in OUTSIDE:
                attempts[conn.target] = total
                before[conn.target] = cid
