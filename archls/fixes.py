"""Fix intents -> text edits. Each format knows how to write a change in its own syntax; this
module finds the format's fixer and checks the result is a minimal edit, never a rewrite.

A format module provides ``fix_edits(text, loaded, fix) -> list[Edit]`` (raising
:class:`FixError` when the fix cannot be applied to this text).
"""

from __future__ import annotations

import difflib
import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from archls.findings import Edit, Finding, Range
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


@dataclass
class FixAllResult:
    text: str
    #: The findings whose fixes were applied, in the order they were applied.
    applied: list[Finding] = field(default_factory=list)
    #: Fixes that could not be written, with the reason.
    failed: list[tuple[Finding, str]] = field(default_factory=list)


def fix_all(analysis: Analysis, *, safe_only: bool = True, passes: int = 4) -> FixAllResult:
    """Apply every (safe) fix of a file, re-auditing between passes.

    One pass applies the fixes whose edits do not touch each other; fixes that collide (two rules
    setting the same key) wait for the next pass, where the re-audit usually shows they are no
    longer needed. Nothing is applied when a pass would leave the file unreadable.
    """
    from archls import engine

    result = FixAllResult(analysis.text)
    current = analysis
    for _ in range(passes):
        planned: list[tuple[Finding, list[Edit]]] = []
        taken: list[Range] = []
        seen: set[tuple[Range, str]] = set()
        for finding in current.findings:
            if not finding.fix or (safe_only and not finding.fix.get("safe", True)):
                continue
            if finding.file not in (None, current.path):
                continue  # a finding in another file of a multi-file format
            try:
                edits = edits_for(current, Fix.from_json(finding.fix))
            except FixError as exc:
                result.failed.append((finding, str(exc)))
                continue
            keys = {(e.range, e.new_text) for e in edits}
            if keys <= seen:
                result.applied.append(finding)  # the same edit as a fix already planned
                continue
            if any(_touches(e.range, other) for e in edits for other in taken):
                continue
            planned.append((finding, edits))
            taken.extend(e.range for e in edits)
            seen |= keys
        if not planned:
            break
        text = apply(current.text, [e for _, edits in planned for e in edits])
        after = engine.analyse(text, current.path, current.config)
        if any(f.code in _UNREADABLE for f in after.findings):
            break
        result.applied.extend(f for f, _ in planned)
        result.text = text
        current = after
    return result


_UNREADABLE = frozenset({"ARCH000", "ARCH001", "ARCH002", "ARCH003", "ARCH004", "ARCH005", "ARCH006"})


def _touches(a: Range, b: Range) -> bool:
    """Whether two edit ranges overlap or meet (two insertions at one point would race)."""
    return (a.start_line, a.start_col) <= (b.end_line, b.end_col) and (b.start_line, b.start_col) <= (
        a.end_line,
        a.end_col,
    )


def _lines(text: str) -> list[str]:
    parts = text.split("\n")
    return [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def diff_edits(old: str, new: str) -> list[Edit]:
    """The edits that turn ``old`` into ``new``, whole lines at a time, touching only changed lines.

    A range may end at ``(number of lines, 0)``: the end of a text without a final line break.
    """
    before = _lines(old)
    after = _lines(new)
    out: list[Edit] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            out.append(Edit(Range(i1, 0, i2, 0), "".join(after[j1:j2])))
    return out


def fix_file(path: Path, data: bytes, analysis: Analysis) -> tuple[Analysis, list[str]]:
    """Write every safe fix into ``path`` (only the edited lines change) and audit the result again."""
    from archls import engine

    result = fix_all(analysis)
    notes = [f"{path}: could not apply the fix for {f.code}: {why}" for f, why in result.failed]
    if result.text == analysis.text:
        return analysis, notes
    bom = "\ufeff" if data.startswith(b"\xef\xbb\xbf") else ""
    path.write_bytes((bom + result.text).encode("utf-8"))
    codes = sorted({f.code for f in result.applied})
    count = len(result.applied)
    notes.append(f"Fixed {count} problem{'s' if count != 1 else ''} in {path} ({', '.join(codes)})")
    return engine.analyse(result.text, analysis.path, analysis.config), notes
