"""A fixed list of examples from a strategy, for tests that cannot run inside ``@given`` (async
tests driving a server) and for scripts."""

from __future__ import annotations

from typing import TypeVar

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as seeded
from hypothesis import strategies as st

T = TypeVar("T")

#: Generation only, seeded by the caller: no example database, no deadline, no shrinking, no health
#: checks (hostile inputs are slow and large on purpose).
GENERATE_ONLY = settings(database=None, deadline=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck))


def drawn(strategy: st.SearchStrategy[T], count: int, *, seed: str | int = 0) -> list[T]:
    """``count`` examples of ``strategy``, the same ones on every run for the same ``seed``."""
    out: list[T] = []

    @seeded(seed if isinstance(seed, int) else int.from_bytes(seed.encode()[:8], "big"))
    @settings(GENERATE_ONLY, max_examples=count)
    @given(strategy)
    def collect(example: T) -> None:
        out.append(example)

    collect()
    return out[:count]
