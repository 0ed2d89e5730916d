"""Technology names and versions for completion and hover, read from ``archls.catalog`` (each
figure with its source) into the few fields the editor shows."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any


@dataclass(frozen=True, slots=True)
class Version:
    name: str
    end_of_life: str | None = None  #: ISO date, when known
    note: str | None = None  #: e.g. "supported until 2026-11-12 (endoflife.date)"


@dataclass(frozen=True, slots=True)
class Technology:
    name: str
    types: tuple[str, ...]  #: component types it is used as, best fit first
    title: str = ""
    description: str = ""
    versions: tuple[Version, ...] = ()
    source: str | None = None


@cache
def technologies() -> tuple[Technology, ...]:
    """Every technology the catalog knows; none when it cannot be read (completion goes on without)."""
    return _from_catalog() or ()


def find(name: str | None) -> Technology | None:
    if not name:
        return None
    wanted = name.strip().lower()
    for tech in technologies():
        if tech.name == wanted:
            return tech
    return None


def for_type(component_type: str | None) -> list[Technology]:
    """Technologies, those that fit ``component_type`` first (best fit first), then the rest."""
    every = list(technologies())
    if not component_type:
        return sorted(every, key=lambda t: t.name)

    def rank(tech: Technology) -> tuple[int, str]:
        if component_type in tech.types:
            return (tech.types.index(component_type), tech.name)
        return (99, tech.name)

    return sorted(every, key=rank)


def _from_catalog() -> tuple[Technology, ...] | None:
    """Read the catalog's technologies, if the catalog package is present and readable."""
    import importlib

    try:
        catalog = importlib.import_module("archls.catalog")
    except ImportError:
        return None
    try:
        entries = _catalog_entries(catalog)
    except Exception:  # a catalog problem must not take completion down; the built-in list serves
        return None
    return tuple(entries) if entries else None


def _catalog_entries(catalog: Any) -> list[Technology]:
    load = getattr(catalog, "load", None)
    if callable(load):
        found = _from_loaded(load())
        if found:
            return found
    reader = getattr(catalog, "technologies", None)
    if not callable(reader):
        return []
    out: list[Technology] = []
    raw = reader()
    items = raw.items() if isinstance(raw, dict) else ((getattr(t, "name", None), t) for t in raw)
    for name, entry in items:
        if not name:
            continue
        out.append(_adapt(str(name), entry))
    return out


def _from_loaded(cat: Any) -> list[Technology]:
    """Technologies of a loaded catalog: ``cat.technologies`` by id, release cycles from ``cat.product``."""
    techs = getattr(cat, "technologies", None)
    if not isinstance(techs, dict):
        return []
    product_of = getattr(cat, "product", None)
    out = []
    for tid, tech in techs.items():
        product = product_of(getattr(tech, "eol_product", None) or tid) if callable(product_of) else None
        versions = []
        for cycle in getattr(product, "cycles", None) or ():
            eol = getattr(cycle, "eol", None)
            versions.append(
                Version(
                    str(cycle.cycle),
                    eol.isoformat() if hasattr(eol, "isoformat") else (str(eol) if eol else None),
                    "LTS" if getattr(cycle, "lts", False) else None,
                )
            )
        notes = []
        if getattr(tech, "managed", False):
            notes.append("A managed service.")
        if getattr(tech, "port", None):
            protocol = getattr(tech, "protocol", None)
            notes.append(f"Listens on port {tech.port}" + (f" ({protocol})." if protocol else "."))
        source = getattr(product, "source", None)
        out.append(
            Technology(
                str(tid),
                tuple(str(t) for t in getattr(tech, "types", None) or ()),
                str(getattr(tech, "name", None) or tid),
                " ".join(notes),
                tuple(versions),
                f"{source.title} <{source.url}>" if source is not None and hasattr(source, "url") else None,
            )
        )
    return out


def _get(entry: Any, name: str, default: Any = None) -> Any:
    if isinstance(entry, dict):
        return entry.get(name, default)
    return getattr(entry, name, default)


def _adapt(name: str, entry: Any) -> Technology:
    types = _get(entry, "types") or _get(entry, "component_types") or ()
    if isinstance(types, str):
        types = (types,)
    kind = _get(entry, "type")
    if kind and not types:
        types = (str(kind),)
    versions = []
    cycles = _get(entry, "versions") or _get(entry, "cycles") or ()
    if isinstance(cycles, dict):
        cycles = [{"name": k, **(v if isinstance(v, dict) else {"eol": v})} for k, v in cycles.items()]
    for cycle in cycles:
        if isinstance(cycle, str | int | float):
            versions.append(Version(str(cycle)))
            continue
        label = _get(cycle, "name") or _get(cycle, "cycle") or _get(cycle, "version")
        eol = _get(cycle, "end_of_life") or _get(cycle, "eol")
        if label is None:
            continue
        versions.append(Version(str(label), str(eol) if eol not in (None, False, True) else None))
    return Technology(
        name,
        tuple(str(t) for t in types),
        str(_get(entry, "title") or _get(entry, "label") or name),
        str(_get(entry, "description") or ""),
        tuple(versions),
        _get(entry, "source"),
    )
