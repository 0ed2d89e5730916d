"""What every layer reports: positions, ranges, severities and findings.

Positions are 0-based lines and columns counted in code points; the server converts them to
the client's encoding and the CLI adds one for people.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

ModelPath = tuple[str | int, ...]


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    HINT = "hint"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.ERROR: 3, Severity.WARNING: 2, Severity.INFO: 1, Severity.HINT: 0}


@dataclass(frozen=True, slots=True, order=True)
class Range:
    start_line: int
    start_col: int
    end_line: int
    end_col: int

    @classmethod
    def point(cls, line: int, col: int) -> Range:
        return cls(line, col, line, col)

    def shifted(self, lines: int) -> Range:
        if not lines:
            return self
        return Range(self.start_line + lines, self.start_col, self.end_line + lines, self.end_col)

    def contains(self, line: int, col: int) -> bool:
        return (self.start_line, self.start_col) <= (line, col) <= (self.end_line, self.end_col)


FILE_START = Range(0, 0, 0, 0)

#: Codes that mean the file could not be read at all: no audit runs and no grade is given.
UNREADABLE = frozenset({"ARCH001", "ARCH002", "ARCH008", "ARCH009"})


@dataclass(slots=True)
class Finding:
    """One problem at one place. ``path`` is the model path it is about, when there is one."""

    code: str
    message: str
    severity: Severity
    range: Range
    category: str = "ARCH"
    path: ModelPath = ()
    file: str | None = None
    fix: dict[str, Any] | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def sort_key(self) -> tuple[Any, ...]:
        # the range's fields laid out flat: the same order as comparing ranges, without a Python-level
        # comparison for each of thousands of findings
        r = self.range
        return (self.file or "", r.start_line, r.start_col, r.end_line, r.end_col, self.code, self.message)


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace ``range`` with ``new_text``: how every fix reaches a file."""

    range: Range
    new_text: str


_LINE_BREAK = re.compile(r"\r\n?|\n")


def end_of(text: str) -> tuple[int, int]:
    """(line, column) just after ``text``, counting lines as editors do (LF, CRLF and CR)."""
    lines = _LINE_BREAK.split(text) if "\r" in text else text.split("\n")
    return len(lines) - 1, len(lines[-1])


def keep_inside(findings: list[Finding], text: str, lines: list[str] | None = None) -> None:
    """Move every range that reaches past the end of ``text`` back inside it.

    Parsers place an error at the end of the input one character past the last one, or on the line
    after the last; an editor drops such a diagnostic or shows it elsewhere, and a SARIF viewer
    cannot open it. Lines are counted as editors count them (LF, CRLF and CR end a line); ``lines``,
    when given, is ``text.split("\n")`` of a text without carriage returns, split already."""
    for finding in findings:
        r = finding.range
        if r.end_line == 0 and r.end_col == 0 and r.start_line == 0:
            continue  # the start of the file, the most common place for a file-wide finding
        if lines is None:
            lines = _LINE_BREAK.split(text) if "\r" in text else text.split("\n")
        start, end = _inside(lines, r.start_line, r.start_col), _inside(lines, r.end_line, r.end_col)
        if start + end != (r.start_line, r.start_col, r.end_line, r.end_col):
            finding.range = Range(*start, *end)


def _inside(lines: list[str], line: int, col: int) -> tuple[int, int]:
    if line >= len(lines):
        return len(lines) - 1, len(lines[-1])
    line = max(line, 0)
    return line, max(min(col, len(lines[line])), 0)
