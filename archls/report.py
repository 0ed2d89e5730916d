"""Findings rendered for people and machines: text, JSON, SARIF 2.1.0 and GitHub annotations."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from archls import __version__
from archls.analysis.text import plural, usd
from archls.batch.audit import Located, Model
from archls.findings import Severity
from archls.paths import display_path
from archls.rules.registry import Code, all_codes

PROJECT_URL = "https://github.com/archls/archls"


#: Loader codes that say a file or a part of one was not audited (a template, a module archls does
#: not follow, a kind it does not know): notes beside the findings, never counted or failing a build.
NOT_AUDITED = frozenset({"ARCH020", "ARCH021", "ARCH022"})


@dataclass
class Checked:
    """What one ``archls check`` run found, ready to render."""

    findings: list[Located]
    files: int
    models: list[Model] = field(default_factory=list)
    not_audited: list[Located] = field(default_factory=list)
    #: fixes applied or refused
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    #: paths left out by --exclude
    excluded: list[str] = field(default_factory=list)
    #: files in the folders searched that could not be looked into, one sentence each
    skipped: list[str] = field(default_factory=list)
    baseline: str | None = None
    #: findings the baseline accepts, and its entries no finding matched
    baselined: int = 0
    gone: int = 0


def sort_key(item: Located) -> tuple[Any, ...]:
    f = item.finding
    return (display_path(item.file), f.range.start_line, f.range.start_col, f.code, f.message)


def as_dict(item: Located) -> dict[str, Any]:
    f = item.finding
    return {
        "file": display_path(item.file),
        "rule": f.code,
        "category": f.category,
        "severity": f.severity.value,
        "message": f.message,
        "line": f.range.start_line + 1,
        "column": f.range.start_col + 1,
        "end_line": f.range.end_line + 1,
        "end_column": f.range.end_col + 1,
        "path": list(f.path),
        "fixable": f.fix is not None,
    }


def _where(item: Located) -> str:
    f = item.finding
    return f"{display_path(item.file)}:{f.range.start_line + 1}:{f.range.start_col + 1}"


def text(checked: Checked, *, statistics: bool = False) -> str:
    items = checked.findings
    lines = (
        statistics_text(items)
        if statistics
        else [f"{_where(i)}: {i.finding.code} [{i.finding.severity.value}] {i.finding.message}" for i in items]
    )
    counts = Counter(i.finding.severity for i in items)
    files = plural(checked.files, "file")
    if items:
        parts = [plural(counts[s], s.value) for s in Severity if counts[s]]
        lines.append("")
        lines.append(f"{plural(len(items), 'finding')} in {files} ({', '.join(parts)})")
    else:
        lines.append(f"No findings in {files}." if checked.files else "No files were audited.")
    if checked.baseline is not None:
        accepted = f"{plural(checked.baselined, 'finding')} in the baseline {checked.baseline} {'is' if checked.baselined == 1 else 'are'} not shown"
        if checked.gone:
            accepted += f"; {plural(checked.gone, 'entry', 'entries')} of it no longer {'matches' if checked.gone == 1 else 'match'} a finding"
        lines.append(accepted + ".")
    if checked.excluded:
        lines.append(f"{plural(len(checked.excluded), 'path')} left out by --exclude.")
    if checked.not_audited or checked.skipped:
        lines.append("")
        lines.append("Not audited:")
        lines.extend(f"  {_where(i)}: {i.finding.message} ({i.finding.code})" for i in checked.not_audited)
        lines.extend(f"  {line}" for line in checked.skipped)
    if checked.models:
        lines.append("")
        lines.extend(model_line(m) for m in checked.models)
    for model in checked.models:
        lines.extend(model.compliance_lines)
    if checked.notes:
        lines.append("")
        lines.extend(checked.notes)
    from archls.terminal import printable

    return printable("\n".join(lines) + "\n")


def model_line(model: Model) -> str:
    name = display_path(model.name)
    kind = model.kind if len(model.files) <= 1 else f"{model.kind}, {plural(len(model.files), 'file')}"
    parts = [f"grade {model.grade}"] if model.grade else []
    if model.cost_monthly:
        budget = f" against a {usd(model.budget_monthly)} budget" if model.budget_monthly is not None else ""
        parts.append(f"estimated {usd(model.cost_monthly)}/month{budget} (archls cost {display_path(model.entry)})")
    return f"{name} ({kind}): {'; '.join(parts)}" if parts else f"{name} ({kind})"


def statistics(items: Sequence[Located]) -> list[dict[str, Any]]:
    """Findings counted per rule, the most frequent first."""
    from archls.rules.registry import get

    counts = Counter(i.finding.code for i in items)
    severities: dict[str, Counter[str]] = {}
    for i in items:
        severities.setdefault(i.finding.code, Counter())[i.finding.severity.value] += 1
    rows = []
    for code, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        found = get(code)
        rows.append(
            {
                "rule": code,
                "count": count,
                "severity": severities[code].most_common(1)[0][0],
                "title": found.title if found else "",
                "fixable": sum(1 for i in items if i.finding.code == code and i.finding.fix is not None),
            }
        )
    return rows


def statistics_text(items: Sequence[Located]) -> list[str]:
    rows = statistics(items)
    width = max((len(f"{r['count']:,}") for r in rows), default=1)
    return [f"{r['count']:>{width},}  {r['rule']:<8} {'[' + r['severity'] + ']':<10} {r['title']}" for r in rows]


def as_json(items: Sequence[Located]) -> str:
    return json.dumps([as_dict(i) for i in items], indent=2) + "\n"


def summary(checked: Checked, exit_code: int) -> dict[str, Any]:
    """The JSON summary of a run: counts, per model grade and cost, what was not audited."""
    items = checked.findings
    by_severity = Counter(i.finding.severity.value for i in items)
    return {
        "archls": __version__,
        "exit_code": exit_code,
        "files": checked.files,
        "findings": len(items),
        "by_severity": {s.value: by_severity.get(s.value, 0) for s in Severity},
        "by_rule": {row["rule"]: row["count"] for row in statistics(items)},
        "baseline": None
        if checked.baseline is None
        else {"file": checked.baseline, "accepted": checked.baselined, "no_longer_found": checked.gone},
        "excluded": checked.excluded,
        "skipped": checked.skipped,
        "models": [
            {
                "name": display_path(m.name),
                "kind": m.kind,
                "files": [display_path(f) for f in m.files],
                "grade": m.letter,
                "score": m.score,
                "cost_monthly": round(m.cost_monthly, 2) if m.cost_monthly else None,
                "budget_monthly": m.budget_monthly,
                **({"compliance": m.compliance} if m.compliance is not None else {}),
            }
            for m in checked.models
        ],
        "not_audited": [
            {
                "file": display_path(i.file),
                "line": i.finding.range.start_line + 1,
                "column": i.finding.range.start_col + 1,
                "rule": i.finding.code,
                "message": i.finding.message,
            }
            for i in checked.not_audited
        ],
        "errors": checked.errors,
    }


def github(items: Sequence[Located], not_audited: Sequence[Located] = ()) -> str:
    level = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice", Severity.HINT: "notice"}
    out = []
    for i, kind in [*((i, None) for i in items), *((i, "notice") for i in not_audited)]:
        f = i.finding
        props = (
            f"file={_escape_property(display_path(i.file))},line={f.range.start_line + 1},col={f.range.start_col + 1},"
            f"endLine={f.range.end_line + 1},endColumn={f.range.end_col + 1},title={_escape_property(f.code)}"
        )
        out.append(f"::{kind or level[f.severity]} {props}::{_escape_data(f'{f.code} {f.message}')}")
    return "\n".join(out) + ("\n" if out else "")


def _escape_data(value: str) -> str:
    from archls.terminal import printable

    # a workflow log shows colours and cursor moves too: controls from the files are shown as escapes
    return printable(value, keep="\r\n").replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note", Severity.HINT: "note"}


def _sarif_rule(code: Code) -> dict[str, Any]:
    help_text = f"{code.what}\n\nWhy it matters: {code.why}\n\nFix: {code.fix}"
    rule: dict[str, Any] = {
        "id": code.id,
        "name": "".join(word.capitalize() for word in code.title.replace("-", " ").split() if word.isalnum())
        or code.id,
        "shortDescription": {"text": code.title},
        "fullDescription": {"text": code.what},
        "help": {"text": help_text, "markdown": rule_markdown(code)},
        "helpUri": f"{PROJECT_URL}/blob/main/docs/rules/{code.id}.md",
        "defaultConfiguration": {"level": _SARIF_LEVEL[code.severity]},
        "properties": {"category": code.category.value, "tags": [code.category.title]},
    }
    return rule


def _sarif_location(i: Located) -> dict[str, Any]:
    f = i.finding
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": display_path(i.file)},
            "region": {
                "startLine": f.range.start_line + 1,
                "startColumn": f.range.start_col + 1,
                "endLine": f.range.end_line + 1,
                "endColumn": f.range.end_col + 1,
            },
        }
    }


def sarif(items: Sequence[Located], not_audited: Sequence[Located] = ()) -> str:
    codes = all_codes()
    index = {c.id: n for n, c in enumerate(codes)}
    results = []
    for i in items:
        f = i.finding
        result: dict[str, Any] = {
            "ruleId": f.code,
            "level": _SARIF_LEVEL[f.severity],
            "message": {"text": f.message},
            "locations": [_sarif_location(i)],
        }
        if f.code in index:
            result["ruleIndex"] = index[f.code]
        results.append(result)
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "archls",
                        "version": __version__,
                        "informationUri": PROJECT_URL,
                        "rules": [_sarif_rule(c) for c in codes],
                    }
                },
                "columnKind": "unicodeCodePoints",
                # what was not audited (templates, modules not followed) is said about the run, not found in the code
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "toolExecutionNotifications": [
                            {
                                "level": "note",
                                "message": {"text": i.finding.message},
                                "locations": [_sarif_location(i)],
                                "descriptor": {"id": i.finding.code},
                            }
                            for i in not_audited
                        ],
                    }
                ],
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"


def rule_markdown(code: Code) -> str:
    """The documentation page of a code: what it checks, why it matters, an example, the fix."""
    lines = [
        f"# {code.id}: {code.title}",
        "",
        f"Category: {code.category.title} ({code.category.value}) · Default severity: {code.severity.value}"
        + (" · Quick fix available" if code.fixable else ""),
        "",
    ]
    if code.severity_note:
        lines += [code.severity_note, ""]
    if code.formats is not None:
        lines += [f"Applies to: {_format_names(code.formats)}.", ""]
    lines += [
        "## What it checks",
        "",
        code.what,
        "",
        "## Why it matters",
        "",
        code.why,
        "",
        "## Example",
        "",
        "```yaml" if not code.example.lstrip().startswith(("resource", "(")) else "```",
        code.example,
        "```",
        "",
        "## How to fix",
        "",
        code.fix,
    ]
    refs = list(code.references)
    refs += [f"{c.framework.upper()} {c.id}" + (f": {c.title}" if c.title else "") for c in code.controls]
    equivalents = [
        f"{tool} {', '.join(ids)}" for tool, ids in (("checkov", code.checkov), ("Trivy", code.trivy)) if ids
    ]
    if refs or equivalents or code.kics or code.related:
        lines += ["", "## References", ""]
        lines += [f"- {r}" for r in refs]
        if equivalents:
            lines.append(
                f"- Matching checks: {'; '.join(equivalents)} (held to agreeing with those tools on the same files "
                "by archls's differential test)"
            )
        if code.kics:
            # KICS ships as a Go binary outside the registries CI installs from, so nothing holds these
            # to KICS's verdicts: the page says so rather than claim a match.
            lines.append(
                f"- KICS queries with the same intent: {', '.join(code.kics)} (not compared case by case: "
                "KICS is not run by the differential test)"
            )
        titles = {"checkov": "checkov", "kics": "KICS", "trivy": "Trivy"}
        lines += [f"- Related: {titles.get(r.tool, r.tool)} {r.id}: {r.note}" for r in code.related]
    lines += [
        "",
        "## Silencing",
        "",
        f"Add `# archls: ignore[{code.id}] reason` on the line, or list `{code.id}` under `ignore:` in `.archls.yaml`.",
        "",
    ]
    return "\n".join(lines)


_FORMAT_TITLES = {
    "arch": "architecture files",
    "compose": "compose files",
    "kubernetes": "Kubernetes manifests",
    "terraform": "Terraform",
}


def _format_names(formats: frozenset[str]) -> str:
    return ", ".join(_FORMAT_TITLES.get(f, f) for f in sorted(formats, key=list(_FORMAT_TITLES).index))


def rule_text(code: Code) -> str:
    """The documentation for a terminal: the Markdown without its heading marks."""
    return "\n".join(line.removeprefix("## ").removeprefix("# ") for line in rule_markdown(code).splitlines()) + "\n"
