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


@needs_corpus
def test_unrelated_projects_in_one_folder_stay_separate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # awesome-compose: 39 samples, many with a 'web' and a 'db'; none may merge with another's.
    output = tmp_path / "samples.arch.yaml"
    assert main(["import", str(CORPUS / "awesome-compose"), "-o", str(output)]) == 0
    assert "39 separate projects" in capsys.readouterr().err
    model = engine.analyse(output.read_text(), str(output), Config()).model
    assert model is not None
    assert len(model.components) == 81  # every service of every sample, as the corpus README counts them
    assert {"angular.web", "apache-php.web", "aspnet-mssql.db", "gitea-postgres.db"} <= set(model.components)
    projects = {cid.split(".", 1)[0] for cid in model.components}
    for connection in model.connections:  # a connection never crosses from one project to another
        assert connection.source.split(".", 1)[0] == connection.target.split(".", 1)[0], connection
    assert len(projects) == 39


def test_one_project_in_several_formats_merges_by_id(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  api:\n    image: acme/api:1.0\n  db:\n    image: postgres:16\n"
    )
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "db.yaml").write_text(
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: shop}\nspec:\n"
        "  replicas: 3\n  selector: {matchLabels: {app: db}}\n  template:\n    metadata: {labels: {app: db}}\n"
        "    spec:\n      containers: [{name: pg, image: 'postgres:16'}]\n"
    )
    output = tmp_path / "shop.arch.yaml"
    assert main(["import", str(tmp_path), "-o", str(output)]) == 0
    model = engine.analyse(output.read_text(), str(output), Config()).model
    assert model is not None and set(model.components) == {"api", "db"}
    assert model.components["db"].replicas == 3


def test_connection_strings_in_their_common_forms(tmp_path: Path) -> None:
    stores = {
        "pg": "postgres:16.4",
        "maria": "mariadb:11.4",
        "sql": "mcr.microsoft.com/mssql/server:2022-latest",
        "ora": "gvenzl/oracle-free:23",
        "mongo": "mongo:7.0",
        "broker1": "apache/kafka:3.8.0",
        "broker2": "apache/kafka:3.8.0",
        "rabbit": "rabbitmq:3.13",
        "cache": "redis:7.4",
        "legacy": "postgres:16.4",
    }
    env = {
        "JDBC_URL": "jdbc:postgresql://pg:5432/app?user=app",
        "SPRING_DATASOURCE_URL": "jdbc:mariadb://maria:3306/shop",
        "REPORTS_DB": "jdbc:sqlserver://sql:1433;databaseName=reports",
        "LEDGER_DB": "jdbc:oracle:thin:@//ora:1521/ledger",
        "MONGO_URI": "mongodb://mongo:27017/app",
        "KAFKA_BOOTSTRAP_SERVERS": "broker1:9092,broker2:9092",
        "BROKER": "amqps://rabbit:5671/vhost",
        "SESSIONS": "rediss://cache:6380/0",
        "LEGACY_DSN": "host=legacy port=5433 dbname=old",
    }
    lines = ["services:", "  app:", "    image: acme/app:1.0", "    environment:"]
    lines += [f"      {key}: '{value}'" for key, value in env.items()]
    for name, image in stores.items():
        lines += [f"  {name}:", f"    image: {image}"]
    (tmp_path / "compose.yaml").write_text("\n".join(lines) + "\n")
    model = engine.analyse((tmp_path / "compose.yaml").read_text(), str(tmp_path / "compose.yaml"), Config()).model
    assert model is not None
    edges = {c.target: c for c in model.connections if c.source == "app"}
    assert set(edges) == set(stores)
    assert edges["legacy"].port == 5433
    assert edges["sql"].port == 1433
    assert edges["cache"].tls is True


def test_a_configmap_every_service_loads_is_not_evidence_of_who_calls_whom(tmp_path: Path) -> None:
    def deployment(name: str, extra: str = "") -> str:
        return (
            f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: shop}}\nspec:\n"
            f"  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n"
            f"    spec:\n      containers:\n      - name: app\n        image: 'ghcr.io/acme/{name}:1.0.0'\n"
            f"        ports: [{{containerPort: 8080}}]\n{extra}---\n"
            f"apiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: shop}}\nspec:\n"
            f"  selector: {{app: {name}}}\n  ports: [{{port: 8080}}]\n---\n"
        )

    shared = "        envFrom: [{configMapRef: {name: endpoints}}]\n"
    picked = (
        "        env:\n        - name: CART_ADDR\n"
        "          valueFrom: {configMapKeyRef: {name: endpoints, key: CART_ADDR}}\n"
    )
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: endpoints, namespace: shop}\n"
        "data: {CART_ADDR: 'cart:8080', USERS_ADDR: 'users:8080', ORDERS_ADDR: 'orders:8080'}\n---\n"
        + deployment("cart", shared)
        + deployment("users", shared)
        + deployment("orders", shared)
        + deployment("checkout", picked)
    )
    path = tmp_path / "shop.yaml"
    model = engine.analyse(text, str(path), Config()).model
    assert model is not None
    assert {(c.source, c.target) for c in model.connections} == {("checkout", "cart")}


def test_remote_modules_are_named_as_not_followed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "main.tf").write_text(
        'module "vpc" {\n  source  = "terraform-aws-modules/vpc/aws"\n  version = "5.8.1"\n}\n\n'
        'resource "aws_sqs_queue" "jobs" {\n  name = "jobs"\n}\n'
    )
    analysis = engine.analyse((tmp_path / "main.tf").read_text(), str(tmp_path / "main.tf"), Config())
    notes = [f for f in analysis.findings if f.code == "ARCH021"]
    assert [(f.range.start_line, f.range.start_col) for f in notes] == [(1, 2)]
    assert "terraform-aws-modules/vpc/aws" in notes[0].message
    output = tmp_path / "infra.arch.yaml"
    assert main(["import", str(tmp_path), "-o", str(output)]) == 0
    assert "not followed: main.tf:2: module 'vpc'" in capsys.readouterr().err
