"""Small questions about the text itself: the word at a position, a scalar without its quotes."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from archls.findings import Range

#: Characters of an id, a technology name or a rule code.
WORD = re.compile(r"[A-Za-z0-9_.\-/@+]+")
_ID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
#: Characters after which completion starts without being asked for (the server announces them at
#: start-up, before anything of completion itself is imported).
TRIGGERS = (":", " ", "-", "[", ",", "{")


def range_order(item: Any) -> tuple[int, int, int, int]:
    """Sort key putting things that have a ``range`` in Range's own order, as a plain tuple:
    Range's generated comparisons make sorting a large file's symbols several times slower."""
    r = item.range
    return (r.start_line, r.start_col, r.end_line, r.end_col)


def word_at(line: str, col: int, chars: frozenset[str] = _ID_CHARS) -> tuple[int, int]:
    """The span [start, end) of the word touching ``col`` (empty when there is none)."""
    # a column past the end (a client's position on a line the server splits differently) or
    # before the start touches no word inside the line
    col = min(max(col, 0), len(line))
    start = col
    while start > 0 and line[start - 1] in chars:
        start -= 1
    end = col
    while end < len(line) and line[end] in chars:
        end += 1
    return start, end


def slice_range(lines: list[str], r: Range) -> str:
    """The text a range covers."""
    if r.start_line >= len(lines):
        return ""
    if r.start_line == r.end_line:
        return lines[r.start_line][r.start_col : r.end_col]
    parts = [lines[r.start_line][r.start_col :]]
    parts += lines[r.start_line + 1 : r.end_line]
    if r.end_line < len(lines):
        parts.append(lines[r.end_line][: r.end_col])
    return "\n".join(parts)


def inner(lines: list[str], r: Range) -> Range:
    """A scalar's range without its quotes, so an edit keeps the author's quoting."""
    if r.start_line != r.end_line or r.end_col - r.start_col < 2:
        return r
    written = slice_range(lines, r)
    if written[0] == written[-1] and written[0] in "'\"":
        return Range(r.start_line, r.start_col + 1, r.end_line, r.end_col - 1)
    return r


def unquote(written: str) -> str:
    written = written.strip()
    if len(written) >= 2 and written[0] == written[-1] and written[0] in "'\"":
        return written[1:-1]
    return written


_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*\Z")
_SPECIAL = frozenset({"true", "false", "yes", "no", "on", "off", "null", "y", "n", "nan", "inf"})


@lru_cache(maxsize=4096)
def yaml_scalar(value: str) -> str:
    """``value`` written so YAML reads it back as this string (quoted when it would be a number,
    a boolean or null)."""
    if _PLAIN.match(value) and value.lower() not in _SPECIAL:
        return value  # the common case, without asking the parser
    import yaml

    try:
        loaded = yaml.safe_load(value)
    except yaml.YAMLError:
        loaded = None
    if isinstance(loaded, str) and loaded == value:
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
