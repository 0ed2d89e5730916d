"""Compliance status per control: which controls of the frameworks a file lists pass and which fail.

A control is checked by every enabled rule that maps to it (``controls=[Control(...)]`` in the
registry); it fails when any of those rules reports a finding in the file (suppressed findings
do not count). Frameworks come from the file's ``requirements.compliance``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from archls.findings import Finding

if TYPE_CHECKING:
    from archls.engine import Analysis

FRAMEWORK_TITLES = {"pci-dss": "PCI DSS v4.0", "hipaa": "HIPAA", "soc2": "SOC 2", "gdpr": "GDPR"}


@dataclass
class ControlStatus:
    framework: str
    control: str
    title: str
    rules: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.findings

    def to_json(self) -> dict[str, Any]:
        return {
            "control": self.control,
            "title": self.title,
            "passed": self.passed,
            "rules": self.rules,
            "findings": [{"rule": f.code, "line": f.range.start_line + 1, "message": f.message} for f in self.findings],
        }


def _natural(control: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", control)]


def status(analysis: Analysis) -> dict[str, list[ControlStatus]]:
    """Controls per framework the file lists, in the frameworks' own order."""
    from archls.rules.registry import all_codes

    model = analysis.model
    if model is None:
        return {}
    wanted = [str(getattr(f, "value", f)) for f in model.requirements.compliance]
    out: dict[str, dict[str, ControlStatus]] = {fw: {} for fw in wanted}
    by_code: dict[str, list[Finding]] = {}
    for finding in analysis.findings:
        if finding.file in (None, analysis.path):
            by_code.setdefault(finding.code, []).append(finding)
    for code in all_codes():
        if not code.is_rule or not code.controls or not analysis.config.enabled(code.id):
            continue
        for control in code.controls:
            table = out.get(control.framework)
            if table is None:
                continue
            entry = table.setdefault(control.id, ControlStatus(control.framework, control.id, control.title))
            entry.rules.append(code.id)
            entry.findings.extend(by_code.get(code.id, ()))
    return {fw: sorted(table.values(), key=lambda c: _natural(c.control)) for fw, table in out.items()}


def render(file: str, statuses: dict[str, list[ControlStatus]]) -> list[str]:
    """The table for one file, as text lines."""
    if not statuses:
        return []
    lines = ["", f"Compliance of {file}"]
    for framework, controls in statuses.items():
        title = FRAMEWORK_TITLES.get(framework, framework)
        passed = sum(c.passed for c in controls)
        lines.append(f"  {title}: {passed} of {len(controls)} controls passed")
        if not controls:
            lines.append("    (no rule checks this framework yet)")
        width = max((len(c.control) for c in controls), default=0)
        for c in controls:
            state = "passed" if c.passed else "FAILED"
            failing = sorted({f.code for f in c.findings})
            detail = (
                f"{len(c.findings)} finding{'s' if len(c.findings) != 1 else ''} ({', '.join(failing)})"
                if c.findings
                else ", ".join(c.rules)
            )
            lines.append(f"    {state}  {c.control:<{width}}  {c.title}  [{detail}]")
    return lines


def as_json(statuses: dict[str, list[ControlStatus]]) -> dict[str, Any]:
    return {framework: [c.to_json() for c in controls] for framework, controls in statuses.items()}
