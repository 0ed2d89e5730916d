"""Per-object memos for analyses of unchanged parts.

The architecture loader reuses the same component objects across edits when their text did not
change, so what depends only on a component (and the catalog) is remembered by the identity of
the objects it was computed from. Each entry keeps those objects alive, so an id is never
mistaken for a new object that happens to reuse it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from operator import is_
from typing import Any

from archls import tracking
from archls.recent import Recent

_LIMIT = 50_000


class IdentityMemo:
    def __init__(self) -> None:
        self._entries: Recent[Hashable, tuple[tuple[Any, ...], Any, Any]] = Recent(_LIMIT)

    def get(self, owners: tuple[Any, ...], extra: Hashable, compute: Callable[[], Any]) -> Any:
        if not tracking.reusing():
            return compute()
        key = (*map(id, owners), extra)
        hit = self._entries.get(key)
        # Every analysis asks once per component: the identity check stays in C.
        if hit is not None and all(map(is_, hit[0], owners)):
            # What the value was computed from still counts as read by whoever asks now.
            tracking.replay(hit[2])
            return hit[1]
        value, reads = tracking.computed(compute)
        self._entries[key] = (owners, value, reads)
        return value
