"""Describe a system, get an architecture: draft -> validate -> repair -> audit -> improve.

1. The description is read for its stated requirements (:mod:`archls.assistant.brief`), with
   secret-looking values redacted before anything else sees it.
2. The backend drafts an architecture as data; the stated requirements replace whatever the draft
   says about them, so the audits measure the result against what was asked.
3. The draft is rendered and loaded by the same engine the editor uses; loader errors go back to the
   backend for up to ``max_repairs`` repairs.
4. The audit's error-severity findings get one improvement round: the rules' own safe fixes, then
   (with a model) a request to fix the rest, kept only if it loads with fewer errors.

A model's answer is data: it is validated by the pydantic model and never executed or used as a
path. Nothing is written here; the caller writes the text where the user asked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from archls.assistant.backend import Backend, BackendUnavailable, Draft, Settings, choose
from archls.assistant.brief import Brief, parse
from archls.assistant.privacy import redact_text
from archls.assistant.render import render
from archls.findings import Severity
from archls.model import Architecture

if TYPE_CHECKING:
    from archls.engine import Analysis

#: Where the generated text is audited; only its suffix matters (it is read as an architecture).
VIRTUAL_PATH = "generated.arch.yaml"

Progress = Callable[[str, int], None]


class Cancelled(Exception):
    """The caller cancelled generation (the editor sent $/cancelRequest)."""


@dataclass
class Result:
    text: str
    analysis: Analysis
    backend: str
    brief: Brief
    #: What happened on the way, for the user: fallbacks, repairs, fixes applied.
    notes: list[str] = field(default_factory=list)
    repairs: int = 0

    @property
    def errors(self) -> list[str]:
        return [f"{f.code} {f.message}" for f in self.analysis.findings if f.severity is Severity.ERROR]

    @property
    def grade(self) -> str:
        from archls.analysis.grade import grade

        return grade(self.analysis.findings, self.analysis.model).summary()


def _finalise(draft: Draft, brief: Brief) -> Draft:
    arch = dict(draft.architecture)
    arch.setdefault("archls", 1)
    if not isinstance(arch.get("name"), str) or not arch.get("name"):
        arch["name"] = "Generated architecture"
    requirements = arch.get("requirements")
    requirements = dict(requirements) if isinstance(requirements, dict) else {}
    requirements.update(brief.requirements())
    arch["requirements"] = requirements
    if "acceptance" in Architecture.model_fields:
        # What was asked, measured by the SPEC rules; a draft's own criteria (a library reference's,
        # set for another scale) give way to the description's.
        arch["acceptance"] = brief.acceptance(arch)
    return Draft(arch, draft.assumptions, draft.backend)


def _text(draft: Draft, brief: Brief) -> str:
    assumptions = list(dict.fromkeys([*brief.assumptions, *draft.assumptions]))
    return redact_text(render(draft.architecture, backend=draft.backend, stated=brief.stated, assumptions=assumptions))


def _load_errors(analysis: Analysis) -> list[str]:
    out = []
    for f in analysis.findings:
        if f.code.startswith("ARCH") and f.severity is Severity.ERROR:
            out.append(f"line {f.range.start_line + 1}: {f.code} {f.message}")
    if analysis.model is None and not out:
        out.append("the file did not load as an architecture")
    return out


def _error_findings(analysis: Analysis) -> list[str]:
    return [
        f"line {f.range.start_line + 1}: {f.code} {f.message}"
        for f in analysis.findings
        if f.severity is Severity.ERROR
    ]


def generate(
    description: str,
    settings: Settings | None = None,
    *,
    backend: Backend | None = None,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    max_repairs: int = 3,
) -> Result:
    """An architecture for ``description``; never raises for what a backend answers."""
    from archls import engine
    from archls.assistant.offline import OfflineBackend

    notes: list[str] = []

    def step(message: str, percent: int) -> None:
        if cancelled is not None and cancelled():
            raise Cancelled
        if progress is not None:
            progress(message, percent)

    if backend is None:
        backend = choose(settings or Settings.from_env()).backend
    brief = parse(redact_text(description))
    step(f"Drafting with the {backend.name} backend", 5)
    try:
        draft = backend.draft(brief)
    except BackendUnavailable as exc:
        notes.append(f"{exc}; generated with the offline backend instead")
        backend = OfflineBackend()
        draft = backend.draft(brief)
    draft = _finalise(draft, brief)
    text = _text(draft, brief)
    analysis = engine.analyse(text, VIRTUAL_PATH)
    repairs = 0
    while _load_errors(analysis):
        errors = _load_errors(analysis)
        if repairs >= max_repairs:
            if backend.name == "offline":
                break
            notes.append(
                f"the {backend.name} draft still did not load after {repairs} repairs; generated with the offline backend instead"
            )
            backend = OfflineBackend()
            draft = _finalise(backend.draft(brief), brief)
            text = _text(draft, brief)
            analysis = engine.analyse(text, VIRTUAL_PATH)
            continue
        repairs += 1
        step(f"Repairing the draft ({len(errors)} loader errors, round {repairs})", 10 + 15 * repairs)
        try:
            draft = _finalise(backend.repair(draft, brief, errors), brief)
        except BackendUnavailable as exc:
            notes.append(f"{exc}; generated with the offline backend instead")
            backend = OfflineBackend()
            draft = _finalise(backend.draft(brief), brief)
        text = _text(draft, brief)
        analysis = engine.analyse(text, VIRTUAL_PATH)
    if repairs:
        notes.append(f"repaired {repairs} time{'s' if repairs != 1 else ''} after loader errors")

    step("Auditing", 70)
    text, analysis = _mechanical(text, analysis, notes)
    # One improvement round on error findings (for the offline backend, which only sizes, also on
    # capacity warnings; sizing after a change of replicas may take a second pass).
    rounds = 2 if backend.name == "offline" else 1
    for _ in range(rounds):
        errors = _error_findings(analysis)
        if not errors and backend.name != "offline":
            break
        step(f"Improving ({len(errors)} error findings)", 80)
        try:
            improved = backend.improve(draft, brief, analysis)
        except BackendUnavailable as exc:
            notes.append(f"improvement round skipped: {exc}")
            break
        if improved is None:
            break
        improved = _finalise(improved, brief)
        candidate_text = _text(improved, brief)
        candidate = engine.analyse(candidate_text, VIRTUAL_PATH)
        candidate_text, candidate = _mechanical(candidate_text, candidate, [])
        after = _error_findings(candidate)
        if _load_errors(candidate) or len(after) > len(errors) or _score(candidate) <= _score(analysis):
            break
        draft, text, analysis = improved, candidate_text, candidate
        notes.append(f"improvement round ({backend.name}): {len(errors)} -> {len(after)} error findings")
    step("Done", 100)
    return Result(text, analysis, backend.name, brief, notes, repairs)


def _score(analysis: Analysis) -> float:
    from archls.analysis.grade import grade

    return grade(analysis.findings, analysis.model).score


def _mechanical(text: str, analysis: Analysis, notes: list[str]) -> tuple[str, Analysis]:
    """The rules' own safe fixes, applied while they leave the file loading."""
    from archls import engine, fixes

    if analysis.model is None:
        return text, analysis
    result = fixes.fix_all(analysis)
    if result.text == text:
        return text, analysis
    codes = sorted({f.code for f in result.applied})
    notes.append(f"applied the audits' fixes for {', '.join(codes)}")
    return result.text, engine.analyse(result.text, VIRTUAL_PATH)
