"""Technologies recognised from container images, runtimes and engines.

The catalog (``archls/catalog/technologies.yaml``, with image names, ports and protocols) is asked
first, so loaders name technologies the way the analyses and end-of-life checks know them. The
small table here covers what the catalog does not list (admin tools, self-hosted applications,
AWS engines), and keeps loading working should the catalog not load.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from archls.catalog.images import redistributed as image_path_redistributed
from archls.model import ComponentType, Protocol


@dataclass(frozen=True, slots=True)
class Tech:
    name: str
    type: ComponentType
    protocol: Protocol | None = None
    port: int | None = None


_D, _C, _Q, _S = ComponentType.DATABASE, ComponentType.CACHE, ComponentType.QUEUE, ComponentType.STREAM
_SVC = ComponentType.SERVICE

#: Image name (last path segment, or a full repository path) -> technology.
IMAGES: dict[str, Tech] = {
    "postgres": Tech("postgresql", _D, Protocol.POSTGRES, 5432),
    "postgis": Tech("postgresql", _D, Protocol.POSTGRES, 5432),
    "postgresql": Tech("postgresql", _D, Protocol.POSTGRES, 5432),
    "timescaledb": Tech("postgresql", _D, Protocol.POSTGRES, 5432),
    "mysql": Tech("mysql", _D, Protocol.MYSQL, 3306),
    "mysql-server": Tech("mysql", _D, Protocol.MYSQL, 3306),
    "mariadb": Tech("mariadb", _D, Protocol.MYSQL, 3306),
    "mongo": Tech("mongodb", _D, Protocol.MONGODB, 27017),
    "mongodb": Tech("mongodb", _D, Protocol.MONGODB, 27017),
    "mssql/server": Tech("sqlserver", _D, Protocol.TCP, 1433),
    "azure-sql-edge": Tech("sqlserver", _D, Protocol.TCP, 1433),
    "cassandra": Tech("cassandra", _D, Protocol.CASSANDRA, 9042),
    "scylla": Tech("scylladb", _D, Protocol.CASSANDRA, 9042),
    "couchdb": Tech("couchdb", _D, Protocol.HTTP, 5984),
    "influxdb": Tech("influxdb", _D, Protocol.HTTP, 8086),
    "neo4j": Tech("neo4j", _D, Protocol.TCP, 7687),
    "cockroach": Tech("cockroachdb", _D, Protocol.POSTGRES, 26257),
    "clickhouse-server": Tech("clickhouse", ComponentType.DATA_WAREHOUSE, Protocol.HTTP, 8123),
    "redis": Tech("redis", _C, Protocol.REDIS, 6379),
    "redis-stack": Tech("redis", _C, Protocol.REDIS, 6379),
    "valkey": Tech("valkey", _C, Protocol.REDIS, 6379),
    "keydb": Tech("keydb", _C, Protocol.REDIS, 6379),
    "memcached": Tech("memcached", _C, Protocol.MEMCACHED, 11211),
    "rabbitmq": Tech("rabbitmq", _Q, Protocol.AMQP, 5672),
    "activemq": Tech("activemq", _Q, Protocol.AMQP, 61616),
    "nats": Tech("nats", _Q, Protocol.NATS, 4222),
    "mosquitto": Tech("mosquitto", _Q, Protocol.MQTT, 1883),
    "eclipse-mosquitto": Tech("mosquitto", _Q, Protocol.MQTT, 1883),
    "kafka": Tech("kafka", _S, Protocol.KAFKA, 9092),
    "cp-kafka": Tech("kafka", _S, Protocol.KAFKA, 9092),
    "redpanda": Tech("redpanda", _S, Protocol.KAFKA, 9092),
    "pulsar": Tech("pulsar", _S, Protocol.TCP, 6650),
    "zookeeper": Tech("zookeeper", _SVC, Protocol.TCP, 2181),
    "cp-zookeeper": Tech("zookeeper", _SVC, Protocol.TCP, 2181),
    "elasticsearch": Tech("elasticsearch", ComponentType.SEARCH, Protocol.ELASTICSEARCH, 9200),
    "opensearch": Tech("opensearch", ComponentType.SEARCH, Protocol.HTTP, 9200),
    "solr": Tech("solr", ComponentType.SEARCH, Protocol.HTTP, 8983),
    "meilisearch": Tech("meilisearch", ComponentType.SEARCH, Protocol.HTTP, 7700),
    "minio": Tech("minio", ComponentType.OBJECT_STORAGE, Protocol.S3, 9000),
    "vault": Tech("vault", ComponentType.SECRETS, Protocol.HTTPS, 8200),
    "keycloak": Tech("keycloak", ComponentType.IDENTITY, Protocol.HTTP, 8080),
    "nginx": Tech("nginx", ComponentType.LOAD_BALANCER, Protocol.HTTP, 80),
    "nginx-unprivileged": Tech("nginx", ComponentType.LOAD_BALANCER, Protocol.HTTP, 8080),
    "openresty": Tech("nginx", ComponentType.LOAD_BALANCER, Protocol.HTTP, 80),
    "traefik": Tech("traefik", ComponentType.LOAD_BALANCER, Protocol.HTTP, 80),
    "haproxy": Tech("haproxy", ComponentType.LOAD_BALANCER, Protocol.HTTP, 80),
    "envoy": Tech("envoy", ComponentType.LOAD_BALANCER, Protocol.HTTP, 10000),
    "caddy": Tech("caddy", ComponentType.LOAD_BALANCER, Protocol.HTTP, 80),
    "httpd": Tech("apache-httpd", _SVC, Protocol.HTTP, 80),
    "prometheus": Tech("prometheus", ComponentType.MONITORING, Protocol.HTTP, 9090),
    "grafana": Tech("grafana", ComponentType.MONITORING, Protocol.HTTP, 3000),
    "kibana": Tech("kibana", ComponentType.MONITORING, Protocol.HTTP, 5601),
    "jaeger": Tech("jaeger", ComponentType.MONITORING, Protocol.HTTP, 16686),
    "all-in-one": Tech("jaeger", ComponentType.MONITORING, Protocol.HTTP, 16686),
    "logstash": Tech("logstash", ComponentType.LOGGING, Protocol.TCP, 5044),
    "fluentd": Tech("fluentd", ComponentType.LOGGING, Protocol.TCP, 24224),
    "fluent-bit": Tech("fluent-bit", ComponentType.LOGGING, Protocol.TCP, 24224),
    "loki": Tech("loki", ComponentType.LOGGING, Protocol.HTTP, 3100),
    "python": Tech("python", _SVC),
    "node": Tech("node", _SVC),
    "golang": Tech("go", _SVC),
    "openjdk": Tech("java", _SVC),
    "eclipse-temurin": Tech("java", _SVC),
    "amazoncorretto": Tech("java", _SVC),
    "php": Tech("php", _SVC),
    "ruby": Tech("ruby", _SVC),
    "rust": Tech("rust", _SVC),
    "dotnet/aspnet": Tech("dotnet", _SVC),
    "dotnet/sdk": Tech("dotnet", _SVC),
    "wordpress": Tech("wordpress", _SVC, Protocol.HTTP, 80),
    "nextcloud": Tech("nextcloud", _SVC, Protocol.HTTP, 80),
    "gitea": Tech("gitea", _SVC, Protocol.HTTP, 3000),
    "pihole": Tech("pihole", ComponentType.DNS, Protocol.DNS, 53),
    "cloudflared": Tech("cloudflared", _SVC),
    "pms-docker": Tech("plex", _SVC, Protocol.HTTP, 32400),
    "portainer-ce": Tech("portainer", _SVC, Protocol.HTTP, 9000),
    "portainer": Tech("portainer", _SVC, Protocol.HTTP, 9000),
    "pgadmin4": Tech("pgadmin", _SVC, Protocol.HTTP, 80),
    "adminer": Tech("adminer", _SVC, Protocol.HTTP, 8080),
    "phpmyadmin": Tech("phpmyadmin", _SVC, Protocol.HTTP, 80),
    "wireguard": Tech("wireguard", _SVC, Protocol.UDP, 51820),
    "minecraft-server": Tech("minecraft", _SVC, Protocol.TCP, 25565),
}

#: Technologies by name, for engines and runtimes named in Terraform or package files.
BY_NAME: dict[str, Tech] = {}
for _tech in IMAGES.values():
    BY_NAME.setdefault(_tech.name, _tech)
BY_NAME.update(
    {
        "aurora-mysql": Tech("mysql", _D, Protocol.MYSQL, 3306),
        "aurora-postgresql": Tech("postgresql", _D, Protocol.POSTGRES, 5432),
        "aurora": Tech("mysql", _D, Protocol.MYSQL, 3306),
        "postgres": BY_NAME["postgresql"],
        "oracle": Tech("oracle", _D, Protocol.TCP, 1521),
        "neptune": Tech("neptune", _D, Protocol.HTTPS, 8182),
        "docdb": Tech("documentdb", _D, Protocol.MONGODB, 27017),
        "dynamodb": Tech("dynamodb", _D, Protocol.HTTPS, 443),
        "s3": Tech("s3", ComponentType.OBJECT_STORAGE, Protocol.S3, 443),
        "sqs": Tech("sqs", _Q, Protocol.SQS, 443),
        "sns": Tech("sns", _Q, Protocol.SNS, 443),
        "kinesis": Tech("kinesis", _S, Protocol.HTTPS, 443),
        "redshift": Tech("redshift", ComponentType.DATA_WAREHOUSE, Protocol.POSTGRES, 5439),
    }
)

_VERSION = re.compile(r"v?(\d+(?:\.\d+)*)")


@dataclass(frozen=True, slots=True)
class ImageRef:
    registry: str | None
    repository: str
    tag: str | None
    digest: str | None

    @property
    def name(self) -> str:
        return self.repository.rsplit("/", 1)[-1]


def parse_image(image: str) -> ImageRef:
    """``registry/path/name:tag@digest`` into its parts (the registry only when one is written)."""
    rest, _, digest = image.strip().partition("@")
    registry = None
    first, slash, remainder = rest.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, rest = first, remainder
    repository, colon, tag = rest.rpartition(":")
    if not colon or "/" in tag:
        repository, tag = rest, ""
    return ImageRef(registry, repository, tag or None, digest or None)


def _catalog() -> object | None:
    try:
        from archls import catalog

        return catalog.load()
    except Exception:  # the catalog is reference data; loading works without it
        return None


def _from_catalog(technology: object) -> Tech | None:
    types = [t for t in getattr(technology, "types", []) if t in ComponentType._value2member_map_]
    if not types:
        return None
    protocol = getattr(technology, "protocol", None)
    return Tech(
        str(getattr(technology, "id", "")),
        ComponentType(types[0]),
        Protocol(protocol) if protocol in Protocol._value2member_map_ else None,
        getattr(technology, "port", None),
    )


def lookup(name: str | None) -> Tech | None:
    """A technology by name or alias: the catalog's, else this module's."""
    if not name:
        return None
    catalog = _catalog()
    found = catalog.technology(name) if catalog is not None else None  # type: ignore[attr-defined]
    tech = _from_catalog(found) if found is not None else None
    return tech or BY_NAME.get(name.lower())


def from_image(image: str) -> tuple[Tech | None, str | None]:
    """The technology an image runs and its version from the tag (``postgres:15-alpine`` -> postgresql, 15)."""
    if not image or "${" in image or "{{" in image:
        return None, None
    catalog = _catalog()
    hit = catalog.technology_for_image(image) if catalog is not None else None  # type: ignore[attr-defined]
    if hit is not None:
        tech = _from_catalog(hit[0])
        if tech is not None:
            return tech, hit[1]
    ref = parse_image(image)
    repo = ref.repository.lower()
    keys = [repo, "/".join(repo.split("/")[-2:])]
    # The last segment alone names the product only for redistributed images: a private
    # pay/vault is a payments service, not HashiCorp Vault.
    publishers = getattr(catalog, "publishers", frozenset())
    redistributed = image_path_redistributed(repo, publishers)
    if redistributed:
        keys.append(ref.name.lower())
    tech = None
    for key in keys:
        tech = IMAGES.get(key)
        if tech is not None:
            break
    if tech is None and redistributed:
        # vendor images such as bitnami/postgresql or confluentinc/cp-kafka
        stem = ref.name.lower().split("-")[0]
        tech = IMAGES.get(stem) if stem in {"postgres", "postgresql", "mysql", "redis", "mongo", "kafka"} else None
    version = None
    if ref.tag:
        match = _VERSION.match(ref.tag)
        if match:
            version = match.group(1)
    return tech, version


_FROM = re.compile(r"^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)", re.I | re.M)


def dockerfile_images(text: str) -> list[str]:
    """The images a Dockerfile's FROM lines name, stage by stage: the runtime image is the last."""
    return _FROM.findall(text)


def from_runtime(runtime: str) -> tuple[str, str | None]:
    """A Lambda-style runtime (``python3.12``, ``nodejs20.x``, ``java17``) -> technology and version."""
    match = re.match(r"([a-z]+?)(\d[\d.]*)?(?:\.x)?(?:-.*)?$", runtime.lower())
    if not match:
        return runtime, None
    name, version = match.group(1), match.group(2)
    name = {"nodejs": "node", "provided": "custom", "dotnetcore": "dotnet", "dotnet": "dotnet"}.get(name, name)
    return name, version.rstrip(".") if version else None
