"""Measuring generation: does the file load, meet what was asked, and reach grade B?

The evaluation set is descriptions in users' words with the expectations each result must meet
(``bench/assistant/evaluation.yaml``); ``bench/run.py generate`` reports the pass rate per backend
and the offline run is part of the test suite.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from archls.findings import Severity

PASSING_LETTERS = ("A", "B")


@dataclass
class Case:
    id: str
    text: str
    expect: dict[str, Any] = field(default_factory=dict)


@dataclass
class Outcome:
    case: Case
    backend: str
    grade: str
    problems: list[str]

    @property
    def passed(self) -> bool:
        return not self.problems


def _value(obj: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        obj = getattr(obj, part, None) if obj is not None else None
    return obj


def check(case: Case, text: str, backend: str) -> Outcome:
    """What the generated ``text`` fails of ``case``'s expectations (an empty list: it passes)."""
    from archls import engine
    from archls.analysis.grade import grade

    analysis = engine.analyse(text, f"{case.id}.arch.yaml")
    model = analysis.model
    problems = [
        f"load error {f.code}: {f.message}"
        for f in analysis.findings
        if f.code.startswith("ARCH") and f.severity is Severity.ERROR
    ]
    if model is None:
        return Outcome(case, backend, "F", problems or ["does not load"])
    result = grade(analysis.findings, model)
    if result.letter not in PASSING_LETTERS:
        problems.append(f"grade {result.summary()}, below B")
    problems.extend(
        f"error finding {f.code}: {f.message}"
        for f in analysis.findings
        if f.severity is Severity.ERROR and f.code.startswith("SPEC")
    )
    expect = case.expect
    for key, wanted in (expect.get("requirements") or {}).items():
        got = _value(model.requirements, key)
        if got is None or abs(float(got) - float(wanted)) > 1e-6 * max(1.0, abs(float(wanted))):
            problems.append(f"requirements.{key} is {got}, expected {wanted}")
    frameworks = {str(f) for f in model.requirements.compliance}
    for name in expect.get("compliance") or []:
        if name not in frameworks:
            problems.append(f"compliance lacks {name}")
    types = {str(c.type) for c in model.components.values()}
    for name in expect.get("types") or []:
        if name not in types:
            problems.append(f"no component of type {name}")
    kinds = {str(k) for c in model.components.values() for k in c.data}
    for name in expect.get("data") or []:
        if name not in kinds:
            problems.append(f"no component holds {name} data")
    if expect.get("flow") and not any(f.rps for f in model.flows.values()):
        problems.append("no flow with its rps")
    return Outcome(case, backend, result.summary(), problems)


def load_cases(path: Any) -> list[Case]:
    import yaml

    with open(path, encoding="utf-8") as handle:
        rows = yaml.safe_load(handle)
    return [Case(str(r["id"]), str(r["text"]), dict(r.get("expect") or {})) for r in rows]


def run(cases: list[Case], backend: Any) -> list[Outcome]:
    from archls.assistant.generate import generate

    outcomes = []
    for case in cases:
        result = generate(case.text, backend=backend)
        outcomes.append(check(case, result.text, result.backend))
    return outcomes
