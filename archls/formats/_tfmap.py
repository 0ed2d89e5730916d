"""Terraform resources -> components, groups and connections of the architecture model.

Each handler reads one resource type (the AWS provider's common resources, and a few Google
ones) into a component and records, per model field, the native attribute that sets it: that
is where a finding about the field lands and what a quick fix edits. Connections are inferred
from references between resources, each with the attribute that shows it as evidence.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from archls.evidence import Evidence
from archls.findings import Range
from archls.formats import _tech
from archls.formats._hcl import Block, Ref, Unknown
from archls.formats._tfmodule import Project, Resource
from archls.model import ComponentType, GroupType, Protocol

T = ComponentType
NativePath = tuple[str | int, ...]
ModelSub = tuple[str | int, ...]


def LOCATE_ONLY(value: Any) -> Any:
    """The attribute shows where a field comes from, but a model value cannot simply be written there."""
    from archls.fixes import FixError

    raise FixError("this setting cannot be changed by rewriting one attribute; change it by hand")


@dataclass(frozen=True)
class NativeField:
    """Where a model field is written natively, and how a model value is written there."""

    path: NativePath
    to_native: Callable[[Any], Any] | None = None
    #: the address of another resource that carries the setting (a cluster's member instance)
    resource: str | None = None

    def native_value(self, value: Any) -> Any:
        return self.to_native(value) if self.to_native is not None else value


@dataclass
class Built:
    resource: Resource
    data: dict[str, Any] = field(default_factory=dict)
    fields: dict[ModelSub, NativeField] = field(default_factory=dict)
    #: Fields the resource sets with an expression archls cannot evaluate (a variable without a
    #: default, another resource's attribute): their value is unknown, not absent.
    unknown: set[ModelSub] = field(default_factory=set)


@dataclass
class BuiltGroup:
    resource: Resource
    type: GroupType
    public: bool = False
    description: str | None = None
    parent: Resource | None = None


def _known(value: Any) -> bool:
    return value is not None and not isinstance(value, Unknown | Block)


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdecimal():
        return int(value.strip())
    return None


def _float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


class _B:
    """Builds one component's fields and their native places."""

    def __init__(self, resource: Resource, kind: ComponentType) -> None:
        self.r = resource
        self.built = Built(resource, {"type": kind.value})

    def put(self, sub: ModelSub | str, value: Any, native: NativePath | None = None, to_native: Any = None) -> None:
        key = (sub,) if isinstance(sub, str) else sub
        if native is not None:
            self.built.fields[key] = NativeField(native, to_native)
        if isinstance(value, Unknown):
            self.built.unknown.add(key)
            return
        if value is None:
            return
        target = self.built.data
        for step in key[:-1]:
            target = target.setdefault(step, {})
        target[key[-1]] = value

    def mapped(self, sub: ModelSub | str, native: NativePath, to_native: Any = None) -> None:
        key = (sub,) if isinstance(sub, str) else sub
        self.built.fields[key] = NativeField(native, to_native)

    def v(self, *path: str | int, default: Any = None) -> Any:
        return self.r.value(*path, default=default)

    def flag(
        self, sub: ModelSub | str, *native: str | int, default: bool | None = None, invert: bool = False
    ) -> bool | None:
        """A boolean attribute into a model field (``invert`` when the native attribute means the opposite)."""
        raw = self.v(*native)
        if isinstance(raw, Unknown):
            self.put(sub, raw, native, (lambda v: not v) if invert else None)
            return None
        value = _bool(raw) if raw is not None else default
        if value is not None and invert and raw is not None:
            value = not value
        self.put(sub, value, native, (lambda v: not v) if invert else None)
        return value

    def env(self, variables: Any, native: NativePath) -> None:
        if not isinstance(variables, dict):
            return
        env = {}
        for key, value in variables.items():
            text = None if isinstance(value, Unknown | dict | list) or value is None else _text(value)
            env[str(key)] = text
            # a secret in Terraform must come from a variable or a secret store: no literal rewrite
            self.mapped(("env", str(key)), (*native, str(key)), LOCATE_ONLY)
        if env:
            self.built.data["env"] = env

    def done(self) -> Built:
        return self.built


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _retention_days(value: Any) -> int:
    if isinstance(value, dict):
        days = value.get("retention_days")
        return int(days) if isinstance(days, int) and days > 0 else 7
    return 7 if value else 0


def _backups(b: _B, attr: str, default: int | None) -> None:
    raw = b.v(attr)
    if isinstance(raw, Unknown):
        b.put("backups", raw, (attr,), _retention_days)
        return
    days = _int(raw) if raw is not None else default
    if days is not None:
        b.put("backups", {"enabled": days > 0, "retention_days": days}, (attr,), _retention_days)
    else:
        b.mapped("backups", (attr,), _retention_days)


def _engine_tech(engine: Any) -> tuple[str | None, _tech.Tech | None]:
    if not isinstance(engine, str):
        return None, None
    lowered = engine.lower()
    for prefix, name in (("oracle", "oracle"), ("sqlserver", "sqlserver"), ("custom-sqlserver", "sqlserver")):
        if lowered.startswith(prefix):
            return name, _tech.BY_NAME.get(name)
    tech = _tech.BY_NAME.get(lowered)
    return (tech.name if tech else lowered), tech


# --- handlers --------------------------------------------------------------------------------


