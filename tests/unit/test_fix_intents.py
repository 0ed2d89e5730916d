"""The fix intents the COST, LOAD, VULN and REL rules offer are well formed for the model they are
about: a `set` names a mapping that exists, a `replace` a value that exists, an `append` a list (or
a mapping that can take it). The format's fixer turns them into edits; here only their shape is checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from archls import config, engine
from archls.rules.registry import Fix, get

ROOT = Path(__file__).resolve().parents[2]
CATEGORIES = ("COST", "LOAD", "VULN", "REL0")
FILES = sorted(ROOT.glob("examples/*.arch.yaml")) + sorted(
    p
    for p in (ROOT / "tests" / "fixtures" / "rules").glob("*/positive*.arch.yaml")
    if p.parent.name.startswith(CATEGORIES)
)
MISSING = object()


def resolve(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        found = (isinstance(data, dict) and part in data) or (
            isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        )
        if not found:
            return MISSING
        data = data[part]
    return data


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fix_intents_point_at_what_exists(path: Path) -> None:
    analysis = engine.analyse(path.read_text(encoding="utf-8"), str(path), config.for_path(path))
    assert analysis.model is not None
    data = analysis.model.model_dump(by_alias=True, exclude_unset=True)
    offered = [f for f in analysis.findings if f.fix is not None and f.code.startswith(CATEGORIES)]
    for finding in offered:
        code = get(finding.code)
        assert code is not None and code.fixable, f"{finding.code} offers a fix but is not marked fixable"
        fix = Fix.from_json(finding.fix)  # type: ignore[arg-type]
        assert fix.kind in {"set", "replace", "remove", "append", "add_component"}
        target = resolve(data, fix.path)
        if fix.kind == "set":
            assert isinstance(target, dict) and fix.key, f"{finding.code}: set on {fix.path}"
        elif fix.kind == "replace":
            assert target is not MISSING, f"{finding.code}: replace of a missing {fix.path}"
            assert fix.value is not None
        elif fix.kind == "append":
            assert isinstance(target, list), f"{finding.code}: append to {fix.path}"
        assert fix.title
        assert isinstance(fix.safe, bool)


def test_the_fixable_rules_do_offer_fixes_in_their_fixtures() -> None:
    offering = set()
    for path in FILES:
        analysis = engine.analyse(path.read_text(encoding="utf-8"), str(path), config.for_path(path))
        offering.update(f.code for f in analysis.findings if f.fix is not None)
    fixable = {
        folder.name
        for folder in (ROOT / "tests" / "fixtures" / "rules").iterdir()
        if folder.name.startswith(CATEGORIES) and (code := get(folder.name)) is not None and code.fixable
    }
    assert fixable and fixable <= offering, sorted(fixable - offering)
