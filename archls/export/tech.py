"""What the exports need to know about a technology: its port, a container image, a health probe,
the managed service that runs it on each cloud, and the client libraries code uses to talk to it.

The shared catalog (``archls.catalog``) is asked first for the port and the image when it is
present; this table is the fallback and holds the export-only facts (images for local
development, managed-service mappings, client libraries).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache


@dataclass(frozen=True)
class Tech:
    family: str
    port: int | None = None
    image: str | None = None  # repository without tag
    tag: str | None = None  # default tag when the model gives no version
    health: tuple[str, ...] | None = None  # compose CMD-SHELL probe
    dev_env: tuple[tuple[str, str], ...] = ()
    language: str | None = None  # for runtimes: the language services in it are written in
    prisma: str | None = None  # Prisma datasource provider
    aws: str | None = None  # managed service on AWS
    gcp: str | None = None  # managed service on GCP
    protocol: str | None = None
    volume: str | None = None  # where the image keeps its data
    python_deps: tuple[str, ...] = ()
    node_deps: tuple[tuple[str, str], ...] = ()
    aliases: tuple[str, ...] = field(default=(), compare=False)


# fmt: off
_PG_HEALTH = ("CMD-SHELL", "pg_isready -U app -d app")
_TABLE: tuple[Tech, ...] = (
    Tech(
        "postgresql", 5432, "postgres", "16-alpine", _PG_HEALTH,
        (("POSTGRES_USER", "app"), ("POSTGRES_DB", "app"), ("POSTGRES_PASSWORD", "${POSTGRES_PASSWORD:-change-me}")),
        prisma="postgresql", aws="rds", gcp="cloudsql", protocol="postgres", volume="/var/lib/postgresql/data",
        python_deps=("psycopg[binary,pool]>=3.1,<4",), node_deps=(("pg", "^8.11.5"),),
        aliases=("postgres", "pg", "pgsql", "aurora-postgresql", "aurora-postgres", "rds-postgres", "cockroachdb",
                 "timescaledb", "supabase", "neon"),
    ),
    Tech(
        "mysql", 3306, "mysql", "8.4", ("CMD-SHELL", "mysqladmin ping -h 127.0.0.1 --silent"),
        (("MYSQL_DATABASE", "app"), ("MYSQL_USER", "app"), ("MYSQL_PASSWORD", "${MYSQL_PASSWORD:-change-me}"),
         ("MYSQL_RANDOM_ROOT_PASSWORD", "yes")),
        prisma="mysql", aws="rds", gcp="cloudsql", protocol="mysql", volume="/var/lib/mysql",
        python_deps=("PyMySQL>=1.1,<2",), node_deps=(("mysql2", "^3.9.7"),),
        aliases=("aurora-mysql", "rds-mysql", "planetscale", "tidb"),
    ),
    Tech(
        "mariadb", 3306, "mariadb", "11", ("CMD-SHELL", "healthcheck.sh --connect --innodb_initialized"),
        (("MARIADB_DATABASE", "app"), ("MARIADB_USER", "app"), ("MARIADB_PASSWORD", "${MARIADB_PASSWORD:-change-me}"),
         ("MARIADB_RANDOM_ROOT_PASSWORD", "yes")),
        prisma="mysql", aws="rds", gcp="cloudsql", protocol="mysql", volume="/var/lib/mysql",
        python_deps=("PyMySQL>=1.1,<2",), node_deps=(("mysql2", "^3.9.7"),),
    ),
    Tech(
        "mongodb", 27017, "mongo", "7", ("CMD-SHELL", "mongosh --quiet --eval \"db.adminCommand('ping')\""),
        prisma="mongodb", aws="docdb", protocol="mongodb", volume="/data/db",
        python_deps=("pymongo>=4.6,<5",), node_deps=(("mongodb", "^6.5.0"),),
        aliases=("mongo", "documentdb", "docdb"),
    ),
    Tech("sqlserver", 1433, "mcr.microsoft.com/mssql/server", "2022-latest", prisma="sqlserver", aws="rds",
         gcp="cloudsql", aliases=("mssql", "sql-server"), volume="/var/opt/mssql",
         dev_env=(("ACCEPT_EULA", "Y"), ("MSSQL_SA_PASSWORD", "${MSSQL_SA_PASSWORD:-Change-me-1}")),
         python_deps=("pyodbc>=5.1,<6",), node_deps=(("mssql", "^10.0.2"),)),
    Tech("dynamodb", None, aws="dynamodb", gcp="firestore", protocol="https",
         python_deps=("boto3>=1.34,<2",), node_deps=(("@aws-sdk/client-dynamodb", "^3.540.0"),)),
    Tech(
        "redis", 6379, "redis", "7.2-alpine", ("CMD-SHELL", "redis-cli ping | grep -q PONG"),
        aws="elasticache", gcp="memorystore", protocol="redis", volume="/data",
        python_deps=("redis>=5.0,<6",), node_deps=(("redis", "^4.6.13"),),
        aliases=("elasticache", "elasticache-redis", "memorystore", "keydb", "dragonfly"),
    ),
    Tech("valkey", 6379, "valkey/valkey", "8-alpine", ("CMD-SHELL", "valkey-cli ping | grep -q PONG"),
         aws="elasticache", gcp="memorystore", protocol="redis", volume="/data",
         python_deps=("redis>=5.0,<6",), node_deps=(("redis", "^4.6.13"),)),
    Tech("memcached", 11211, "memcached", "1.6-alpine", aws="elasticache", gcp="memorystore", protocol="memcached",
         python_deps=("pymemcache>=4.0,<5",), node_deps=(("memjs", "^1.3.2"),)),
    Tech(
        "kafka", 9092, "apache/kafka", "3.7.0",
        ("CMD-SHELL", "/opt/kafka/bin/kafka-broker-api-versions.sh --bootstrap-server localhost:9092 >/dev/null"),
        aws="msk", gcp="pubsub", protocol="kafka", volume="/var/lib/kafka/data",
        python_deps=("confluent-kafka>=2.3,<3",), node_deps=(("kafkajs", "^2.2.4"),),
        aliases=("msk", "redpanda", "confluent", "apache-kafka"),
    ),
    Tech("kinesis", None, aws="kinesis", gcp="pubsub", python_deps=("boto3>=1.34,<2",),
         node_deps=(("@aws-sdk/client-kinesis", "^3.540.0"),)),
    Tech(
        "rabbitmq", 5672, "rabbitmq", "3.13-management-alpine", ("CMD-SHELL", "rabbitmq-diagnostics -q ping"),
        aws="mq", gcp="pubsub", protocol="amqp", volume="/var/lib/rabbitmq",
        python_deps=("pika>=1.3,<2",), node_deps=(("amqplib", "^0.10.4"),), aliases=("amqp", "amazon-mq"),
    ),
    Tech("activemq", 5672, "apache/activemq-classic", "6.1.0", aws="mq", gcp="pubsub", protocol="amqp",
         python_deps=("python-qpid-proton>=0.39,<1",), node_deps=(("rhea", "^3.0.2"),)),
    Tech("nats", 4222, "nats", "2.10-alpine", gcp="pubsub", protocol="nats",
         python_deps=("nats-py>=2.7,<3",), node_deps=(("nats", "^2.22.0"),)),
    Tech("sqs", None, aws="sqs", gcp="pubsub", protocol="sqs", python_deps=("boto3>=1.34,<2",),
         node_deps=(("@aws-sdk/client-sqs", "^3.540.0"),), aliases=("amazon-sqs", "aws-sqs")),
    Tech("sns", None, aws="sns", gcp="pubsub", protocol="sns", python_deps=("boto3>=1.34,<2",),
         node_deps=(("@aws-sdk/client-sns", "^3.540.0"),), aliases=("amazon-sns", "aws-sns")),
    Tech("pubsub", None, aws="sns", gcp="pubsub", python_deps=("google-cloud-pubsub>=2.21,<3",),
         node_deps=(("@google-cloud/pubsub", "^4.3.3"),), aliases=("google-pubsub", "cloud-pubsub")),
    Tech("s3", 9000, "minio/minio", "RELEASE.2024-05-10T01-41-38Z", ("CMD-SHELL", "mc ready local"),
         aws="s3", gcp="gcs", protocol="s3", volume="/data",
         dev_env=(("MINIO_ROOT_USER", "app"), ("MINIO_ROOT_PASSWORD", "${MINIO_ROOT_PASSWORD:-change-me-please}")),
         python_deps=("boto3>=1.34,<2",), node_deps=(("@aws-sdk/client-s3", "^3.540.0"),),
         aliases=("minio", "aws-s3", "amazon-s3", "gcs", "cloud-storage", "r2", "blob-storage")),
    Tech("elasticsearch", 9200, "docker.elastic.co/elasticsearch/elasticsearch", "8.13.4",
         ("CMD-SHELL", "curl -fs http://localhost:9200/_cluster/health >/dev/null"),
         (("discovery.type", "single-node"), ("xpack.security.enabled", "false")),
         aws="opensearch", protocol="elasticsearch", volume="/usr/share/elasticsearch/data",
         python_deps=("elasticsearch>=8.13,<9",), node_deps=(("@elastic/elasticsearch", "^8.13.1"),),
         aliases=("elastic",)),
    Tech("opensearch", 9200, "opensearchproject/opensearch", "2.13.0",
         ("CMD-SHELL", "curl -fs http://localhost:9200/_cluster/health >/dev/null"),
         (("discovery.type", "single-node"), ("DISABLE_SECURITY_PLUGIN", "true")),
         aws="opensearch", protocol="elasticsearch", volume="/usr/share/opensearch/data",
         python_deps=("opensearch-py>=2.5,<3",), node_deps=(("@opensearch-project/opensearch", "^2.7.0"),)),
    Tech("cassandra", 9042, "cassandra", "5.0", ("CMD-SHELL", "cqlsh -e 'describe keyspaces' >/dev/null"),
         aws="keyspaces", protocol="cassandra", volume="/var/lib/cassandra",
         python_deps=("cassandra-driver>=3.29,<4",), node_deps=(("cassandra-driver", "^4.7.2"),),
         aliases=("scylladb", "scylla")),
    Tech("clickhouse", 8123, "clickhouse/clickhouse-server", "24.3",
         ("CMD-SHELL", "wget -qO- http://localhost:8123/ping"), volume="/var/lib/clickhouse",
         python_deps=("clickhouse-connect>=0.7,<1",), node_deps=(("@clickhouse/client", "^1.0.1"),)),
    Tech("mqtt", 1883, "eclipse-mosquitto", "2", protocol="mqtt", python_deps=("paho-mqtt>=2.0,<3",),
         node_deps=(("mqtt", "^5.5.2"),), aliases=("mosquitto", "emqx")),
    Tech("vault", 8200, "hashicorp/vault", "1.16", aws="secretsmanager", gcp="secretmanager",
         python_deps=("hvac>=2.1,<3",), node_deps=(("node-vault", "^0.10.2"),), aliases=("hashicorp-vault",)),
    Tech("keycloak", 8080, "quay.io/keycloak/keycloak", "24.0", aws="cognito", aliases=("auth0", "okta", "cognito")),
    Tech("kong", 8000, "kong", "3.6", ("CMD-SHELL", "kong health"), protocol="http",
         dev_env=(("KONG_DATABASE", "off"),)),
    Tech("nginx", 8080, "nginxinc/nginx-unprivileged", "1.27-alpine", protocol="http", aliases=("openresty",)),
    Tech("envoy", 10000, "envoyproxy/envoy", "v1.30-latest", protocol="http"),
    Tech("traefik", 8080, "traefik", "v3.0", protocol="http"),
    Tech("haproxy", 8080, "haproxy", "2.9-alpine", protocol="http"),
    # Runtimes: code the team writes. The port is what the scaffolded service listens on.
    Tech("python", 8080, "python", "3.12-slim", language="python",
         aliases=("django", "flask", "fastapi", "starlette", "aiohttp", "celery")),
    Tech("node", 8080, "node", "20-alpine", language="node",
         aliases=("nodejs", "node.js", "javascript", "typescript", "express", "nestjs", "nextjs", "next.js",
                  "deno", "bun", "react", "vue", "angular", "svelte")),
    Tech("go", 8080, "golang", "1.22-alpine", language="go", aliases=("golang",)),
    Tech("java", 8080, "eclipse-temurin", "21-jre", language="java",
         aliases=("spring", "spring-boot", "kotlin", "scala", "quarkus", "micronaut", "jvm")),
    Tech("rust", 8080, "rust", "1-slim", language="rust", aliases=("actix", "axum")),
    Tech("ruby", 8080, "ruby", "3.3-slim", language="ruby", aliases=("rails", "ruby-on-rails", "sinatra")),
    Tech("dotnet", 8080, "mcr.microsoft.com/dotnet/aspnet", "8.0", language="dotnet",
         aliases=("csharp", "c#", ".net", "asp.net", "aspnet")),
    Tech("php", 8080, "php", "8.3-fpm-alpine", language="php", aliases=("laravel", "symfony")),
    Tech("elixir", 4000, "elixir", "1.16-alpine", language="elixir", aliases=("phoenix", "erlang")),
)
# fmt: on


def _key(name: str) -> str:
    return re.sub(r"[\s_]+", "-", name.strip().lower())


@cache
def _index() -> dict[str, Tech]:
    index: dict[str, Tech] = {}
    for tech in _TABLE:
        index[tech.family] = tech
        for alias in tech.aliases:
            index[_key(alias)] = tech
    return index


def lookup(technology: str | None) -> Tech | None:
    """The entry for ``technology`` (case, spaces and version suffixes ignored), or None."""
    if not technology:
        return None
    key = _key(str(technology))
    index = _index()
    if key in index:
        return index[key]
    stripped = re.sub(r"[-@:]?v?\d+(\.\d+)*$", "", key)  # "postgres-16", "redis@7"
    return index.get(stripped)


def catalog_port(technology: str | None) -> int | None:
    """The shared catalog's default port for ``technology`` when the catalog is installed."""
    try:
        from archls import catalog  # type: ignore[attr-defined]
    except ImportError:
        return None
    finder = getattr(catalog, "technology", None) or getattr(catalog, "lookup", None)
    if finder is None or not technology:
        return None
    try:
        entry = finder(technology)
    except Exception:  # the catalog is another helper's; a lookup it cannot answer is not ours to fail
        return None
    port = getattr(entry, "port", None) if entry is not None else None
    if port is None and isinstance(entry, dict):
        port = entry.get("port")
    return port if isinstance(port, int) else None


#: Default port of each wire protocol, for connections whose target names no port.
PROTOCOL_PORTS = {
    "http": 80, "https": 443, "grpc": 50051, "ws": 80, "wss": 443, "graphql": 443, "postgres": 5432,
    "mysql": 3306, "mongodb": 27017, "redis": 6379, "memcached": 11211, "cassandra": 9042,
    "elasticsearch": 9200, "amqp": 5672, "amqps": 5671, "kafka": 9092, "mqtt": 1883, "mqtts": 8883,
    "nats": 4222, "smtp": 25, "smtps": 465, "ldap": 389, "ldaps": 636, "ftp": 21, "sftp": 22, "nfs": 2049,
    "dns": 53, "tls": 443, "sqs": 443, "sns": 443, "s3": 443,
}  # fmt: skip
