"""Offline suggestions of what comes next in an architecture file: after a payments service, its
database with encryption, an idempotency store and the payment provider; in the connections, the
calls the components written so far still lack.

Suggestions come from the same pattern knowledge the offline generator uses
(:mod:`archls.assistant.patterns`): a component is recognised by its id, technology or
description, and what its kind of service needs that the file does not have yet is proposed, as
YAML in the file's own indentation. Pure and fast: the text is read with the YAML loader, no audit.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import yaml

from archls.assistant.backend import Suggestion
from archls.assistant.offline import _PROTOCOL, current_version
from archls.assistant.patterns import DOMAINS, External, Service, Store

if TYPE_CHECKING:
    from archls.model import Architecture

_SECTION = re.compile(r"^(?P<name>[A-Za-z_][\w-]*):\s*(?:#.*)?$")
_ITEM_KEY = re.compile(r"^(?P<indent>\s+)(?P<key>[A-Za-z0-9_.-]+):")


def section_at(lines: list[str], line: int) -> str | None:
    """The top-level section the line belongs to (``components``, ``connections``...)."""
    for n in range(min(line, len(lines) - 1), -1, -1):
        match = _SECTION.match(lines[n])
        if match:
            return match.group("name")
        if lines[n] and not lines[n][0].isspace() and not lines[n].startswith("#"):
            return None
    return None


def _indent(lines: list[str], section: str, default: str = "  ") -> str:
    inside = False
    for text in lines:
        match = _SECTION.match(text)
        if match:
            inside = match.group("name") == section
            continue
        if inside and text.strip() and not text.lstrip().startswith("#"):
            return text[: len(text) - len(text.lstrip())] or default
    return default


def _model(text: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        # Being typed: read what comes before the cursor's unfinished line.
        try:
            data = yaml.safe_load(
                "\n".join(line for line in text.split("\n") if line.strip().endswith(":") or ":" in line)
            )
        except yaml.YAMLError:
            return {}
    return data if isinstance(data, dict) else {}


def _service_for(cid: str, comp: dict[str, Any]) -> tuple[Service, dict[str, Store], dict[str, External]] | None:
    """The pattern service a component is, by its id first, then its words."""
    words = " ".join(str(comp.get(k) or "") for k in ("description", "technology")) + " " + cid.replace("-", " ")
    return _service_match(cid, words)


@lru_cache(maxsize=4096)
def _service_match(cid: str, words: str) -> tuple[Service, dict[str, Store], dict[str, External]] | None:
    best: tuple[int, Service, Any] | None = None
    for domain in DOMAINS:
        for service in domain.services:
            score = 0
            if cid == service.id or cid.startswith(service.id) or service.id.startswith(cid):
                score = 3
            elif domain.words.search(words) and service.on_path:
                score = 1
            if score and (best is None or score > best[0]):
                best = (score, service, domain)
    if best is None:
        return None
    _, service, domain = best
    return service, {s.id: s for s in domain.stores}, {e.id: e for e in domain.externals}


def _block(cid: str, body: dict[str, Any], indent: str) -> str:
    dumped = yaml.safe_dump({cid: body}, sort_keys=False, default_flow_style=False, width=100)
    return "".join(indent + line + "\n" for line in dumped.splitlines())


@lru_cache(maxsize=256)
def _store_block(cid: str, store: Store, zones: tuple[str, ...] | None, indent: str) -> str:
    return _block(cid, _store_body(store, list(zones) if zones else None), indent)


def _store_body(store: Store, zones: list[str] | None) -> dict[str, Any]:
    body: dict[str, Any] = {"type": store.type, "technology": store.technology}
    version = current_version(store.technology)
    if version:
        body["version"] = version
    body["description"] = store.description
    if store.technology not in {"s3", "sqs", "dynamodb", "redshift"}:
        body["replicas"] = 3
        if zones:
            body["zones"] = zones
    if store.data:
        body["data"] = list(store.data)
    body["encryption_at_rest"] = True
    if store.type in {"database", "object-storage", "search", "stream"}:
        body["backups"] = {"retention_days": 35, "point_in_time": True}
    return body


def _connection(source: str, target: str, protocol: str, **extra: Any) -> str:
    item = {"from": source, "to": target, "protocol": protocol, **extra}
    return yaml.safe_dump(item, default_flow_style=True, sort_keys=False, width=10_000).strip()


_last: tuple[Architecture, dict[str, Any]] | None = None
_last_lock = threading.Lock()


def from_model(model: Architecture) -> dict[str, Any]:
    """The parts of an already loaded model the suggestions read (no YAML parsing needed).

    Kept for the last model: completion asks on every keystroke, and the model changes only when
    an audit ends. The result must not be changed by the caller."""
    global _last
    with _last_lock:
        if _last is not None and _last[0] is model:
            return _last[1]
    data = _read_model(model)
    with _last_lock:
        _last = (model, data)
    return data


def _read_model(model: Architecture) -> dict[str, Any]:
    components = {
        cid: {
            "type": str(c.type),
            "technology": c.technology,
            "description": c.description,
            "zones": list(c.zones),
        }
        for cid, c in model.components.items()
    }
    connections = [{"from": c.source, "to": c.target} for c in model.connections]
    return {"components": components, "connections": connections}


def offline_suggestions(
    text: str, line: int, data: dict[str, Any] | None = None, *, lines: list[str] | None = None
) -> list[Suggestion]:
    """What to insert after ``line`` (0-based), most useful first; empty when nothing fits.
    ``data``: the file's components and connections when already loaded (see :func:`from_model`);
    ``lines``: the text already split, given instead of ``text``."""
    if lines is None:
        lines = text.split("\n")
    elif data is None:
        text = "\n".join(lines)
    section = section_at(lines, line)
    if section not in {"components", "connections"}:
        return []
    if data is None:
        data = _model(text)
    components = data.get("components") if isinstance(data.get("components"), dict) else {}
    components = {str(k): v for k, v in components.items() if isinstance(v, dict)}
    connections = [c for c in data.get("connections") or [] if isinstance(c, dict)]
    linked = {(str(c.get("from")), str(c.get("to"))) for c in connections}
    if section == "components":
        return _next_components(lines, line, components)
    if section == "connections":
        return _next_connections(lines, components, linked)
    return []


def suggestions_at(lines: list[str], line: int, model: Architecture | None) -> list[Suggestion]:
    """What to write on ``line``, the line being started (left out: it is not part of the file yet),
    read from the last audit's ``model`` when there is one, else from the other lines."""
    data = from_model(model) if model is not None else None
    return offline_suggestions("", max(0, line - 1), data, lines=lines[:line] + lines[line + 1 :])


