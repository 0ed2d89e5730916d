"""Grammar-aware generators: documents shaped like each format, filled with hostile values.

Each format's strategy builds a plausible structure (the keys its loader reads, values of the
right kind most of the time) and then renders it with the format's syntax in one of several
styles. Values are drawn from a pool that mixes ordinary words with what breaks parsers and
renderers: path traversal, template braces, markup, control and bidi characters, huge and
non-finite numbers, YAML's own indicators. A last layer damages the text the way editors and
tools do: CRLF line ends, a BOM, tabs, an alias bomb, deep nesting, bytes that are not UTF-8.
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from hypothesis import strategies as st

from archls.model import ComponentType, DataKind, GroupType, Protocol

HOSTILE = [
    "../../../etc/passwd",
    "..\\..\\windows\\system32",
    "/",
    "{{ .Values.image }}",
    "{{",
    "}}",
    "${var.x}",
    "${",
    "%{ if true }x%{ endif }",
    "$(whoami)",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "]]>",
    "javascript:alert(1)",
    "%s%n%x",
    "\x00",
    "\x1b[31m",
    "\t",
    "\r",
    "\u2028",
    "\u2029",
    "\x85",
    "\x0c",
    "\u202e",
    "\ufeff",
    "\ufffd",
    "é",
    "\U0001f600",
    "𝔘𝔫𝔦",
    "*",
    "&anchor",
    "*alias",
    "!!python/object/apply:os.system ['true']",
    "!!binary",
    "<<",
    "null",
    "~",
    "yes",
    "no",
    "0x1F",
    "0o17",
    "1e999",
    "-0",
    ".inf",
    ".nan",
    "1_000",
    "12:30:00",
    "2026-13-45",
    "'",
    '"',
    "\\",
    "# comment",
    ": ",
    "- ",
    "[",
    "{",
    "|",
    ">",
    "%TAG ! tag:x,2000:",
    "---",
    "...",
    "@",
    "`",
    "a" * 300,
    "x" * 5000,
    " leading",
    "trailing ",
    "",
    " ",
    "CON",
    "aux.yaml",
    "127.0.0.1:80:80/tcp",
    "0.0.0.0/0",
    "::/0",
    "*:*",
    "arn:aws:iam::*:*",
]

WORDS = ["api", "web", "db", "cache", "worker", "queue", "auth", "edge", "app", "main", "x", "a-b", "a.b", "A_1"]
TECH = ["postgres", "postgresql", "redis", "mysql", "kafka", "nginx", "go", "python", "node", "java", "mongodb"]
TECH += ["rabbitmq", "elasticsearch", "s3", "dynamodb", "aws-alb", "route53", "cloudfront", "memcached", "unknown"]
IMAGES = ["nginx", "nginx:latest", "postgres:9.6", "redis:7", "mysql:5.7", "ghcr.io/o/a:1.0", "a/b@sha256:" + "0" * 64]
IMAGES += ["localhost:5000/x", "registry.example.com:443/team/app:v1", "ubuntu:14.04", "node:8", "${IMAGE}", "x:"]

BIG_NUMBERS = [0, -1, 1, 2**31, 2**63, -(2**63), 10**30, 10**400, 65535, 65536, 99999]
FLOATS = [0.0, -0.0, 0.5, 1e308, -1e308, 1e-320, float("inf"), float("-inf"), float("nan"), 99.99, 100.0]


def words(pool: list[str] | None = None) -> st.SearchStrategy[str]:
    """Mostly plausible names, sometimes hostile or arbitrary text."""
    return st.one_of(
        st.sampled_from(pool or WORDS),
        st.sampled_from(pool or WORDS),
        st.sampled_from(HOSTILE),
        st.text(max_size=12),
    )


def scalars(pool: list[Any] | None = None) -> st.SearchStrategy[Any]:
    options: list[st.SearchStrategy[Any]] = [
        st.sampled_from(HOSTILE),
        st.sampled_from(BIG_NUMBERS),
        st.sampled_from(FLOATS),
        st.booleans(),
        st.none(),
        st.integers(),
        st.text(max_size=20),
    ]
    if pool:
        options = [st.sampled_from(pool)] * 4 + options
    return st.one_of(*options)


def values(pool: list[Any] | None = None) -> st.SearchStrategy[Any]:
    """A scalar, or a small list or mapping of them (a value of the wrong shape)."""
    leaf = scalars(pool)
    return st.one_of(
        leaf,
        leaf,
        leaf,
        st.lists(leaf, max_size=4),
        st.dictionaries(words(), leaf, max_size=3),
    )


def mapping(fields: dict[str, st.SearchStrategy[Any]], *, extra: bool = True) -> st.SearchStrategy[dict[Any, Any]]:
    """A subset of ``fields`` (key -> value strategy), sometimes with an unknown key."""

    @st.composite
    def build(draw: st.DrawFn) -> dict[Any, Any]:
        # a few keys each time: every key still comes up, and documents stay small enough to draw fast
        chosen = draw(st.lists(st.sampled_from(sorted(fields)), unique=True, max_size=min(len(fields), 6)))
        out: dict[Any, Any] = {key: draw(fields[key]) for key in chosen}
        if extra and draw(st.integers(0, 5)) == 0:
            out[draw(st.one_of(words(), st.integers(), st.booleans()))] = draw(values())
        return out

    return build()


# --- YAML rendering ---------------------------------------------------------------------------


def _safe(value: Any) -> Any:
    """What PyYAML's safe dumper accepts: keys it cannot represent become text."""
    if isinstance(value, dict):
        return {(k if isinstance(k, (str, int, bool)) or k is None else str(k)): _safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_safe(v) for v in value]
    return value