def _instance(r: Resource) -> Built:
    b = _B(r, T.SERVICE)
    b.put(("resources", "instance"), b.v("instance_type"), ("instance_type",))
    b.flag("public", "associate_public_ip_address")
    b.put("replicas", r.count(), ("count",) if r.block.attr("count") else None)
    _metadata(b)
    return b.done()


def _metadata(b: _B) -> None:
    """IMDS v1 or v2, where the model has the field (it came with the analysis rules)."""
    from archls.model import Component

    if "instance_metadata" not in Component.model_fields:
        return
    tokens = b.v("metadata_options", 0, "http_tokens")
    value = "v2" if tokens == "required" else "v1" if tokens is None or isinstance(tokens, str) else None
    if b.v("metadata_options", 0, "http_endpoint") == "disabled":
        value = None  # no metadata service at all: nothing for an SSRF to read
    b.put(
        "instance_metadata",
        value,
        ("metadata_options", 0, "http_tokens"),
        lambda v: "required" if v == "v2" else "optional",
    )


def _autoscaling_group(r: Resource) -> Built:
    b = _B(r, T.SERVICE)
    low, high = _int(b.v("min_size")), _int(b.v("max_size"))
    if high is not None and high >= 1:
        b.put("autoscaling", {"min": low if low is not None else 1, "max": high})
    b.mapped(("autoscaling", "min"), ("min_size",))
    b.mapped(("autoscaling", "max"), ("max_size",))
    b.put("replicas", _int(b.v("desired_capacity")), ("desired_capacity",))
    return b.done()


def _ecs_service(r: Resource, project: Project) -> Built:
    b = _B(r, T.SERVICE)
    b.put("replicas", _int(b.v("desired_count")), ("desired_count",))
    task = _ref_target(r, project, "task_definition")
    if task is not None and task.type == "aws_ecs_task_definition":
        raw = task.value("container_definitions")
        attribute = task.attr("container_definitions")
        if isinstance(raw, Unknown) and attribute is not None:
            # jsonencode([...]) with references inside: read the list itself, references stay unknown
            from archls.formats._hcl import Call

            expr = attribute.expr
            if isinstance(expr, Call) and expr.name == "jsonencode" and len(expr.args) == 1:
                raw = task.module.evaluate(expr.args[0])
        containers: Any = None
        if isinstance(raw, str):
            try:
                containers = json.loads(raw)
            except ValueError:
                containers = None
        elif isinstance(raw, list):
            containers = raw
        if isinstance(containers, list) and containers and isinstance(containers[0], dict):
            first = containers[0]
            image = first.get("image")
            if isinstance(image, str) and "Unknown(" not in image:
                b.put("image", image)
                tech, version = _tech.from_image(image)
                if tech is not None:
                    b.put("technology", tech.name)
                    b.put("type", tech.type.value)
                b.put("version", version)
            ports = [p.get("containerPort") for p in first.get("portMappings") or [] if isinstance(p, dict)]
            b.put("ports", [p for p in ports if isinstance(p, int)] or None)
            env = {e.get("name"): e.get("value") for e in first.get("environment") or [] if isinstance(e, dict)}
            b.put(
                "env",
                {str(k): None if v is None or isinstance(v, Unknown) else _text(v) for k, v in env.items() if k}
                or None,
            )
            container: dict[str, Any] = {}
            if isinstance(first.get("privileged"), bool):
                container["privileged"] = first["privileged"]
            if isinstance(first.get("readonlyRootFilesystem"), bool):
                container["read_only_root"] = first["readonlyRootFilesystem"]
            user = first.get("user")
            if isinstance(user, str | int):
                container["run_as_root"] = str(user).split(":")[0] in {"0", "root"}
            b.put("container", container or None)
    return b.done()


def _lambda(r: Resource) -> Built:
    b = _B(r, T.FUNCTION)
    runtime = b.v("runtime")
    if isinstance(runtime, str):
        name, version = _tech.from_runtime(runtime)
        b.put("technology", name, ("runtime",), LOCATE_ONLY)
        b.put("version", version, ("runtime",), LOCATE_ONLY)
    b.put("image", b.v("image_uri"), ("image_uri",))
    memory = _float(b.v("memory_size"))
    b.put(("resources", "memory_mb"), memory, ("memory_size",))
    b.env(b.v("environment", 0, "variables"), ("environment", 0, "variables"))
    return b.done()


def _db_instance(r: Resource) -> Built:
    b = _B(r, T.DATABASE)
    name, _ = _engine_tech(b.v("engine"))
    b.put("technology", name, ("engine",), LOCATE_ONLY)
    b.put("version", _version(b.v("engine_version")), ("engine_version",))
    b.flag("encryption_at_rest", "storage_encrypted", default=False)
    b.flag("public", "publicly_accessible", default=False)
    _backups(b, "backup_retention_period", 1)
    multi = _bool(b.v("multi_az"))
    b.put("replicas", 2 if multi else 1, ("multi_az",), lambda n: bool(n and n > 1))
    zone = b.v("availability_zone")
    b.put("zones", [zone] if isinstance(zone, str) else None, ("availability_zone",), LOCATE_ONLY)
    b.put(("resources", "instance"), b.v("instance_class"), ("instance_class",))
    b.put(("resources", "storage_gb"), _float(b.v("allocated_storage")), ("allocated_storage",), lambda v: int(v))
    _storage_type(b, "storage_type")
    return b.done()


