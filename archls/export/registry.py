"""The export targets: each module of :mod:`archls.export.targets` registers one or more."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archls.export.context import ExportContext

#: A target's renderer: the architecture view -> relative POSIX path -> file content.
Renderer = Callable[["ExportContext"], dict[str, str]]

KINDS = ("infrastructure", "deploy", "monitoring", "ci", "data", "docs")


@dataclass(frozen=True)
class Target:
    name: str
    title: str
    kind: str
    description: str
    render: Renderer
    in_all: bool = True  #: exported by ``all`` (false for targets that need a tool archls does not ship)

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "title": self.title, "kind": self.kind, "description": self.description}


_targets: dict[str, Target] = {}


def target(
    name: str, title: str, *, kind: str, description: str, in_all: bool = True
) -> Callable[[Renderer], Renderer]:
    """Register the decorated function as the renderer of target ``name``."""
    if kind not in KINDS:
        raise ValueError(f"unknown target kind {kind!r}")

    def register(render: Renderer) -> Renderer:
        if name in _targets:
            raise ValueError(f"export target {name!r} registered twice")
        _targets[name] = Target(name, title, kind, description, render, in_all)
        return render

    return register


@cache
def _load() -> None:
    from archls.export import targets

    for module in sorted(m.name for m in pkgutil.iter_modules(targets.__path__)):
        importlib.import_module(f"{targets.__name__}.{module}")


def all_targets() -> list[Target]:
    _load()
    return sorted(_targets.values(), key=lambda t: (KINDS.index(t.kind), t.name))


def get(name: str) -> Target | None:
    _load()
    return _targets.get(name)
