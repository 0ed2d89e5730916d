"""Findings rendered for people and machines: text, JSON, SARIF 2.1.0 and GitHub annotations."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archls import __version__
from archls.findings import Finding, Severity
from archls.rules.registry import Code, all_codes

PROJECT_URL = "https://github.com/archls/archls"


@dataclass(frozen=True, slots=True)
class Located:
    """A finding with the file it belongs to, as the CLI reports it."""

    file: str
    finding: Finding


def display_path(path: str) -> str:
    """``path`` relative to the working folder when it lies inside it, with forward slashes."""
    try:
        return Path(path).resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return Path(path).as_posix()


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


def text(items: Sequence[Located], files: int, *, summary_lines: Iterable[str] = ()) -> str:
    lines = [
        f"{display_path(i.file)}:{i.finding.range.start_line + 1}:{i.finding.range.start_col + 1}: "
        f"{i.finding.code} [{i.finding.severity.value}] {i.finding.message}"
        for i in items
    ]
    counts = Counter(i.finding.severity for i in items)
    if items:
        parts = [f"{counts[s]} {s.value}{'s' if counts[s] != 1 else ''}" for s in Severity if counts[s]]
        lines.append("")
        lines.append(
            f"{len(items)} finding{'s' if len(items) != 1 else ''} in {files} file{'s' if files != 1 else ''} ({', '.join(parts)})"
        )
    else:
        lines.append(f"No findings in {files} file{'s' if files != 1 else ''}.")
    lines.extend(summary_lines)
    return "\n".join(lines) + "\n"


def as_json(items: Sequence[Located]) -> str:
    return json.dumps([as_dict(i) for i in items], indent=2) + "\n"


def github(items: Sequence[Located]) -> str:
    level = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice", Severity.HINT: "notice"}
    out = []
    for i in items:
        f = i.finding
        props = (
            f"file={_escape_property(display_path(i.file))},line={f.range.start_line + 1},col={f.range.start_col + 1},"
            f"endLine={f.range.end_line + 1},endColumn={f.range.end_col + 1},title={_escape_property(f.code)}"
        )
        out.append(f"::{level[f.severity]} {props}::{_escape_data(f'{f.code} {f.message}')}")
    return "\n".join(out) + ("\n" if out else "")


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


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


def sarif(items: Sequence[Located]) -> str:
    codes = all_codes()
    index = {c.id: n for n, c in enumerate(codes)}
    results = []
    for i in items:
        f = i.finding
        result: dict[str, Any] = {
            "ruleId": f.code,
            "level": _SARIF_LEVEL[f.severity],
            "message": {"text": f.message},
            "locations": [
                {
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
            ],
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
