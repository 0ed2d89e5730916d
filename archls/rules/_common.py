"""Facts several rules need, computed once per audit in one pass over the model (O(n + e)).

Rules read :func:`facts` instead of walking the graph themselves, so forty rules on a
thousand components stay a few milliseconds.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from archls.findings import ModelPath
from archls.model import (
    SENSITIVE_DATA,
    STATEFUL_TYPES,
    TLS_FORM,
    ComponentType,
    Connection,
    DataKind,
    Framework,
)
from archls.rules.registry import Fix

if TYPE_CHECKING:
    from archls.rules.registry import RuleContext

#: Where data lives and is read back: databases and their kin (not queues, which pass data on).
DATA_STORES = frozenset(
    {
        ComponentType.DATABASE,
        ComponentType.CACHE,
        ComponentType.SEARCH,
        ComponentType.DATA_WAREHOUSE,
        ComponentType.FILE_STORAGE,
        ComponentType.SECRETS,
    }
)
#: Components that pass requests on without running the team's code.
PASS_THROUGH = frozenset({ComponentType.LOAD_BALANCER, ComponentType.WAF, ComponentType.CDN, ComponentType.DNS})
#: Components outside the system: what they do is not the architecture's to change.
OUTSIDE = frozenset({ComponentType.CLIENT, ComponentType.EXTERNAL})
#: Entry points where the team's code first handles an internet request.
ENTRY_COMPUTE = frozenset(
    {ComponentType.API_GATEWAY, ComponentType.SERVICE, ComponentType.FUNCTION, ComponentType.WORKER}
)
#: Data whose leak is worst: reported as errors rather than warnings.
CRITICAL_DATA = frozenset({DataKind.CARD, DataKind.PHI, DataKind.CREDENTIALS, DataKind.SECRETS})
PERSONAL_DATA = frozenset({DataKind.PII, DataKind.PHI})
#: Components that keep what is sent to them: stores, and log and metric stores.
RETAINING = STATEFUL_TYPES | {ComponentType.LOGGING, ComponentType.MONITORING}


@dataclass
class Facts:
    #: Non-client components the internet reaches: ``public: true`` or in a public group.
    public_side: set[str] = field(default_factory=set)
    #: Component ids the internet reaches through nothing but load balancers, WAFs, CDNs and DNS,
    #: mapped to the pass-through components in front of them (empty when public itself).
    exposed: dict[str, list[str]] = field(default_factory=dict)
    #: Data kinds each retaining component holds: its own ``data`` and what connections bring in.
    stored: dict[str, set[DataKind]] = field(default_factory=dict)
    #: Synchronous, required calls between different components, by caller and by callee.
    blocking_out: dict[str, list[tuple[int, Connection]]] = field(default_factory=dict)
    blocking_in: dict[str, list[tuple[int, Connection]]] = field(default_factory=dict)
    #: Components a request from an entry point waits on (entry points included).
    on_request_path: set[str] = field(default_factory=set)
    #: Components holding sensitive data, and every component from which a chain of calls reaches one
    #: (mapped to the holder it reaches).
    reaches_sensitive: dict[str, str] = field(default_factory=dict)


def facts(ctx: RuleContext) -> Facts:
    # The facts hold connections: taken over from the audit before an edit only when none changed.
    return ctx.cached(
        "rules.facts",
        lambda: _compute(ctx),
        carry=lambda old: old if ctx.earlier is not None and not ctx.earlier.parts.connections else None,
    )


def _compute(ctx: RuleContext) -> Facts:
    model = ctx.model
    components = model.components
    out = Facts()
    public_groups = [g for g in model.groups.values() if g.public]
    for cid, c in components.items():
        if c.type in OUTSIDE:
            continue
        if c.public:
            out.public_side.add(cid)
    for group in public_groups:
        for member in group.members:
            c = components.get(member)
            if c is not None and c.type not in OUTSIDE:
                out.public_side.add(member)

    for cid, c in components.items():
        if c.type in RETAINING:
            out.stored[cid] = set(c.data)
    for index, conn in enumerate(model.connections):
        if conn.target in out.stored and conn.data and conn.source in components:
            out.stored[conn.target].update(conn.data)
        if conn.source == conn.target or conn.is_async or not conn.required:
            continue
        if conn.source not in components or conn.target not in components:
            continue
        out.blocking_out.setdefault(conn.source, []).append((index, conn))
        out.blocking_in.setdefault(conn.target, []).append((index, conn))

    # What the internet reaches: the public side, and what pass-through components forward to.
    queue: deque[str] = deque()
    for cid in out.public_side:
        out.exposed[cid] = []
        queue.append(cid)
    while queue:
        cid = queue.popleft()
        c = components[cid]
        if c.type not in PASS_THROUGH:
            continue
        for target in _callees(ctx, cid):
            if target not in out.exposed and components[target].type not in OUTSIDE:
                out.exposed[target] = [*out.exposed[cid], cid]
                queue.append(target)

    # Request paths: from entry points (clients, public components, schedulers) along blocking calls.
    entries = [cid for cid, c in components.items() if c.type in OUTSIDE or cid in out.public_side]
    entries += [cid for cid, c in components.items() if c.type is ComponentType.SCHEDULER]
    seen = set(entries)
    queue = deque(entries)
    while queue:
        cid = queue.popleft()
        for _, conn in out.blocking_out.get(cid, ()):
            if conn.target not in seen:
                seen.add(conn.target)
                queue.append(conn.target)
    out.on_request_path = {cid for cid in seen if components[cid].type is not ComponentType.CLIENT}

    # Who can get at sensitive data: one walk backwards from every component that holds some.
    callers: dict[str, list[str]] = {}
    for conn in model.connections:
        if conn.source in components and conn.target in components and conn.source != conn.target:
            callers.setdefault(conn.target, []).append(conn.source)
    for cid, c in components.items():
        if c.type not in OUTSIDE and (
            SENSITIVE_DATA.intersection(c.data) or SENSITIVE_DATA.intersection(out.stored.get(cid, ()))
        ):
            out.reaches_sensitive[cid] = cid
    queue = deque(out.reaches_sensitive)
    while queue:
        cid = queue.popleft()
        for source in callers.get(cid, ()):
            if source not in out.reaches_sensitive and components[source].type not in OUTSIDE:
                out.reaches_sensitive[source] = out.reaches_sensitive[cid]
                queue.append(source)
    return out


def timed_calls(ctx: RuleContext) -> list[tuple[int, Connection]]:
    """The synchronous connections that state a timeout, with their indices, in the file's order: the
    rules about timeouts walk these instead of every connection."""
    return ctx.cached(
        "rules.timed_calls",
        lambda: [(i, c) for i, c in enumerate(ctx.model.connections) if c.timeout_ms is not None and not c.is_async],
        # holds connections: taken over only when none changed
        carry=lambda old: old if ctx.earlier is not None and not ctx.earlier.parts.connections else None,
    )


@dataclass
class FlowRates:
    #: Sum of the ``rps`` of the flows whose path visits each component.
    flow_rps: dict[str, float] = field(default_factory=dict)
    #: The same, for flows that read (their name or description does not say they write).
    read_rps: dict[str, float] = field(default_factory=dict)


def flow_rates(ctx: RuleContext) -> FlowRates:
    """The flows' rates per component: apart from :func:`facts`, so that an edit to a flow's rate leaves
    the facts (kept from the audit before it) as they were."""

    def compute() -> FlowRates:
        out = FlowRates()
        for fid, flow in ctx.model.flows.items():
            if flow.rps:
                reads = not writes(fid, flow.description)
                for step in dict.fromkeys(flow.path):
                    out.flow_rps[step] = out.flow_rps.get(step, 0.0) + flow.rps
                    if reads:
                        out.read_rps[step] = out.read_rps.get(step, 0.0) + flow.rps
        return out

    return ctx.cached("rules.flow_rates", compute, carry=lambda old: old)  # ids and numbers only


def blocking_order(ctx: RuleContext) -> list[str]:
    """The components in an order where every caller comes before what it calls synchronously (Kahn's
    algorithm over the blocking calls). Members of cycles and what only they reach are left out (QUAL001
    reports the cycles). Kept per graph structure."""

    def compute() -> list[str]:
        out = facts(ctx).blocking_out
        waiting = dict.fromkeys(ctx.model.components, 0)
        for calls in out.values():
            for _, conn in calls:
                waiting[conn.target] += 1
        queue = deque(cid for cid, n in waiting.items() if n == 0)
        order = []
        while queue:
            cid = queue.popleft()
            order.append(cid)
            for _, conn in out.get(cid, ()):
                waiting[conn.target] -= 1
                if waiting[conn.target] == 0:
                    queue.append(conn.target)
        return order

    return ctx.graph.structural("rules.blocking_order", compute)


def _callees(ctx: RuleContext, cid: str) -> list[str]:
    components = ctx.model.components
    return [c.target for _, c in ctx.graph.outgoing(cid) if c.target in components and c.target != cid]


_WRITE_WORDS = re.compile(
    r"(^|[\s_.-])(send|sends|post|posts|write|writes|create|creates|upload|uploads|update|updates|delete|deletes|"
    r"submit|submits|ingest|ingests|record|records|publish|publishes|insert|save|saves|place|places|pay|pays|"
    r"checkout|book|books|sign-?up|register|registers|report|reports|track|tracks|log|logs)($|[\s_.-])",
    re.IGNORECASE,
)


def writes(flow_id: str, description: str | None) -> bool:
    """Whether a flow's id or description says it writes (``send-message``, ``upload-file``)."""
    return bool(_WRITE_WORDS.search(flow_id) or (description and _WRITE_WORDS.search(description)))


def frameworks(ctx: RuleContext) -> set[Framework]:
    return set(ctx.model.requirements.compliance)


def sensitive(kinds: set[DataKind] | list[DataKind]) -> list[DataKind]:
    """The sensitive kinds among ``kinds``, in a stable order."""
    return [k for k in DataKind if k in kinds and k in SENSITIVE_DATA]


def kinds_text(kinds: list[DataKind] | set[DataKind]) -> str:
    ordered = [k.value for k in DataKind if k in kinds]
    if len(ordered) <= 1:
        return "".join(ordered)
    return ", ".join(ordered[:-1]) + " and " + ordered[-1]


def names(ids: list[str] | set[str], limit: int = 4) -> str:
    """'a', 'b' and 3 more."""
    ordered = sorted(ids) if isinstance(ids, set) else list(ids)
    quoted = [f"'{i}'" for i in ordered[:limit]]
    if len(ordered) > limit:
        return ", ".join(quoted) + f" and {len(ordered) - limit} more"
    if len(quoted) <= 1:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]


def carried(ctx: RuleContext, conn: Connection) -> set[DataKind]:
    """What a connection carries: its own ``data``, or else what the store it reads from or writes to holds."""
    if conn.data:
        return set(conn.data)
    return facts(ctx).stored.get(conn.target, set())