def _anchor(lines: list[str], line: int, components: dict[str, Any]) -> str | None:
    """The component being written at or above the cursor."""
    for n in range(min(line, len(lines) - 1), -1, -1):
        match = _ITEM_KEY.match(lines[n])
        if match and len(match.group("indent")) <= 2 and match.group("key") in components:
            return match.group("key")
        if _SECTION.match(lines[n]):
            break
    return None


def _next_components(lines: list[str], line: int, components: dict[str, Any]) -> list[Suggestion]:
    indent = _indent(lines, "components")
    order = [_anchor(lines, line, components), *list(reversed(components))]
    out: list[Suggestion] = []
    for cid in dict.fromkeys(c for c in order if c):
        comp = components[cid]
        found = _service_for(cid, comp)
        if found is None:
            continue
        service, stores, externals = found
        zones = comp.get("zones") if isinstance(comp.get("zones"), list) else None
        for use in service.uses:
            store = stores.get(use)
            if store is None or use in components or any(s.text.startswith(f"{indent}{use}:") for s in out):
                continue
            block = _store_block(use, store, tuple(zones) if zones else None, indent)
            out.append(Suggestion(block, f"{use}: {store.description}"))
        for call in service.calls:
            ext = externals.get(call)
            if ext is None or call in components:
                continue
            body: dict[str, Any] = {"type": "external"}
            if ext.technology:
                body["technology"] = ext.technology
            body["description"] = ext.description
            out.append(Suggestion(_block(call, body, indent), f"{call}: {ext.description}"))
        if out:
            break
    return out


def _next_connections(lines: list[str], components: dict[str, Any], linked: set[tuple[str, str]]) -> list[Suggestion]:
    indent = _indent(lines, "connections")
    if not indent.endswith("- "):
        indent = indent.rstrip("- ") + "- " if indent.strip() == "-" else indent + "- "
    out: list[Suggestion] = []
    for cid, comp in components.items():
        if comp.get("type") not in {"service", "worker", "api-gateway", "function"}:
            continue
        found = _service_for(cid, comp)
        if found is None:
            continue
        service, stores, _externals = found
        for use in service.uses:
            store = stores.get(use)
            target = use if use in components else None
            if store is None or target is None or (cid, target) in linked:
                continue
            extra: dict[str, Any] = {"tls": True}
            if store.type in {"stream", "queue"}:
                extra["mode"] = "async"
            else:
                extra["timeout_ms"] = 200
            text = indent + _connection(cid, target, _PROTOCOL.get(store.technology, "tcp"), **extra) + "\n"
            out.append(Suggestion(text, f"{cid} -> {target}"))
        for call in service.calls:
            if call in components and (cid, call) not in linked:
                text = indent + _connection(
                    cid, call, "https", tls=True, timeout_ms=1000, retries=2, circuit_breaker=True
                )
                out.append(Suggestion(text + "\n", f"{cid} -> {call}"))
    return out
