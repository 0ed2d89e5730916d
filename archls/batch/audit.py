"""The audit of one group of files, as a worker process runs it: plain data in, plain data out."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archls import engine
from archls.findings import Finding
from archls.paths import display_path

if TYPE_CHECKING:
    from archls.config import Config
    from archls.engine import Analysis

#: What a model is called in the summary, by format.
KINDS = {
    "terraform": "Terraform module",
    "kubernetes": "Kubernetes manifests",
    "compose": "compose project",
    "arch": "architecture",
}


@dataclass(frozen=True, slots=True)
class Located:
    """A finding with the file it belongs to (an absolute path)."""

    file: str
    finding: Finding
    #: the text of the finding's first line, which a baseline recognises a path-less finding by
    line_text: str = ""


@dataclass
class Job:
    index: int
    format: str
    #: the group's files that are reported (absolute paths)
    files: list[str]
    config: Config
    fix: bool = False
    compliance: bool = False


@dataclass
class Model:
    """One architecture the audit read: a module, a folder of manifests, a compose project, a file."""

    name: str  #: the folder (module, manifests) or the file it was read from, absolute
    kind: str
    files: list[str]
    #: the file to name in ``archls cost FILE``
    entry: str
    letter: str | None = None
    score: float | None = None
    grade: str | None = None  #: ``F (23/100): SEC -25, REL -21``
    cost_monthly: float | None = None
    budget_monthly: float | None = None
    compliance: dict[str, Any] | None = None
    compliance_lines: list[str] = field(default_factory=list)


@dataclass
class Result:
    index: int
    findings: list[Located] = field(default_factory=list)
    models: list[Model] = field(default_factory=list)
    #: fixes applied or refused, one sentence each
    notes: list[str] = field(default_factory=list)
    #: files that could not be read, one sentence each
    errors: list[str] = field(default_factory=list)
    files: int = 0


def audit(job: Job) -> Result:
    """Audit a group: each file's findings come from the first audit that covers it, so a module
    read from any of its files is audited once and no finding is reported twice."""
    result = Result(job.index)
    if job.fix:
        _fix(job, result)
    texts: dict[str, str] = {}
    unreadable: set[str] = set()
    for path in job.files:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            result.errors.append(f"cannot read {display_path(path)}: {exc.strerror or exc}")
            unreadable.add(path)
            continue
        text, bad_bytes = engine.decode(data)
        texts[path] = text
        result.files += 1
        if bad_bytes is not None:
            # still read as context by the rest of its group, but reported for the encoding alone
            unreadable.add(path)
            result.findings.append(Located(path, bad_bytes, _line(text.split("\n"), bad_bytes)))

    def read(path: str) -> str | None:
        found = texts.get(path)
        return found if found is not None else engine.read_disk(path)

    reported = set(job.files) - unreadable
    remaining = [p for p in job.files if p in reported]
    taken: set[str] = set()
    while remaining:
        first = remaining.pop(0)
        analysis = engine.analyse(texts[first], first, job.config, read=read)
        mine = {first} | {p for p in analysis.files if p in reported and p not in taken}
        taken |= mine
        remaining = [p for p in remaining if p not in mine]
        lines: dict[str, list[str]] = {}
        for finding in analysis.findings:
            file = finding.file or first
            if file in mine:
                if file not in lines:
                    lines[file] = texts[file].split("\n") if file in texts else []
                result.findings.append(Located(file, finding, _line(lines[file], finding)))
        model = _model(job, analysis, first, sorted(mine))
        if model is not None:
            result.models.append(model)
    return result


def _line(lines: list[str], finding: Finding) -> str:
    number = finding.range.start_line
    return lines[number].removesuffix("\r") if 0 <= number < len(lines) else ""


def _model(job: Job, analysis: Analysis, entry: str, files: list[str]) -> Model | None:
    if analysis.model is None:
        return None
    from archls.analysis.grade import grade

    grouped = len(analysis.files) > 1 or job.format in {"terraform", "kubernetes"}
    name = os.path.dirname(entry) if grouped and job.format != "compose" else entry
    model = Model(name, KINDS.get(job.format, job.format), files, entry)
    graded = grade(analysis.findings, analysis.model)
    model.letter, model.score, model.grade = graded.letter, graded.score, graded.summary()
    if analysis.model.components:
        from archls.analysis import results

        model_, config, graph = analysis.model, analysis.config, analysis.graph
        context = analysis.rule_context
        # the load and cost rules computed the same results already: reuse them
        computed = (
            context.cached("analysis", lambda: results(model_, config, graph))
            if context is not None
            else results(model_, config, graph)
        )
        cost = computed.cost
        model.cost_monthly = cost.total or None
        model.budget_monthly = analysis.model.requirements.budget_monthly
    if job.compliance:
        from archls import compliance

        statuses = compliance.status(analysis)
        model.compliance = compliance.as_json(statuses)
        model.compliance_lines = compliance.render(display_path(name), statuses)
    return model


def _fix(job: Job, result: Result) -> None:
    from archls import fixes

    for path in job.files:
        try:
            data = Path(path).read_bytes()
        except OSError:
            continue  # reported by the audit that follows
        text, bad_bytes = engine.decode(data)
        if bad_bytes is not None:
            continue
        analysis = engine.analyse(text, path, job.config, read=engine.read_disk)
        _, notes = fixes.fix_file(Path(display_path(path)), data, analysis)
        result.notes.extend(notes)
