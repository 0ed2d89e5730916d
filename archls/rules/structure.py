"""Structural problems of the connection graph, found as soon as the file loads."""

from __future__ import annotations

from collections.abc import Iterator

from archls.findings import Severity
from archls.rules.registry import Fix, Hit, RuleContext, rule


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
    for cycle in ctx.graph.blocking_cycles():
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