def _storage_type(b: _B, attr: str) -> None:
    from archls.model import Resources

    if "storage_type" in Resources.model_fields and isinstance(b.v(attr), str):
        b.put(("resources", "storage_type"), b.v(attr), (attr,))


def _rds_cluster(r: Resource, project: Project) -> Built:
    b = _B(r, T.DATABASE)
    engine = b.v("engine", default="aurora")
    name, _ = _engine_tech(engine)
    b.put("technology", name, ("engine",), LOCATE_ONLY)
    b.put("version", _version(b.v("engine_version")), ("engine_version",))
    serverless = b.v("engine_mode") == "serverless"
    b.flag("encryption_at_rest", "storage_encrypted", default=serverless)
    _backups(b, "backup_retention_period", 1)
    members = [
        other
        for other in project.of_type("aws_rds_cluster_instance")
        if _ref_target(other, project, "cluster_identifier") is r
    ]
    if members:
        b.put("replicas", sum(m.count() or 1 for m in members))
        exposed = [m for m in members if _bool(m.value("publicly_accessible")) is True]
        b.put("public", bool(exposed))
        if exposed:
            b.built.fields[("public",)] = NativeField(("publicly_accessible",), LOCATE_ONLY, exposed[0].address)
    return b.done()


def _graph_cluster(technology: str) -> Callable[[Resource], Built]:
    def build(r: Resource) -> Built:
        b = _B(r, T.DATABASE)
        b.put("technology", technology)
        b.put("version", _version(b.v("engine_version")), ("engine_version",))
        b.flag("encryption_at_rest", "storage_encrypted", default=False)
        _backups(b, "backup_retention_period", 1)
        return b.done()

    return build


def _dynamodb(r: Resource) -> Built:
    b = _B(r, T.DATABASE)
    b.put("technology", "dynamodb")
    b.put("encryption_at_rest", True, ("server_side_encryption", 0, "enabled"))
    pitr = _bool(b.v("point_in_time_recovery", 0, "enabled"))
    b.put("backups", {"enabled": bool(pitr), "point_in_time": bool(pitr)}, ("point_in_time_recovery", 0, "enabled"))
    return b.done()


def _elasticache_cluster(r: Resource) -> Built:
    b = _B(r, T.CACHE)
    engine = b.v("engine", default="redis")
    b.put("technology", engine if isinstance(engine, str) else None, ("engine",), LOCATE_ONLY)
    b.put("version", _version(b.v("engine_version")), ("engine_version",))
    b.put("replicas", _int(b.v("num_cache_nodes")), ("num_cache_nodes",))
    b.put(("resources", "instance"), b.v("node_type"), ("node_type",))
    b.flag("tls", "transit_encryption_enabled")
    return b.done()


def _elasticache_group(r: Resource) -> Built:
    b = _B(r, T.CACHE)
    engine = b.v("engine", default="redis")
    b.put("technology", engine if isinstance(engine, str) else None, ("engine",), LOCATE_ONLY)
    b.put("version", _version(b.v("engine_version")), ("engine_version",))
    b.flag("encryption_at_rest", "at_rest_encryption_enabled", default=False)
    b.flag("tls", "transit_encryption_enabled", default=False)
    nodes = _int(b.v("num_cache_clusters"))
    b.put("replicas", nodes, ("num_cache_clusters",))
    b.put(("resources", "instance"), b.v("node_type"), ("node_type",))
    if b.v("auth_token") is not None:
        b.put("auth", "password", ("auth_token",), LOCATE_ONLY)
    return b.done()


def _sqs(r: Resource) -> Built:
    b = _B(r, T.QUEUE)
    b.put("technology", "sqs")
    kms = b.v("kms_master_key_id")
    managed = _bool(b.v("sqs_managed_sse_enabled"))
    encrypted = True if kms is not None else (managed if managed is not None else True)
    b.put("encryption_at_rest", encrypted, ("sqs_managed_sse_enabled",))
    b.put("retention_days", _days(b.v("message_retention_seconds")), ("message_retention_seconds",))
    return b.done()


def _sns(r: Resource) -> Built:
    b = _B(r, T.QUEUE)
    b.put("technology", "sns")
    b.put("encryption_at_rest", b.v("kms_master_key_id") is not None, ("kms_master_key_id",), LOCATE_ONLY)
    return b.done()


