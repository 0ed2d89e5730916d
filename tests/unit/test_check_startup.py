"""`archls check` run as the program stays light: what it imports to audit a folder, and the same
findings whether the Terraform files are parsed in a forked child while it starts or in the process
itself (``-j 1``). Fresh interpreters, no timing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: Modules a check never needs: other commands' (their options too; exports, the preview, the
#: assistant, specs, coach, import, the server and its protocol), worker processes and the progress
#: bar for a small run,
#: --exclude's pattern matching, python-hcl2's writer.
HEAVY = (
    "anthropic",
    "httpx",
    "jinja2",
    "markupsafe",
    "networkx",
    "hcl2",
    "pathspec",
    "tqdm",
    "multiprocessing",
    "concurrent.futures",
    "lsprotocol",
    "pygls",
    "archls.server",
    "archls.assistant",
    "archls.coach",
    "archls.commands",
    "archls.compare",
    "archls.docs",
    "archls.export",
    "archls.importer",
    "archls.intel",
    "archls.preview",
    "archls.specs",
)

#: Runs `archls check ARGS` as the program does (main() reading sys.argv) and prints its report
#: with the modules it left loaded.
_CHECK = """
import contextlib, io, json, sys
sys.argv = ["archls", "check", *sys.argv[1:]]
from archls.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    code = main()
print(json.dumps({"code": code, "report": out.getvalue(), "modules": sorted(sys.modules)}))
"""

MODULE = {
    "main.tf": """
resource "aws_s3_bucket" "logs" {
  bucket = "team-logs"
}

resource "aws_security_group" "web" {
  name = "web"
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_db_instance" "orders" {
  engine              = "postgres"
  instance_class      = var.db_class
  publicly_accessible = true
  storage_encrypted   = false
}
""",
    # one block: read whole, not block by block
    "variables.tf": '\ufeffvariable "db_class" {\n  default = "db.t3.micro"\n}\n',
    "broken.tf": 'resource "aws_instance" "app" {\n  ami = \n}\n',
}


def _check(*args: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "ARCHLS_RULE_MODULES"}
    done = subprocess.run(
        [sys.executable, "-c", _CHECK, *args], capture_output=True, text=True, timeout=120, cwd=ROOT, env=env
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == h or m.startswith(f"{h}.") for h in HEAVY)]


def test_a_terraform_check_is_the_same_parsed_beside_it_or_in_it_and_stays_light(tmp_path: Path) -> None:
    folder = tmp_path / "infra"
    folder.mkdir()
    for name, text in MODULE.items():
        (folder / name).write_text(text, encoding="utf-8")
    args = (str(folder), "--format", "json", "--fail-on", "never")
    beside, inside = _check(*args), _check(*args, "-j", "1")
    findings = {(f["file"].rsplit("/", 1)[-1], f["line"], f["rule"]) for f in json.loads(beside["report"])}
    assert findings >= {
        ("broken.tf", 2, "ARCH001"),
        ("main.tf", 12, "SEC106"),
        ("main.tf", 19, "SEC001"),
        ("main.tf", 20, "SEC104"),
    }
    assert beside["report"] == inside["report"]
    assert _heavy(beside["modules"]) == [] and _heavy(inside["modules"]) == []
    if sys.platform.startswith("linux"):
        # every file came parsed from the child: this process never loaded the parser
        assert {"lark", "regex"}.isdisjoint(beside["modules"])
        assert "lark" in inside["modules"]


@pytest.mark.parametrize("folder", ["examples"])
def test_an_architecture_check_stays_light(folder: str) -> None:
    answer = _check(str(ROOT / folder), "--format", "json", "--fail-on", "never")
    assert json.loads(answer["report"])  # the audit ran and found something
    assert _heavy(answer["modules"]) == []
    assert "lark" not in answer["modules"]


def test_the_child_names_files_as_the_module_loader_does_and_leaves_big_trees_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from archls.batch import prefetch
    from archls.formats import _tfmodule

    for folder in ("infra", "infra/modules/db", "node_modules/pkg", ".terraform/modules/x"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "main.tf").write_text('variable "x" {}\n', encoding="utf-8")
    (tmp_path / "infra" / ".hidden.tf").write_text("", encoding="utf-8")
    found = prefetch.terraform_files([str(tmp_path)])
    expected = _tfmodule._tf_files(str(tmp_path / "infra")) + _tfmodule._tf_files(str(tmp_path / "infra/modules/db"))
    assert sorted(found) == sorted(expected) and len(found) == 2
    # a file named alone brings its module's other files
    assert prefetch.terraform_files([str(tmp_path / "infra" / "main.tf")]) == _tfmodule._tf_files(
        str(tmp_path / "infra")
    )
    monkeypatch.setattr(prefetch, "MAX_BYTES", 20)
    assert prefetch.terraform_files([str(tmp_path)]) == []  # a run for worker processes: no child's work


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_what_a_broken_child_hands_back_is_ignored() -> None:
    from archls.batch import prefetch
    from archls.formats import _tfmodule

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        os.write(write_end, b"\x80\x05not a pickle")
        os._exit(0)
    os.close(write_end)
    cached = dict(_tfmodule._parsed)
    assert prefetch.Prefetch(pid, read_end).collect() == 0
    assert dict(_tfmodule._parsed) == cached
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped
