"""Structural problems of the connection graph, found as soon as the file loads."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

from archls.findings import Severity
from archls.model import Connection
from archls.rules._common import facts
from archls.rules.registry import Fix, Hit, RuleContext, rule


def blocking_cycles(ctx: RuleContext) -> list[list[int]]:
    """One cycle of blocking calls (as connection indices) per strongly connected knot.

    Tarjan's algorithm without recursion over the blocking calls, then a walk inside each knot:
    linear in the size of the graph, and computed again only when the graph's structure changes.
    """
    return ctx.graph.structural("rules.blocking_cycles", lambda: list(_knots(facts(ctx).blocking_out)))


def _knots(out: dict[str, list[tuple[int, Connection]]]) -> Iterator[list[int]]:
    edge: dict[tuple[str, str], int] = {}
    successors: dict[str, list[str]] = {}
    for source, calls in out.items():
        for index, conn in calls:
            pair = (source, conn.target)
            if pair not in edge:
                edge[pair] = index
                successors.setdefault(source, []).append(conn.target)
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    for root in successors:
        if root in order:
            continue
        order[root] = low[root] = len(order)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(successors.get(root, ())))]
        while work:
            node, pending = work[-1]
            for nxt in pending:
                if nxt not in order:
                    order[nxt] = low[nxt] = len(order)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(successors.get(nxt, ()))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], order[nxt])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == order[node]:
                    knot = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        knot.append(member)
                        if member == node:
                            break
                    if len(knot) > 1:
                        yield _cycle_in(set(knot), successors, edge)


def _cycle_in(knot: set[str], successors: dict[str, list[str]], edge: dict[tuple[str, str], int]) -> list[int]:
    """A cycle inside a strongly connected knot: from its smallest member, follow calls that stay in
    the knot until a member repeats (every member has such a call, so the walk cannot get stuck)."""
    path = [min(knot)]
    position = {path[0]: 0}
    while True:
        nxt = next(n for n in successors[path[-1]] if n in knot)
        if nxt in position:
            nodes = [*path[position[nxt] :], nxt]
            return [edge[pair] for pair in pairwise(nodes)]
        position[nxt] = len(path)
        path.append(nxt)


@rule(
    "QUAL001",
    "Cycle of synchronous required calls",
    severity=Severity.ERROR,
    what="Components that call each other synchronously, with every call required, in a loop.",
    why=(
        "A request can wait on itself: one slow component stalls every member of the loop, timeouts "
        "compound, and none of them can be deployed or recover first. It is also how retry storms start."
    ),
    example="""
connections:
  - {from: orders, to: billing}
  - {from: billing, to: orders}   # orders waits for billing, which waits for orders
""",
    fix="Make one edge asynchronous (`mode: async`, through a queue) or optional (`required: false` with a fallback).",
    references=("Release It! (Nygard), integration points and cascading failures",),
)
def sync_cycle(ctx: RuleContext) -> Iterator[Hit]:
    model = ctx.model
    for cycle in blocking_cycles(ctx):
        # Report on the edge written last: it is the one that closed the loop when the file grew.
        last = cycle.index(max(cycle))
        cycle = cycle[last + 1 :] + cycle[: last + 1]
        names = [model.connections[i].source for i in cycle]
        loop = " -> ".join([*names, names[0]])
        closing = cycle[-1]
        yield Hit(
            ("connections", closing),
            f"synchronous required calls form a cycle: {loop}",
            fix=Fix(
                f"Make {model.connections[closing].source} -> {model.connections[closing].target} asynchronous",
                "set",
                ("connections", closing),
                value="async",
                key="mode",
                safe=False,
            ),
        )


@rule(
    "QUAL002",
    "Component nothing reaches",
    severity=Severity.WARNING,
    what=(
        "A component with no chain of connections (in either direction) to an entry point: a client, "
        "a CDN, DNS, a WAF, a scheduler, or any public component."
    ),
    why="It receives no traffic in this model, so it is either dead weight or a connection is missing.",
    example="""
components:
  web: {type: client}
  api: {type: service}
  legacy: {type: service}    # nothing connects to it
connections:
  - {from: web, to: api}
""",
    fix="Add the connection that reaches it, or remove the component.",
    formats=("arch",),
)
def unreachable(ctx: RuleContext) -> Iterator[Hit]:
    graph = ctx.graph
    if not graph.entry_points:
        return
    reachable = graph.reachable
    for cid in ctx.model.components:
        if cid not in reachable:
            yield Hit(("components", cid), f"nothing reaches '{cid}' from an entry point")


@rule(
    "QUAL003",
    "Connection to itself",
    severity=Severity.WARNING,
    what="A connection whose `from` and `to` are the same component.",
    why="Calls inside a component are not architecture; in the graph they read as a cycle and distort load figures.",
    example="connections:\n  - {from: api, to: api}",
    fix="Remove the connection, or point it at the component it was meant for.",
    fixable=True,
)
def self_connection(ctx: RuleContext) -> Iterator[Hit]:
    for index, connection in enumerate(ctx.model.connections):
        if connection.source == connection.target:
            yield Hit(
                ("connections", index),
                f"'{connection.source}' is connected to itself",
                fix=Fix("Remove this connection", "remove", ("connections", index)),
            )
