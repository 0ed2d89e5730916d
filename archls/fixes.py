"""Fix intents -> text edits. Each format knows how to write a change in its own syntax; this
module finds the format's fixer and checks the result is a minimal edit, never a rewrite.

A format module provides ``fix_edits(text, loaded, fix) -> list[Edit]`` (raising
:class:`FixError` when the fix cannot be applied to this text).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from archls.findings import Edit, Range
from archls.rules.registry import Fix

if TYPE_CHECKING:
    from archls.engine import Analysis


class FixError(Exception):
    """The fix cannot be written into this file (its shape is unexpected); nothing is changed."""


def edits_for(analysis: Analysis, fix: Fix) -> list[Edit]:
    if fix.kind == "text":
        # Literal edits that need no format knowledge, e.g. removing an unused suppression comment.
        return [Edit(Range(*item[:4]), item[4]) for item in fix.value or []]
    if analysis.loaded is None or analysis.format is None:
        raise FixError("the file could not be read")
    fixer = _fixer(analysis.format)
    if fixer is None:
        raise FixError(f"no fixes for {analysis.format} files yet")
    return fixer(analysis.text, analysis.loaded, fix)


def _fixer(format_name: str):  # type: ignore[no-untyped-def]
    from archls.formats import formats

    for fmt in formats():
        if fmt.name == format_name:
            module = importlib.import_module(type(fmt).__module__)
            return getattr(module, "fix_edits", None)
    return None


def apply(text: str, edits: list[Edit]) -> str:
    """Apply non-overlapping edits to text (positions in code points)."""
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)

    def offset(line: int, col: int) -> int:
        if line >= len(lines):
            return len(text)
        return offsets[line] + min(col, len(lines[line]))

    out = text
    for e in sorted(edits, key=lambda e: (e.range.start_line, e.range.start_col), reverse=True):
        start = offset(e.range.start_line, e.range.start_col)
        end = offset(e.range.end_line, e.range.end_col)
        out = out[:start] + e.new_text + out[end:]
    return out
