"""Where two versions of a text differ, and the lines of the new one from those of the old.

An editor sends the whole text at every keystroke; the readers that keep what they made of the last
version (the block-wise YAML reading, the engine's lines) find the one stretch that changed and
redo only that.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Edit:
    """``old[start:old_end]`` became ``new[start:new_end]``."""

    start: int
    old_end: int
    new_end: int
    #: how far the text after the edit moved, in characters and in lines
    chars: int
    lines: int


def _common_prefix(a: str, b: str) -> int:
    # halving, so that the long equal stretches are compared in C
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[low:middle] == b[low:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _common_suffix(a: str, b: str, limit: int) -> int:
    low, high = 0, limit
    la, lb = len(a), len(b)
    while low < high:
        middle = (low + high + 1) // 2
        if a[la - middle : la - low] == b[lb - middle : lb - low]:
            low = middle
        else:
            high = middle - 1
    return low


_last: tuple[str, str, Edit] | None = None


def diff(old: str, new: str) -> Edit:
    """The one stretch where ``new`` differs from ``old`` (empty when they are equal)."""
    global _last
    last = _last
    if last is not None and last[0] is old and last[1] is new:
        return last[2]  # asked again by another reader of the same edit
    start = _common_prefix(old, new)
    suffix = _common_suffix(old, new, min(len(old), len(new)) - start)
    old_end, new_end = len(old) - suffix, len(new) - suffix
    lines = new.count("\n", start, new_end) - old.count("\n", start, old_end)
    edit = Edit(start, old_end, new_end, new_end - old_end, lines)
    _last = (old, new, edit)
    return edit


def lines_after(old: str, old_lines: list[str], new: str) -> list[str]:
    """``new.split("\\n")``, made from ``old_lines`` (which is ``old.split("\\n")``) and the changed lines."""
    edit = diff(old, new)
    first = old.count("\n", 0, edit.start)
    last = first + old.count("\n", edit.start, edit.old_end)
    start = old.rfind("\n", 0, edit.start) + 1
    end = new.find("\n", edit.new_end)
    middle = new[start : len(new) if end == -1 else end].split("\n")
    return [*old_lines[:first], *middle, *old_lines[last + 1 :]]
