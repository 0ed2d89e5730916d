"""Technology names and versions for completion and hover.

The reference data lives in ``archls.catalog`` (each figure with its source). Until a catalog
answers, a short built-in list of common technologies keeps completion useful; it carries no
figures, only names, the component types they fit and their current major versions.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any


@dataclass(frozen=True, slots=True)
class Version:
    name: str
    end_of_life: str | None = None  #: ISO date, when known
    note: str | None = None  #: e.g. "supported until 2026-11-12 (endoflife.date)"


@dataclass(frozen=True, slots=True)
class Technology:
    name: str
    types: tuple[str, ...]  #: component types it is used as, best fit first
    title: str = ""
    description: str = ""
    versions: tuple[Version, ...] = ()
    source: str | None = None


def _t(name: str, types: str, title: str, versions: str = "") -> Technology:
    return Technology(name, tuple(types.split()), title, versions=tuple(Version(v) for v in versions.split() if v))


_BUILTIN = (
    _t("go", "service worker function scheduler", "Go", "1.23 1.22"),
    _t("java", "service worker function", "Java (JVM)", "21 17"),
    _t("kotlin", "service worker", "Kotlin (JVM)", "2.0 1.9"),
    _t("python", "service worker function scheduler", "Python", "3.13 3.12 3.11 3.10"),
    _t("node", "service worker function", "Node.js", "22 20"),
    _t("rust", "service worker function", "Rust"),
    _t("dotnet", "service worker function", ".NET", "8.0"),
    _t("ruby", "service worker", "Ruby", "3.3 3.2"),
    _t("php", "service worker", "PHP", "8.3 8.2"),
    _t("postgresql", "database", "PostgreSQL", "17 16 15 14 13"),
    _t("mysql", "database", "MySQL", "8.4 8.0"),
    _t("mariadb", "database", "MariaDB", "11.4 10.11"),
    _t("mongodb", "database", "MongoDB", "8.0 7.0 6.0"),
    _t("cassandra", "database", "Apache Cassandra", "5.0 4.1"),
    _t("dynamodb", "database", "Amazon DynamoDB"),
    _t("aurora-postgresql", "database", "Amazon Aurora PostgreSQL", "16 15"),
    _t("cockroachdb", "database", "CockroachDB", "24.2"),
    _t("redis", "cache database queue", "Redis", "7.4 7.2 6.2"),
    _t("valkey", "cache", "Valkey", "8.0 7.2"),
    _t("memcached", "cache", "Memcached", "1.6"),
    _t("rabbitmq", "queue", "RabbitMQ", "4.0 3.13"),
    _t("sqs", "queue", "Amazon SQS"),
    _t("kafka", "stream queue", "Apache Kafka", "3.8 3.7"),
    _t("kinesis", "stream", "Amazon Kinesis Data Streams"),
    _t("nats", "queue stream", "NATS", "2.10"),
    _t("elasticsearch", "search logging", "Elasticsearch", "8.15 7.17"),
    _t("opensearch", "search logging", "OpenSearch", "2.17"),
    _t("s3", "object-storage", "Amazon S3"),
    _t("gcs", "object-storage", "Google Cloud Storage"),
    _t("minio", "object-storage", "MinIO"),
    _t("efs", "file-storage", "Amazon EFS"),
    _t("nginx", "load-balancer api-gateway", "nginx", "1.27 1.26"),
    _t("haproxy", "load-balancer", "HAProxy", "3.0 2.8"),
    _t("envoy", "load-balancer api-gateway", "Envoy", "1.31"),
    _t("alb", "load-balancer", "AWS Application Load Balancer"),
    _t("nlb", "load-balancer", "AWS Network Load Balancer"),
    _t("kong", "api-gateway", "Kong Gateway", "3.8 3.6"),
    _t("aws-api-gateway", "api-gateway", "Amazon API Gateway"),
    _t("traefik", "api-gateway load-balancer", "Traefik", "3.1"),
    _t("cloudfront", "cdn", "Amazon CloudFront"),
    _t("cloudflare", "cdn waf dns", "Cloudflare"),
    _t("fastly", "cdn", "Fastly"),
    _t("aws-waf", "waf", "AWS WAF"),
    _t("route53", "dns", "Amazon Route 53"),
    _t("keycloak", "identity", "Keycloak", "25"),
    _t("cognito", "identity", "Amazon Cognito"),
    _t("auth0", "identity", "Auth0"),
    _t("vault", "secrets", "HashiCorp Vault", "1.17"),
    _t("aws-secrets-manager", "secrets", "AWS Secrets Manager"),
    _t("prometheus", "monitoring", "Prometheus", "2.54"),
    _t("datadog", "monitoring logging", "Datadog"),
    _t("loki", "logging", "Grafana Loki", "3.2"),
    _t("snowflake", "data-warehouse", "Snowflake"),
    _t("bigquery", "data-warehouse", "Google BigQuery"),
    _t("redshift", "data-warehouse", "Amazon Redshift"),
    _t("aws-lambda", "function", "AWS Lambda"),
    _t("airflow", "scheduler", "Apache Airflow", "2.10"),
    _t("react", "client", "React (web)"),
    _t("react-native", "client", "React Native"),
    _t("ios", "client", "iOS app"),
    _t("android", "client", "Android app"),
)


@cache
def technologies() -> tuple[Technology, ...]:
    """Every known technology: the catalog's when it answers, else the built-in list."""
    from_catalog = _from_catalog()
    return from_catalog if from_catalog else _BUILTIN


