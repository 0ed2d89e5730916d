"""What Prometheus scrapes for each component, so every alert reads series something deployed
produces: the services the scaffold writes serve /metrics on their HTTP port; data stores get the
Prometheus community's exporter for their technology beside them (a sidecar in Kubernetes, a
container sharing the store's network in compose), or their own endpoint where the image has one.

A component with neither is not scraped, and the alert rules leave it out rather than alert on
series nothing produces.
"""

from __future__ import annotations

from dataclasses import dataclass

from archls.export.context import Comp


@dataclass(frozen=True)
class Exporter:
    image: str  # with its tag
    port: int
    up_metric: str  # the series that says the store answers
    args: tuple[str, ...] = ()  # "{port}" is the store's port, reached on localhost
    env: tuple[tuple[str, str], ...] = ()  # "{password}" marks the store's password, from its Secret


# fmt: off
EXPORTERS: dict[str, Exporter] = {
    "postgresql": Exporter(
        "quay.io/prometheuscommunity/postgres-exporter:v0.15.0", 9187, "pg_up",
        env=(("DATA_SOURCE_URI", "localhost:{port}/app?sslmode=disable"), ("DATA_SOURCE_USER", "app"),
             ("DATA_SOURCE_PASS", "{password}")),
    ),
    "mysql": Exporter(
        "prom/mysqld-exporter:v0.15.1", 9104, "mysql_up",
        args=("--mysqld.address=localhost:{port}", "--mysqld.username=app"),
        env=(("MYSQLD_EXPORTER_PASSWORD", "{password}"),),
    ),
    "redis": Exporter("oliver006/redis_exporter:v1.62.0", 9121, "redis_up",
                      env=(("REDIS_ADDR", "redis://localhost:{port}"),)),
    "mongodb": Exporter("percona/mongodb_exporter:0.40.0", 9216, "mongodb_up",
                        args=("--mongodb.uri=mongodb://localhost:{port}",)),
    "elasticsearch": Exporter("quay.io/prometheuscommunity/elasticsearch-exporter:v1.7.0", 9114,
                              "elasticsearch_cluster_health_up", args=("--es.uri=http://localhost:{port}",)),
    "memcached": Exporter("prom/memcached-exporter:v0.14.4", 9150, "memcached_up",
                          args=("--memcached.address=localhost:{port}",)),
    "kafka": Exporter("danielqsj/kafka-exporter:v1.7.0", 9308, "kafka_brokers",
                      args=("--kafka.server=localhost:{port}",)),
}
EXPORTERS["mariadb"] = EXPORTERS["mysql"]
EXPORTERS["valkey"] = EXPORTERS["redis"]
EXPORTERS["opensearch"] = EXPORTERS["elasticsearch"]
#: Images that serve Prometheus metrics themselves: (port, path, up metric).
BUILT_IN: dict[str, tuple[int, str, str]] = {
    "rabbitmq": (15692, "/metrics", "rabbitmq_identity_info"),
    "s3": (9000, "/minio/v2/metrics/cluster", "minio_cluster_nodes_online_total"),
}
# fmt: on


@dataclass(frozen=True)
class Scrape:
    """Where Prometheus reads a component's metrics: ``host:port`` and path, and its up series."""

    comp: Comp
    port: int
    path: str
    up_metric: str  # "up" when only the scrape itself says it is there
    exporter: Exporter | None = None

    @property
    def job(self) -> str:
        return str(self.comp.dns)

    @property
    def target(self) -> str:
        return f"{self.comp.dns}:{self.port}"


def exporter_for(comp: Comp) -> Exporter | None:
    if not comp.is_stateful or not comp.runs_container:
        return None
    return EXPORTERS.get(comp.family)


def scrape_for(comp: Comp) -> Scrape | None:
    """What the deploy exports run that Prometheus can scrape for ``comp``, or None."""
    if comp.deployable:
        return Scrape(comp, comp.port, "/metrics", "up") if comp.team_code and comp.speaks_http else None
    if not comp.runs_container:
        return None
    exporter = exporter_for(comp)
    if exporter is not None:
        return Scrape(comp, exporter.port, "/metrics", exporter.up_metric, exporter)
    built_in = BUILT_IN.get(comp.family)
    if built_in is not None:
        port, path, metric = built_in
        return Scrape(comp, port, path, metric)
    return None


def render_args(exporter: Exporter, comp: Comp) -> list[str]:
    return [a.replace("{port}", str(comp.port)) for a in exporter.args]


def render_env(exporter: Exporter, comp: Comp) -> list[tuple[str, str | None]]:
    """The exporter's environment; None for the value taken from the store's password Secret."""
    out: list[tuple[str, str | None]] = []
    for key, value in exporter.env:
        out.append((key, None if value == "{password}" else value.replace("{port}", str(comp.port))))
    return out
