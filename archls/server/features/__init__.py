"""LSP feature families, one module each with a ``register(server)`` function.

``register_all`` imports every module of this package, so adding a feature means adding a
module. ``lifecycle`` goes first because it owns the initialize handshake.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archls.server.app import ArchServer


def import_all() -> list[Any]:
    """Every feature module, ``lifecycle`` first."""
    names = sorted(m.name for m in pkgutil.iter_modules(__path__))
    names.sort(key=lambda name: name != "lifecycle")
    return [importlib.import_module(f"{__name__}.{name}") for name in names]


def register_all(server: ArchServer) -> None:
    for module in import_all():
        register = getattr(module, "register", None)
        if register is not None:
            register(server)
