"""Architecture quality rules (QUAL004-099): coupling, ownership of data and layering.

QUAL001-003 (cycles, unreachable components, self-connections) live in ``structure.py``. The
overall grade of a file is computed in :mod:`archls.analysis.grade`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from archls.findings import Severity
from archls.model import COMPUTE_TYPES, ComponentType
from archls.rules._common import DATA_STORES, OUTSIDE, names
from archls.rules.registry import Fix, Hit, RuleContext, rule

#: Components every other component is expected to use: high fan-in is their purpose.
_SHARED_BY_DESIGN = frozenset(
    {
        ComponentType.MONITORING,
        ComponentType.LOGGING,
        ComponentType.SECRETS,
        ComponentType.IDENTITY,
        ComponentType.QUEUE,
        ComponentType.STREAM,
        ComponentType.EXTERNAL,
        ComponentType.DNS,
    }
)
COUPLING = "Robert C. Martin, Clean Architecture: the Stable Dependencies Principle (fan-in and fan-out)"


def _neighbours(ctx: RuleContext) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Who calls each component and whom it calls (other components only); shared by every audit of
    the same structure, so the sets are read, never changed."""

    def compute() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
        components = ctx.model.components
        into: dict[str, set[str]] = {cid: set() for cid in components}
        out: dict[str, set[str]] = {cid: set() for cid in components}
        for conn in ctx.model.connections:
            if conn.source != conn.target and conn.source in components and conn.target in components:
                out[conn.source].add(conn.target)
                into[conn.target].add(conn.source)
        return into, out

    return ctx.graph.structural("rules.neighbours", compute)


@rule(
    "QUAL004",
    "Too many components depend on one service",
    severity=Severity.INFO,
    what=(
        "A service, worker, function or gateway called by more than `qual.max_fan_in` different components "
        "(default 10). Shared infrastructure (queues, identity, monitoring, secrets) and data stores "
        "(see QUAL006) are not counted."
    ),
    why=(
        "A service everything calls is hard to change (every change needs every caller's agreement) and is "
        "a single point of failure for all of them. It is often a sign that it holds logic that belongs to "
        "its callers, or that it should publish events instead of answering calls."
    ),
    example="""
connections:   # twelve services call 'common'
  - {from: a, to: common}
  - {from: b, to: common}
  # ...
""",
    fix="Split the service by caller need, move shared logic into a library, or publish events the callers subscribe to.",
    references=(COUPLING,),
)
def high_fan_in(ctx: RuleContext) -> Iterator[Hit]:
    into, _ = _neighbours(ctx)
    limit = ctx.threshold("qual.max_fan_in", 10)
    for cid, callers in into.items():
        c = ctx.model.components[cid]
        if c.type not in COMPUTE_TYPES or len(callers) <= limit:
            continue
        yield Hit(
            ("components", cid),
            f"{len(callers)} components call '{cid}' ({names(callers)}; limit {limit:g}): every change to it touches all of them",
        )


@rule(
    "QUAL005",
    "Component depends on too many others",
    severity=Severity.WARNING,
    what=(
        "A component calling more than `qual.max_fan_out` different components (default 8), not counting "
        "monitoring, logging, secrets and identity."
    ),
    why=(
        "Each dependency is a reason to change and a way to fail. A component that knows about many others "
        "is an orchestrator at best and a distributed monolith at worst; its tests need every neighbour and "
        "its deploys wait for theirs."
    ),
    example="""
connections:   # 'checkout' calls ten services directly
  - {from: checkout, to: cart}
  - {from: checkout, to: pricing}
  # ...
""",
    fix="Group related dependencies behind one service (a facade or an aggregate), or react to events instead of calling everyone.",
    references=(COUPLING,),
)
def high_fan_out(ctx: RuleContext) -> Iterator[Hit]:
    _, out = _neighbours(ctx)
    model = ctx.model
    limit = ctx.threshold("qual.max_fan_out", 8)
    ignore = {ComponentType.MONITORING, ComponentType.LOGGING, ComponentType.SECRETS, ComponentType.IDENTITY}
    for cid, callees in out.items():
        if len(callees) <= limit or model.components[cid].type in OUTSIDE:
            continue
        counted = {t for t in callees if model.components[t].type not in ignore}
        if len(counted) > limit:
            yield Hit(
                ("components", cid),
                f"'{cid}' depends on {len(counted)} components ({names(counted)}; limit {limit:g})",
            )


