"""``archls import``: files and folders into an architecture file that loads clean, with evidence."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from archls import engine
from archls.cli import main
from archls.config import Config
from tests.shared import CORPUS as _CORPUS

CORPUS = _CORPUS or Path("corpus-not-found")
needs_corpus = pytest.mark.skipif(
    _CORPUS is None, reason="the shared corpus is not beside this checkout (ARCHLS_SHARED)"
)


def snapshot(folder: Path) -> dict[str, float]:
    return {str(p): p.stat().st_mtime for p in folder.rglob("*")}


@needs_corpus
def test_voting_app_folder_becomes_an_architecture_with_evidence(tmp_path: Path) -> None:
    before = snapshot(CORPUS / "example-voting-app")
    output = tmp_path / "voting.arch.yaml"
    assert main(["import", str(CORPUS / "example-voting-app"), "-o", str(output)]) == 0
    assert snapshot(CORPUS / "example-voting-app") == before
    assert [p.name for p in tmp_path.iterdir()] == ["voting.arch.yaml"]
    text = output.read_text()
    analysis = engine.analyse(text, str(output), Config())
    assert analysis.model is not None
    assert not [f for f in analysis.findings if f.code.startswith("ARCH")]
    assert set(analysis.model.components) == {"vote", "result", "worker", "redis", "db"}
    assert {(c.source, c.target) for c in analysis.model.connections} == {
        ("vote", "redis"),
        ("result", "db"),
        ("worker", "redis"),
        ("worker", "db"),
    }
    assert (
        "# vote depends_on redis (docker-compose.images.yml:11); vote depends_on redis (docker-compose.yml:11)" in text
    )
    assert "Deployment db (k8s-specifications/db-deployment.yaml:6)" in text
    assert "POSTGRES_PASSWORD: null" in text  # secrets are not copied into the new file


def test_refuses_to_overwrite_without_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    image: nginx:1.25\n")
    output = tmp_path / "app.arch.yaml"
    output.write_text("name: mine\n")
    assert main(["import", str(tmp_path / "compose.yaml"), "-o", str(output)]) == 2
    assert output.read_text() == "name: mine\n"
    assert "--force" in capsys.readouterr().err
    assert main(["import", str(tmp_path / "compose.yaml"), "-o", str(output), "--force"]) == 0
    assert "web:" in output.read_text()


def test_output_must_be_an_architecture_file(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    image: nginx:1.25\n")
    assert main(["import", str(tmp_path), "-o", str(tmp_path / "out.yaml")]) == 2
    assert not (tmp_path / "out.yaml").exists()
    assert main(["import", str(tmp_path / "missing"), "-o", str(tmp_path / "x.arch.yaml")]) == 2


def test_package_files_name_the_technology(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n"
        "  api:\n    build: ./api\n    environment:\n      DB_URL: postgres://db:5432/app\n"
        "  jobs:\n    build:\n      context: ./jobs\n"
        "  web:\n    build: ./web\n"
        "  db:\n    image: postgres:16\n"
    )
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "package.json").write_text('{"name": "api", "engines": {"node": ">=20"}}')
    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs" / "go.mod").write_text("module example.com/jobs\n\ngo 1.22\n")
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "Dockerfile").write_text("FROM node:20 AS build\nFROM python:3.12-slim\nCOPY . /app\n")
    output = tmp_path / "app.arch.yaml"
    assert main(["import", str(tmp_path), "-o", str(output)]) == 0
    model = engine.analyse(output.read_text(), str(output), Config()).model
    assert model is not None
    assert (model.components["api"].technology, model.components["api"].version) == ("node", "20")
    assert (model.components["jobs"].technology, model.components["jobs"].version) == ("go", "1.22")
    assert (model.components["web"].technology, model.components["web"].version) == ("python", "3.12")
    assert "# technology from api/package.json" in output.read_text()


@needs_corpus
def test_terraform_and_manifests_import_and_audit(tmp_path: Path) -> None:
    output = tmp_path / "shop.arch.yaml"
    paths = [str(CORPUS / "online-boutique" / "release"), str(CORPUS / "terragoat" / "aws")]
    assert main(["import", *paths, "-o", str(output)]) == 0
    analysis = engine.analyse(output.read_text(), str(output), Config())
    assert analysis.model is not None
    assert not [f for f in analysis.findings if f.code.startswith("ARCH")]
    assert {"frontend", "cartservice", "aws_db_instance.default", "weblb"} <= set(analysis.model.components)
    assert "# PRODUCT_CATALOG_SERVICE_ADDR=productcatalogservice:3550 (online-boutique/release/" in output.read_text()


def test_prints_to_standard_output_without_a_file(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    image: nginx:1.25\n")
    done = subprocess.run(
        [sys.executable, "-m", "archls", "import", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ},
    )
    assert done.returncode == 0
    assert "components:\n  # service web (compose.yaml:2)\n  web:\n" in done.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["compose.yaml"]


def test_a_compose_file_nested_past_the_parser_limit_is_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Build folders come from what the compose loader read (bounded), not from reading the file again.
    (tmp_path / "deep").mkdir()
    (tmp_path / "deep" / "compose.yaml").write_text(
        "services:\n  web:\n    build: .\n    labels: " + "[" * 3000 + "]" * 3000 + "\n"
    )
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "compose.yaml").write_text("services:\n  api:\n    build: ./api\n")
    (tmp_path / "app" / "api").mkdir()
    (tmp_path / "app" / "api" / "go.mod").write_text("module example.com/api\n\ngo 1.22\n")
    output = tmp_path / "app.arch.yaml"
    assert main(["import", str(tmp_path), "-o", str(output)]) == 0
    assert "deep/compose.yaml: nesting is deeper" in capsys.readouterr().err
    model = engine.analyse(output.read_text(), str(output), Config()).model
    assert model is not None and model.components["api"].technology == "go"
