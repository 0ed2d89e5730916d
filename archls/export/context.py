"""The architecture as every target sees it: components with their names in each target's
alphabet, their ports, images and resources resolved, and connections with their ports.

Targets read only this view, so the rules of "which port does a connection use" or "what is a
service's image" are decided once for all of them. Iteration is sorted by id everywhere, so the
same input gives the same output.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass, field
from functools import cached_property

from archls.export import tech as techs
from archls.export.naming import Namer, dns_label
from archls.export.quoting import Safe
from archls.graph import ArchGraph
from archls.model import (
    COMPUTE_TYPES,
    SENSITIVE_DATA,
    STATEFUL_TYPES,
    Architecture,
    Backups,
    Component,
    ComponentType,
    Connection,
    HealthCheck,
)

HTTP_PROTOCOLS = frozenset({"http", "https", "grpc", "ws", "wss", "graphql"})
OUTSIDE_TYPES = frozenset({ComponentType.CLIENT, ComponentType.EXTERNAL})
#: An AWS region name such as eu-west-1.
_AWS_REGION = re.compile(r"[a-z]{2}-[a-z]+-[0-9]{1,2}")
#: Tag of the images built from the scaffolded repository until a pipeline deploys its own (the
#: version its packages start at): a fixed tag, never "latest".
FIRST_VERSION = "0.1.0"
#: Availability (percent) from which data stores are replicated across zones.
MULTI_AZ_FROM = 99.9


@dataclass(eq=False)
class Comp:
    id: str
    c: Component
    ctx: ExportContext
    outgoing: list[Conn] = field(default_factory=list)
    incoming: list[Conn] = field(default_factory=list)

    # --- names ---------------------------------------------------------------------------------

    @cached_property
    def dns(self) -> Safe:
        return self.ctx.namer.name("dns", self.id)

    @cached_property
    def snake(self) -> Safe:
        return self.ctx.namer.name("snake", self.id)

    @cached_property
    def pascal(self) -> Safe:
        return self.ctx.namer.name("pascal", self.id)

    @cached_property
    def env(self) -> Safe:
        return Safe(self.snake.upper().rstrip("_"))

    # --- kind ----------------------------------------------------------------------------------

    @property
    def type(self) -> str:
        return self.c.type.value

    @cached_property
    def tech(self) -> techs.Tech | None:
        """The technology the model names, else the one its image runs (as the audits read it)."""
        if self.c.technology:
            return techs.lookup(self.c.technology)
        return techs.for_image(self.c.image)

    @property
    def technology(self) -> str:
        return str(self.c.technology or "")

    @property
    def family(self) -> str:
        return self.tech.family if self.tech else (self.technology.lower() or self.type)

    @property
    def is_compute(self) -> bool:
        return self.c.type in COMPUTE_TYPES

    @property
    def is_stateful(self) -> bool:
        return self.c.type in STATEFUL_TYPES

    @property
    def is_outside(self) -> bool:
        """Clients and third parties: drawn in diagrams, never deployed."""
        return self.c.type in OUTSIDE_TYPES

    @property
    def is_edge(self) -> bool:
        return self.c.type in {ComponentType.CDN, ComponentType.DNS, ComponentType.WAF, ComponentType.LOAD_BALANCER}

    @property
    def deployable(self) -> bool:
        """Runs as a container the team ships (services, workers, self-hosted gateways)."""
        return self.is_compute

    @property
    def runs_container(self) -> bool:
        """The exports run a container for it: a service, or a data store with an image they know."""
        if self.deployable:
            return True
        return self.is_stateful and self.tech is not None and self.tech.image is not None

    @property
    def needs_password(self) -> bool:
        """Its image starts only with a password, which the exports read from outside the files they write."""
        return self.tech is not None and any("PASSWORD" in key for key, _ in self.tech.dev_env)

    @property
    def data_path(self) -> str:
        """Where its container keeps its data."""
        return self.tech.volume if self.tech and self.tech.volume else "/data"

    @property
    def language(self) -> str | None:
        return self.tech.language if self.tech else None

    @property
    def sensitive(self) -> bool:
        return any(d in SENSITIVE_DATA for d in self.c.data)

    # --- runtime -------------------------------------------------------------------------------

    @cached_property
    def port(self) -> int:
        if self.c.ports:
            return self.c.ports[0]
        if self.tech and self.tech.port:
            return self.tech.port
        return 8080 if self.is_compute else (techs.PROTOCOL_PORTS.get(self.protocol or "", 0) or 8080)

    @property
    def ports(self) -> list[int]:
        ports = set(self.c.ports) if self.c.ports else {self.port}
        if self.grpc_port is not None:
            ports.add(self.grpc_port)
        return sorted(ports)

    @cached_property
    def grpc_port(self) -> int | None:
        """Where a service called over gRPC serves it: beside its HTTP port, which keeps the health,
        readiness and metrics endpoints the platform probes and scrapes."""
        if not self.is_compute:
            return None
        grpc = [c for c in self.incoming if c.protocol == "grpc"]
        if not grpc:
            return None
        explicit = sorted(c.c.port for c in grpc if c.c.port)
        if explicit:
            return explicit[0]
        default = techs.PROTOCOL_PORTS["grpc"]
        return default if self.port != default else default + 1

    @property
    def protocol(self) -> str | None:
        if self.tech and self.tech.protocol:
            return self.tech.protocol
        return min((c.protocol for c in self.incoming if c.protocol), default=None)

    @property
    def speaks_http(self) -> bool:
        if self.is_compute:
            protocols = {c.protocol for c in self.incoming if c.protocol}
            return not protocols or bool(protocols & HTTP_PROTOCOLS)
        return False

    @property
    def version(self) -> str | None:
        return str(self.c.version) if self.c.version else None

    @property
    def image(self) -> str:
        """The image to run: the model's, else the technology's for data stores, else one built from this repo."""
        if self.c.image:
            return str(self.c.image)
        if not self.builds_image and self.tech and self.tech.image:
            return f"{self.tech.image}:{self.image_tag}"
        return f"{self.ctx.registry}/{self.ctx.slug}/{self.dns}:{FIRST_VERSION}"

    @property
    def image_tag(self) -> str:
        if self.tech and self.tech.tag:
            if self.version and self.tech.family not in {"s3"}:
                return safe_tag(_versioned_tag(self.tech.tag, self.version))
            return self.tech.tag
        return safe_tag(self.version or "latest")

    @property
    def team_code(self) -> bool:
        """A service, worker or gateway whose code the team writes (the scaffold writes its start),
        whether or not the architecture names its image; off-the-shelf servers (Kong, nginx) are not."""
        if not self.is_compute:
            return False
        return self.tech is None or self.tech.language is not None or not self.tech.image

    @property
    def builds_image(self) -> bool:
        """A service with no image whose code the team writes: the repository builds one.

        Off-the-shelf servers (a Kong gateway, an nginx) run their technology's image instead.
        """
        if not self.is_compute or self.c.image:
            return False
        return self.tech is None or self.tech.language is not None or not self.tech.image

    @property
    def replicas(self) -> int:
        return max(self.c.replica_count, 1)

    @property
    def min_replicas(self) -> int:
        return max(self.c.autoscaling.min, 1) if self.c.autoscaling else self.replicas

    @property
    def max_replicas(self) -> int:
        if self.c.autoscaling:
            return max(self.c.autoscaling.max, self.min_replicas)
        return self.replicas

    @property
    def autoscaled(self) -> bool:
        return self.c.autoscaling is not None and self.max_replicas > self.min_replicas

    @property
    def target_cpu(self) -> int:
        return int(self.c.autoscaling.target_cpu) if self.c.autoscaling and self.c.autoscaling.target_cpu else 70

    @property
    def cpu(self) -> float:
        return float(self.c.resources.cpu) if self.c.resources and self.c.resources.cpu else 0.5

    @property
    def memory_mb(self) -> int:
        return int(self.c.resources.memory_mb) if self.c.resources and self.c.resources.memory_mb else 512

    @property
    def storage_gb(self) -> int:
        return int(self.c.resources.storage_gb) if self.c.resources and self.c.resources.storage_gb else 20

    @property
    def instance(self) -> str | None:
        return str(self.c.resources.instance) if self.c.resources and self.c.resources.instance else None

    @property
    def health_path(self) -> str:
        hc = self.c.health_check
        if isinstance(hc, HealthCheck) and hc.path:
            path = str(hc.path)
            path = path if path.startswith("/") else "/" + path
            # As a request line carries it: spaces, quotes and control characters percent-encoded.
            return urllib.parse.quote(path, safe="/-._~!$&()*+,;=:@%")
        return "/healthz"

    @property
    def health_interval(self) -> int:
        hc = self.c.health_check
        if isinstance(hc, HealthCheck) and hc.interval_s:
            return max(int(hc.interval_s), 1)
        return 10

    @property
    def backup_days(self) -> int:
        if isinstance(self.c.backups, Backups) and self.c.backups.retention_days is not None:
            return max(self.c.backups.retention_days, 1)
        return 7

    @property
    def cross_region_backups(self) -> bool:
        return isinstance(self.c.backups, Backups) and bool(self.c.backups.cross_region)

    @property
    def multi_az(self) -> bool:
        return self.ctx.ha or len(self.c.zones) > 1 or (self.is_stateful and self.replicas > 1)

    @property
    def description(self) -> str:
        return str(self.c.description or "")

    @property
    def data(self) -> list[str]:
        return sorted({d.value for d in self.c.data} | {d.value for conn in self.incoming for d in conn.c.data})

    # --- neighbours ----------------------------------------------------------------------------

    @property
    def callees(self) -> list[Comp]:
        return _unique(c.target for c in self.outgoing)

    @property
    def callers(self) -> list[Comp]:
        return _unique(c.source for c in self.incoming)

    @property
    def uses(self) -> list[Comp]:
        """Data stores, queues and streams this component reads or writes, whichever way the arrow points."""
        found = [c.target for c in self.outgoing if c.target.is_stateful]
        found += [c.source for c in self.incoming if c.source.is_stateful]
        return _unique(found)

    @property
    def consumes(self) -> list[Comp]:
        """Queues and streams that deliver to this component."""
        return _unique(c.source for c in self.incoming if c.source.is_stateful)

    @property
    def produces(self) -> list[Comp]:
        return _unique(c.target for c in self.outgoing if c.target.is_stateful)

    @property
    def public_entry(self) -> bool:
        """Reached from outside: marked public, or called by a client, a third party or the edge."""
        if self.c.public:
            return True
        return any(c.source.is_outside or c.source.is_edge for c in self.incoming)


def _versioned_tag(default: str, version: str) -> str:
    """The default tag's flavour on the model's version: ("16-alpine", "15") -> "15-alpine"."""
    base, _, flavour = default.partition("-")
    parts = version.split(".")
    wanted = base.count(".") + 1
    if all(p.isdigit() for p in parts) and all(p.isdigit() for p in base.split(".")) and len(parts) < wanted:
        parts += ["0"] * (wanted - len(parts))
    if not all(p.isdigit() for p in base.split(".")):
        flavour = ""
    return ".".join(parts) + (f"-{flavour}" if flavour else "")


def safe_tag(text: str) -> str:
    """A container image tag (``[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}``)."""
    tag = re.sub(r"[^A-Za-z0-9_.-]", "-", text)[:128].lstrip(".-")
    return tag or "latest"


def _unique(items) -> list[Comp]:
    seen: dict[str, Comp] = {}
    for item in items:
        seen.setdefault(item.id, item)
    return [seen[k] for k in sorted(seen)]


@dataclass(eq=False)
class Conn:
    index: int
    c: Connection
    source: Comp
    target: Comp

    @property
    def protocol(self) -> str | None:
        return self.c.protocol.value if self.c.protocol else None

    @property
    def port(self) -> int:
        if self.c.port:
            return self.c.port
        if self.protocol == "grpc" and self.target.grpc_port is not None:
            return self.target.grpc_port
        return self.target.port

    @property
    def tls(self) -> bool:
        return self.c.encrypted

    @property
    def is_async(self) -> bool:
        return self.c.is_async

    @property
    def label(self) -> str:
        parts = [self.protocol or ("async" if self.is_async else "")]
        return " ".join(p for p in parts if p)

    @property
    def internal(self) -> bool:
        """Both ends are deployed by this architecture (so a network rule can name both)."""
        return not (self.source.is_outside or self.target.is_outside)


@dataclass(eq=False)
class FlowView:
    id: str
    dns: Safe
    snake: Safe
    path: list[Comp]
    rps: float | None
    budget_ms: float | None
    description: str

    @property
    def hops(self) -> list[tuple[Comp, Comp]]:
        return list(zip(self.path, self.path[1:], strict=False))


@dataclass(eq=False)
class GroupView:
    id: str
    dns: Safe
    snake: Safe
    type: str
    public: bool
    members: list[Comp]
    parent: str | None
    description: str


class ExportContext:
    """Everything a target reads. Build one per architecture with :func:`build`."""

    registry = "ghcr.io/example"

    def __init__(self, model: Architecture, graph: ArchGraph | None = None) -> None:
        self.model = model
        self.graph = graph or ArchGraph(model)
        self.namer = Namer(model.components)
        self.by_id: dict[str, Comp] = {cid: Comp(cid, c, self) for cid, c in sorted(model.components.items())}
        self.connections: list[Conn] = []
        for index, connection in enumerate(model.connections):
            source, target = self.by_id.get(connection.source), self.by_id.get(connection.target)
            if source is None or target is None or source is target:
                continue
            conn = Conn(index, connection, source, target)
            self.connections.append(conn)
            source.outgoing.append(conn)
            target.incoming.append(conn)
        flow_names = Namer(model.flows)
        self.flows = [
            FlowView(
                fid,
                flow_names.name("dns", fid),
                flow_names.name("snake", fid),
                [self.by_id[p] for p in flow.path if p in self.by_id],
                flow.rps,
                flow.latency_budget_ms,
                str(flow.description or ""),
            )
            for fid, flow in sorted(model.flows.items())
        ]
        group_names = Namer(model.groups)
        self.groups = [
            GroupView(
                gid,
                group_names.name("dns", gid),
                group_names.name("snake", gid),
                group.type.value,
                group.public,
                [self.by_id[m] for m in sorted(set(group.members)) if m in self.by_id],
                group.parent,
                str(group.description or ""),
            )
            for gid, group in sorted(model.groups.items())
        ]

    # --- the system ----------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return str(self.model.name)

    @cached_property
    def slug(self) -> Safe:
        return Safe(dns_label(self.name, 40, fallback="app"))

    @property
    def description(self) -> str:
        return str(self.model.description or "")

    @property
    def requirements(self):
        return self.model.requirements

    @property
    def ha(self) -> bool:
        availability = self.model.requirements.availability
        return availability is not None and availability >= MULTI_AZ_FROM

    @property
    def availability(self) -> float:
        return self.model.requirements.availability or 99.9

    @property
    def components(self) -> list[Comp]:
        return list(self.by_id.values())

    @property
    def services(self) -> list[Comp]:
        """Components that run as containers the team ships."""
        return [c for c in self.components if c.deployable]

    @property
    def stores(self) -> list[Comp]:
        return [c for c in self.components if c.is_stateful]

    @property
    def entry_services(self) -> list[Comp]:
        """Services reached from outside, directly or through an edge component."""
        found = [c for c in self.services if c.public_entry]
        for edge in self.components:
            if edge.is_edge:
                found += [t for t in edge.callees if t.deployable]
        return _unique(found)

    @property
    def aws_region(self) -> Safe:
        return Safe(self._aws_region())

    def _aws_region(self) -> str:
        # Only text shaped like a region is taken: it is written where CI systems evaluate expressions.
        for c in self.components:
            for zone in c.c.zones:
                if _AWS_REGION.fullmatch(zone[:-1]) and zone[-1:].isalpha():
                    return zone[:-1]
            for region in c.c.regions:
                if _AWS_REGION.fullmatch(region):
                    return region
        residency = [r.lower() for r in self.model.requirements.data_residency]
        return "eu-west-1" if any(r.startswith("eu") for r in residency) else "us-east-1"

    @property
    def gcp_region(self) -> Safe:
        residency = [r.lower() for r in self.model.requirements.data_residency]
        return Safe("europe-west1" if any(r.startswith("eu") for r in residency) else "us-central1")

    @property
    def sensitive(self) -> bool:
        return any(c.sensitive for c in self.components) or bool(self.model.requirements.compliance)


def build(model: Architecture, graph: ArchGraph | None = None) -> ExportContext:
    return ExportContext(model, graph)
