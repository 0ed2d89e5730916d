"""The command line as a CI job sees it: output formats, exit codes, SARIF validity."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from tests.shared import need_shared

ROOT = Path(__file__).resolve().parents[1]

FLAWED = """name: flawed
components:
  web: {type: client}
  a: {type: service}
  b: {type: service}
  unused: {type: service}
connections:
  - {from: web, to: a}
  - {from: a, to: b}
  - {from: b, to: a}
"""


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "archls", *args], capture_output=True, text=True, cwd=cwd or ROOT, env={**os.environ}
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    # These tests are about output formats; the structural rules give them a fixed set of findings.
    (tmp_path / ".archls.yaml").write_text("select: [QUAL001, QUAL002]\n")
    (tmp_path / "flawed.arch.yaml").write_text(FLAWED)
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "clean.arch.yaml").write_text("name: ok\ncomponents:\n  web: {type: client}\n")
    (tmp_path / "nested" / "unrelated.yaml").write_text("foo: [\n")
    return tmp_path


def test_text_output_and_exit_codes(project: Path) -> None:
    result = run("check", str(project))
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert any(
        line.endswith("flawed.arch.yaml:10:5: QUAL001 [error] synchronous required calls form a cycle: a -> b -> a")
        for line in lines
    ), lines
    assert "2 findings in 2 files (1 error, 1 warning)" in result.stdout
    assert run("check", str(project / "nested")).returncode == 0
    assert run("check", str(project), "--fail-on", "never").returncode == 0


def test_fail_on_threshold(project: Path) -> None:
    target = project / "only-warning.arch.yaml"
    target.write_text("name: w\ncomponents:\n  web: {type: client}\n  lone: {type: service}\n")
    assert run("check", str(target)).returncode == 0
    assert run("check", str(target), "--fail-on", "warning").returncode == 1


def test_json_output(project: Path) -> None:
    result = run("check", str(project), "--format", "json")
    rows = json.loads(result.stdout)
    assert {r["rule"] for r in rows} == {"QUAL001", "QUAL002"}
    cycle = next(r for r in rows if r["rule"] == "QUAL001")
    assert cycle["file"].endswith("flawed.arch.yaml")
    assert (cycle["line"], cycle["column"], cycle["end_line"]) == (10, 5, 10)
    assert cycle["category"] == "QUAL" and cycle["severity"] == "error"


def test_sarif_validates_against_the_official_schema(project: Path) -> None:
    result = run("check", str(project), "--format", "sarif")
    log = json.loads(result.stdout)
    schema = json.loads((need_shared() / "schemas" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validate(log, schema)
    run_ = log["runs"][0]
    ids = [r["id"] for r in run_["tool"]["driver"]["rules"]]
    for result_ in run_["results"]:
        assert ids[result_["ruleIndex"]] == result_["ruleId"]
    assert {r["ruleId"] for r in run_["results"]} == {"QUAL001", "QUAL002"}


def test_github_annotations(project: Path) -> None:
    result = run("check", str(project / "flawed.arch.yaml"), "--format", "github")
    assert result.stdout.startswith("::warning file=")
    assert "\n::error file=" in result.stdout
    assert ",line=10,col=5," in result.stdout
    assert "title=QUAL001::QUAL001 synchronous" in result.stdout


def test_unreadable_and_missing_files_exit_2(project: Path) -> None:
    result = run("check", str(project / "missing.arch.yaml"))
    assert result.returncode == 2
    assert "cannot read" in result.stderr
    result = run("check", str(project / "nested" / "unrelated.yaml"))
    assert result.returncode == 2
    assert "not a file archls reads" in result.stderr


def test_usage_error_exits_2() -> None:
    assert run("check").returncode == 2
    assert run("check", ".", "--format", "xml").returncode == 2
    assert run("rule", "NOPE999").returncode == 2


def test_non_utf8_file_is_a_positioned_finding(tmp_path: Path) -> None:
    path = tmp_path / "latin.arch.yaml"
    path.write_bytes(b"name: x\ncomponents:\n  caf\xe9: {type: service}\n")
    result = run("check", str(path), "--format", "json")
    [row] = json.loads(result.stdout)
    assert (row["rule"], row["line"], row["column"]) == ("ARCH009", 3, 6)
    assert result.returncode == 1


def test_output_to_file_and_console_script(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.sarif"
    run("check", str(project), "--format", "sarif", "-o", str(out))
    assert json.loads(out.read_text())["version"] == "2.1.0"
    exe = Path(sys.executable).parent / "archls"
    if exe.exists():
        assert subprocess.run([str(exe), "--version"], capture_output=True, text=True).stdout.startswith("archls ")


def test_examples_check_like_make_run() -> None:
    result = run("check", "examples/")
    assert result.returncode in (0, 1), result.stderr
    assert re.search(r"in \d+ files", result.stdout), result.stdout


def test_rules_and_rule_docs() -> None:
    rows = json.loads(run("rules", "--format", "json").stdout)
    assert {"id", "title", "category", "severity", "has_fix"} <= set(rows[0])
    doc = run("rule", "qual001").stdout
    for part in ("What it checks", "Why it matters", "Example", "How to fix"):
        assert part in doc


def test_schema_check_and_docs_check_pass_on_the_repository() -> None:
    assert run("schema", "--check").returncode == 0
    assert run("docs", "--check").returncode == 0