def _plain(value: Any, indent: int) -> str:
    """A hand-written emitter that quotes nothing: YAML that is often invalid in interesting ways."""
    pad = "  " * indent
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "\n" + "\n".join(
            f"{pad}{k}:{' ' if not isinstance(v, (dict, list)) or not v else ''}{_plain(v, indent + 1)}"
            for k, v in value.items()
        )
    if isinstance(value, list):
        if not value:
            return "[]"
        return "\n" + "\n".join(f"{pad}- {_plain(v, indent + 1).lstrip()}" for v in value)
    if value is None:
        return "null"
    return str(value)


@st.composite
def yaml_text(draw: st.DrawFn, data: Any, *, documents: bool = False) -> str:
    """``data`` rendered as YAML in a style drawn at random (block, flow, unquoted by hand)."""
    style = draw(st.sampled_from(["block", "block", "flow", "plain", "json"]))
    items = data if documents else [data]
    rendered: list[str] = []
    for item in items:
        item = _safe(item)
        if style == "plain":
            rendered.append(_plain(item, 0).lstrip("\n"))
        elif style == "json":
            rendered.append(json.dumps(item, default=str, allow_nan=True))
        else:
            try:
                rendered.append(
                    yaml.safe_dump(
                        item,
                        default_flow_style=style == "flow",
                        allow_unicode=draw(st.booleans()),
                        sort_keys=False,
                        width=draw(st.sampled_from([80, 10**6])),
                    )
                )
            except (yaml.YAMLError, ValueError, TypeError):
                rendered.append(_plain(item, 0).lstrip("\n"))
    return "---\n".join(rendered) if documents else rendered[0]


# --- the formats ------------------------------------------------------------------------------

ENUM_TYPES = [t.value for t in ComponentType]
PROTOCOLS = [p.value for p in Protocol]
DATA_KINDS = [d.value for d in DataKind]
GROUP_TYPES = [g.value for g in GroupType]


# Ids come from one small pool, so references usually resolve and sometimes dangle.
IDS = ["api", "web", "db", "cache", "worker", "queue", "lb"]


