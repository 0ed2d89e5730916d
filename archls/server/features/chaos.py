"""``archls.chaos``: fail components, groups or zones of an open document and get the cascade.

Arguments: the document URI, then a list of component or group ids and a list of zones; or one
object ``{"uri", "fail", "zones", "each"}``. The answer is the JSON of ``archls chaos --format json``
(with ``each: true``, the blast-radius rows of ``--each``).
"""

from __future__ import annotations

from typing import Any

from pygls.exceptions import JsonRpcInvalidParams

from archls.server import views
from archls.server.app import ArchServer


def _names(value: Any, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise JsonRpcInvalidParams(f"archls.chaos: {what} must be a list of names")


def chaos_command(ls: ArchServer, args: tuple[Any, ...]) -> dict[str, Any]:
    from archls.analysis import chaos

    if len(args) == 1 and isinstance(args[0], dict):
        spec = args[0]
        uri, fail, zones, each = spec.get("uri"), spec.get("fail"), spec.get("zones"), spec.get("each")
    else:
        uri, fail, zones, each = [*args, None, None, None, None][:4]
    if not isinstance(uri, str) or uri not in ls.workspace.text_documents:
        raise JsonRpcInvalidParams(f"archls.chaos: {uri!r} is not an open document")
    analysis = views.fresh(ls, uri)
    if analysis is None or analysis.model is None:
        raise JsonRpcInvalidParams(f"archls.chaos: {uri} has no architecture to fail (see its diagnostics)")
    model = analysis.model
    if each:
        return {"name": model.name, "each": [b.to_json() for b in chaos.each(model, analysis.config, analysis.graph)]}
    failing, lost = _names(fail, "fail"), _names(zones, "zones")
    if not failing and not lost:
        raise JsonRpcInvalidParams("archls.chaos: name a component, group or zone to fail")
    try:
        result = chaos.simulate(model, analysis.config, failing, lost, analysis.graph)
    except chaos.ChaosError as exc:
        raise JsonRpcInvalidParams(f"archls.chaos: {exc}") from exc
    return {"name": model.name, **result.to_json()}


def register(server: ArchServer) -> None:
    @server.command("archls.chaos")
    def run(ls: ArchServer, *args: Any) -> dict[str, Any]:
        return chaos_command(ls, args)
