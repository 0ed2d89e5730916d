"""The coach: every challenge played through every stage with scripted edits, scores checked at
each step; the CLI starts, checks and unlocks; progress lives in the file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from archls import cli, coach, engine, fixes
from archls.formats.archyaml import fix_edits
from archls.rules.registry import Fix

SCRIPTS = Path(__file__).parent / "fixtures" / "coach"


def test_eight_challenges_from_url_shortener_to_search_engine() -> None:
    names = [c.name for c in coach.challenges()]
    assert len(names) == 8 and names[0] == "url-shortener" and names[-1] == "search-engine"
    for challenge in coach.challenges():
        assert len(challenge.stages) >= 3, challenge.name
        sizes = [len(s.criteria) for s in challenge.stages]
        assert sizes == sorted(sizes) or sizes[-1] >= sizes[0], f"{challenge.name}: stages should not get easier"


def _edit(text: str, path: str, step: dict) -> str:
    analysis = engine.analyse(text, path)
    fix = Fix("scripted edit", step["kind"], tuple(step["path"]), step.get("value"), step.get("key"))
    return fixes.apply(text, fix_edits(text, analysis.loaded, fix))


@pytest.mark.parametrize("name", [c.name for c in coach.challenges()])
def test_each_challenge_can_be_completed_stage_by_stage(name: str) -> None:
    challenge = coach.get(name)
    script = yaml.safe_load((SCRIPTS / f"{name}.yaml").read_text(encoding="utf-8"))["stages"]
    assert len(script) == len(challenge.stages)
    path = f"{name}.arch.yaml"
    text = coach.starter_text(challenge)
    for number, step in enumerate(script, 1):
        before = coach.score(engine.analyse(text, path))
        assert (before.stage, before.complete) == (number, False), f"{name} stage {number} starts already met"
        assert before.total == len(challenge.stage(number).criteria)
        for edit in step["edits"]:
            text = _edit(text, path, edit)
        analysis = engine.analyse(text, path)
        after = coach.score(analysis)
        assert after.complete, f"{name} stage {number}: still unmet {[f.message for f in after.unmet]}"
        assert after.met == after.total and after.grade.letter in "AB"
        unlocked = coach.advance(analysis)
        if number < len(script):
            assert unlocked is not None
            # Only the acceptance block and the stage number change.
            changed = [line for line in unlocked.splitlines() if line not in text.splitlines()]
            assert changed and all(line.startswith(("  - {", "  stage: ")) for line in changed), changed
            text = unlocked
        else:
            assert unlocked is None


def test_the_cli_starts_checks_and_unlocks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "short.arch.yaml"
    assert cli.main(["coach", "list"]) == 0
    assert "url-shortener" in capsys.readouterr().out
    assert cli.main(["coach", "start", "url-shortener", "-o", str(target)]) == 0
    assert "stage 1 of 4" in capsys.readouterr().out
    assert cli.main(["coach", "check", str(target)]) == 1
    out = capsys.readouterr().out
    assert "0 of 2 criteria met" in out and "SPEC001" in out
    text = target.read_text(encoding="utf-8")
    script = yaml.safe_load((SCRIPTS / "url-shortener.yaml").read_text(encoding="utf-8"))["stages"]
    for edit in script[0]["edits"]:
        text = _edit(text, str(target), edit)
    target.write_text(text, encoding="utf-8")
    assert cli.main(["coach", "check", str(target)]) == 0
    assert "Stage 2 unlocked: 10x the traffic" in capsys.readouterr().out
    # The progress is in the file: a fresh process reads stage 2 from it.
    assert "  stage: 2" in target.read_text(encoding="utf-8")
    assert cli.main(["coach", "check", str(target)]) == 1
    assert "stage 2/4" in capsys.readouterr().out
    assert cli.main(["coach", "start", "url-shortener", "-o", str(target)]) == 2
    assert cli.main(["coach", "start", "url-shortner"]) == 2
    assert "did you mean url-shortener" in capsys.readouterr().err


def test_hints_teach_then_point_then_suggest() -> None:
    text = coach.starter_text(coach.get("url-shortener"))
    analysis = engine.analyse(text, "s.arch.yaml")
    [finding] = [f for f in analysis.findings if f.code == "SPEC001"]
    assert "Every component has a capacity" in finding.message
    assert finding.fix is not None and finding.fix["title"] == "Show a stronger hint"
    stronger = fixes.apply(text, fix_edits(text, analysis.loaded, Fix.from_json(finding.fix)))
    [again] = [f for f in engine.analyse(stronger, "s.arch.yaml").findings if f.code == "SPEC001"]
    assert "bottleneck" in again.message and again.data["hint_level"] == 2