def architecture() -> st.SearchStrategy[str]:
    component = mapping(
        {
            "type": scalars(ENUM_TYPES),
            "technology": scalars(TECH),
            "version": scalars(["1.0", "9.6", "3.12", "14.04", "latest"]),
            "replicas": scalars([0, 1, 2, 3, 100]),
            "public": scalars([True, False]),
            "auth": scalars(["none", "api-key", "oauth2", "mtls", "jwt"]),
            "tls": scalars([True, False]),
            "encryption_at_rest": scalars([True, False]),
            "backups": values([True, False, {"retention_days": 7}, {"enabled": False}]),
            "data": st.lists(scalars(DATA_KINDS), max_size=3),
            "health_check": values([True, {"path": "/healthz"}]),
            "resources": mapping({"cpu": scalars([0.5, 1]), "memory_mb": scalars([256]), "instance": words()}),
            "autoscaling": mapping({"min": scalars([1]), "max": scalars([3, 0]), "target_cpu": scalars([60])}),
            "image": scalars(IMAGES),
            "ports": st.lists(scalars([80, 443, 5432]), max_size=3),
            "env": st.dictionaries(words(), scalars(), max_size=3),
            "container": mapping({"privileged": st.booleans(), "capabilities": st.lists(words(), max_size=2)}),
            "zones": st.lists(words(), max_size=3),
            "description": scalars(),
            "latency_ms": scalars([5, 50]),
            "capacity_rps": scalars([100, 1000]),
            "cost_monthly": scalars([10, 1000]),
        }
    )
    references = st.one_of(st.sampled_from(IDS), st.sampled_from(IDS), words())
    connection = mapping(
        {
            "from": references,
            "to": references,
            "protocol": scalars(PROTOCOLS),
            "mode": scalars(["sync", "async"]),
            "timeout_ms": scalars([100, 1000]),
            "retries": scalars([0, 3, 10**6]),
            "share": scalars([0.5, 1, 2]),
            "calls": scalars([1, 10, 10**9]),
            "data": st.lists(scalars(DATA_KINDS), max_size=2),
            "tls": st.booleans(),
            "port": scalars([443, 0, 70000]),
        }
    )
    flow = mapping(
        {"path": st.lists(references, max_size=6), "rps": scalars([100]), "latency_budget_ms": scalars([200])}
    )
    group = mapping(
        {
            "type": scalars(GROUP_TYPES),
            "public": st.booleans(),
            "members": st.lists(references, max_size=4),
            "parent": words(),
        }
    )
    doc = mapping(
        {
            "archls": scalars([1, 2]),
            "name": words(),
            "description": scalars(),
            "requirements": mapping(
                {
                    "peak_rps": scalars([1000]),
                    "availability": scalars([99.9, 100, 0]),
                    "latency": mapping({"p50_ms": scalars([20]), "p99_ms": scalars([100])}),
                    "compliance": st.lists(scalars(["pci-dss", "hipaa", "gdpr", "soc2"]), max_size=2),
                    "budget_monthly": scalars([100]),
                    "rto_minutes": scalars([15]),
                }
            ),
            "components": st.one_of(
                st.dictionaries(references, component, max_size=6),
                st.dictionaries(references, component, max_size=6),
                values(),
            ),
            "connections": st.one_of(st.lists(connection, max_size=6), values()),
            "flows": st.dictionaries(words(), flow, max_size=2),
            "groups": st.dictionaries(words(), group, max_size=2),
            "acceptance": st.lists(
                mapping({"check": scalars(["latency", "availability", "cost", "grade"]), "flow": references}),
                max_size=2,
            ),
        }
    )
    return doc.flatmap(yaml_text)