def find(name: str | None) -> Technology | None:
    if not name:
        return None
    wanted = name.strip().lower()
    for tech in technologies():
        if tech.name == wanted:
            return tech
    return None


def for_type(component_type: str | None) -> list[Technology]:
    """Technologies, those that fit ``component_type`` first (best fit first), then the rest."""
    every = list(technologies())
    if not component_type:
        return sorted(every, key=lambda t: t.name)

    def rank(tech: Technology) -> tuple[int, str]:
        if component_type in tech.types:
            return (tech.types.index(component_type), tech.name)
        return (99, tech.name)

    return sorted(every, key=rank)


def _from_catalog() -> tuple[Technology, ...] | None:
    """Read the catalog's technologies, if the catalog package is present and readable."""
    import importlib

    try:
        catalog = importlib.import_module("archls.catalog")
    except ImportError:
        return None
    try:
        entries = _catalog_entries(catalog)
    except Exception:  # a catalog problem must not take completion down; the built-in list serves
        return None
    return tuple(entries) if entries else None


def _catalog_entries(catalog: Any) -> list[Technology]:
    load = getattr(catalog, "load", None)
    if callable(load):
        found = _from_loaded(load())
        if found:
            return found
    reader = getattr(catalog, "technologies", None)
    if not callable(reader):
        return []
    out: list[Technology] = []
    raw = reader()
    items = raw.items() if isinstance(raw, dict) else ((getattr(t, "name", None), t) for t in raw)
    for name, entry in items:
        if not name:
            continue
        out.append(_adapt(str(name), entry))
    return out


def _from_loaded(cat: Any) -> list[Technology]:
    """Technologies of a loaded catalog: ``cat.technologies`` by id, release cycles from ``cat.product``."""
    techs = getattr(cat, "technologies", None)
    if not isinstance(techs, dict):
        return []
    product_of = getattr(cat, "product", None)
    out = []
    for tid, tech in techs.items():
        product = product_of(getattr(tech, "eol_product", None) or tid) if callable(product_of) else None
        versions = []
        for cycle in getattr(product, "cycles", None) or ():
            eol = getattr(cycle, "eol", None)
            versions.append(
                Version(
                    str(cycle.cycle),
                    eol.isoformat() if hasattr(eol, "isoformat") else (str(eol) if eol else None),
                    "LTS" if getattr(cycle, "lts", False) else None,
                )
            )
        notes = []
        if getattr(tech, "managed", False):
            notes.append("A managed service.")
        if getattr(tech, "port", None):
            protocol = getattr(tech, "protocol", None)
            notes.append(f"Listens on port {tech.port}" + (f" ({protocol})." if protocol else "."))
        source = getattr(product, "source", None)
        out.append(
            Technology(
                str(tid),
                tuple(str(t) for t in getattr(tech, "types", None) or ()),
                str(getattr(tech, "name", None) or tid),
                " ".join(notes),
                tuple(versions),
                f"{source.title} <{source.url}>" if source is not None and hasattr(source, "url") else None,
            )
        )
    return out


def _get(entry: Any, name: str, default: Any = None) -> Any:
    if isinstance(entry, dict):
        return entry.get(name, default)
    return getattr(entry, name, default)


def _adapt(name: str, entry: Any) -> Technology:
    types = _get(entry, "types") or _get(entry, "component_types") or ()
    if isinstance(types, str):
        types = (types,)
    kind = _get(entry, "type")
    if kind and not types:
        types = (str(kind),)
    versions = []
    cycles = _get(entry, "versions") or _get(entry, "cycles") or ()
    if isinstance(cycles, dict):
        cycles = [{"name": k, **(v if isinstance(v, dict) else {"eol": v})} for k, v in cycles.items()]
    for cycle in cycles:
        if isinstance(cycle, str | int | float):
            versions.append(Version(str(cycle)))
            continue
        label = _get(cycle, "name") or _get(cycle, "cycle") or _get(cycle, "version")
        eol = _get(cycle, "end_of_life") or _get(cycle, "eol")
        if label is None:
            continue
        versions.append(Version(str(label), str(eol) if eol not in (None, False, True) else None))
    return Technology(
        name,
        tuple(str(t) for t in types),
        str(_get(entry, "title") or _get(entry, "label") or name),
        str(_get(entry, "description") or ""),
        tuple(versions),
        _get(entry, "source"),
    )
