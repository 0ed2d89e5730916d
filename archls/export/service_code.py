"""What the scaffold writes into a service's code, decided from the architecture.

Each service the team builds gets: an operation per flow it takes part in (an HTTP route, and a
gRPC method when callers reach it over gRPC) that calls the flow's next hop; a handler per queue
or topic it consumes, run by a consumer loop; and a client per connection, with the connection's
timeout and retries. The templates in ``templates/scaffold/`` lay this out in Python or Node.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from archls.export.context import Comp, Conn, ExportContext, FlowView
from archls.export.naming import Namer
from archls.export.quoting import Safe

#: A call's timeout when the architecture gives none, in seconds.
DEFAULT_TIMEOUT_S = 5.0
#: Store families the scaffold writes a client for; others get a TCP reachability check.
STORE_FAMILIES = frozenset(
    {
        "postgresql",
        "mysql",
        "mariadb",
        "mongodb",
        "redis",
        "valkey",
        "memcached",
        "kafka",
        "rabbitmq",
        "activemq",
        "sqs",
        "sns",
        "kinesis",
        "s3",
        "dynamodb",
        "elasticsearch",
        "opensearch",
        "cassandra",
        "nats",
    }
)
#: Families a consumer loop can read from.
CONSUMABLE = frozenset({"kafka", "rabbitmq", "activemq", "sqs", "redis", "valkey", "nats", "kinesis"})


@dataclass(eq=False)
class Peer:
    """Something the service talks to, through one client object in its code."""

    comp: Comp
    conn: Conn
    attr: Safe  # the client's name in code (snake_case)
    kind: str  # "http", "grpc", "store" or "tcp"
    family: Safe  # the store's technology family, or the kind for services

    @property
    def timeout_s(self) -> float:
        return round(self.conn.c.timeout_ms / 1000, 3) if self.conn.c.timeout_ms else DEFAULT_TIMEOUT_S

    @property
    def retries(self) -> int:
        return self.conn.c.retries if self.conn.c.retries is not None else 2

    @property
    def env(self) -> Safe:
        return self.comp.env

    @property
    def dns(self) -> Safe:
        return self.comp.dns

    @property
    def port(self) -> int:
        return self.conn.port

    @property
    def proto(self) -> Safe:
        return proto_file(self.comp)


@dataclass(eq=False)
class Operation:
    """One flow as this service takes part in it: a route, a gRPC method, and the next hop."""

    flow: FlowView
    method: Safe  # snake_case method name
    rpc: Safe  # PascalCase gRPC method name
    route: Safe  # HTTP path
    previous: Comp | None
    next: Peer | None
    generic: bool = False  # no flow: it uses each dependency once


@dataclass(eq=False)
class Consumer:
    peer: Peer
    handler: Safe


@dataclass(eq=False)
class ServiceCode:
    comp: Comp
    peers: list[Peer] = field(default_factory=list)
    operations: list[Operation] = field(default_factory=list)
    consumers: list[Consumer] = field(default_factory=list)

    @property
    def grpc_served(self) -> bool:
        return self.comp.grpc_port is not None

    @property
    def grpc_peers(self) -> list[Peer]:
        return [p for p in self.peers if p.kind == "grpc"]

    @property
    def uses_grpc(self) -> bool:
        return self.grpc_served or bool(self.grpc_peers)

    @property
    def pascal(self) -> Safe:
        return self.comp.pascal

    @property
    def called(self) -> list[Peer]:
        """Peers the operations and handlers call (every one but the queues it only reads)."""
        consumed = {c.peer.comp.id for c in self.consumers}
        produced = {p.comp.id for p in self.peers if p.conn.source is self.comp}
        return [p for p in self.peers if p.comp.id not in consumed or p.comp.id in produced]


def _kind(comp: Comp, conn: Conn) -> tuple[str, str]:
    if comp.is_stateful:
        family = comp.family if comp.tech else "other"
        return ("store", family) if family in STORE_FAMILIES else ("tcp", family)
    if conn.protocol == "grpc" and comp.grpc_port is not None:
        return "grpc", "grpc"
    if comp.is_outside or comp.deployable or comp.type in {"api-gateway", "load-balancer"}:
        return ("http", "http") if comp.speaks_http or comp.is_outside else ("tcp", "tcp")
    return "tcp", "tcp"


def plan(ctx: ExportContext, comp: Comp) -> ServiceCode:
    code = ServiceCode(comp)
    # Connections either way that this service opens: its calls, and the stores and queues that
    # deliver to it (it connects to them to read).
    conns = [c for c in comp.outgoing] + [c for c in comp.incoming if c.source.is_stateful]
    seen: dict[str, Peer] = {}
    names = Namer(c.target.id if c.source is comp else c.source.id for c in conns)
    for conn in conns:
        other = conn.target if conn.source is comp else conn.source
        if other.id in seen:
            continue
        kind, family = _kind(other, conn)
        seen[other.id] = Peer(other, conn, names.name("snake", other.id, 40), kind, Safe(family))
    code.peers = [seen[k] for k in sorted(seen)]
    flow_names = Namer(f.id for f in ctx.flows)
    for flow in ctx.flows:
        if comp not in flow.path:
            continue
        at = flow.path.index(comp)
        after = flow.path[at + 1] if at + 1 < len(flow.path) else None
        code.operations.append(
            Operation(
                flow=flow,
                method=Safe(f"flow_{flow_names.name('snake', flow.id, 40)}"),
                rpc=flow_names.name("pascal", flow.id, 40),
                route=Safe(f"/flows/{flow.dns}"),
                previous=flow.path[at - 1] if at > 0 else None,
                next=seen.get(after.id) if after is not None else None,
            )
        )
    if not code.operations and comp.incoming and not all(c.source.is_stateful for c in comp.incoming):
        # Called, but in no flow: one operation that does its work with everything it calls.
        code.operations.append(
            Operation(
                flow=FlowView("handle", Safe("handle"), Safe("handle"), [comp], None, None, ""),
                method=Safe("handle"),
                rpc=Safe("Handle"),
                route=Safe("/handle"),
                previous=None,
                next=None,
                generic=True,
            )
        )
    for peer in code.peers:
        if peer.conn.target is comp and peer.family in CONSUMABLE:
            code.consumers.append(Consumer(peer, Safe(f"on_{peer.attr}")))
    return code


def proto_file(comp: Comp) -> Safe:
    """The service's .proto file name: its snake_case name, which grpc loads as a module name."""
    return Safe(f"{comp.snake}.proto")


def proto(code: ServiceCode, package: str) -> str:
    """The service's gRPC interface: one method per operation, a JSON payload in each message."""
    lines = [
        f"// gRPC interface of {code.comp.dns}, one method per flow it serves; written by archls.",
        'syntax = "proto3";',
        "",
        f"package {package};",
        "",
        f"service {code.pascal} {{",
    ]
    lines += [f"  rpc {op.rpc} (FlowRequest) returns (FlowReply);" for op in code.operations]
    lines += [
        "}",
        "",
        "message FlowRequest {",
        "  string flow = 1;",
        "  // The request as JSON; replace with typed fields as the API settles.",
        "  string payload_json = 2;",
        "}",
        "",
        "message FlowReply {",
        "  string service = 1;",
        "  string payload_json = 2;",
        "}",
        "",
    ]
    return "\n".join(lines)
