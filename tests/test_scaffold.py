"""``archls scaffold``: a repository that runs, with dependencies that match the connections."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest

from archls.cli import main
from tests.export_support import FIXTURES, run

SHOP = FIXTURES / "shop.arch.yaml"


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("scaffold") / "shop"
    assert main(["scaffold", str(SHOP), "-o", str(out)]) == 0
    return out


def test_repository_layout(repo: Path):
    for rel in ("README.md", "compose.yaml", "architecture.arch.yaml", ".gitignore", ".github/workflows/ci.yml",
                "infra/terraform/ecs.tf", "deploy/kubernetes/kustomization.yaml", "deploy/nginx/nginx.conf",
                "prisma/db/schema.prisma", "services/api/Dockerfile", "services/orders/Dockerfile",
                "services/worker/Dockerfile"):  # fmt: skip
        assert (repo / rel).is_file(), rel
    readme = (repo / "README.md").read_text()
    assert "```mermaid" in readme and "flowchart LR" in readme and "## This repository" in readme


def test_dependencies_match_what_each_service_connects_to(repo: Path):
    api = tomllib.loads((repo / "services/api/pyproject.toml").read_text())["project"]["dependencies"]
    assert [d.split(">")[0] for d in api] == ["redis"]  # HTTP calls use the standard library
    worker = tomllib.loads((repo / "services/worker/pyproject.toml").read_text())["project"]["dependencies"]
    assert {d.split(">")[0].split("[")[0] for d in worker} == {"boto3", "confluent-kafka", "psycopg"}
    orders = json.loads((repo / "services/orders/package.json").read_text())
    assert set(orders["dependencies"]) == {"pg", "kafkajs"}


def test_the_code_uses_each_connection_with_its_timeout_and_retries(repo: Path):
    api = (repo / "services/api/clients.py").read_text()
    assert "timeout=0.5, retries=2" in api  # api -> orders: timeout_ms 500 in the architecture
    assert "class CacheClient(Client)" in api and ".set(key, json.dumps(work), ex=300)" in api
    app = (repo / "services/api/app.py").read_text()
    assert "'/flows/checkout': 'flow_checkout'" in app
    assert "self.deps.orders.call(" in app  # the checkout flow's next hop after api
    worker = (repo / "services/worker/app.py").read_text()
    assert "def on_bus(self, message: bytes)" in worker and "def start_consumers(" in worker
    assert "consumer.poll(1.0)" in (repo / "services/worker/clients.py").read_text()


def test_compose_builds_the_services_from_their_folders(repo: Path):
    import yaml

    compose = yaml.safe_load((repo / "compose.yaml").read_text())
    assert compose["services"]["api"]["build"] == {"context": "./services/api"}
    assert compose["services"]["orders"]["depends_on"]["db"] == {"condition": "service_healthy"}
    docker_compose = shutil.which("docker-compose")
    if docker_compose:
        done = run([docker_compose, "-f", str(repo / "compose.yaml"), "config", "-q"], cwd=repo)
        assert done.returncode == 0, done.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_health(port: int, path: str, process: subprocess.Popen) -> dict:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the service exited: {process.stderr.read() if process.stderr else ''}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as response:
                return json.load(response)
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the service never answered its health endpoint")


@pytest.mark.parametrize(("service", "command", "path"), [("api", [sys.executable, "app.py"], "/health"),
                                                         ("orders", ["node", "server.js"], "/healthz")])  # fmt: skip
def test_each_service_runs_and_answers_its_health_endpoint(repo: Path, service: str, command: list[str], path: str):
    if shutil.which(command[0]) is None:
        pytest.skip(f"{command[0]} is not installed")
    port = _free_port()
    process = subprocess.Popen(
        command, cwd=repo / "services" / service, env={"PORT": str(port), "PATH": "/usr/bin:/bin"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert _wait_health(port, path, process) == {"status": "ok", "service": service}
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_git_commit_is_deterministic_and_pushes_to_a_remote(tmp_path: Path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    remote = tmp_path / "remote.git"
    assert run(["git", "init", "--quiet", "--bare", str(remote)]).returncode == 0
    heads = []
    for n in (1, 2):
        out = tmp_path / f"repo{n}"
        push = ["--push", str(remote)] if n == 1 else ["--git"]
        assert main(["scaffold", str(SHOP), "-o", str(out), *push]) == 0
        heads.append(run(["git", "-C", str(out), "rev-parse", "HEAD"]).stdout.strip())
    assert heads[0] == heads[1] and len(heads[0]) == 40
    assert run(["git", "-C", str(remote), "rev-parse", "main"]).stdout.strip() == heads[0]
    log = run(["git", "-C", str(tmp_path / "repo1"), "log", "--format=%an <%ae> %aI"]).stdout.strip()
    assert log == "archls <archls@users.noreply.invalid> 2000-01-01T00:00:00+00:00"
    status = run(["git", "-C", str(tmp_path / "repo1"), "status", "--porcelain"]).stdout
    assert status == ""


def test_scaffold_refuses_a_folder_that_is_not_empty(tmp_path: Path, capsys):
    (tmp_path / "keep.txt").write_text("mine")
    assert main(["scaffold", str(SHOP), "-o", str(tmp_path)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_scaffold_reports_a_push_that_fails(tmp_path: Path, capsys):
    assert main(["scaffold", str(SHOP), "-o", str(tmp_path / "r"), "--push", str(tmp_path / "missing.git")]) == 2
    assert "git push failed" in capsys.readouterr().err


def test_a_repository_from_compose_keeps_an_architecture_file_that_loads(tmp_path: Path):
    from archls import export

    source = tmp_path / "compose.yaml"
    source.write_text(
        "services:\n  api:\n    image: ghcr.io/acme/api:1.0\n    depends_on: [db]\n  db:\n    image: postgres:16\n"
    )
    out = tmp_path / "repo"
    assert main(["scaffold", str(source), "-o", str(out)]) == 0
    model, _ = export.load(out / "architecture.arch.yaml")  # refuses a file with loader errors
    assert {"api", "db"} <= set(model.components)
