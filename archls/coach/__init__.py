"""The architecture coach: guided challenges whose stages are acceptance criteria."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archls.model import Criterion


def challenge_hint(challenge: str, stage: int, criterion: Criterion, level: int) -> str | None:
    """The challenge's own hint for an unmet criterion at ``level`` (1-3); None to use the general one."""
    return None