def compose() -> st.SearchStrategy[str]:
    names = IDS
    ports = st.one_of(
        scalars(["80:80", "127.0.0.1:8080:80/tcp", "8080-8090:80", "[::1]:53:53/udp", 80, "5432"]),
        mapping({"target": scalars([80]), "published": scalars(["8080", 8080]), "host_ip": scalars(["0.0.0.0"])}),
    )
    volumes = scalars(["/var/run/docker.sock:/var/run/docker.sock", "../:/src", "data:/var/lib/x:ro", "/:/host"])
    service = mapping(
        {
            "image": scalars(IMAGES),
            "build": values([".", {"context": "..", "dockerfile": "../Dockerfile"}]),
            "ports": st.one_of(st.lists(ports, max_size=3), values()),
            "expose": st.lists(scalars([80]), max_size=2),
            "environment": st.one_of(
                st.dictionaries(words(["PASSWORD", "DB_URL", "API_KEY", "X"]), scalars(), max_size=3),
                st.lists(scalars(["A=1", "SECRET=hunter2", "B", "=x"]), max_size=3),
            ),
            "env_file": values(["../.env", ".env"]),
            "volumes": st.lists(
                st.one_of(volumes, mapping({"type": scalars(["bind"]), "source": words()})), max_size=3
            ),
            "depends_on": st.one_of(
                st.lists(st.sampled_from(names) if names else words(), max_size=3),
                st.dictionaries(words(), mapping({"condition": scalars(["service_healthy"])}), max_size=2),
            ),
            "networks": values(["front", "back"]),
            "network_mode": scalars(["host", "service:db", "none"]),
            "privileged": scalars([True, False]),
            "user": scalars(["root", "0", "1000:1000"]),
            "cap_add": st.lists(scalars(["ALL", "SYS_ADMIN", "NET_ADMIN"]), max_size=2),
            "restart": scalars(["always", "unless-stopped", "no"]),
            "command": values(["sh -c 'x'", ["a", "b"]]),
            "healthcheck": mapping({"test": values(["CMD", ["CMD", "curl"]]), "interval": scalars(["10s"])}),
            "deploy": mapping(
                {
                    "replicas": scalars([1, 3, 0]),
                    "resources": mapping({"limits": mapping({"cpus": scalars(["0.5"]), "memory": scalars(["512M"])})}),
                }
            ),
            "extends": values([{"file": "../other.yml", "service": "x"}, {"service": "y"}]),
            "secrets": st.lists(words(), max_size=2),
            "read_only": st.booleans(),
            "profiles": st.lists(words(), max_size=2),
        }
    )
    doc = mapping(
        {
            "version": scalars(["3", "3.8", "2.4", 3]),
            "name": words(),
            "services": st.one_of(
                st.dictionaries(st.one_of(st.sampled_from(names), words()), service, max_size=5),
                st.dictionaries(st.one_of(st.sampled_from(names), words()), service, max_size=5),
                values(),
            ),
            "volumes": st.dictionaries(words(), values(), max_size=2),
            "networks": st.dictionaries(words(), values([{"external": True}, {"driver": "bridge"}]), max_size=2),
            "secrets": st.dictionaries(words(), values([{"file": "../../secret.txt"}]), max_size=2),
            "include": st.lists(values(["../other/compose.yaml", "/etc/passwd"]), max_size=2),
            "x-common": values(),
        }
    )
    return doc.flatmap(yaml_text)


KINDS = ["Deployment", "StatefulSet", "DaemonSet", "Pod", "Service", "Ingress", "NetworkPolicy", "ConfigMap"]
KINDS += ["Secret", "Role", "ClusterRoleBinding", "CronJob", "Job", "HorizontalPodAutoscaler", "ServiceAccount"]
KINDS += ["PodDisruptionBudget", "Namespace", "List", "Unknown"]


