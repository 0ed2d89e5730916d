"""LSP feature families, one module each with a ``register(server)`` function.

``register_all`` imports every module of this package, so adding a feature means adding a
module. ``lifecycle`` goes first because it owns the initialize handshake.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archls.server.app import ArchServer


def register_all(server: ArchServer) -> None:
    names = sorted(m.name for m in pkgutil.iter_modules(__path__))
    names.sort(key=lambda name: name != "lifecycle")
    for name in names:
        module = importlib.import_module(f"{__name__}.{name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(server)
