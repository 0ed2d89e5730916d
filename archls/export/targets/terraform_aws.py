"""Terraform for AWS: a VPC across zones, ECS Fargate services, managed data stores, the edge
(ALB, CloudFront, API Gateway, WAF), KMS, IAM and security groups derived from the connections.

The decisions (which AWS service runs a component, which ports open between which groups, what
each task is allowed to call) are made here in Python; the templates in
``templates/terraform-aws/`` lay the result out as HCL.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from archls.export.context import Comp, ExportContext
from archls.export.naming import dns_label
from archls.export.quoting import Safe, hcl_str
from archls.export.registry import target
from archls.export.templating import render

FILES = (
    "versions.tf",
    "variables.tf",
    "main.tf",
    "network.tf",
    "kms.tf",
    "logging.tf",
    "security_groups.tf",
    "iam.tf",
    "ecs.tf",
    "edge.tf",
    "data_stores.tf",
    "messaging.tf",
    "outputs.tf",
)

#: Fargate's task sizes: CPU units -> (smallest, largest, step) memory in MiB.
FARGATE = {
    256: (512, 2048, 512),
    512: (1024, 4096, 1024),
    1024: (2048, 8192, 1024),
    2048: (4096, 16384, 1024),
    4096: (8192, 30720, 1024),
    8192: (16384, 61440, 4096),
    16384: (32768, 122880, 8192),
}

#: Managed services that live in the VPC and so get a security group.
IN_VPC = frozenset(
    {"rds", "aurora", "docdb", "elasticache-redis", "elasticache-memcached", "msk", "mq", "opensearch", "efs"}
)
#: Reached over AWS's HTTPS APIs (through VPC endpoints), governed by IAM rather than security groups:
#: the resource, the variable a task finds it by and the resource's attribute that variable holds.
API_SERVICES = {
    "sqs": ("aws_sqs_queue", "QUEUE_URL", "url"),
    "sns": ("aws_sns_topic", "TOPIC_ARN", "arn"),
    "kinesis": ("aws_kinesis_stream", "STREAM_NAME", "name"),
    "s3": ("aws_s3_bucket", "BUCKET", "bucket"),
    "dynamodb": ("aws_dynamodb_table", "TABLE", "name"),
    "secretsmanager": ("aws_secretsmanager_secret", "SECRET_ARN", "arn"),
}
#: The port clients reach a managed service on, where it is not the technology's usual one
#: (MSK with IAM authentication listens on 9098, OpenSearch domains on 443, Amazon MQ on AMQPS).
MANAGED_PORTS = {
    "msk": 9098,
    "opensearch": 443,
    "efs": 2049,
    "elasticache-redis": 6379,
    "elasticache-memcached": 11211,
    "docdb": 27017,
}

#: Interface endpoints every Fargate task needs to start (image pull, logs, secrets).
BASE_ENDPOINTS = ("ecr.api", "ecr.dkr", "logs", "secretsmanager", "kms")


def fargate_size(cpu_cores: float, memory_mb: int) -> tuple[int, int]:
    """The smallest valid Fargate (cpu units, memory MiB) that holds the asked resources."""
    wanted_cpu = max(int(cpu_cores * 1024), 256)
    for units, (low, high, step) in FARGATE.items():
        if units < wanted_cpu or memory_mb > high:
            continue
        memory = max(low, -(-memory_mb // step) * step)
        return units, memory
    return 16384, 122880


def aws_kind(comp: Comp) -> str | None:
    """The AWS managed service that runs a stateful component, or None when there is no fit."""
    family, kind, tech = comp.family, comp.type, comp.technology.lower()
    if kind == "database":
        if family in {"postgresql", "mysql", "mariadb", "sqlserver"}:
            aurora = "aurora" in tech or (family in {"postgresql", "mysql"} and comp.replicas > 1)
            return "aurora" if aurora else "rds"
        return {"mongodb": "docdb", "dynamodb": "dynamodb"}.get(family)
    if kind == "cache":
        return "elasticache-memcached" if family == "memcached" else "elasticache-redis"
    if kind == "queue":
        return {"sns": "sns", "rabbitmq": "mq", "activemq": "mq", "kafka": "msk", "kinesis": "kinesis"}.get(
            family, "sqs"
        )
    if kind == "stream":
        return {"kinesis": "kinesis", "sqs": "sqs", "sns": "sns"}.get(family, "msk")
    if kind == "object-storage":
        return "s3"
    if kind == "file-storage":
        return "efs"
    if kind == "search":
        return "opensearch"
    if kind == "secrets":
        return "secretsmanager"
    return None


def managed_gateway(comp: Comp) -> bool:
    """An API gateway AWS runs (API Gateway) rather than one the team deploys (Kong, Envoy, ...)."""
    tech = comp.technology.lower()
    return comp.type == "api-gateway" and (not tech or "aws" in tech or tech in {"api-gateway", "apigateway"})


@dataclass
class Rule:
    """One opening in a security group: traffic from ``peer`` to ``owner`` on ``port``."""

    owner: Safe  # security group reference of the receiving side
    peer: Safe  # security group reference of the calling side
    port: int
    description: str
    key: Safe = field(default=Safe(""))


#: Length of the project's name in AWS names built from it: the tightest limit is the load
#: balancer's 32 characters, which holds the name and "-alb".
NAME_LENGTH = 24


@dataclass
class Plan:
    ctx: ExportContext
    region: str
    az_count: int
    name: Safe = field(default=Safe(""))
    services: list[dict] = field(default_factory=list)
    stores: list[dict] = field(default_factory=list)
    unmapped: list[Comp] = field(default_factory=list)
    ingress: list[Rule] = field(default_factory=list)
    internet_egress: list[Comp] = field(default_factory=list)
    alb_targets: list[dict] = field(default_factory=list)
    cdns: list[Comp] = field(default_factory=list)
    gateways: list[dict] = field(default_factory=list)
    waf: bool = False
    endpoints: list[str] = field(default_factory=list)
    kinds: set[str] = field(default_factory=set)

    @property
    def has_alb(self) -> bool:
        return bool(self.alb_targets)

    def stores_of(self, kind: str) -> list[dict]:
        return [s for s in self.stores if s["kind"] == kind]


def aws_name(ctx: ExportContext, comp: Comp, limit: int = 63) -> Safe:
    return Safe(dns_label(f"{ctx.slug}-{comp.dns}", limit))


def _store(plan: Plan, comp: Comp, kind: str) -> dict:
    ctx = plan.ctx
    store = {
        "c": comp,
        "kind": Safe(kind),
        "name": aws_name(ctx, comp),
        "name40": aws_name(ctx, comp, 40),
        "name36": aws_name(ctx, comp, 36),  # S3 bucket prefixes take at most 37 characters
        "replica": aws_name(ctx, comp, 30),  # and "-copy-" after it
        "sg": Safe(f"aws_security_group.{comp.snake}.id") if kind in IN_VPC else None,
        "multi_az": comp.multi_az or ctx.ha,
        "backup_days": min(max(comp.backup_days, 1), 35),
        "instances": max(comp.replicas, 2 if (comp.multi_az or ctx.ha) else 1),
        "storage": max(comp.storage_gb, 20),
        "version": comp.version,
        "tls": True,
        "port": MANAGED_PORTS.get(kind, comp.port),
    }
    if kind == "mq":
        store["port"] = 5671 if comp.family == "rabbitmq" else 61617
    family = comp.family
    if kind in {"rds", "aurora"}:
        engine = {"postgresql": "postgres", "mysql": "mysql", "mariadb": "mariadb", "sqlserver": "sqlserver-se"}[family]
        if kind == "aurora":
            engine = {"postgres": "aurora-postgresql", "mysql": "aurora-mysql"}[engine]
        store["engine"] = Safe(engine)
        store["xr"] = kind == "rds" and comp.cross_region_backups
        store["family_logs"] = (
            ["postgresql", "upgrade"]
            if "postgres" in engine
            else (["error", "general", "slowquery"] if "sql" in engine else [])
        )
        store["class"] = _class(comp, "db.", "db.r6g.large" if kind == "aurora" else "db.t4g.medium")
        store["env"] = [
            (
                "HOST",
                Safe(
                    f"aws_{'rds_cluster' if kind == 'aurora' else 'db_instance'}.{comp.snake}.{'endpoint' if kind == 'aurora' else 'address'}"
                ),
            ),
            ("PORT", hcl_str(str(comp.port))),
            ("NAME", hcl_str("app")),
            ("USER", hcl_str("app")),
        ]
        store["secret"] = Safe(
            f"aws_{'rds_cluster' if kind == 'aurora' else 'db_instance'}.{comp.snake}.master_user_secret[0].secret_arn"
        )
    elif kind == "docdb":
        store["class"] = _class(comp, "db.", "db.r6g.large")
        store["env"] = [("HOST", Safe(f"aws_docdb_cluster.{comp.snake}.endpoint")), ("PORT", hcl_str("27017"))]
        store["secret"] = Safe(f"aws_docdb_cluster.{comp.snake}.master_user_secret[0].secret_arn")
    elif kind == "elasticache-redis":
        store["class"] = _class(comp, "cache.", "cache.t4g.medium")
        store["engine"] = Safe("valkey" if family == "valkey" else "redis")
        store["env"] = [
            (
                "URL",
                Safe(f'"rediss://${{aws_elasticache_replication_group.{comp.snake}.primary_endpoint_address}}:6379"'),
            )
        ]
        store["secret"] = Safe(f"aws_secretsmanager_secret.{comp.snake}_auth.arn")
    elif kind == "elasticache-memcached":
        store["class"] = _class(comp, "cache.", "cache.t4g.medium")
        store["env"] = [
            ("HOST", Safe(f"aws_elasticache_cluster.{comp.snake}.cluster_address")),
            ("PORT", hcl_str("11211")),
        ]
    elif kind == "msk":
        store["class"] = _class(comp, "kafka.", "kafka.m7g.large")
        store["brokers"] = max(comp.replicas, plan.az_count) // plan.az_count * plan.az_count
        store["kafka_version"] = Safe(_kafka_version(comp.version))
        store["env"] = [("BROKERS", Safe(f"aws_msk_cluster.{comp.snake}.bootstrap_brokers_sasl_iam"))]
    elif kind == "mq":
        store["name"] = aws_name(ctx, comp, 50)  # Amazon MQ takes broker names of at most 50 characters
        store["engine"] = Safe("RabbitMQ" if family == "rabbitmq" else "ActiveMQ")
        store["class"] = _class(comp, "mq.", "mq.m5.large")
        store["mq_version"] = Safe("3.13" if family == "rabbitmq" else "5.18")
        store["env"] = [("URL", Safe(f"aws_mq_broker.{comp.snake}.instances[0].endpoints[0]"))]
        store["secret"] = Safe(f"aws_secretsmanager_secret.{comp.snake}_auth.arn")
    elif kind == "opensearch":
        store["class"] = comp.instance if comp.instance and comp.instance.endswith(".search") else "r6g.large.search"
        store["name28"] = Safe(dns_label(f"{ctx.slug}-{comp.dns}", 28))
        store["env"] = [("URL", Safe(f'"https://${{aws_opensearch_domain.{comp.snake}.endpoint}}"'))]
    elif kind == "efs":
        store["env"] = [("FILE_SYSTEM_ID", Safe(f"aws_efs_file_system.{comp.snake}.id"))]
    elif kind in API_SERVICES:
        resource, variable, attribute = API_SERVICES[kind]
        store["env"] = [(variable, Safe(f"{resource}.{comp.snake}.{attribute}"))]
        store["arn"] = Safe(f"{resource}.{comp.snake}.arn")
    return store


def _class(comp: Comp, prefix: str, default: str) -> str:
    """The model's instance class when it is one of this service's (``db.``, ``cache.``, ...), else ``default``."""
    return comp.instance if comp.instance and comp.instance.startswith(prefix) else default


def _kafka_version(version: str | None) -> str:
    known = {"3.7": "3.7.x", "3.6": "3.6.0", "3.5": "3.5.1", "3.4": "3.4.0", "3.3": "3.3.2", "2.8": "2.8.1"}
    return known.get(".".join((version or "").split(".")[:2]), "3.7.x")


def plan_for(ctx: ExportContext) -> Plan:
    zones = max((len(c.c.zones) for c in ctx.components), default=0)
    az_count = 3 if ctx.ha and zones >= 3 else 2
    plan = Plan(ctx, ctx.aws_region, az_count, Safe(dns_label(ctx.name, NAME_LENGTH, fallback="app")))
    stores: dict[str, dict] = {}
    for comp in ctx.stores:
        kind = aws_kind(comp)
        if kind is None:
            plan.unmapped.append(comp)
            continue
        stores[comp.id] = _store(plan, comp, kind)
        plan.stores.append(stores[comp.id])
        plan.kinds.add(kind)
    gateways = [c for c in ctx.components if managed_gateway(c)]
    services = [c for c in ctx.services if not managed_gateway(c)]
    service_ids = {c.id for c in services}
    for comp in gateways:
        plan.gateways.append(
            {
                "c": comp,
                "name": aws_name(ctx, comp),
                "targets": [t for t in comp.callees if t.id in service_ids],
                "jwt": comp.c.auth is not None and comp.c.auth.value in {"jwt", "oidc", "oauth2"},
                "throttle": comp.c.rate_limit is not False,
            }
        )
    plan.cdns = [c for c in ctx.components if c.type == "cdn"]
    behind_gateway = {t.id for g in plan.gateways for t in g["targets"]}
    entry = [c for c in ctx.entry_services if c.id in service_ids and c.id not in behind_gateway]
    for comp in services:
        sg = Safe(f"aws_security_group.{comp.snake}.id")
        env: list[tuple[Safe, Safe]] = []
        secrets: list[tuple[Safe, Safe]] = []
        secret_arns: set[Safe] = set()
        policies: list[dict] = []
        for used in comp.uses:
            store = stores.get(used.id)
            if store is None:
                continue
            for suffix, expr in store.get("env", []):
                env.append((Safe(f"{used.env}_{suffix}"), expr))
            if store.get("secret") is not None:
                key = ":password::" if store["kind"] in {"rds", "aurora", "docdb"} else ""
                secrets.append((Safe(f"{used.env}_SECRET"), Safe(f'"${{{store["secret"]}}}{key}"')))
                secret_arns.add(store["secret"])
            policies.append(_policy(store, consumer=used in comp.consumes, producer=used in comp.produces))
        for callee in comp.callees:
            if callee.id in service_ids:
                host = f"{callee.dns}.{plan.name}.internal"
                env.append((Safe(f"{callee.env}_URL"), hcl_str(f"http://{host}:{callee.port}")))
                env.append((Safe(f"{callee.env}_HOST"), hcl_str(host)))
                if callee.grpc_port is not None:
                    env.append((Safe(f"{callee.env}_GRPC_PORT"), hcl_str(str(callee.grpc_port))))
        cpu, memory = fargate_size(comp.cpu, comp.memory_mb)
        plan.services.append(
            {
                "c": comp,
                "name": aws_name(ctx, comp, 48),
                "sg": sg,
                "cpu": cpu,
                "memory": memory,
                "env": sorted(env),
                "secrets": sorted(secrets),
                "secret_arns": sorted(secret_arns),
                "policies": [p for p in policies if p],
                "alb": comp in entry,
                "tg": Safe(dns_label(f"{ctx.slug}-{comp.dns}", 32)),
                "ecr": comp.builds_image,
                "image": Safe(f'"${{aws_ecr_repository.{comp.snake}.repository_url}}:${{var.image_tag}}"')
                if comp.builds_image
                else hcl_str(comp.image),
                "read_only": comp.c.container.read_only_root
                if comp.c.container and comp.c.container.read_only_root is not None
                else True,
            }
        )
        if any(c.target.is_outside for c in comp.outgoing):
            plan.internet_egress.append(comp)
    plan.alb_targets = [s for s in plan.services if s["alb"]]
    # Whatever the internet reaches through the load balancer or a CDN goes through a firewall.
    plan.waf = plan.has_alb
    _rules(plan, stores, service_ids)
    endpoints = set(BASE_ENDPOINTS)
    for kind in plan.kinds & {"sqs", "sns", "kinesis"}:
        endpoints.add({"kinesis": "kinesis-streams"}.get(kind, kind))
    plan.endpoints = sorted(endpoints)
    return plan


def _policy(store: dict, *, consumer: bool, producer: bool) -> dict:
    kind = store["kind"]
    arn = store.get("arn")
    comp: Comp = store["c"]
    if kind == "sqs":
        actions = ["sqs:GetQueueAttributes", "sqs:GetQueueUrl"]
        if consumer:
            actions += ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"]
        if producer or not consumer:
            actions += ["sqs:SendMessage"]
        return {"sid": comp.pascal, "actions": sorted(actions), "resources": [arn]}
    if kind == "sns":
        return {"sid": comp.pascal, "actions": ["sns:Publish"], "resources": [arn]}
    if kind == "kinesis":
        actions = ["kinesis:DescribeStreamSummary", "kinesis:ListShards"]
        actions += ["kinesis:GetRecords", "kinesis:GetShardIterator"] if consumer else []
        actions += ["kinesis:PutRecord", "kinesis:PutRecords"] if producer or not consumer else []
        return {"sid": comp.pascal, "actions": sorted(actions), "resources": [arn]}
    if kind == "s3":
        return {
            "sid": comp.pascal,
            "actions": ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
            "resources": [Safe(f'"${{{arn}}}/*"')],
        }
    if kind == "dynamodb":
        actions = [
            "dynamodb:DeleteItem",
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:Query",
            "dynamodb:UpdateItem",
        ]
        return {"sid": comp.pascal, "actions": actions, "resources": [arn]}
    if kind == "secretsmanager":
        return {"sid": comp.pascal, "actions": ["secretsmanager:GetSecretValue"], "resources": [arn]}
    if kind == "msk":
        cluster = Safe(f"aws_msk_cluster.{comp.snake}.arn")
        actions = ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster", "kafka-cluster:DescribeTopic"]
        if consumer:
            actions += ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup", "kafka-cluster:ReadData"]
        if producer or not consumer:
            actions += ["kafka-cluster:WriteData"]
        return {
            "sid": comp.pascal,
            "actions": sorted(actions),
            "resources": [
                cluster,
                Safe(f'"${{replace({cluster}, ":cluster/", ":topic/")}}/*"'),
                Safe(f'"${{replace({cluster}, ":cluster/", ":group/")}}/*"'),
            ],
        }
    return {}


def _rules(plan: Plan, stores: dict[str, dict], service_ids: set[str]) -> None:
    ctx = plan.ctx
    rules: dict[tuple[str, str, int], Rule] = {}

    def sg_of(comp: Comp) -> Safe | None:
        if comp.id in service_ids:
            return Safe(f"aws_security_group.{comp.snake}.id")
        store = stores.get(comp.id)
        return store["sg"] if store else None

    def add(owner: Comp, peer_ref: Safe, peer_name: str, port: int) -> None:
        owner_ref = sg_of(owner)
        if owner_ref is None:
            return
        key = (owner_ref, peer_ref, port)
        if key not in rules:
            rules[key] = Rule(owner_ref, peer_ref, port, f"{peer_name} to {owner.dns} on {port}")

    for conn in ctx.connections:
        source, target_ = conn.source, conn.target
        # A store that "calls" a service delivers messages the service pulls: the service connects.
        if source.is_stateful and target_.id in service_ids:
            source, target_ = target_, source
        store = stores.get(target_.id)
        port = store["port"] if store else conn.port
        source_ref = sg_of(source)
        if source_ref is not None and source.id in service_ids and sg_of(target_) is not None:
            add(target_, source_ref, str(source.dns), port)
    for service in plan.alb_targets:
        add(service["c"], Safe("aws_security_group.alb.id"), "alb", service["c"].port)
    for gateway in plan.gateways:
        for t in gateway["targets"]:
            add(t, Safe("aws_security_group.vpc_link.id"), "api-gateway", t.port)
    ordered = sorted(rules.values(), key=lambda r: (r.owner, r.peer, r.port))
    for n, rule in enumerate(ordered):
        rule.key = Safe(f"r{n:03d}")
    plan.ingress = ordered


@target(
    "terraform-aws",
    "Terraform for AWS",
    kind="infrastructure",
    description="VPC across zones, ECS Fargate services, RDS/Aurora, ElastiCache, SQS/SNS/MSK, S3, OpenSearch, "
    "ALB, CloudFront, API Gateway, WAF, KMS, IAM and least-privilege security groups from the connections",
)
def terraform_aws(ctx: ExportContext) -> dict[str, str]:
    plan = plan_for(ctx)
    files = {}
    for name in FILES:
        text = render(f"terraform-aws/{name}.j2", plan=plan, ctx=ctx)
        if text.strip():
            files[name] = text
    return files
