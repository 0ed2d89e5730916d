"""Explaining a finding in the context of this architecture.

Offline, the explanation is the rule's page with this file's values filled in: what the finding
says here, the component it is about and its settings, why the rule matters and what to change.
With a model, the model's few sentences come first and the rule's page follows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archls.engine import Analysis
    from archls.findings import Finding


def finding_at(analysis: Analysis, code: str, line: int | None) -> Finding | None:
    """The finding with this code, on this line (0-based) when given, else the first."""
    candidates = [f for f in analysis.findings if f.code == code and f.file in (None, analysis.path)]
    if line is not None:
        on_line = [f for f in candidates if f.range.start_line <= line <= f.range.end_line]
        candidates = on_line or candidates
    return candidates[0] if candidates else None


def subject(analysis: Analysis, finding: Finding) -> tuple[str, dict[str, Any]] | None:
    """The component (or connection) the finding is about, as written."""
    model = analysis.model
    path = finding.path
    if model is None or len(path) < 2:
        return None
    if path[0] == "components" and path[1] in model.components:
        comp = model.components[str(path[1])]
        return f"component '{path[1]}'", comp.model_dump(exclude_defaults=True, by_alias=True, mode="json")
    if path[0] == "connections" and isinstance(path[1], int) and path[1] < len(model.connections):
        conn = model.connections[path[1]]
        return f"connection {conn.source} -> {conn.target}", conn.model_dump(
            exclude_defaults=True, by_alias=True, mode="json"
        )
    if path[0] == "flows" and path[1] in model.flows:
        return f"flow '{path[1]}'", model.flows[str(path[1])].model_dump(exclude_defaults=True, mode="json")
    return None


def context(analysis: Analysis, finding: Finding) -> dict[str, Any]:
    """What a model is told about the finding (redacted before sending)."""
    from archls.rules.registry import get

    code = get(finding.code)
    about = subject(analysis, finding)
    out: dict[str, Any] = {
        "rule": finding.code,
        "title": code.title if code else "",
        "severity": str(finding.severity),
        "message": finding.message,
        "line": finding.range.start_line + 1,
        "system": analysis.model.name if analysis.model else None,
    }
    if code is not None:
        out["why"] = code.why
        out["fix"] = code.fix
    if about is not None:
        out["about"] = about[0]
        out["settings"] = about[1]
    return out


def offline(analysis: Analysis, finding: Finding) -> str:
    """Markdown: the rule's page in terms of this file."""
    import yaml

    from archls.rules.registry import get

    code = get(finding.code)
    title = code.title if code else finding.code
    lines = [
        f"**{finding.code}: {title}** ({finding.severity})",
        "",
        f"Here (line {finding.range.start_line + 1}): {finding.message}",
    ]
    about = subject(analysis, finding)
    if about is not None:
        shown = yaml.safe_dump(about[1], sort_keys=False, default_flow_style=True, width=100).strip()
        lines += ["", f"The {about[0]} as written: `{shown}`"]
    if code is not None:
        lines += ["", f"Why it matters: {code.why}", "", f"What to change: {code.fix}"]
        if code.example:
            lines += ["", "For example:", "", "```yaml", code.example.rstrip(), "```"]
    if finding.fix:
        lines += ["", f"Quick fix available: {finding.fix.get('title', '')}"]
    lines += ["", f"Full page: `archls rule {finding.code}`"]
    return "\n".join(lines)
