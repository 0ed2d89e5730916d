"""What the exports need to know about a technology beyond what the shared catalog records.

Which technology a name or an image means, its usual port and its wire protocol come from
:mod:`archls.catalog`, as for every other part of archls. This table adds what only the exports
need: the image and tag to run it with locally, a health probe, the environment it needs to
start, where it keeps its data, the client libraries code uses to talk to it and, for runtimes,
the language. It also holds the few technologies and names the catalog does not know, and the
ports where the exports' choice differs from the technology's usual one: proxies listen on 8080,
which a non-root container can bind, and so do the services the scaffold writes, in any language.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from functools import cache, lru_cache

from archls import catalog


@dataclass(frozen=True)
class Tech:
    family: str  # the catalog's id; this table's own name for technologies the catalog lacks
    port: int | None = None  # where it differs from the catalog's, or the catalog lacks it
    image: str | None = None  # repository without tag
    tag: str | None = None  # default tag when the model gives no version
    health: tuple[str, ...] | None = None  # compose CMD-SHELL probe
    dev_env: tuple[tuple[str, str], ...] = ()
    language: str | None = None  # for runtimes: the language services in it are written in
    protocol: str | None = None  # where the catalog lacks the technology
    volume: str | None = None  # where the image keeps its data
    python_deps: tuple[str, ...] = ()
    node_deps: tuple[tuple[str, str], ...] = ()
    aliases: tuple[str, ...] = field(default=(), compare=False)  # names the catalog does not know
    stands_for: tuple[str, ...] = field(default=(), compare=False)  # catalog ids the exports treat as this family


# fmt: off
_PG_HEALTH = ("CMD-SHELL", "pg_isready -U app -d app")
_TABLE: tuple[Tech, ...] = (
    Tech(
        "postgresql", image="postgres", tag="16-alpine", health=_PG_HEALTH,
        dev_env=(("POSTGRES_USER", "app"), ("POSTGRES_DB", "app"),
                 ("POSTGRES_PASSWORD", "${POSTGRES_PASSWORD:-change-me}")),
        volume="/var/lib/postgresql/data",
        python_deps=("psycopg[binary,pool]>=3.1,<4",), node_deps=(("pg", "^8.11.5"),),
        aliases=("aurora-postgres", "rds-postgres", "cockroachdb", "supabase", "neon"),
    ),
    Tech(
        "mysql", image="mysql", tag="8.4", health=("CMD-SHELL", "mysqladmin ping -h 127.0.0.1 --silent"),
        dev_env=(("MYSQL_DATABASE", "app"), ("MYSQL_USER", "app"), ("MYSQL_PASSWORD", "${MYSQL_PASSWORD:-change-me}"),
                 ("MYSQL_RANDOM_ROOT_PASSWORD", "yes")),
        volume="/var/lib/mysql",
        python_deps=("PyMySQL>=1.1,<2",), node_deps=(("mysql2", "^3.9.7"),), aliases=("planetscale", "tidb"),
    ),
    Tech(
        "mariadb", image="mariadb", tag="11", health=("CMD-SHELL", "healthcheck.sh --connect --innodb_initialized"),
        dev_env=(("MARIADB_DATABASE", "app"), ("MARIADB_USER", "app"),
                 ("MARIADB_PASSWORD", "${MARIADB_PASSWORD:-change-me}"), ("MARIADB_RANDOM_ROOT_PASSWORD", "yes")),
        volume="/var/lib/mysql",
        python_deps=("PyMySQL>=1.1,<2",), node_deps=(("mysql2", "^3.9.7"),),
    ),
    Tech(
        "mongodb", image="mongo", tag="7", health=("CMD-SHELL", "mongosh --quiet --eval \"db.adminCommand('ping')\""),
        volume="/data/db", python_deps=("pymongo>=4.6,<5",), node_deps=(("mongodb", "^6.5.0"),), aliases=("docdb",),
    ),
    Tech("sqlserver", 1433, "mcr.microsoft.com/mssql/server", "2022-latest", volume="/var/opt/mssql",
         dev_env=(("ACCEPT_EULA", "Y"), ("MSSQL_SA_PASSWORD", "${MSSQL_SA_PASSWORD:-Change-me-1}")),
         python_deps=("pyodbc>=5.1,<6",), node_deps=(("mssql", "^10.0.2"),), aliases=("mssql", "sql-server")),
    Tech("dynamodb", python_deps=("boto3>=1.34,<2",), node_deps=(("@aws-sdk/client-dynamodb", "^3.540.0"),)),
    Tech(
        "redis", image="redis", tag="7.2-alpine", health=("CMD-SHELL", "redis-cli ping | grep -q PONG"),
        volume="/data", python_deps=("redis>=5.0,<6",), node_deps=(("redis", "^4.6.13"),), aliases=("memorystore",),
    ),
    Tech("valkey", image="valkey/valkey", tag="8-alpine", health=("CMD-SHELL", "valkey-cli ping | grep -q PONG"),
         volume="/data", python_deps=("redis>=5.0,<6",), node_deps=(("redis", "^4.6.13"),)),
    Tech("memcached", image="memcached", tag="1.6-alpine", python_deps=("pymemcache>=4.0,<5",),
         node_deps=(("memjs", "^1.3.2"),)),
    Tech(
        "kafka", image="apache/kafka", tag="3.7.0",
        health=("CMD-SHELL",
                "/opt/kafka/bin/kafka-broker-api-versions.sh --bootstrap-server localhost:9092 >/dev/null"),
        volume="/var/lib/kafka/data", python_deps=("confluent-kafka>=2.3,<3",), node_deps=(("kafkajs", "^2.2.4"),),
    ),
    Tech("kinesis", python_deps=("boto3>=1.34,<2",), node_deps=(("@aws-sdk/client-kinesis", "^3.540.0"),)),
    Tech(
        "rabbitmq", image="rabbitmq", tag="3.13-management-alpine", health=("CMD-SHELL", "rabbitmq-diagnostics -q ping"),
        volume="/var/lib/rabbitmq", python_deps=("pika>=1.3,<2",), node_deps=(("amqplib", "^0.10.4"),),
    ),
    Tech("activemq", 5672, "apache/activemq-classic", "6.1.0", protocol="amqp",
         python_deps=("python-qpid-proton>=0.39,<1",), node_deps=(("rhea", "^3.0.2"),)),
    Tech("nats", image="nats", tag="2.10-alpine", python_deps=("nats-py>=2.7,<3",), node_deps=(("nats", "^2.22.0"),)),
    Tech("sqs", python_deps=("boto3>=1.34,<2",), node_deps=(("@aws-sdk/client-sqs", "^3.540.0"),)),
    Tech("sns", python_deps=("boto3>=1.34,<2",), node_deps=(("@aws-sdk/client-sns", "^3.540.0"),)),
    Tech("pubsub", python_deps=("google-cloud-pubsub>=2.21,<3",), node_deps=(("@google-cloud/pubsub", "^4.3.3"),),
         aliases=("google-pubsub", "cloud-pubsub")),
    # Object storage runs locally as MinIO, which speaks S3's API.
    Tech("s3", 9000, "minio/minio", "RELEASE.2024-05-10T01-41-38Z", ("CMD-SHELL", "mc ready local"), volume="/data",
         dev_env=(("MINIO_ROOT_USER", "app"), ("MINIO_ROOT_PASSWORD", "${MINIO_ROOT_PASSWORD:-change-me-please}"),
                  ("MINIO_PROMETHEUS_AUTH_TYPE", "public")),
         python_deps=("boto3>=1.34,<2",), node_deps=(("@aws-sdk/client-s3", "^3.540.0"),),
         aliases=("gcs", "cloud-storage", "r2", "blob-storage"), stands_for=("minio",)),
    Tech("elasticsearch", image="docker.elastic.co/elasticsearch/elasticsearch", tag="8.13.4",
         health=("CMD-SHELL", "curl -fs http://localhost:9200/_cluster/health >/dev/null"),
         dev_env=(("discovery.type", "single-node"), ("xpack.security.enabled", "false")),
         volume="/usr/share/elasticsearch/data",
         python_deps=("elasticsearch>=8.13,<9",), node_deps=(("@elastic/elasticsearch", "^8.13.1"),)),
    Tech("opensearch", image="opensearchproject/opensearch", tag="2.13.0",
         health=("CMD-SHELL", "curl -fs http://localhost:9200/_cluster/health >/dev/null"),
         dev_env=(("discovery.type", "single-node"), ("DISABLE_SECURITY_PLUGIN", "true")),
         volume="/usr/share/opensearch/data",
         python_deps=("opensearch-py>=2.5,<3",), node_deps=(("@opensearch-project/opensearch", "^2.7.0"),)),
    Tech("cassandra", image="cassandra", tag="5.0", health=("CMD-SHELL", "cqlsh -e 'describe keyspaces' >/dev/null"),
         volume="/var/lib/cassandra",
         python_deps=("cassandra-driver>=3.29,<4",), node_deps=(("cassandra-driver", "^4.7.2"),)),
    Tech("clickhouse", 8123, "clickhouse/clickhouse-server", "24.3",
         ("CMD-SHELL", "wget -qO- http://localhost:8123/ping"), volume="/var/lib/clickhouse",
         python_deps=("clickhouse-connect>=0.7,<1",), node_deps=(("@clickhouse/client", "^1.0.1"),)),
    Tech("mqtt", 1883, "eclipse-mosquitto", "2", protocol="mqtt", python_deps=("paho-mqtt>=2.0,<3",),
         node_deps=(("mqtt", "^5.5.2"),), aliases=("mosquitto", "emqx")),
    Tech("vault", image="hashicorp/vault", tag="1.16", python_deps=("hvac>=2.1,<3",),
         node_deps=(("node-vault", "^0.10.2"),)),
    Tech("keycloak", image="quay.io/keycloak/keycloak", tag="24.0", aliases=("auth0", "okta", "cognito")),
    Tech("kong", image="kong", tag="3.6", health=("CMD-SHELL", "kong health"), dev_env=(("KONG_DATABASE", "off"),)),
    # Proxies listen on 8080, a port the non-root containers the exports run can bind.
    Tech("nginx", 8080, "nginxinc/nginx-unprivileged", "1.27-alpine"),
    Tech("envoy", image="envoyproxy/envoy", tag="v1.30-latest"),
    Tech("traefik", 8080, "traefik", "v3.0"),
    Tech("haproxy", 8080, "haproxy", "2.9-alpine"),
    # Runtimes: code the team writes. Where the port is given, it is what the scaffolded service listens on.
    Tech("python", 8080, "python", "3.12-slim", language="python", aliases=("starlette", "aiohttp", "celery")),
    Tech("node", 8080, "node", "20-alpine", language="node", aliases=("react", "vue", "angular", "svelte")),
    Tech("go", image="golang", tag="1.22-alpine", language="go"),
    Tech("java", image="eclipse-temurin", tag="21-jre", language="java"),
    Tech("rust", image="rust", tag="1-slim", language="rust", aliases=("actix", "axum")),
    Tech("ruby", 8080, "ruby", "3.3-slim", language="ruby"),
    Tech("dotnet", image="mcr.microsoft.com/dotnet/aspnet", tag="8.0", language="dotnet"),
    Tech("php", 8080, "php", "8.3-fpm-alpine", language="php"),
    Tech("elixir", image="elixir", tag="1.16-alpine", language="elixir"),
)
# fmt: on

_VERSION_SUFFIX = re.compile(r"[-@:]?v?\d+(\.\d+)*$")  # "postgres-16", "redis@7"


def _key(name: str) -> str:
    return re.sub(r"[\s_]+", "-", name.strip().lower())


@cache
def _tables() -> tuple[dict[str, Tech], dict[str, Tech]]:
    """This table's entries by the family or catalog id they stand for, and by the names only it knows."""
    by_id: dict[str, Tech] = {}
    by_name: dict[str, Tech] = {}
    for tech in _TABLE:
        for tid in (tech.family, *tech.stands_for):
            by_id[tid] = tech
        for name in (tech.family, *tech.aliases):
            by_name[_key(name)] = tech
    return by_id, by_name


