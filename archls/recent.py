"""Memos that keep what recent audits used.

The readers and analyses remember work by a block's text or by the identity of the objects it was
computed from, so an edit redoes only what it touched. In an editing session every keystroke makes
new keys and the old ones rarely come back, so a memo bounded by count alone fills to its bound
however small the open documents are, and the server's memory grows for as long as that takes.
Here an entry is also dropped once :data:`WINDOW` audits in a row have not used it: memory follows
what the open documents need, and a long session levels off within seconds of editing.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

#: Audits an entry may go unused before it is dropped. Every open document's audit touches all of
#: its own entries, so this only has to outlast the audits of the other documents in between.
WINDOW = 256

_clock = 0


def tick() -> None:
    """One more audit (the engine calls this when it starts one; audits run one at a time)."""
    global _clock
    _clock += 1


def audits() -> int:
    """Audits started so far."""
    return _clock


class Recent(Generic[K, V]):
    """A least-recently-used map of at most ``limit`` entries, none unused for ``window`` audits.
    Safe beside another thread: a loader may run outside the audits (a spec's reference is read)."""

    __slots__ = ("_items", "_lock", "limit", "window")

    def __init__(self, limit: int, window: int = WINDOW) -> None:
        self.limit = limit
        self.window = window
        #: key -> (the audit that last used it, value), least recently used first
        self._items: OrderedDict[K, tuple[int, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        return self.lookup(key)[1]

    def lookup(self, key: K) -> tuple[bool, V | None]:
        """(whether ``key`` is here, its value): for memos whose values may be None."""
        with self._lock:
            hit = self._items.get(key)
            if hit is None:
                return False, None
            self._items.move_to_end(key)
            if hit[0] != _clock:
                self._items[key] = (_clock, hit[1])
            return True, hit[1]

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    def __setitem__(self, key: K, value: V) -> None:
        with self._lock:
            items, oldest = self._items, _clock - self.window
            items[key] = (_clock, value)
            items.move_to_end(key)
            while len(items) > self.limit or next(iter(items.values()))[0] < oldest:
                items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
