"""Every rule has a fixture folder in the spirit of KICS: ``tests/fixtures/rules/<ID>/`` holds
files whose names start with ``positive`` or ``negative`` (or folders of those names, for
formats that read several files). A positive file marks each line where the rule must report
with a comment ``# expect: <ID>``; the rule must report on exactly those lines. A negative
file must not trigger the rule. Neither may have loader errors.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from archls import config, engine
from archls.rules.registry import all_codes

FIXTURES = Path(__file__).parent / "fixtures" / "rules"
RULES = [c.id for c in all_codes() if c.is_rule]
LOADER_ERRORS = {"ARCH001", "ARCH002", "ARCH003", "ARCH004", "ARCH005", "ARCH006", "ARCH008", "ARCH009"}


def fixture_files(rule: str, kind: str) -> list[Path]:
    folder = FIXTURES / rule
    out = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).parts
        if path.is_file() and rel[0].startswith(kind) and engine.claims(str(path), path.read_text(encoding="utf-8")):
            out.append(path)
    return out


def expected_lines(text: str, rule: str) -> set[int]:
    marker = re.compile(r"(?:#|//)\s*expect:\s*([A-Z0-9, ]+)")
    lines = set()
    for number, line in enumerate(text.splitlines()):
        found = marker.search(line)
        if found and rule in {c.strip() for c in found.group(1).split(",")}:
            lines.add(number)
    return lines


def audit(path: Path) -> engine.Analysis:
    text = path.read_text(encoding="utf-8")
    return engine.analyse(text, str(path), config.for_path(path), read=_reader)


def _reader(name: str) -> str | None:
    try:
        return Path(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


@pytest.mark.parametrize("rule", RULES)
def test_rule_has_both_fixtures(rule: str) -> None:
    assert fixture_files(rule, "positive"), f"{rule}: no positive fixture in {FIXTURES / rule}"
    assert fixture_files(rule, "negative"), f"{rule}: no negative fixture in {FIXTURES / rule}"


@pytest.mark.parametrize("rule", RULES)
def test_positive_fixtures_report_on_marked_lines(rule: str) -> None:
    for path in fixture_files(rule, "positive"):
        analysis = audit(path)
        errors = [f for f in analysis.findings if f.code in LOADER_ERRORS]
        assert not errors, f"{path}: loader errors {[(f.code, f.message) for f in errors]}"
        wanted = expected_lines(analysis.text, rule)
        assert wanted, f"{path}: no '# expect: {rule}' marker"
        got = {f.range.start_line for f in analysis.findings if f.code == rule and f.file in (None, str(path))}
        assert got == wanted, (
            f"{path}: {rule} reported on lines {sorted(n + 1 for n in got)}, expected {sorted(n + 1 for n in wanted)}"
        )


@pytest.mark.parametrize("rule", RULES)
def test_negative_fixtures_are_clean(rule: str) -> None:
    for path in fixture_files(rule, "negative"):
        analysis = audit(path)
        errors = [f for f in analysis.findings if f.code in LOADER_ERRORS]
        assert not errors, f"{path}: loader errors {[(f.code, f.message) for f in errors]}"
        hits = [f.range.start_line + 1 for f in analysis.findings if f.code == rule]
        assert not hits, f"{path}: {rule} reported on lines {hits}"