@cache
def _family(entry: Tech) -> Tech:
    """A family of this table with the port and protocol the catalog gives where the table gives none."""
    known = catalog.load().technology(entry.family)
    if known is None:
        return entry
    return dataclasses.replace(entry, port=entry.port or known.port, protocol=entry.protocol or known.protocol)


def _of_catalog(known: catalog.Technology) -> Tech:
    entry = _tables()[0].get(known.id)
    return _family(entry) if entry is not None else Tech(known.id, port=known.port, protocol=known.protocol)


def _named(key: str) -> Tech | None:
    known = catalog.load().technology(key)
    if known is not None:
        return _of_catalog(known)
    entry = _tables()[1].get(key)
    return _family(entry) if entry is not None else None


@lru_cache(maxsize=1024)
def lookup(technology: str | None) -> Tech | None:
    """The technology ``technology`` names (case, spaces and version suffixes ignored), or None."""
    if not technology:
        return None
    key = _key(str(technology))
    return _named(key) or _named(_VERSION_SUFFIX.sub("", key))


@lru_cache(maxsize=1024)
def for_image(image: str | None) -> Tech | None:
    """The technology a container image runs (``postgres:16-alpine``, ``bitnami/redis``), or None."""
    found = catalog.load().technology_for_image(image) if image else None
    return _of_catalog(found[0]) if found is not None else None


#: Default port of each wire protocol, for connections whose target names no port.
PROTOCOL_PORTS = {
    "http": 80, "https": 443, "grpc": 50051, "ws": 80, "wss": 443, "graphql": 443, "postgres": 5432,
    "mysql": 3306, "mongodb": 27017, "redis": 6379, "memcached": 11211, "cassandra": 9042,
    "elasticsearch": 9200, "amqp": 5672, "amqps": 5671, "kafka": 9092, "mqtt": 1883, "mqtts": 8883,
    "nats": 4222, "smtp": 25, "smtps": 465, "ldap": 389, "ldaps": 636, "ftp": 21, "sftp": 22, "nfs": 2049,
    "dns": 53, "tls": 443, "sqs": 443, "sns": 443, "s3": 443,
}  # fmt: skip
