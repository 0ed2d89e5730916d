"""Connections a loader infers from what its files show, shared by compose, Kubernetes and Terraform.

A loader reports each sign of a call (a ``depends_on`` entry, an environment value naming another
service, a reference between resources) with the place that shows it; the signs of one pair of
components become one connection, in the order the pairs were first seen, carrying every place
as its evidence. The first value a sign gives for a setting (protocol, port, ...) wins; what no
sign gives comes from the target's technology.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from archls.evidence import Evidence
from archls.formats import _tech
from archls.model import Component, Connection


class Inferred:
    def __init__(self) -> None:
        #: (source, target) -> (evidence, settings), in the order the pairs were first seen
        self._pairs: dict[tuple[str, str], tuple[list[Evidence], dict[str, Any]]] = {}

    def add(self, source: str, target: str, evidence: Evidence, **settings: Any) -> None:
        """One sign that ``source`` calls ``target``; settings that are None say nothing."""
        if source == target:
            return
        places, known = self._pairs.setdefault((source, target), ([], {}))
        if evidence not in places:
            places.append(evidence)
        for key, value in settings.items():
            if value is not None:
                known.setdefault(key, value)

    def connections(
        self,
        components: dict[str, Component],
        *,
        technology_port: bool = True,
        sole_port: bool = False,
        reuse: dict[tuple[str, str], tuple[dict[str, Any], list[Evidence], Connection]] | None = None,
    ) -> list[Connection]:
        """The connections between ``components``, each with its evidence on ``_evidence``.

        Without a port from any sign, ``technology_port`` takes the target technology's usual port
        and ``sole_port`` the one port the target listens on. ``reuse`` keeps the connections made
        by the last call: one made from the same settings and evidence is handed out again (an edit
        elsewhere in a large file then neither validates nor changes it), and it is updated to this
        call's connections."""
        out: list[Connection] = []
        made: dict[tuple[str, str], tuple[dict[str, Any], list[Evidence], Connection]] = {}
        for (source, target), (places, known) in self._pairs.items():
            if source not in components or target not in components:
                continue
            tech = _tech.lookup(components[target].technology)
            data: dict[str, Any] = {"from": source, "to": target}
            protocol = known.get("protocol") or (tech.protocol if tech else None)
            if protocol is not None:
                data["protocol"] = protocol
            port = known.get("port") or (tech.port if tech and technology_port else None)
            if port is None and sole_port and len(components[target].ports) == 1:
                port = components[target].ports[0]
            if isinstance(port, int) and 0 < port < 65536:
                data["port"] = port
            if known.get("mode") is not None:
                data["mode"] = known["mode"]
            if known.get("required") is False:
                data["required"] = False
            if known.get("tls"):
                data["tls"] = True
            earlier = reuse.get((source, target)) if reuse is not None else None
            if earlier is not None and earlier[0] == data and earlier[1] == places:
                connection = earlier[2]
            else:
                try:
                    connection = Connection.model_validate(data)
                except ValidationError:
                    continue
                connection._evidence = places
            made[(source, target)] = (data, places, connection)
            out.append(connection)
        if reuse is not None:
            reuse.clear()
            reuse.update(made)
        return out
