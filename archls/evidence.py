"""Where a component or an inferred connection comes from in the files a team already has.

Loaders of compose, Terraform and Kubernetes files put :class:`Evidence` on
``Connection._evidence`` (every place that implies the connection) and on
``Component._origin`` (the block that defines the component), so hover and ``archls import``
can say why archls believes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from archls.findings import Range


@dataclass(frozen=True, slots=True)
class Evidence:
    file: str
    range: Range
    #: What kind of place this is: depends_on, link, env, reference, selector, ingress, security-group, ...
    kind: str
    #: The text that shows it, e.g. ``DATABASE_URL=postgres://db:5432/app``.
    detail: str

    @property
    def line(self) -> int:
        """1-based line, for people."""
        return self.range.start_line + 1

    def describe(self) -> str:
        return f"{self.detail} ({PurePath(self.file).name}:{self.line})"

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "kind": self.kind,
            "detail": self.detail,
            "range": [self.range.start_line, self.range.start_col, self.range.end_line, self.range.end_col],
        }


def evidence_of(item: Any) -> list[Evidence]:
    """The evidence recorded on a connection (or the origin of a component), empty for hand-written ones."""
    found = getattr(item, "_evidence", None)
    if found:
        return list(found)
    origin = getattr(item, "_origin", None)
    return [origin] if isinstance(origin, Evidence) else []