def kubernetes() -> st.SearchStrategy[str]:
    names = IDS
    labels = st.dictionaries(words(["app", "tier"]), scalars(names), max_size=2)
    container = mapping(
        {
            "name": scalars(names),
            "image": scalars(IMAGES),
            "ports": st.lists(mapping({"containerPort": scalars([80, 8080]), "hostPort": scalars([80])}), max_size=2),
            "env": st.lists(
                mapping({"name": words(["PASSWORD", "X"]), "value": scalars(), "valueFrom": values()}), max_size=2
            ),
            "envFrom": st.lists(mapping({"configMapRef": mapping({"name": scalars(names)})}), max_size=1),
            "securityContext": mapping(
                {
                    "privileged": scalars([True, False]),
                    "runAsUser": scalars([0, 1000]),
                    "runAsNonRoot": st.booleans(),
                    "allowPrivilegeEscalation": st.booleans(),
                    "readOnlyRootFilesystem": st.booleans(),
                    "capabilities": mapping({"add": st.lists(scalars(["SYS_ADMIN", "ALL"]), max_size=2)}),
                }
            ),
            "resources": mapping(
                {
                    "limits": mapping({"cpu": scalars(["500m", "1", 2]), "memory": scalars(["512Mi", "1G"])}),
                    "requests": mapping({"cpu": scalars(["100m"]), "memory": scalars(["64Mi"])}),
                }
            ),
            "volumeMounts": st.lists(
                mapping({"name": words(), "mountPath": scalars(["/var/run/docker.sock"])}), max_size=2
            ),
            "livenessProbe": mapping({"httpGet": mapping({"path": scalars(["/healthz"]), "port": scalars([80])})}),
        }
    )
    pod = mapping(
        {
            "containers": st.one_of(st.lists(container, max_size=2), values()),
            "initContainers": st.lists(container, max_size=1),
            "hostNetwork": st.booleans(),
            "hostPID": st.booleans(),
            "serviceAccountName": words(),
            "automountServiceAccountToken": st.booleans(),
            "volumes": st.lists(
                mapping({"name": words(), "hostPath": mapping({"path": scalars(["/", "/var/run/docker.sock"])})}),
                max_size=2,
            ),
        }
    )
    template = mapping({"metadata": mapping({"labels": labels}), "spec": pod})
    spec = mapping(
        {
            "replicas": scalars([1, 3, 0]),
            "selector": mapping({"matchLabels": labels}),
            "template": template,
            "jobTemplate": mapping({"spec": mapping({"template": template})}),
            "type": scalars(["LoadBalancer", "NodePort", "ClusterIP", "ExternalName"]),
            "ports": st.lists(
                mapping({"port": scalars([80]), "targetPort": scalars([8080, "http"]), "nodePort": scalars([30000])}),
                max_size=2,
            ),
            "rules": st.lists(
                mapping(
                    {
                        "host": words(),
                        "http": mapping(
                            {
                                "paths": st.lists(
                                    mapping(
                                        {
                                            "path": scalars(["/"]),
                                            "backend": mapping({"service": mapping({"name": scalars(names)})}),
                                        }
                                    ),
                                    max_size=2,
                                )
                            }
                        ),
                    }
                ),
                max_size=2,
            ),
            "podSelector": mapping({"matchLabels": labels}),
            "ingress": st.lists(values(), max_size=2),
            "scaleTargetRef": mapping({"kind": scalars(KINDS), "name": scalars(names)}),
            "minReplicas": scalars([1]),
            "maxReplicas": scalars([10]),
        }
    )
    obj = mapping(
        {
            "apiVersion": scalars(["apps/v1", "v1", "networking.k8s.io/v1", "batch/v1", "autoscaling/v2"]),
            "kind": scalars(KINDS),
            "metadata": mapping(
                {"name": scalars(names), "namespace": words(), "labels": labels, "annotations": values()}
            ),
            "spec": spec,
            "data": st.dictionaries(words(), scalars(), max_size=2),
            "items": st.lists(values(), max_size=2),
        },
        extra=True,
    )
    text = st.lists(obj, min_size=1, max_size=3).flatmap(lambda objects: yaml_text(objects, documents=True))
    # the format claims a file only when it names an apiVersion and a kind near the top
    return st.tuples(st.sampled_from(["", "apiVersion: v1\nkind: List\n---\n"]), text).map("".join)


# --- Terraform (HCL) --------------------------------------------------------------------------