_ROLE_SUFFIX = re.compile(
    r"[-_.](db|database|store|data|api|service|svc|server|worker|workers|jobs?|consumer|producer|reader|writer|"
    r"cron|scheduler|admin|web|app|backend|frontend|migrations?|sync|etl|batch|read|write)$",
    re.IGNORECASE,
)


def owner(cid: str) -> str:
    """The bounded context a component id names: ``orders-api`` and ``orders-worker`` are both ``orders``."""
    stem = cid.lower()
    while True:
        shorter = _ROLE_SUFFIX.sub("", stem)
        if shorter == stem or not shorter:
            return stem
        stem = shorter


@rule(
    "QUAL006",
    "Database shared by several services",
    severity=Severity.WARNING,
    what=(
        "A database that services of different names use directly. Components whose ids differ only by a "
        "role suffix (`orders-api`, `orders-worker` and `orders-db`) count as one owner."
    ),
    why=(
        "A shared database is a shared schema: no service can change a table without breaking the others, "
        "load from one slows all, and ownership of the data is unclear. It couples services more tightly "
        "than any API would."
    ),
    example="""
connections:
  - {from: orders, to: main-db}
  - {from: billing, to: main-db}   # two services, one database
""",
    fix="Give the data one owner: other services call its API or consume its events. As a step on the way, split the schema per service.",
    references=(
        "Sam Newman, Building Microservices 2nd ed., chapter 4: the shared database antipattern",
        "microservices.io: Database per service",
    ),
)
def shared_database(ctx: RuleContext) -> Iterator[Hit]:
    into, _ = _neighbours(ctx)
    model = ctx.model
    for cid, callers in into.items():
        if model.components[cid].type is not ComponentType.DATABASE or len(callers) < 2:
            continue
        users = sorted(c for c in callers if model.components[c].type in COMPUTE_TYPES)
        owners = {owner(u) for u in users}
        if len(owners) < 2:
            continue
        yield Hit(
            ("components", cid),
            f"database '{cid}' is used directly by {len(users)} services ({names(users)}); give its data one owner",
        )


@rule(
    "QUAL007",
    "God component",
    severity=Severity.WARNING,
    what=(
        "A service, worker, function or gateway connected to at least `qual.god_connections` different "
        "components (default 15, callers and callees together), or handling at least `qual.god_data_kinds` "
        "kinds of data (default 5)."
    ),
    why=(
        "A component that talks to everyone and handles every kind of data does too much: it becomes the "
        "bottleneck for changes, the riskiest deploy and the place every security review has to start."
    ),
    example="""
components:
  core:
    type: service
    data: [pii, card, financial, credentials, telemetry]
""",
    fix="Split it along the data it owns: one component per kind of data or business capability.",
    references=("Arthur Riel, Object-Oriented Design Heuristics: the god class", COUPLING),
)
def god_component(ctx: RuleContext) -> Iterator[Hit]:
    into, out = _neighbours(ctx)
    model = ctx.model
    max_links = ctx.threshold("qual.god_connections", 15)
    max_kinds = ctx.threshold("qual.god_data_kinds", 5)
    for cid, c in model.components.items():
        if c.type not in COMPUTE_TYPES:
            continue
        links = into[cid] | out[cid]
        kinds = set(c.data)
        if len(links) >= max_links:
            yield Hit(
                ("components", cid),
                f"'{cid}' is connected to {len(links)} components (limit {max_links:g}); split it by responsibility",
            )
        elif len(kinds) >= max_kinds:
            yield Hit(
                ("components", cid, "data"),
                f"'{cid}' handles {len(kinds)} kinds of data ({', '.join(sorted(k.value for k in kinds))}); split it by the data it owns",
            )


