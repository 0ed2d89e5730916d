"""The architecture coach: guided challenges whose stages are acceptance criteria.

A challenge (``archls/coach/challenges/<name>.yaml``) is a starter architecture and stages of
rising difficulty ("make it work", "10x the traffic", "survive a zone outage", "meet a budget").
Each stage is a list of acceptance criteria (see ``docs/acceptance.md``) and, per criterion id,
hints at three levels that teach the concept without handing over the answer. Progress lives in
the file itself: ``coach: {challenge, stage}`` and the ``acceptance:`` block of the current stage,
so it survives restarts and can be committed. :func:`check` scores a file and, when every
criterion is met, unlocks the next stage by rewriting only the ``acceptance:`` block and the
stage number (minimal edits through :mod:`archls.yamledit`).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from archls.analysis.grade import Grade
    from archls.engine import Analysis
    from archls.findings import Finding
    from archls.model import Criterion


class CoachError(ValueError):
    """A name that is not a challenge, or a file that is not working through one."""


@dataclass(frozen=True)
class Stage:
    title: str
    goal: str
    criteria: tuple[dict[str, Any], ...]
    hints: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Challenge:
    name: str
    title: str
    summary: str
    level: int  #: 1 (first steps) to 8 (hardest)
    starter: str
    stages: tuple[Stage, ...]

    def stage(self, number: int) -> Stage:
        return self.stages[min(max(number, 1), len(self.stages)) - 1]


def _folder() -> Any:
    return resources.files(__name__) / "challenges"


@cache
def _load_all() -> dict[str, Challenge]:
    out = {}
    for entry in _folder().iterdir():
        if not entry.name.endswith(".yaml"):
            continue
        data = yaml.safe_load(entry.read_text(encoding="utf-8"))
        name = entry.name.removesuffix(".yaml")
        stages = tuple(
            Stage(
                title=str(s["title"]),
                goal=str(s["goal"]).strip(),
                criteria=tuple(s["criteria"]),
                hints={str(k): tuple(_text(h) for h in v) for k, v in (s.get("hints") or {}).items()},
            )
            for s in data["stages"]
        )
        out[name] = Challenge(
            name, str(data["title"]), str(data["summary"]).strip(), int(data["level"]), data["starter"], stages
        )
    return dict(sorted(out.items(), key=lambda item: (item[1].level, item[0])))


def _text(value: Any) -> str:
    if not isinstance(value, str):  # an unquoted "a: b" in the data reads as a mapping
        raise ValueError(f"a coach hint must be text, not {value!r}")
    return value.strip()


def challenges() -> list[Challenge]:
    """Every challenge, easiest first."""
    return list(_load_all().values())


def get(name: str) -> Challenge:
    found = _load_all().get(name)
    if found is None:
        close = difflib.get_close_matches(name, list(_load_all()), n=2, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else "; 'archls coach list' shows them"
        raise CoachError(f"no challenge named {name!r}{hint}")
    return found


def challenge_hint(challenge: str, stage: int, criterion: Criterion, level: int) -> str | None:
    """The challenge's own hint for an unmet criterion at ``level`` (1-3); None to use the general one."""
    found = _load_all().get(challenge)
    if found is None or not criterion.id:
        return None
    hints = found.stage(stage).hints.get(str(criterion.id))
    if not hints:
        return None
    return hints[min(max(level, 1), len(hints)) - 1]


# --- files ---------------------------------------------------------------------------------------


def _criteria_block(stage: Stage) -> list[str]:
    from archls.yamledit import flow

    return [f"  - {flow(c)}" for c in stage.criteria]


def starter_text(challenge: Challenge) -> str:
    """The file ``archls coach start`` writes: the starter architecture at stage 1 with its criteria."""
    first = challenge.stages[0]
    head = [
        f"# archls coach: {challenge.title} — {len(challenge.stages)} stages.",
        f"# Stage 1, {first.title}: {first.goal}",
        "# Edit the architecture until every criterion below is met (the editor shows the unmet ones),",
        "# then run 'archls coach check FILE' to unlock the next stage. Progress is kept in this file.",
    ]
    body = challenge.starter.rstrip("\n")
    tail = ["coach:", f"  challenge: {challenge.name}", "  stage: 1", "acceptance:", *_criteria_block(first)]
    return "\n".join([*head, body, *tail]) + "\n"


@dataclass
class Score:
    challenge: Challenge
    stage: int
    met: int
    total: int
    unmet: list[Finding]
    grade: Grade
    cost: float | None

    @property
    def stages(self) -> int:
        return len(self.challenge.stages)

    @property
    def complete(self) -> bool:
        return self.met == self.total

    @property
    def title(self) -> str:
        """The code lens: ``stage 2/4 · 3 of 5 criteria met``."""
        return f"stage {self.stage}/{self.stages} · {self.met} of {self.total} criteria met"


def score(analysis: Analysis) -> Score:
    """How far a coach file is: criteria met at its stage, the grade and the monthly cost."""
    from archls.analysis.grade import grade

    model = analysis.model
    if model is None or model.coach is None:
        raise CoachError(f"{analysis.path} is not working through a coach challenge (no 'coach:' section)")
    challenge = get(str(model.coach.challenge))
    unmet = [f for f in analysis.findings if f.code.startswith("SPEC")]
    failing = {f.data.get("criterion") for f in unmet}
    total = len(model.acceptance)
    cost = None
    if analysis.rule_context is not None:
        from archls.analysis import results

        cost = results(model, analysis.config, analysis.graph).cost.total
    graded = [f for f in analysis.findings if not f.code.startswith("SPEC")]
    return Score(challenge, model.coach.stage, total - len(failing), total, unmet, grade(graded, model), cost)


def advance(analysis: Analysis) -> str | None:
    """The file's text with the next stage unlocked (criteria replaced, stage number raised), or
    None when the stage is not complete or it was the last one. Only those two values change."""
    from archls import fixes
    from archls.yamledit import YamlText

    current = score(analysis)
    if not current.complete or current.stage >= current.stages:
        return None
    loaded = analysis.loaded
    assert loaded is not None
    nxt = current.challenge.stage(current.stage + 1)
    doc = YamlText(analysis.text, loaded.smap)
    edits = doc.replace(("acceptance",), list(nxt.criteria))
    edits += doc.replace(("coach", "stage"), current.stage + 1)
    return fixes.apply(analysis.text, edits)


def markdown(analysis: Analysis) -> str:
    """The coach's view of a file for the editor: the stage, its goal, what is met and what is not."""
    current = score(analysis)
    stage = current.challenge.stage(current.stage)
    lines = [
        f"**{current.challenge.title}** — stage {current.stage} of {current.stages}: {stage.title}",
        "",
        stage.goal,
        "",
        f"{current.met} of {current.total} criteria met · grade {current.grade.letter}"
        + (f" · ${current.cost:,.0f}/month" if current.cost is not None else ""),
    ]
    for finding in current.unmet:
        lines.append(f"- {finding.message}")
    if current.complete:
        lines += ["", "Every criterion is met: run `archls coach check` on this file to unlock the next stage."]
    return "\n".join(lines)