RESOURCE_TYPES = ["aws_s3_bucket", "aws_security_group", "aws_db_instance", "aws_instance", "aws_lb", "aws_iam_policy"]
RESOURCE_TYPES += [
    "aws_kms_key",
    "aws_lambda_function",
    "aws_eks_cluster",
    "aws_elasticache_cluster",
    "aws_rds_cluster",
]
RESOURCE_TYPES += ["aws_s3_bucket_public_access_block", "aws_security_group_rule", "aws_ecs_task_definition"]
RESOURCE_TYPES += ["aws_cloudfront_distribution", "aws_sqs_queue", "aws_iam_role_policy", "aws_ebs_volume", "x_y"]
ATTRIBUTES = ["acl", "bucket", "cidr_blocks", "encrypted", "publicly_accessible", "engine", "engine_version"]
ATTRIBUTES += ["instance_class", "policy", "port", "from_port", "to_port", "protocol", "tags", "count", "for_each"]
ATTRIBUTES += ["depends_on", "name", "storage_encrypted", "kms_key_id", "ami", "instance_type", "runtime"]
ATTRIBUTES += ["associate_public_ip_address", "multi_az", "backup_retention_period", "image", "enable_key_rotation"]
NESTED = ["ingress", "egress", "versioning", "server_side_encryption_configuration", "rule", "lifecycle"]
NESTED += ["metadata_options", "root_block_device", "logging", "default_action", "container_definitions"]
HCL_HOSTILE = ['"${"', '"%{"', "${}", '"\\u0000"', '"\\"', "<<EOT", "}", "{", "==", "?", "...", "[*]", "/*"]


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _hcl_object(pairs: list[tuple[str, str]]) -> str:
    return "{\n" + "\n".join(f"  {k if k.isidentifier() else _quote(k)} = {v}" for k, v in pairs) + "\n}"


def _hcl_extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.lists(inner, max_size=4).map(lambda items: "[" + ", ".join(items) + "]"),
        st.lists(st.tuples(words(), inner), max_size=3).map(_hcl_object),
        st.tuples(
            st.sampled_from(["jsonencode", "lookup", "length", "merge", "concat", "file", "format", "nope"]),
            st.lists(inner, max_size=3),
        ).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        st.tuples(inner, inner, inner).map(lambda t: f"{t[0]} ? {t[1]} : {t[2]}"),
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "%", "==", "&&", "||", ">"]), inner).map(" ".join),
        inner.map(lambda e: f"[for v in {e} : v if v != null]"),
        inner.map(lambda e: f"{{for k, v in {e} : k => v...}}"),
        inner.map(lambda e: f"({e})[*].id"),
        inner.map(lambda e: f"!{e}"),
    )


HCL_EXPRESSION = st.recursive(
    st.one_of(
        st.sampled_from(["true", "false", "null", "0", "1", "-1", "1e999", "0.0", "3.14"]),
        st.sampled_from([str(n) for n in BIG_NUMBERS]),
        words().map(_quote),
        st.sampled_from(HOSTILE).map(_quote),
        st.sampled_from(['"0.0.0.0/0"', '"::/0"', '"public-read"', '"*"', '"10.0.0.0/8"', '"AES256"', '"mysql"']),
        st.sampled_from(
            ["var.x", "local.y", "aws_s3_bucket.b.id", "module.m.out", "data.aws_iam_policy_document.p.json"]
        ),
        st.sampled_from(['"${var.x}-a"', '"${local.y}"', '"%{ for x in var.l }${x}%{ endfor }"', '"${var.x["k"]}"']),
        st.sampled_from(HCL_HOSTILE),
        st.sampled_from(HOSTILE).map(lambda s: f"<<EOT\n{s}\nEOT"),
        st.sampled_from(HOSTILE).map(lambda s: f"<<-EOF\n  {s}\n  EOF"),
    ),
    _hcl_extend,
    max_leaves=5,
)

_COMMENTS = ["# checkov:skip=CKV_AWS_20:reason", "// x", "/* y */", "#archls: ignore", "# archls: ignore[SEC001] r"]


def _hcl_body(depth: int) -> st.SearchStrategy[str]:
    attribute = st.tuples(st.one_of(st.sampled_from(ATTRIBUTES), words()), HCL_EXPRESSION).map(" = ".join)
    items: list[st.SearchStrategy[str]] = [attribute, attribute, attribute, st.sampled_from(_COMMENTS)]
    if depth < 2:
        inner = _hcl_body(depth + 1)
        items.append(st.tuples(st.sampled_from(NESTED), inner).map(lambda t: f"{t[0]} {{\n{t[1]}\n}}"))
        items.append(
            st.tuples(st.sampled_from(NESTED), HCL_EXPRESSION, inner).map(
                lambda t: f'dynamic "{t[0]}" {{\nfor_each = {t[1]}\ncontent {{\n{t[2]}\n}}\n}}'
            )
        )
    pad = "  " * depth
    return st.lists(st.one_of(*items), max_size=4).map(lambda lines: "\n".join(pad + line for line in lines))