_BEHIND_SERVICES = DATA_STORES | {ComponentType.QUEUE, ComponentType.STREAM}


@rule(
    "QUAL008",
    "Client talks to a data store directly",
    severity=Severity.WARNING,
    what="A client connecting straight to a database, cache, search index, warehouse, file share, secrets store, queue or stream.",
    why=(
        "Skipping the service layer puts the schema in the client's hands: every client version must be "
        "kept working against it, access rules can only be as fine as the store's, and the store's "
        "credentials ship with the client."
    ),
    example="""
components:
  app: {type: client}
  db: {type: database}
connections:
  - {from: app, to: db}
""",
    fix="Put a service (or API gateway) between the client and the store, and let it own the data's rules.",
    references=(
        "Layered architecture: Fowler, Patterns of Enterprise Application Architecture",
        "OWASP Top 10 2021 A01: Broken Access Control",
    ),
)
def layering(ctx: RuleContext) -> Iterator[Hit]:
    model = ctx.model
    for index, conn in enumerate(model.connections):
        source = model.components.get(conn.source)
        target = model.components.get(conn.target)
        if source is None or target is None or source.type is not ComponentType.CLIENT:
            continue
        if target.type in _BEHIND_SERVICES:
            yield Hit(
                ("connections", index),
                f"client '{conn.source}' talks to {target.type.value} '{conn.target}' directly; go through a service that owns it",
            )


_NEEDS_TECHNOLOGY = (
    COMPUTE_TYPES
    | DATA_STORES
    | {
        ComponentType.QUEUE,
        ComponentType.STREAM,
        ComponentType.LOAD_BALANCER,
        ComponentType.OBJECT_STORAGE,
    }
)


@rule(
    "QUAL009",
    "Component without a technology",
    severity=Severity.INFO,
    what="A service, worker, store, queue, stream or load balancer without `technology`.",
    why=(
        "Capacity, latency, cost and end-of-life checks look the technology up in the catalog; without one "
        "they skip the component, so the figures for every flow through it are guesses."
    ),
    example="""
components:
  orders-db: {type: database}   # postgresql? dynamodb?
""",
    fix='Name the product or runtime, e.g. `technology: postgresql` with `version: "16"`.',
    formats=("arch",),
    scope="component",
)
def no_technology(ctx: RuleContext) -> Iterator[Hit]:
    for cid, c in ctx.components():
        if c.type in _NEEDS_TECHNOLOGY and not c.technology:
            yield Hit(
                ("components", cid), f"'{cid}' names no technology, so capacity, cost and end-of-life checks skip it"
            )


@rule(
    "QUAL010",
    "Duplicate connection",
    severity=Severity.WARNING,
    what="Two connections with the same `from`, `to`, protocol and mode.",
    why="The model counts both: load and cost figures double for that edge, and an edit to one leaves the other stale.",
    example="""
connections:
  - {from: api, to: db, protocol: postgres}
  - {from: api, to: db, protocol: postgres}   # reported
""",
    fix="Remove one of them, or give them different protocols if they are different calls.",
    fixable=True,
)
def duplicate_connection(ctx: RuleContext) -> Iterator[Hit]:
    seen: dict[tuple[str, str, str | None, bool], int] = {}
    for index, conn in enumerate(ctx.model.connections):
        key = (conn.source, conn.target, conn.protocol.value if conn.protocol else None, conn.is_async)
        first = seen.setdefault(key, index)
        if first != index:
            yield Hit(
                ("connections", index),
                f"{conn.source} -> {conn.target} is written twice (also connection {first + 1})",
                fix=Fix("Remove this duplicate connection", "remove", ("connections", index), safe=False),
            )
