"""The controls CI users expect of `archls check`: --select, --ignore, --exclude, --statistics,
a baseline that survives line shifts, a JSON summary, and one clear line with exit 2 for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archls import cli

MODULE = {
    "storage.tf": 'resource "aws_s3_bucket" "logs" {\n  bucket = "logs"\n}\n',
    "db.tf": (
        'resource "aws_db_instance" "db" {\n'
        '  engine            = "postgres"\n'
        '  instance_class    = "db.t3.micro"\n'
        "  storage_encrypted = false\n"
        "}\n"
    ),
}


@pytest.fixture
def module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "infra"
    folder.mkdir()
    for name, text in MODULE.items():
        (folder / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    return folder


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["check", "-j", "1", *args])
    out, err = capsys.readouterr()
    return code, out, err


def rules(capsys: pytest.CaptureFixture[str], *args: str) -> list[str]:
    _, out, _ = check(capsys, *args, "--format", "json")
    return [row["rule"] for row in json.loads(out)]


def test_select_and_ignore_narrow_the_rules(module: Path, capsys: pytest.CaptureFixture[str]) -> None:
    every = rules(capsys, "infra")
    assert "SEC101" in every and "SEC104" in every
    assert set(rules(capsys, "infra", "--select", "SEC104")) == {"SEC104"}
    assert set(rules(capsys, "infra", "--select", "sec101,SEC104")) == {"SEC101", "SEC104"}
    assert not {r for r in rules(capsys, "infra", "--ignore", "SEC") if r.startswith("SEC")}
    narrowed = rules(capsys, "infra", "--select", "SEC", "--ignore", "SEC101")
    assert "SEC104" in narrowed and "SEC101" not in narrowed and all(r.startswith("SEC") for r in narrowed)


def test_exclude_leaves_files_out_but_keeps_them_as_context(module: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = check(capsys, ".", "--exclude", "db.tf", "--format", "json")
    files = {row["file"] for row in json.loads(out)}
    assert files == {"infra/storage.tf"}
    code, out, err = check(capsys, ".", "--exclude", "infra/")
    assert code == 2 and "left out by --exclude" in err
    code, out, _ = check(capsys, ".", "--exclude", "*.yaml,db.tf", "--summary", "summary.json")
    assert "1 path left out by --exclude." in out
    assert json.loads(Path("summary.json").read_text())["excluded"] == ["infra/db.tf"]


def test_statistics_count_per_rule(module: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = check(capsys, "infra", "--statistics")
    lines = out.splitlines()
    assert not any(line.startswith("infra/") for line in lines), "counts replace the list"
    assert any(line.split()[:3] == ["1", "SEC104", "[error]"] for line in lines), lines
    assert code == 1
    _, out, _ = check(capsys, "infra", "--statistics", "--format", "json")
    rows = json.loads(out)
    assert {"rule", "count", "severity", "title", "fixable"} <= set(rows[0])
    assert [r["count"] for r in rows] == sorted((r["count"] for r in rows), reverse=True)


def test_a_baseline_hides_accepted_findings_and_survives_line_shifts(
    module: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = check(capsys, "infra", "--baseline", "baseline.json", "--write-baseline")
    assert code == 0 and "to the baseline baseline.json." in out
    written = json.loads(Path("baseline.json").read_text())
    assert all(not row["file"].startswith("/") for row in written["findings"]), "paths relative to the baseline"

    code, out, _ = check(capsys, "infra", "--baseline", "baseline.json")
    assert code == 0 and out.startswith("No findings in 2 files.")
    # lines added above every finding: nothing is new
    for name in MODULE:
        path = module / name
        path.write_text("# moved down\n\n\n" + path.read_text())
    code, out, _ = check(capsys, "infra", "--baseline", "baseline.json")
    assert code == 0 and out.startswith("No findings in 2 files."), out
    # a new problem is reported, and fails the build alone
    with (module / "db.tf").open("a") as handle:
        handle.write(
            'resource "aws_db_instance" "replica" {\n  engine = "postgres"\n  instance_class = "db.t3.micro"\n}\n'
        )
    code, out, _ = check(capsys, "infra", "--baseline", "baseline.json", "--format", "json")
    new = json.loads(out)
    assert code == 1
    assert new and all("replica" in row["message"] or row["line"] >= 9 for row in new), new
    # a fixed problem: its entry no longer matches
    (module / "storage.tf").write_text("")
    code, out, _ = check(capsys, "infra", "--baseline", "baseline.json", "--select", "SEC104")
    assert "no longer match" in out


def test_json_summary(module: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = check(capsys, "infra", "--format", "sarif", "--output", "report.sarif", "--summary", "summary.json")
    summary = json.loads(Path("summary.json").read_text())
    assert summary["exit_code"] == code == 1
    assert summary["files"] == 2 and summary["findings"] == sum(summary["by_severity"].values())
    assert summary["by_rule"]["SEC104"] == 1
    [model] = summary["models"]
    assert model["name"] == "infra" and model["kind"] == "Terraform module" and len(model["files"]) == 2
    assert model["grade"] in "ABCDF" and isinstance(model["score"], float)
    assert json.loads(Path("report.sarif").read_text())["version"] == "2.1.0"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "/nonexistent/dir/x"], "the folder /nonexistent/dir does not exist"),
        (["-o", "."], "is a folder"),
        (["--summary", "/nonexistent/x.json"], "does not exist"),
        (["--select", "XYZ"], "no rule or category 'XYZ'"),
        (["--ignore", "SEC,NOPE1"], "no rule or category 'NOPE1'"),
        (["--jobs", "0"], "not a number of processes"),
        (["--jobs", "many"], "not a whole number"),
        (["--statistics", "--format", "sarif"], "does not combine with --format sarif"),
        (["--write-baseline"], "needs --baseline FILE"),
        (["--baseline", "missing.json"], "does not exist; write it first with --write-baseline"),
        (["--baseline", "bad.json"], "is not valid JSON"),
        (["--baseline", "other.json"], "is not an archls baseline"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    module: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    Path("bad.json").write_text("{")
    Path("other.json").write_text('{"results": []}')
    try:
        code = cli.main(["check", "infra", *args])
    except SystemExit as exc:  # argparse's own errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert code == 2
    assert message in err
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 2, err
    assert not out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["rules", "--category", "XYZ"], "no category 'XYZ'; the categories are ARCH, CMP"),
        (["cost", "examples/chat.arch.yaml", "--region", "mars-1"], "no prices for 'mars-1'"),
        (["check", "no/such/folder"], "cannot read no/such/folder: no such file or folder"),
        (["check", "--format", "yaml", "."], "invalid choice: 'yaml'"),
    ],
)
def test_other_commands_reject_nonsense_in_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, argv: list[str], message: str
) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    try:
        code = cli.main(argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    _, err = capsys.readouterr()
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err


def test_a_file_that_cannot_be_looked_into_is_named(module: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (module / "gone.yaml").symlink_to(module / "moved-away.yaml")  # a dangling link: open fails
    _, out, _ = check(capsys, "infra", "--summary", "summary.json")
    note = "infra/gone.yaml: cannot be read (No such file or directory)"
    assert note in out.split("Not audited:")[1]
    assert json.loads(Path("summary.json").read_text())["skipped"] == [note]