HCL_BODY = _hcl_body(1)
MODULE_SOURCES = ["./mod", "../../..", "/etc", "git::https://x", "terraform-aws-modules/vpc/aws", "\x00"]


def _hcl_block() -> st.SearchStrategy[str]:
    label = words().map(_quote)
    return st.one_of(
        st.tuples(
            st.sampled_from(["resource", "resource", "data"]), st.sampled_from(RESOURCE_TYPES), label, HCL_BODY
        ).map(lambda t: f'{t[0]} "{t[1]}" {t[2]} {{\n{t[3]}\n}}'),
        st.tuples(st.sampled_from(RESOURCE_TYPES), label, HCL_BODY).map(
            lambda t: f'resource "{t[0]}" {t[1]} {{\n{t[2]}\n}}'
        ),
        st.tuples(label, st.sampled_from(MODULE_SOURCES), HCL_BODY).map(
            lambda t: f"module {t[0]} {{\n  source = {_quote(t[1])}\n{t[2]}\n}}"
        ),
        st.tuples(label, HCL_EXPRESSION, HCL_BODY).map(lambda t: f"variable {t[0]} {{\n  default = {t[1]}\n{t[2]}\n}}"),
        st.tuples(st.sampled_from(["provider", "output"]), label, HCL_BODY).map(
            lambda t: f"{t[0]} {t[1]} {{\n{t[2]}\n}}"
        ),
        st.tuples(st.sampled_from(["locals", "terraform"]), HCL_BODY).map(lambda t: f"{t[0]} {{\n{t[1]}\n}}"),
        st.sampled_from(HOSTILE + HCL_HOSTILE),
    )


def terraform() -> st.SearchStrategy[str]:
    return st.lists(_hcl_block(), min_size=1, max_size=4).map(lambda blocks: "\n\n".join(blocks) + "\n")


def project_config() -> st.SearchStrategy[str]:
    selectors = st.lists(scalars(["SEC", "SEC003", "PERF", "ARCH", "", "*", "QUAL0", "sec"]), max_size=3)
    severities = st.dictionaries(
        scalars(["SEC", "PERF001", "ARCH"]), scalars(["error", "warning", "info", "hint", "x"])
    )
    figures = mapping(
        {
            "throughput_rps": scalars([100, 0, -1]),
            "per_vcpu": st.booleans(),
            "service_ms": scalars([5, 0]),
            "availability": scalars([0.999, 1, 2]),
            "sla": scalars([0.99]),
        }
    )
    threshold_names = [
        "cost.budget_warning", "load.bottleneck_utilisation", "load.target_utilisation", "load.utilisation_error",
        "perf.max_fanout", "perf.max_sync_depth", "perf.max_calls", "perf.default_timeout_ms", "qual.max_fan_in",
        "qual.god_connections", "rel.min_replicas_target", "rel.backup_retention_days", "vuln.eol_warning_days",
        "rel.max_retry_amplification", "perf.slow_call_ratio", "load.fanout_slow_share",
    ]  # fmt: skip
    doc = mapping(
        {
            "select": selectors,
            "ignore": selectors,
            "severity": severities,
            "per_path": st.lists(
                mapping(
                    {
                        "path": scalars(["**/*.yaml", "[", "../*", "*.arch.yaml"]),
                        "select": selectors,
                        "ignore": selectors,
                        "severity": severities,
                    }
                ),
                max_size=2,
            ),
            "region": scalars(["us-east-1", "eu-west-1", "mars-1"]),
            "as_of": scalars(["2026-01-01", "1900-01-01", "9999-12-31", "2026-02-30"]),
            "trusted_registries": st.lists(scalars(["*", "ghcr.io", "*.example.com"]), max_size=2),
            "trusted_publishers": st.lists(words(), max_size=2),
            "catalog": mapping(
                {
                    "technologies": st.dictionaries(scalars(TECH), figures, max_size=2),
                    "types": st.dictionaries(scalars(ENUM_TYPES), figures, max_size=2),
                    "prices": st.dictionaries(scalars(["db.r6g.large", "fargate.vcpu_hour"]), scalars([0.1])),
                    "eol": st.dictionaries(
                        scalars(["postgresql", "redis"]),
                        st.dictionaries(scalars(["9.6", "7"]), scalars(["2020-01-01", None])),
                        max_size=2,
                    ),
                }
            ),
            "thresholds": st.dictionaries(scalars(threshold_names), scalars([0, 1, 0.5, 100]), max_size=4),
            "max_file_bytes": scalars([1, 100, 5_000_000]),
            "debounce_ms": scalars([0, 150]),
            "diagnostic_mode": scalars(["push", "pull"]),
            "docs_url": scalars(["https://example.com/", "javascript:alert(1)"]),
            "inlay_hints": st.booleans(),
            "code_lens": st.booleans(),
            "ai": values(),
        }
    )
    return doc.flatmap(yaml_text)


