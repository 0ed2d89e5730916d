"""`archls check` over real folders as a CI job runs it: one finding per problem whatever the path
is written as, sorted, one grade per model, groups audited once and shared out, worker processes
giving the same report as one process."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from archls import cli, engine
from archls.config import Config
from tests.shared import CORPUS

ROOT = Path(__file__).resolve().parents[1]
needs_corpus = pytest.mark.skipif(CORPUS is None, reason="the shared corpus is not beside this checkout")
FINDING = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+\d+) \[")


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["check", "-j", "1", *args])
    out, err = capsys.readouterr()
    return code, out, err


def findings(out: str) -> list[tuple[str, int, int, str]]:
    rows = []
    for line in out.splitlines():
        m = FINDING.match(line)
        if m:
            rows.append((m["file"], int(m["line"]), int(m["col"]), m["code"]))
    return rows


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the corpus folders the tests read (a copy, so nothing here can touch the shared files)."""
    if CORPUS is None:
        pytest.skip("the shared corpus is not beside this checkout")
    target = tmp_path_factory.mktemp("corpus")
    for name in ("terragoat", "kubernetes-goat", "example-voting-app"):
        shutil.copytree(CORPUS / name, target / name)
    return target


@needs_corpus
def test_relative_absolute_and_dot_paths_give_one_report(
    corpus: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(corpus)
    _, relative, _ = check(capsys, "terragoat", "example-voting-app")
    _, absolute, _ = check(capsys, str(corpus / "terragoat"), str(corpus / "example-voting-app"))
    assert relative == absolute
    monkeypatch.chdir(corpus / "terragoat" / "aws")
    _, dot, _ = check(capsys, ".")
    inside = [line.removeprefix("terragoat/aws/") for line in relative.splitlines() if line.startswith("terragoat/")]
    assert [line for line in dot.splitlines() if FINDING.match(line)] == [
        line for line in inside if FINDING.match(line)
    ]

    rows = findings(relative)
    assert rows == sorted(rows), "findings are sorted by file, line and column"
    # one finding per problem: never the same rule twice on one line of one file
    places = [(file, line, code) for file, line, _, code in rows]
    assert len(places) == len(set(places))
    # the secret in lambda.tf is reported once, on its value (column 20), not also on its key
    assert [r for r in rows if r[0] == "terragoat/aws/lambda.tf" and r[1] == 45] == [
        ("terragoat/aws/lambda.tf", 45, 20, "SEC007")
    ]
    # the grade and the cost are given once per model, not once per file
    grades = [line for line in relative.splitlines() if "grade" in line and not FINDING.match(line)]
    assert grades.count(next(g for g in grades if g.startswith("terragoat/aws (Terraform module, 14 files)"))) == 1
    assert sum(g.startswith("terragoat/aws ") for g in grades) == 1
    assert sum(g.startswith("example-voting-app/k8s-specifications ") for g in grades) == 1


@needs_corpus
def test_a_named_file_reports_its_own_findings_with_its_module_as_context(
    corpus: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(corpus)
    _, whole, _ = check(capsys, "terragoat")
    _, one, _ = check(capsys, "terragoat/aws/s3.tf")
    assert {r[0] for r in findings(one)} == {"terragoat/aws/s3.tf"}
    assert findings(one) == [r for r in findings(whole) if r[0] == "terragoat/aws/s3.tf"]
    assert "terragoat/aws (Terraform module): grade F" in one


def test_a_module_is_audited_once_and_shared_out_to_its_files(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "aws_s3_bucket" "logs" {\n  bucket = "logs"\n}\n'
        'resource "aws_db_instance" "db" {\n  engine = "postgres"\n  instance_class = "db.t3.micro"\n}\n'
    )
    (tmp_path / "other.tf").write_text(
        'resource "aws_s3_bucket" "data" { # archls: ignore[SEC101] served through CloudFront only\n'
        '  bucket = "data"\n}\n'
    )
    main, other = str(tmp_path / "main.tf"), str(tmp_path / "other.tf")
    first = engine.analyse((tmp_path / "main.tf").read_text(), main, Config())
    second = engine.analyse((tmp_path / "other.tf").read_text(), other, Config())
    assert first.group is not None and first.group is second.group, "the second file reuses the module's audit"
    assert set(first.files) == {main, other}
    # each view holds its own findings as the file's own, the others naming their file
    assert {f.file for f in second.findings} == {None, main}
    own = {f.code for f in second.findings if f.file is None}
    assert "SEC101" not in own, "the comment in other.tf suppresses its finding, whichever file was read first"
    assert "SEC101" in {f.code for f in first.findings if f.file is None}
    assert "SEC101" not in {f.code for f in first.findings if f.file == other}
    # an edit of a file of the module is a new audit
    changed = engine.analyse((tmp_path / "main.tf").read_text() + "\n", main, Config())
    assert changed.group is not first.group


def test_a_broken_file_of_a_module_is_reported_on_itself(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.tf").write_text('resource "aws_s3_bucket" "logs" {\n  bucket = "logs"\n')
    (tmp_path / "b.tf").write_text('resource "aws_s3_bucket" "data" {\n  bucket = "data"\n}\n')
    code, out, _ = check(capsys, str(tmp_path), "--format", "json")
    rows = json.loads(out)
    errors = [r for r in rows if r["rule"] == "ARCH001"]
    assert len(errors) == 1 and errors[0]["file"].endswith("a.tf")
    assert any(r["file"].endswith("b.tf") and r["rule"] == "SEC101" for r in rows)
    assert code == 1


def test_manifests_of_a_folder_are_audited_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  containers:\n  - name: app\n    image: nginx:1.25\n"
    (tmp_path / "a.yaml").write_text(pod.format(name="a"))
    (tmp_path / "b.yaml").write_text(pod.format(name="b"))
    (tmp_path / "broken.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: c\n")
    (tmp_path / "cert.yaml").write_text("apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: web\n")
    _, text, _ = check(capsys, str(tmp_path))
    # the custom resource is a note, not a finding
    notes = text.split("Not audited:\n", 1)[1].splitlines()
    assert "cert.yaml:2:7: Certificate 'web' is a custom resource (cert-manager.io/v1)" in notes[0]
    _, out, _ = check(capsys, str(tmp_path), "--format", "json")
    rows = [r for r in json.loads(out) if r["rule"] != "ARCH022"]
    places = [(r["file"], r["line"], r["column"], r["rule"]) for r in rows]
    assert len(places) == len(set(places))
    assert {Path(r["file"]).name for r in rows} == {"a.yaml", "b.yaml", "broken.yaml"}
    assert [r["rule"] for r in rows if r["file"].endswith("broken.yaml")] == ["ARCH001"]


@needs_corpus
def test_worker_processes_give_the_report_one_process_gives(corpus: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "archls", "check", ".", "--format", "json", *args],
            capture_output=True,
            text=True,
            cwd=corpus,
            env={**os.environ},
        )

    one, two = run("-j", "1"), run("-j", "2")
    assert one.returncode == two.returncode == 1, (one.stderr, two.stderr)
    assert json.loads(one.stdout) == json.loads(two.stdout)
    assert len(json.loads(one.stdout)) > 200


def test_one_problem_found_on_a_key_and_its_value_is_reported_once() -> None:
    from archls.batch.audit import Located, Result
    from archls.batch.check import merge
    from archls.findings import Finding, Range, Severity

    def at(col: int) -> Located:
        message = "AWS secret key in the environment"
        return Located("/x/lambda.tf", Finding("SEC007", message, Severity.ERROR, Range(44, col, 44, 60)))

    merged = merge([Result(0, findings=[at(6)]), Result(1, findings=[at(19), at(6)])])
    assert [i.finding.range.start_col for i in merged] == [19]