def plaintext(ctx: RuleContext) -> Iterator[tuple[int, Connection, set[DataKind]]]:
    """Each connection between two of the file's components without TLS, with what it carries."""
    components = ctx.model.components
    for index, conn in enumerate(ctx.model.connections):
        if not conn.encrypted and conn.source in components and conn.target in components:
            yield index, conn, carried(ctx, conn)


def tls_fix(index: int, conn: Connection) -> Fix:
    """Switch a connection to its TLS form (``http`` -> ``https``), or add ``tls: true``."""
    if conn.protocol in TLS_FORM:
        secure = TLS_FORM[conn.protocol]
        return Fix(
            f"Use {secure.value} instead of {conn.protocol.value}",
            "set",
            ("connections", index),
            value=secure.value,
            key="protocol",
        )
    return Fix("Encrypt this connection (tls: true)", "set", ("connections", index), value=True, key="tls")


def container_flag(ctx: RuleContext, flag: str, risky: bool = True) -> Iterator[tuple[str, ModelPath]]:
    """Each component whose ``container.<flag>`` is ``risky`` (not merely unset), with the setting's path."""
    for cid, c in ctx.model.components.items():
        if c.container is not None and getattr(c.container, flag) is risky:
            yield cid, ("components", cid, "container", flag)


def said(ctx: RuleContext, setting: str) -> str:
    """`` (setting)`` quoting an architecture file's own key, or nothing for the other formats, whose
    files say it in their own words (the finding points at them)."""
    return f" ({setting})" if ctx.format == "arch" else ""