def _kinesis(r: Resource) -> Built:
    b = _B(r, T.STREAM)
    b.put("technology", "kinesis")
    b.put("encryption_at_rest", b.v("encryption_type") == "KMS", ("encryption_type",), LOCATE_ONLY)
    b.put("replicas", _int(b.v("shard_count")), ("shard_count",))
    hours = _int(b.v("retention_period"))
    b.put("retention_days", hours // 24 if hours is not None else None, ("retention_period",))
    return b.done()


def _msk(r: Resource) -> Built:
    b = _B(r, T.STREAM)
    b.put("technology", "kafka")
    b.put("version", _version(b.v("kafka_version")), ("kafka_version",))
    b.put("replicas", _int(b.v("number_of_broker_nodes")), ("number_of_broker_nodes",))
    b.put("encryption_at_rest", True)
    client = b.v("encryption_info", 0, "encryption_in_transit", 0, "client_broker", default="TLS")
    b.put("tls", client == "TLS" if isinstance(client, str) else None, ("encryption_info",), LOCATE_ONLY)
    return b.done()


_PUBLIC_ACLS = {"public-read", "public-read-write", "website"}


def _s3(r: Resource, project: Project) -> Built:
    b = _B(r, T.OBJECT_STORAGE)
    b.put("technology", "s3")
    # AWS encrypts every new bucket with SSE-S3 since January 2023; explicit configuration only changes the key.
    b.put("encryption_at_rest", True, ("server_side_encryption_configuration",), LOCATE_ONLY)
    acl = b.v("acl")
    acl_resource = _attached(r, project, "aws_s3_bucket_acl", "bucket")
    if acl_resource is not None and isinstance(acl_resource.value("acl"), str):
        acl = acl_resource.value("acl")
    b.put("public", acl in _PUBLIC_ACLS if isinstance(acl, str) else False, ("acl",), _private_acl)
    return b.done()


def _private_acl(public: Any) -> str:
    if public:
        return LOCATE_ONLY(public)
    return "private"


def _efs(r: Resource) -> Built:
    b = _B(r, T.FILE_STORAGE)
    b.put("technology", "efs")
    b.flag("encryption_at_rest", "encrypted", default=False)
    return b.done()


def _search(technology: str, version_attr: str) -> Callable[[Resource], Built]:
    def build(r: Resource) -> Built:
        b = _B(r, T.SEARCH)
        b.put("technology", technology)
        raw = b.v(version_attr)
        if isinstance(raw, str) and "_" in raw:  # OpenSearch_2.11
            raw = raw.split("_", 1)[1]
        b.put("version", _version(raw), (version_attr,))
        b.flag("encryption_at_rest", "encrypt_at_rest", 0, "enabled", default=False)
        b.flag("tls", "domain_endpoint_options", 0, "enforce_https", default=False)
        b.put("replicas", _int(b.v("cluster_config", 0, "instance_count")), ("cluster_config", 0, "instance_count"))
        b.put(
            ("resources", "instance"), b.v("cluster_config", 0, "instance_type"), ("cluster_config", 0, "instance_type")
        )
        b.put("public", not r.has("vpc_options"), ("vpc_options",), LOCATE_ONLY)
        b.put("audit_log", True if r.has("log_publishing_options") else None, ("log_publishing_options",), LOCATE_ONLY)
        return b.done()

    return build


def _redshift(r: Resource) -> Built:
    b = _B(r, T.DATA_WAREHOUSE)
    b.put("technology", "redshift")
    b.flag("encryption_at_rest", "encrypted", default=False)
    b.flag("public", "publicly_accessible", default=False)
    b.put("replicas", _int(b.v("number_of_nodes")), ("number_of_nodes",))
    b.put(("resources", "instance"), b.v("node_type"), ("node_type",))
    return b.done()


def _cloudfront(r: Resource) -> Built:
    b = _B(r, T.CDN)
    b.put("technology", "cloudfront")
    b.put("public", True)
    policy = b.v("default_cache_behavior", 0, "viewer_protocol_policy")
    b.put(
        "tls",
        policy in {"redirect-to-https", "https-only"} if isinstance(policy, str) else None,
        ("default_cache_behavior", 0, "viewer_protocol_policy"),
        lambda v: "redirect-to-https" if v else "allow-all",
    )
    b.put("waf", b.v("web_acl_id") is not None, ("web_acl_id",), LOCATE_ONLY)
    return b.done()


def _lb(r: Resource, project: Project) -> Built:
    b = _B(r, T.LOAD_BALANCER)
    kind = b.v("load_balancer_type", default="application")
    b.put("technology", {"application": "alb", "network": "nlb", "gateway": "gwlb"}.get(str(kind), "alb"))
    b.flag("public", "internal", default=True, invert=True)
    if b.v("internal") is None:
        b.put("public", True)
    listeners = [
        other
        for other in project.of_type("aws_lb_listener", "aws_alb_listener")
        if _ref_target(other, project, "load_balancer_arn") is r
    ]
    if listeners:
        b.put("tls", any(str(other.value("protocol", default="")).upper() in {"HTTPS", "TLS"} for other in listeners))
    waf = [
        other
        for other in project.of_type("aws_wafv2_web_acl_association", "aws_wafregional_web_acl_association")
        if _ref_target(other, project, "resource_arn") is r
    ]
    if waf:
        b.put("waf", True)
    return b.done()


def _elb(r: Resource) -> Built:
    b = _B(r, T.LOAD_BALANCER)
    b.put("technology", "elb")
    internal = _bool(b.v("internal"))
    b.put("public", not internal if internal is not None else True, ("internal",), lambda v: not v)
    protocols = [
        str(r.value("listener", i, "lb_protocol", default="")).lower() for i in range(len(r.blocks("listener")))
    ]
    if protocols:
        b.put("tls", any(p in {"https", "ssl"} for p in protocols), ("listener", 0, "lb_protocol"), LOCATE_ONLY)
    target = b.v("health_check", 0, "target")
    if r.has("health_check"):
        check: dict[str, Any] = {}
        if isinstance(target, str) and ":" in target and "/" in target:
            check["path"] = "/" + target.split("/", 1)[1]
        interval = _float(b.v("health_check", 0, "interval"))
        timeout = _float(b.v("health_check", 0, "timeout"))
        if interval:
            check["interval_s"] = interval
        if timeout:
            check["timeout_s"] = timeout
        b.put("health_check", check or True, ("health_check",), LOCATE_ONLY)
    else:
        b.mapped("health_check", ("health_check",), LOCATE_ONLY)
    return b.done()


def _api_gateway(r: Resource) -> Built:
    b = _B(r, T.API_GATEWAY)
    b.put("technology", "api-gateway")
    types = b.v("endpoint_configuration", 0, "types")
    private = isinstance(types, list) and "PRIVATE" in types
    b.put("public", not private, ("endpoint_configuration",), LOCATE_ONLY)
    return b.done()


def _simple(kind: ComponentType, technology: str, **extra: Any) -> Callable[[Resource], Built]:
    def build(r: Resource) -> Built:
        b = _B(r, kind)
        b.put("technology", technology)
        for key, value in extra.items():
            b.put(key, value)
        return b.done()

    return build


def _route53(r: Resource) -> Built:
    b = _B(r, T.DNS)
    b.put("technology", "route53")
    b.put("public", not r.has("vpc"))
    return b.done()


def _event_rule(r: Resource) -> Built | None:
    if r.value("schedule_expression") is None:
        return None
    b = _B(r, T.SCHEDULER)
    b.put("technology", "eventbridge")
    return b.done()


def _google_redis(r: Resource) -> Built:
    b = _B(r, T.CACHE)
    b.put("technology", "redis")
    raw = b.v("redis_version")
    if isinstance(raw, str):
        b.put("version", raw.removeprefix("REDIS_").replace("_", "."), ("redis_version",), LOCATE_ONLY)
    tier = b.v("tier", default="BASIC")
    b.put("replicas", 2 if tier == "STANDARD_HA" else 1, ("tier",), LOCATE_ONLY)
    mode = b.v("transit_encryption_mode", default="DISABLED")
    b.put(
        "tls",
        mode == "SERVER_AUTHENTICATION" if isinstance(mode, str) else None,
        ("transit_encryption_mode",),
        lambda v: "SERVER_AUTHENTICATION" if v else "DISABLED",
    )
    b.put(("resources", "memory_mb"), (_float(b.v("memory_size_gb")) or 0) * 1024 or None, ("memory_size_gb",))
    return b.done()


def _google_sql(r: Resource) -> Built:
    b = _B(r, T.DATABASE)
    raw = b.v("database_version")
    if isinstance(raw, str):
        engine, _, version = raw.partition("_")
        name, _ = _engine_tech(engine.lower())
        b.put("technology", name, ("database_version",), LOCATE_ONLY)
        b.put("version", version.replace("_", ".") or None, ("database_version",), LOCATE_ONLY)
    ipv4 = _bool(b.v("settings", 0, "ip_configuration", 0, "ipv4_enabled"))
    b.put("public", ipv4 if ipv4 is not None else True, ("settings", 0, "ip_configuration", 0, "ipv4_enabled"))
    enabled = _bool(b.v("settings", 0, "backup_configuration", 0, "enabled"))
    b.put("backups", enabled if enabled is not None else False, ("settings", 0, "backup_configuration", 0, "enabled"))
    b.put("encryption_at_rest", True)
    b.put(("resources", "instance"), b.v("settings", 0, "tier"), ("settings", 0, "tier"))
    return b.done()


def _version(value: Any) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value:
        return value
    return None


def _days(seconds: Any) -> int | None:
    value = _int(seconds)
    return value // 86400 if value is not None else None


Handler = Callable[..., Built | None]

HANDLERS: dict[str, Handler] = {
    "aws_instance": _instance,
    "aws_autoscaling_group": _autoscaling_group,
    "aws_ecs_service": _ecs_service,
    "aws_lambda_function": _lambda,
    "aws_db_instance": _db_instance,
    "aws_rds_cluster": _rds_cluster,
    "aws_neptune_cluster": _graph_cluster("neptune"),
    "aws_docdb_cluster": _graph_cluster("documentdb"),
    "aws_dynamodb_table": _dynamodb,
    "aws_elasticache_cluster": _elasticache_cluster,
    "aws_elasticache_replication_group": _elasticache_group,
    "aws_sqs_queue": _sqs,
    "aws_sns_topic": _sns,
    "aws_kinesis_stream": _kinesis,
    "aws_msk_cluster": _msk,
    "aws_s3_bucket": _s3,
    "aws_efs_file_system": _efs,
    "aws_elasticsearch_domain": _search("elasticsearch", "elasticsearch_version"),
    "aws_opensearch_domain": _search("opensearch", "engine_version"),
    "aws_redshift_cluster": _redshift,
    "aws_cloudfront_distribution": _cloudfront,
    "aws_lb": _lb,
    "aws_alb": _lb,
    "aws_elb": _elb,
    "aws_api_gateway_rest_api": _api_gateway,
    "aws_apigatewayv2_api": _api_gateway,
    "aws_secretsmanager_secret": _simple(T.SECRETS, "secrets-manager", encryption_at_rest=True),
    "aws_cognito_user_pool": _simple(T.IDENTITY, "cognito"),
    "aws_route53_zone": _route53,
    "aws_wafv2_web_acl": _simple(T.WAF, "aws-waf"),
    "aws_cloudwatch_event_rule": _event_rule,
    "aws_sfn_state_machine": _simple(T.WORKER, "step-functions"),
    "google_redis_instance": _google_redis,
    "google_sql_database_instance": _google_sql,
    "google_storage_bucket": _simple(T.OBJECT_STORAGE, "gcs", encryption_at_rest=True),
    "google_pubsub_topic": _simple(T.QUEUE, "pubsub", encryption_at_rest=True),
    "google_cloud_run_service": _simple(T.SERVICE, "cloud-run"),
    "google_cloud_run_v2_service": _simple(T.SERVICE, "cloud-run"),
    "google_cloudfunctions_function": _simple(T.FUNCTION, "cloud-functions"),
    "google_cloudfunctions2_function": _simple(T.FUNCTION, "cloud-functions"),
}

#: Handlers that look at other resources of the project.
_NEEDS_PROJECT = {"aws_ecs_service", "aws_rds_cluster", "aws_s3_bucket", "aws_lb", "aws_alb"}

GROUPS: dict[str, GroupType] = {
    "aws_vpc": GroupType.VPC,
    "aws_subnet": GroupType.SUBNET,
    "aws_eks_cluster": GroupType.CLUSTER,
    "aws_ecs_cluster": GroupType.CLUSTER,
    "google_container_cluster": GroupType.CLUSTER,
    "google_compute_network": GroupType.VPC,
    "google_compute_subnetwork": GroupType.SUBNET,
}


def build_component(resource: Resource, project: Project) -> Built | None:
    handler = HANDLERS.get(resource.type)
    if handler is None or resource.mode != "resource":
        return None
    if resource.type in _NEEDS_PROJECT:
        return handler(resource, project)
    return handler(resource)


def build_group(resource: Resource, project: Project) -> BuiltGroup | None:
    kind = GROUPS.get(resource.type)
    if kind is None or resource.mode != "resource":
        return None
    group = BuiltGroup(resource, kind)
    if resource.type == "aws_subnet":
        group.public = bool(_bool(resource.value("map_public_ip_on_launch")))
        group.parent = _ref_target(resource, project, "vpc_id")
    elif resource.type == "google_compute_subnetwork":
        group.parent = _ref_target(resource, project, "network")
    elif resource.type == "aws_eks_cluster":
        group.public = _bool(resource.value("vpc_config", 0, "endpoint_public_access")) is not False
    cidr = resource.value("cidr_block")
    if isinstance(cidr, str):
        group.description = f"{resource.address} ({cidr})"
    return group


# --- references and connections ----------------------------------------------------------------


def _ref_target(resource: Resource, project: Project, *path: str | int) -> Resource | None:
    attribute = resource.attr(*path)
    if attribute is None:
        return None
    from archls.formats._hcl import walk_refs

    for ref in walk_refs(attribute.expr):
        target = project.target(ref, resource.module)
        if target is None and len(ref.parts) >= 2 and ref.parts[0] == "local":
            # a local that names a resource (local.bucket = aws_s3_bucket.logs.id) names it too
            local = resource.module.locals.get(str(ref.parts[1]))
            inner = walk_refs(local.expr) if local is not None else ()
            target = next((t for r in inner if (t := project.target(r, resource.module)) is not None), None)
        if target is not None:
            return target
    return None


def _ref_targets(resource: Resource, project: Project, *path: str | int) -> list[tuple[Ref, Resource]]:
    attribute = resource.attr(*path)
    if attribute is None:
        return []
    from archls.formats._hcl import walk_refs

    out = []
    for ref in walk_refs(attribute.expr):
        target = project.target(ref, resource.module)
        if target is not None:
            out.append((ref, target))
    return out


def attached_to(other: Resource, project: Project, attr: str, kind: str) -> Resource | None:
    """The resource of ``kind`` that ``other``'s ``attr`` names: by reference (``aws_s3_bucket.logs.id``,
    directly or through a local), else the one of the same module whose ``attr`` has the same value (a
    literal, a variable or a local on both sides, as S3 settings resources name their bucket)."""
    target = _ref_target(other, project, attr)
    if target is not None:
        return target if target.type == kind else None
    name = other.value(attr)
    if not isinstance(name, str):
        return None
    return next((r for r in project.of_type(kind) if r.module is other.module and r.value(attr) == name), None)


def _attached(resource: Resource, project: Project, kind: str, attr: str) -> Resource | None:
    for other in project.of_type(kind):
        if attached_to(other, project, attr, resource.type) is resource:
            return other
    return None


@dataclass
class Link:
    source: Resource
    target: Resource
    evidence: Evidence
    protocol: Protocol | None = None
    mode: str | None = None
    port: int | None = None


#: Attributes of a compute resource that hold configuration of the running code.
_USAGE_ATTRS = ("environment", "user_data", "container_definitions", "template", "command", "args", "env")

#: Attributes whose reference means membership or infrastructure, never a call.
_NOT_CALLS = frozenset(
    {
        "role",
        "role_arn",
        "execution_role_arn",
        "task_role_arn",
        "iam_instance_profile",
        "kms_key_id",
        "kms_key_arn",
        "kms_master_key_id",
        "subnet_id",
        "subnet_ids",
        "vpc_id",
        "vpc_security_group_ids",
        "security_groups",
        "security_group_ids",
        "tags",
        "tags_all",
        "vpc_config",
        "logging",
        "target_bucket",
        "dead_letter_config",
        "redrive_policy",
        "cluster",
        "cluster_identifier",
        "task_definition",
        "network_configuration",
        "depends_on",
        "source_code_hash",
        "filename",
        "s3_bucket",
        "layers",
    }
)


def infer_links(project: Project, components: dict[str, str]) -> Iterator[Link]:
    """Connections between component resources (by address), each with the place that shows it."""
    comp = {address for address in components}

    def ev(resource: Resource, ref_or_range: Ref | Range, kind: str, detail: str) -> Evidence:
        where = ref_or_range.range if isinstance(ref_or_range, Ref) else ref_or_range
        return Evidence(resource.file, where, kind, detail)

    for resource in project.resources:
        if resource.address not in comp:
            continue
        kind = HANDLERS.get(resource.type)
        compute = resource.type in _COMPUTE
        # load balancers listing their instances directly
        if resource.type == "aws_elb":
            for ref, target in _ref_targets(resource, project, "instances"):
                if target.address in comp:
                    port = _int(resource.value("listener", 0, "instance_port"))
                    proto = str(resource.value("listener", 0, "instance_protocol", default="http")).lower()
                    yield Link(
                        resource,
                        target,
                        ev(resource, ref, "load-balancer", f"instances = {ref.text}"),
                        _protocol(proto),
                        port=port,
                    )
        if not compute or kind is None:
            continue
        for path, ref, target in project.references(resource):
            if target.address not in comp or str(path[0]) in _NOT_CALLS:
                continue
            if target.type in _COMPUTE and str(path[0]) not in _USAGE_ATTRS:
                continue
            where = ".".join(str(p) for p in path if not isinstance(p, int))
            yield Link(resource, target, ev(resource, ref, "reference", f"{where} = {ref.text}"))

    # load balancer -> listener -> target group -> targets
    groups: dict[str, list[tuple[Resource, Evidence]]] = {}
    for listener in project.of_type("aws_lb_listener", "aws_alb_listener"):
        lb = _ref_target(listener, project, "load_balancer_arn")
        if lb is None or lb.address not in comp:
            continue
        for i in range(len(listener.blocks("default_action"))):
            for ref, tg in _ref_targets(listener, project, "default_action", i, "target_group_arn"):
                groups.setdefault(tg.address, []).append((lb, ev(listener, ref, "listener", f"{listener.address}")))
    for rule in project.of_type("aws_lb_listener_rule", "aws_alb_listener_rule"):
        listener = _ref_target(rule, project, "listener_arn")
        lb = _ref_target(listener, project, "load_balancer_arn") if listener is not None else None
        if lb is None or lb.address not in comp:
            continue
        for i in range(len(rule.blocks("action"))):
            for ref, tg in _ref_targets(rule, project, "action", i, "target_group_arn"):
                groups.setdefault(tg.address, []).append((lb, ev(rule, ref, "listener", f"{rule.address}")))
    for attachment in project.of_type("aws_lb_target_group_attachment", "aws_alb_target_group_attachment"):
        tg = _ref_target(attachment, project, "target_group_arn")
        target = _ref_target(attachment, project, "target_id")
        if tg is None or target is None or target.address not in comp:
            continue
        port = _int(attachment.value("port")) or _int(tg.value("port"))
        for lb, evidence in groups.get(tg.address, []):
            yield Link(lb, target, evidence, _protocol(str(tg.value("protocol", default="http")).lower()), port=port)
    for asg in project.of_type("aws_autoscaling_group"):
        if asg.address not in comp:
            continue
        for _ref, tg in _ref_targets(asg, project, "target_group_arns"):
            for lb, evidence in groups.get(tg.address, []):
                yield Link(lb, asg, evidence, _protocol(str(tg.value("protocol", default="http")).lower()))
    for service in project.of_type("aws_ecs_service"):
        if service.address not in comp:
            continue
        for i in range(len(service.blocks("load_balancer"))):
            for _ref, tg in _ref_targets(service, project, "load_balancer", i, "target_group_arn"):
                for lb, evidence in groups.get(tg.address, []):
                    yield Link(lb, service, evidence, _protocol(str(tg.value("protocol", default="http")).lower()))

    # event sources: queue or stream -> function
    for mapping in project.of_type("aws_lambda_event_source_mapping"):
        source = _ref_target(mapping, project, "event_source_arn")
        function = _ref_target(mapping, project, "function_name")
        if source is None or function is None or source.address not in comp or function.address not in comp:
            continue
        attribute = mapping.attr("event_source_arn")
        assert attribute is not None
        yield Link(
            source,
            function,
            ev(mapping, attribute.key, "event-source", f"{mapping.address}"),
            _PROTOCOL_OF.get(source.type),
            "async",
        )
    for notification in project.of_type("aws_s3_bucket_notification"):
        bucket = _ref_target(notification, project, "bucket")
        if bucket is None or bucket.address not in comp:
            continue
        for kind, attr in (("lambda_function", "lambda_function_arn"), ("queue", "queue_arn"), ("topic", "topic_arn")):
            for i in range(len(notification.blocks(kind))):
                for ref, target in _ref_targets(notification, project, kind, i, attr):
                    if target.address in comp:
                        yield Link(bucket, target, ev(notification, ref, "notification", f"{attr} = {ref.text}"))
    for subscription in project.of_type("aws_sns_topic_subscription"):
        topic = _ref_target(subscription, project, "topic_arn")
        target = _ref_target(subscription, project, "endpoint")
        if topic is None or target is None or topic.address not in comp or target.address not in comp:
            continue
        attribute = subscription.attr("endpoint")
        assert attribute is not None
        yield Link(topic, target, ev(subscription, attribute.key, "subscription", subscription.address), Protocol.SNS)
    for event_target in project.of_type("aws_cloudwatch_event_target"):
        rule = _ref_target(event_target, project, "rule")
        target = _ref_target(event_target, project, "arn")
        if rule is None or target is None or rule.address not in comp or target.address not in comp:
            continue
        attribute = event_target.attr("arn")
        assert attribute is not None
        yield Link(rule, target, ev(event_target, attribute.key, "event-target", event_target.address), mode="async")
    for integration in project.of_type("aws_api_gateway_integration", "aws_apigatewayv2_integration"):
        api = _ref_target(integration, project, "rest_api_id") or _ref_target(integration, project, "api_id")
        for attr in ("uri", "integration_uri"):
            for ref, target in _ref_targets(integration, project, attr):
                if api is not None and api.address in comp and target.address in comp:
                    yield Link(api, target, ev(integration, ref, "integration", f"{attr} = {ref.text}"), Protocol.HTTPS)
    for distribution in project.of_type("aws_cloudfront_distribution"):
        if distribution.address not in comp:
            continue
        for i in range(len(distribution.blocks("origin"))):
            for ref, target in _ref_targets(distribution, project, "origin", i, "domain_name"):
                if target.address in comp:
                    yield Link(
                        distribution, target, ev(distribution, ref, "origin", f"origin {ref.text}"), Protocol.HTTPS
                    )

    yield from _security_group_links(project, comp)


_COMPUTE = frozenset(
    {
        "aws_instance",
        "aws_autoscaling_group",
        "aws_ecs_service",
        "aws_lambda_function",
        "google_cloud_run_service",
        "google_cloud_run_v2_service",
        "google_cloudfunctions_function",
        "google_cloudfunctions2_function",
    }
)

_PROTOCOL_OF: dict[str, Protocol] = {
    "aws_sqs_queue": Protocol.SQS,
    "aws_sns_topic": Protocol.SNS,
    "aws_kinesis_stream": Protocol.HTTPS,
    "aws_msk_cluster": Protocol.KAFKA,
    "aws_s3_bucket": Protocol.S3,
    "aws_dynamodb_table": Protocol.HTTPS,
}


def _protocol(name: str) -> Protocol | None:
    try:
        return Protocol(name.lower())
    except ValueError:
        return Protocol.TCP if name.lower() == "tcp" else None


_SG_MEMBER_ATTRS: tuple[tuple[str | int, ...], ...] = (
    ("vpc_security_group_ids",),
    ("security_groups",),
    ("security_group_ids",),
    ("vpc_config", 0, "security_group_ids"),
    ("network_configuration", 0, "security_groups"),
    ("vpc_options", 0, "security_group_ids"),
)


def _security_group_links(project: Project, comp: set[str]) -> Iterator[Link]:
    members: dict[str, list[Resource]] = {}
    for resource in project.resources:
        if resource.address not in comp:
            continue
        for path in _SG_MEMBER_ATTRS:
            for _ref, group in _ref_targets(resource, project, *path):
                if group.type == "aws_security_group":
                    members.setdefault(group.address, []).append(resource)
    seen: set[tuple[str, str]] = set()

    def pairs(source_group: Resource, target_group: Resource, port: int | None, evidence: Evidence) -> Iterator[Link]:
        for source in members.get(source_group.address, []):
            for target in members.get(target_group.address, []):
                if source is target or (source.address, target.address) in seen:
                    continue
                seen.add((source.address, target.address))
                yield Link(source, target, evidence, port=port)

    for rule in project.of_type("aws_security_group_rule", "aws_vpc_security_group_ingress_rule"):
        kind = rule.value("type", default="ingress")
        if kind != "ingress":
            continue
        target_group = _ref_target(rule, project, "security_group_id")
        source_group = _ref_target(rule, project, "source_security_group_id") or _ref_target(
            rule, project, "referenced_security_group_id"
        )
        if target_group is None or source_group is None:
            continue
        port = _port(rule.value("from_port"), rule.value("to_port"))
        attribute = rule.attr("source_security_group_id") or rule.attr("referenced_security_group_id")
        assert attribute is not None
        evidence = Evidence(rule.file, attribute.key, "security-group", f"{rule.address} allows port {port or 'any'}")
        yield from pairs(source_group, target_group, port, evidence)
    for group in project.of_type("aws_security_group"):
        for i in range(len(group.blocks("ingress"))):
            port = _port(group.value("ingress", i, "from_port"), group.value("ingress", i, "to_port"))
            for ref, source_group in _ref_targets(group, project, "ingress", i, "security_groups"):
                evidence = Evidence(group.file, ref.range, "security-group", f"{group.address} ingress from {ref.text}")
                yield from pairs(source_group, group, port, evidence)


def _port(low: Any, high: Any) -> int | None:
    a, b = _int(low), _int(high)
    if a is not None and a == b and 0 < a < 65536:
        return a
    return None


_ADDRESS_WORD = re.compile(r"[^A-Za-z0-9_.-]+")


def component_ids(resources: list[Resource]) -> dict[str, str]:
    """address -> component id: the resource name where it is unique and says something, else the address."""
    generic = {"default", "main", "this", "example", "primary", "test"}
    counts: dict[str, int] = {}
    for resource in resources:
        counts[resource.name] = counts.get(resource.name, 0) + 1
    out: dict[str, str] = {}
    for resource in resources:
        name = resource.name
        unique = counts[name] == 1 and name.lower() not in generic and not resource.module.prefix
        cid = name if unique and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name) else resource.address
        out[resource.address] = _ADDRESS_WORD.sub("-", cid)
    return out
