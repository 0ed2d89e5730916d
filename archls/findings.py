"""What every layer reports: positions, ranges, severities and findings.

Positions are 0-based lines and columns counted in code points; the server converts them to
the client's encoding and the CLI adds one for people.
"""

from __future__ import annotations

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
        return (self.file or "", self.range, self.code, self.message)


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace ``range`` with ``new_text``: how every fix reaches a file."""

    range: Range
    new_text: str
