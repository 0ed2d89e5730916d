"""The grade formula, the compliance table, and the CLI's --fix and --compliance."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from archls import cli, compliance, engine
from archls.analysis.grade import FORMULA, explain, grade, letter_for
from archls.config import Config
from archls.findings import Finding, Range, Severity
from archls.model import Architecture, Component, ComponentType

ROOT = Path(__file__).resolve().parents[2]


def model(n: int) -> Architecture:
    return Architecture(name="x", components={f"c{i}": Component(type=ComponentType.SERVICE) for i in range(n)})


def finding(code: str, severity: Severity) -> Finding:
    return Finding(code, "m", severity, Range(0, 0, 0, 1), category=code.rstrip("0123456789"))


def test_clean_architecture_scores_a() -> None:
    result = grade([], model(3))
    assert (result.letter, result.score) == ("A", 100.0)


def test_weights_scale_with_size_and_cap_per_category() -> None:
    one_error = [finding("SEC001", Severity.ERROR)]
    assert grade(one_error, model(5)).score == 96.0  # 8 x 10 / 20
    assert grade(one_error, model(200)).score == 99.6  # 8 x 10 / 200
    warnings = [finding("REL010", Severity.WARNING)] * 3
    assert grade(warnings, model(10)).breakdown["REL"].loss == 3.0
    many = [finding("SEC001", Severity.ERROR)] * 50
    capped = grade(many, model(10))
    assert capped.breakdown["SEC"].loss == 25.0
    assert capped.score == 75.0 and capped.letter == "C"


def test_tooling_codes_do_not_count_and_unreadable_files_fail() -> None:
    assert grade([finding("ARCH011", Severity.WARNING)], model(1)).score == 100.0
    assert grade([finding("ARCH001", Severity.ERROR)], model(1)).letter == "F"
    assert grade([], None).letter == "F"


@pytest.mark.parametrize(("score", "letter"), [(95, "A"), (90, "A"), (89.9, "B"), (70, "C"), (60, "D"), (59, "F")])
def test_letters(score: float, letter: str) -> None:
    assert letter_for(score) == letter


def test_explanation_shows_losses_and_formula() -> None:
    text = explain(grade([finding("REL010", Severity.WARNING)], model(2)))
    assert "**Architecture grade A**" in text
    assert "| REL | 1.0 | 0 | 1 | 0 |" in text
    assert FORMULA in text


def test_compliance_status_of_the_ride_sharing_example() -> None:
    path = ROOT / "examples" / "ride-sharing.arch.yaml"
    analysis = engine.analyse(path.read_text(), str(path), Config())
    statuses = compliance.status(analysis)
    assert list(statuses) == ["pci-dss", "gdpr"]
    pci = {c.control: c for c in statuses["pci-dss"]}
    assert not pci["6.4.2"].passed and [f.code for f in pci["6.4.2"].findings] == ["CMP006"]
    assert pci["3.5.1"].passed and {"SEC014", "CMP001"} <= set(pci["3.5.1"].rules)
    lines = compliance.render("ride-sharing.arch.yaml", statuses)
    assert any(line.startswith("  PCI DSS v4.0: ") and "controls passed" in line for line in lines)
    assert any("FAILED  6.4.2" in line for line in lines)


def test_disabled_rules_check_no_control() -> None:
    path = ROOT / "examples" / "ride-sharing.arch.yaml"
    analysis = engine.analyse(path.read_text(), str(path), Config(ignore=["CMP006", "SEC003"]))
    assert "6.4.2" not in {c.control for c in compliance.status(analysis)["pci-dss"]}


def test_cli_compliance_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    example = str(ROOT / "examples" / "ride-sharing.arch.yaml")
    cli.main(["check", example, "--compliance"])
    out = capsys.readouterr().out
    assert "Compliance of " in out and "GDPR: " in out
    assert "ride-sharing.arch.yaml (architecture): grade " in out
    cli.main(["check", example, "--compliance", "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert {"findings", "compliance"} == set(data)
    table = next(iter(data["compliance"].values()))
    assert {"pci-dss", "gdpr"} == set(table)
    assert any(not c["passed"] and c["control"] == "6.4.2" for c in table["pci-dss"])


def test_cli_fix_writes_only_the_edits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "ride.arch.yaml"
    shutil.copy(ROOT / "examples" / "ride-sharing.arch.yaml", target)
    before = target.read_text().split("\n")
    code = cli.main(["check", str(target), "--fix", "--fail-on", "never"])
    assert code == 0
    out = capsys.readouterr().out
    assert "Fixed 5 problems" in out
    after = target.read_text().split("\n")
    # Every original line is still there, in order (fixes add keys or change one value in place).
    changed = [line for line in before if line not in after]
    assert changed == [
        "    backups: true",
        "  - {from: payments, to: payment-provider, protocol: https, timeout_ms: 5000, retries: 2, data: [card]}",
    ]
    assert len(after) - len(before) == 2
    # The re-check reports what remains, without the fixed findings.
    reported = {line.split(": ")[1].split()[0] for line in out.splitlines() if line.startswith(str(target) + ":")}
    assert "REL016" not in reported and "CMP006" not in reported and "CMP014" in reported
    # A second run has nothing safe left to fix.
    cli.main(["check", str(target), "--fix", "--fail-on", "never"])
    assert "Fixed" not in capsys.readouterr().out


def test_cli_fix_keeps_a_byte_order_mark(tmp_path: Path) -> None:
    target = tmp_path / "bom.arch.yaml"
    target.write_bytes(b"\xef\xbb\xbfname: x\ncomponents:\n  api:\n    type: service\n")
    cli.main(["check", str(target), "--fix", "--fail-on", "never"])
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfname: x\n")
    assert b"health_check: {path: /healthz}" in data


def test_every_threshold_a_rule_reads_is_documented() -> None:
    import re

    used = set()
    for path in (ROOT / "archls" / "rules").glob("*.py"):
        used |= set(re.findall(r'threshold\("([a-z_.]+)"', path.read_text(encoding="utf-8")))
    documented = (ROOT / "docs" / "thresholds.md").read_text(encoding="utf-8")
    assert used and all(f"`{name}`" in documented for name in used), sorted(used)
