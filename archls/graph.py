"""A graph view of the model and the structural queries rules and analyses share.

Nodes are component ids; an edge a->b exists when at least one connection goes from a to b,
and remembers the indices of those connections in ``model.connections``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from functools import cached_property
from typing import TYPE_CHECKING, Any

from archls.model import Architecture, ComponentType, Connection

if TYPE_CHECKING:
    import networkx as nx

#: Types where requests enter the system from outside.
ENTRY_TYPES = frozenset(
    {
        ComponentType.CLIENT,
        ComponentType.CDN,
        ComponentType.DNS,
        ComponentType.WAF,
        ComponentType.SCHEDULER,
    }
)


# Structural results (graphs, cycles, reachability, dependents) depend only on which components
# exist and how they are wired, which most edits do not change; they are kept per structure.
_structures: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
_STRUCTURES_SIZE = 8


def _shared(signature: tuple[Any, ...]) -> dict[str, Any]:
    from archls import tracking

    if not tracking.reusing():
        return {}
    memo = _structures.get(signature)
    if memo is None:
        memo = _structures[signature] = {}
        if len(_structures) > _STRUCTURES_SIZE:
            _structures.popitem(last=False)
    else:
        _structures.move_to_end(signature)
    return memo


class ArchGraph:
    def __init__(self, model: Architecture) -> None:
        self.model = model
        self._out: dict[str, list[int]] = {cid: [] for cid in model.components}
        self._in: dict[str, list[int]] = {cid: [] for cid in model.components}
        for index, connection in enumerate(model.connections):
            self._out.setdefault(connection.source, []).append(index)
            self._in.setdefault(connection.target, []).append(index)
        self.signature = (
            tuple((cid, c.type, c.public) for cid, c in model.components.items()),
            tuple((c.source, c.target, c.is_async, c.required) for c in model.connections),
        )
        self._memo = _shared(self.signature)

    def rebound(self, model: Architecture) -> ArchGraph:
        """The same graph over ``model``, an edit of this one with the same components and connections
        (ids, order, endpoints and everything in the signature): the adjacency is shared, not rebuilt."""
        out = ArchGraph.__new__(ArchGraph)
        out.model = model
        out._out, out._in = self._out, self._in
        out.signature = self.signature
        out._memo = _shared(self.signature)
        return out

    def structural(self, key: str, compute: Callable[[], Any]) -> Any:
        """A result that depends only on the graph's structure, computed once per structure.

        Only for results derived from component ids, types, ``public`` and the connections'
        endpoints, mode and ``required`` (the signature); anything else must not be memoised here.
        """
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    # --- adjacency -----------------------------------------------------------------------------

    def outgoing(self, cid: str) -> list[tuple[int, Connection]]:
        return [(i, self.model.connections[i]) for i in self._out.get(cid, ())]

    def incoming(self, cid: str) -> list[tuple[int, Connection]]:
        return [(i, self.model.connections[i]) for i in self._in.get(cid, ())]

    def callers(self, cid: str) -> set[str]:
        return {self.model.connections[i].source for i in self._in.get(cid, ())}

    def callees(self, cid: str) -> set[str]:
        return {self.model.connections[i].target for i in self._out.get(cid, ())}

    def between(self, source: str, target: str) -> list[tuple[int, Connection]]:
        return [(i, c) for i, c in self.outgoing(source) if c.target == target]

    def fan_in(self, cid: str) -> int:
        return len(self.callers(cid))

    def fan_out(self, cid: str) -> int:
        return len(self.callees(cid))

    # --- networkx views ------------------------------------------------------------------------

    @property
    def nx(self) -> nx.DiGraph:
        return self.structural("nx", lambda: self.subgraph(range(len(self.model.connections))))

    def subgraph(self, keep: Iterable[int]) -> nx.DiGraph:
        """A graph of only the connections whose indices are given."""
        import networkx as nx

        edges: dict[tuple[str, str], list[int]] = {}
        connections = self.model.connections
        for index in keep:
            c = connections[index]
            edges.setdefault((c.source, c.target), []).append(index)
        graph = nx.DiGraph()
        graph.add_nodes_from(self.model.components)
        graph.add_edges_from((a, b, {"indices": indices}) for (a, b), indices in edges.items())
        return graph

    @property
    def blocking(self) -> nx.DiGraph:
        """Synchronous, required calls between different components: the caller waits and fails with them."""
        return self.structural(
            "blocking",
            lambda: self.subgraph(
                i
                for i, c in enumerate(self.model.connections)
                if not c.is_async and c.required and c.source != c.target
            ),
        )

    # --- structure -----------------------------------------------------------------------------

    def blocking_cycles(self) -> list[list[int]]:
        """One cycle of blocking calls (as connection indices) per strongly connected knot."""
        return self.structural("blocking_cycles", self._blocking_cycles)

    def _blocking_cycles(self) -> list[list[int]]:
        import networkx as nx

        graph = self.blocking
        cycles = []
        for knot in nx.strongly_connected_components(graph):
            if len(knot) < 2:
                continue
            cycle = nx.find_cycle(graph.subgraph(knot), source=min(knot))
            cycles.append([min(graph[a][b]["indices"]) for a, b in cycle])
        return sorted(cycles)

    @cached_property
    def entry_points(self) -> list[str]:
        return [cid for cid, c in self.model.components.items() if c.public or c.type in ENTRY_TYPES]

    @property
    def reachable(self) -> set[str]:
        """Components linked by any chain of connections, in either direction, to an entry point."""
        return self.structural("reachable", self._reachable)

    def _reachable(self) -> set[str]:
        seen = set(self.entry_points)
        stack = list(seen)
        neighbours: dict[str, set[str]] = {cid: set() for cid in self.model.components}
        for c in self.model.connections:
            neighbours.setdefault(c.source, set()).add(c.target)
            neighbours.setdefault(c.target, set()).add(c.source)
        while stack:
            for nxt in neighbours.get(stack.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return seen

    def dependents(self) -> dict[str, int]:
        """For each component, how many components wait on it through chains of blocking calls."""
        return self.structural("dependents", self._dependents)

    def _dependents(self) -> dict[str, int]:
        import networkx as nx

        # Ancestor sets as bit masks over the condensation DAG: linear in the graph, not quadratic.
        graph = self.blocking
        dag = nx.condensation(graph)
        members = dag.graph["mapping"]
        bit = {cid: 1 << n for n, cid in enumerate(graph.nodes)}
        own = dict.fromkeys(dag.nodes, 0)
        for cid, node in members.items():
            own[node] |= bit[cid]
        above: dict[int, int] = {}
        for node in nx.topological_sort(dag):
            mask = 0
            for parent in dag.predecessors(node):
                mask |= above[parent] | own[parent]
            above[node] = mask
        # Members of the same knot wait on each other too.
        return {cid: (above[node] | (own[node] & ~bit[cid])).bit_count() for cid, node in members.items()}

    def downstream(self, cid: str, *, blocking_only: bool = False) -> set[str]:
        """Everything ``cid`` calls, directly or through others."""
        import networkx as nx

        graph = self.blocking if blocking_only else self.nx
        if cid not in graph:
            return set()
        return set(nx.descendants(graph, cid))

    def upstream(self, cid: str, *, blocking_only: bool = False) -> set[str]:
        """Everything that calls ``cid``, directly or through others: who fails when it fails."""
        import networkx as nx

        graph = self.blocking if blocking_only else self.nx
        if cid not in graph:
            return set()
        return set(nx.ancestors(graph, cid))

    def flow_hops(self, flow_id: str) -> list[tuple[str, str, list[int]]]:
        """The consecutive steps of a flow with the connections that carry each step."""
        flow = self.model.flows[flow_id]
        hops = []
        for a, b in zip(flow.path, flow.path[1:], strict=False):
            indices = [i for i, _ in self.between(a, b)] or [i for i, _ in self.between(b, a)]
            hops.append((a, b, indices))
        return hops

    @cached_property
    def groups_of(self) -> dict[str, list[str]]:
        """Group ids each component belongs to, directly or through a parent group."""
        groups = self.model.groups
        out: dict[str, list[str]] = {cid: [] for cid in self.model.components}
        for gid, group in groups.items():
            chain = [gid]
            parent = group.parent
            while parent is not None and parent in groups and parent not in chain:
                chain.append(parent)
                parent = groups[parent].parent
            for member in group.members:
                out.setdefault(member, []).extend(chain)
        return out
