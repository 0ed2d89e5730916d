"""``archls check`` without the command line: find, group, audit, merge, compare with a baseline."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from archls.analysis.text import plural
from archls.batch import baseline as baselines
from archls.batch.audit import Job, Located, Result
from archls.batch.discover import discover
from archls.batch.run import run
from archls.config import Config
from archls.paths import display_path
from archls.report import NOT_AUDITED, Checked, sort_key


@dataclass
class Options:
    exclude: Sequence[str] = ()
    #: rules or categories to report instead of the configured ones, and to leave out as well
    select: Sequence[str] = ()
    ignore: Sequence[str] = ()
    fix: bool = False
    compliance: bool = False
    baseline: Path | None = None
    write_baseline: bool = False
    workers: int | None = None
    progress: bool = False
    #: the configuration of a file (its project file); the caller's errors pass through
    config_for: Callable[[str], Config] = field(default=lambda path: Config())


def check(paths: Sequence[str], options: Options) -> Checked:
    found = discover(paths, options.exclude)
    jobs = []
    for index, group in enumerate(found.groups):
        config = _narrowed(options.config_for(group.files[0]), options)
        jobs.append(Job(index, group.format, group.files, config, fix=options.fix, compliance=options.compliance))
    accepted = None
    if options.baseline is not None and not options.write_baseline:
        accepted = baselines.read(options.baseline)  # before the audit: a bad baseline fails at once
    results = run(jobs, options.workers, progress=options.progress)

    checked = Checked([], 0, excluded=found.excluded, skipped=found.skipped, errors=list(found.problems))
    for result in results:
        checked.files += result.files
        checked.models.extend(result.models)
        checked.notes.extend(result.notes)
        checked.errors.extend(result.errors)
    items = merge(results)
    checked.not_audited = [i for i in items if i.finding.code in NOT_AUDITED]
    checked.findings = [i for i in items if i.finding.code not in NOT_AUDITED]
    checked.models.sort(key=lambda m: display_path(m.name))
    if options.baseline is not None and options.write_baseline:
        written = baselines.write(options.baseline, checked.findings)
        checked.notes.append(
            f"Wrote {plural(written, 'finding')} to the baseline {display_path(str(options.baseline))}."
        )
    elif options.baseline is not None and accepted is not None:
        split = baselines.split(checked.findings, options.baseline, accepted)
        checked.baseline = display_path(str(options.baseline))
        checked.findings, checked.baselined, checked.gone = split.new, split.known, split.gone
    return checked


def merge(results: Sequence[Result]) -> list[Located]:
    """Every result's findings, one per problem, sorted by file, line, column and rule."""
    findings: dict[tuple[object, ...], Located] = {}
    for result in results:
        for item in result.findings:
            f = item.finding
            # the same rule on the same line with the same words is one problem, whether it was
            # placed on the key or on the value; the value is the closer place
            key = (item.file, f.code, f.range.start_line, f.message)
            kept = findings.get(key)
            if kept is None or f.range.start_col > kept.finding.range.start_col:
                findings[key] = item
    return sorted(findings.values(), key=sort_key)


def _narrowed(config: Config, options: Options) -> Config:
    if not options.select and not options.ignore:
        return config
    return config.model_copy(
        update={
            "select": list(options.select) or config.select,
            "ignore": [*config.ignore, *options.ignore],
        }
    )