# --- damage to the rendered text ----------------------------------------------------------------

ALIAS_BOMB = "\n".join(
    ["bomb0: &a0 [x, x, x, x, x, x, x, x, x]"]
    + [f"bomb{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 10)]
)


@st.composite
def damaged(draw: st.DrawFn, text: str, *, hcl: bool = False) -> str | bytes:
    """``text`` with zero or more of the damages editors, tools and attackers leave."""
    for _ in range(draw(st.integers(0, 2))):
        damage = draw(
            st.sampled_from(
                ["crlf", "cr", "bom", "tabs", "bomb", "deep", "huge", "nul", "bytes", "long-line", "indent", "none"]
            )
        )
        lines = text.split("\n")
        at = draw(st.integers(0, max(len(lines) - 1, 0)))
        if damage == "crlf":
            text = text.replace("\n", "\r\n")
        elif damage == "cr":
            text = text.replace("\n", "\r")
        elif damage == "bom":
            text = "\ufeff" + text
        elif damage == "tabs":
            lines[at] = lines[at].replace("  ", "\t")
            text = "\n".join(lines)
        elif damage == "bomb":
            text = (
                text + "\n" + (ALIAS_BOMB.replace(":", " =").replace("&", "").replace("*", "") if hcl else ALIAS_BOMB)
            )
        elif damage == "deep":
            depth = draw(st.sampled_from([50, 200, 1000, 5000]))
            nested = ("[" * depth + "]" * depth) if draw(st.booleans()) else ("{a: " * depth + "1" + "}" * depth)
            if hcl:
                nested = "x = " + "[" * depth + "]" * depth
            else:
                nested = "deep: " + nested
            lines.insert(at, nested)
            text = "\n".join(lines)
        elif damage == "huge":
            lines.insert(at, ("n = " if hcl else "n: ") + "9" * draw(st.sampled_from([20, 400, 5000])))
            text = "\n".join(lines)
        elif damage == "nul":
            lines[at] += "\x00"
            text = "\n".join(lines)
        elif damage == "long-line":
            lines[at] += " " + "x" * 200_000
            text = "\n".join(lines)
        elif damage == "indent":
            lines[at] = " " * draw(st.integers(1, 9)) + lines[at]
            text = "\n".join(lines)
        elif damage == "bytes":
            data = text.encode("utf-8")
            where = draw(st.integers(0, len(data)))
            bad = draw(
                st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xfe\xff", b"\x80\x80", b"\xf4\x90\x80\x80"])
            )
            return data[:where] + bad + data[where:]
    return text


GENERATORS: dict[str, st.SearchStrategy[str]] = {
    "arch": architecture(),
    "compose": compose(),
    "terraform": terraform(),
    "kubernetes": kubernetes(),
    "config": project_config(),
}


def generated(name: str) -> st.SearchStrategy[str | bytes]:
    """A generated document of format ``name``, maybe damaged."""
    return GENERATORS[name].flatmap(lambda text: damaged(text, hcl=name == "terraform"))
