"""Every offered fix, applied to every example (and to every rule's positive fixture), removes its
finding, leaves the file readable, and changes only the lines its edits name."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from archls import config, engine, fixes
from archls.findings import Edit, Finding
from archls.rules.registry import Fix

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.arch.yaml"))
FIXTURES = sorted((ROOT / "tests" / "fixtures" / "rules").glob("*/positive*.arch.yaml"))
LOADER_ERRORS = {"ARCH000", "ARCH001", "ARCH002", "ARCH003", "ARCH004", "ARCH005", "ARCH006", "ARCH007"}


def audit(path: Path, text: str | None = None) -> engine.Analysis:
    text = path.read_text(encoding="utf-8") if text is None else text
    return engine.analyse(text, str(path), config.for_path(path))


def touched_lines_ok(old: str, new: str, edits: list[Edit]) -> bool:
    """Whether every changed line of ``old`` lies within an edit's lines (insertions right after one)."""
    spans = [(e.range.start_line, e.range.end_line) for e in edits]
    before, after = old.split("\n"), new.split("\n")
    for tag, i1, i2, _, _ in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if tag == "insert":
            if not any(start <= i1 <= end + 1 for start, end in spans):
                return False
            continue
        if not all(any(start <= line <= end for start, end in spans) for line in range(i1, i2)):
            return False
    return True


def still_there(finding: Finding, analysis: engine.Analysis, fix: Fix) -> bool:
    if fix.kind == "remove":
        # Indices after a removed item move up; count instead of matching paths.
        return False
    return any(f.code == finding.code and f.path == finding.path for f in analysis.findings)


def offered(path: Path) -> list[tuple[Finding, Fix]]:
    analysis = audit(path)
    return [(f, Fix.from_json(f.fix)) for f in analysis.findings if f.fix]


CASES = [(p, i) for p in [*EXAMPLES, *FIXTURES] for i in range(len(offered(p)))]


def test_examples_offer_fixes() -> None:
    assert EXAMPLES, "no examples found"
    assert any(offered(p) for p in EXAMPLES)


@pytest.mark.parametrize(("path", "index"), CASES, ids=[f"{p.parent.name}/{p.name}#{i}" for p, i in CASES])
def test_fix_removes_its_finding(path: Path, index: int) -> None:
    analysis = audit(path)
    finding, fix = offered(path)[index]
    edits = fixes.edits_for(analysis, fix)
    assert edits, f"{finding.code}: the fix produced no edits"
    new = fixes.apply(analysis.text, edits)
    after = audit(path, new)
    errors = [(f.code, f.message) for f in after.findings if f.code in LOADER_ERRORS]
    assert not errors, f"{finding.code} fix '{fix.title}' broke the file: {errors}\n{new}"
    if fix.key == "hint_level":
        # "Show a stronger hint" keeps the unmet criterion and says more about it.
        again = [f for f in after.findings if f.code == finding.code and f.path == finding.path]
        assert again and again[0].data["hint_level"] == finding.data["hint_level"] + 1, new
    else:
        assert not still_there(finding, after, fix), f"{finding.code} still reported after '{fix.title}':\n{new}"
    if fix.kind == "remove":
        before_count = sum(f.code == finding.code for f in analysis.findings)
        assert sum(f.code == finding.code for f in after.findings) < before_count
    assert touched_lines_ok(analysis.text, new, edits), f"{finding.code} fix changed lines it does not name"
    # Comments survive every fix.
    kept = [line for line in analysis.text.split("\n") if line.strip().startswith("#")]
    assert all(line in new.split("\n") for line in kept)


@pytest.mark.parametrize("path", [*EXAMPLES, *FIXTURES], ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fix_all_applies_every_safe_fix(path: Path) -> None:
    analysis = audit(path)
    result = fixes.fix_all(analysis)
    after = audit(path, result.text)
    assert not [f for f in after.findings if f.code in LOADER_ERRORS]
    assert not result.failed
    remaining = [f for f in after.findings if f.fix and f.fix.get("safe", True) and f.code != "ARCH011"]
    assert not remaining, [(f.code, f.message) for f in remaining]


def test_diff_edits_reproduce_the_fixed_text() -> None:
    for path in EXAMPLES:
        analysis = audit(path)
        result = fixes.fix_all(analysis)
        assert fixes.apply(analysis.text, fixes.diff_edits(analysis.text, result.text)) == result.text
