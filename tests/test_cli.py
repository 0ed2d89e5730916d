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


# --- what chaos, preview and compare are given -------------------------------------------------------

HOSTILE = """name: "esc\\e[31mRED"
components:
  "a\\e[2Jb": {type: service, technology: go}
  db: {type: database, technology: postgresql, version: "16"}
connections:
  - {from: "a\\e[2Jb", to: db}
"""


def test_terminal_control_characters_from_a_file_are_shown_not_obeyed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from archls.cli import main

    path = tmp_path / "esc.arch.yaml"
    path.write_text(HOSTILE, encoding="utf-8")
    for argv in (
        ["chaos", str(path), "--fail", "db"],
        ["check", str(path), "-j", "1"],
        ["check", str(path), "-j", "1", "--format", "github"],
        ["compare", str(path), str(path)],
    ):
        main(argv)
        out = capsys.readouterr().out
        assert "\x1b" not in out and "a\\x1b[2Jb" in out, argv
    assert main(["chaos", str(path), "--fail", "\x1b[2J"]) == 2
    assert "\x1b" not in capsys.readouterr().err


def test_folders_bad_bytes_and_ports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    from archls.cli import main

    workspace = ROOT / "tests" / "editors" / "workspace"
    # a folder of manifests and a Terraform module folder are each one architecture
    assert main(["chaos", str(workspace / "k8s"), "--each"]) == 1
    assert f"{workspace / 'k8s'}: k8s" in capsys.readouterr().out
    page = tmp_path / "infra.html"
    assert main(["preview", str(workspace / "infra"), "--html", str(page)]) == 0
    assert 'data-component-id="assets"' in page.read_text("utf-8")
    capsys.readouterr()
    # a file of the module that cannot be read is said, not silently left out
    module = tmp_path / "module"
    module.mkdir()
    (module / "main.tf").write_text((workspace / "infra" / "main.tf").read_text("utf-8"), encoding="utf-8")
    (module / "db.tf").write_text('resource "aws_db_instance" "db" {\n  engine =\n', encoding="utf-8")
    assert main(["chaos", str(module), "--each"]) == 1
    assert f"archls: note: {module / 'db.tf'}:2:11: HCL syntax error" in capsys.readouterr().err

    bad = tmp_path / "bad.arch.yaml"
    bad.write_bytes(b"\xff\xfe bad")
    assert main(["chaos", str(bad), "--each"]) == 2
    assert (
        capsys.readouterr().err == f"archls: {bad}: byte 0xff at offset 0 is not valid UTF-8; save the file as UTF-8\n"
    )

    with pytest.raises(SystemExit) as exit_:
        main(["preview", str(workspace / "shop.arch.yaml"), "--port", "99999", "--no-browser"])
    assert exit_.value.code == 2 and "99999 is not a port" in capsys.readouterr().err
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["preview", str(workspace / "shop.arch.yaml"), "--port", str(port), "--no-browser"]) == 2
    assert capsys.readouterr().err.startswith(f"archls: cannot serve on 127.0.0.1:{port}: Address already in use;")
