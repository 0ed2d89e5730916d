"""The scaffolded repository of every example passes its own CI's steps: each service's lint and
tests (with its dependencies stubbed), and ``terraform fmt -check``. Building images needs a
container engine, which this machine lacks, so the build steps are the one part not run.

Installing packages is left out of the commands run (no test reaches the network): Python services
run in an environment holding what their tests import (gRPC, from scripts/export-validators.sh),
Node services need nothing beyond Node, since their clients load their libraries when first used.
"""

from __future__ import annotations

import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from archls.cli import main
from tests.export_support import INSTALL_HINT, ROOT, architectures, ids, run, tool

ARCHS = architectures()
NAMES = ids(ARCHS)
SERVICES_PYTHON = ROOT / ".tools" / "services" / "bin" / "python"
#: Steps that install packages, taken out of a CI command before it runs here.
INSTALLS = re.compile(r"(npm install[^&]*|python -m pip install[^&]*)&& ")


@pytest.fixture(scope="module")
def repos(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("scaffolds")
    for arch, name in zip(ARCHS, NAMES, strict=True):
        assert main(["scaffold", str(arch), "-o", str(root / name)]) == 0
    return {name: root / name for name in NAMES}


def ci_steps(repo: Path) -> list[tuple[str, str]]:
    """The lint and test commands of the repository's GitHub workflow, installs taken out."""
    workflow = yaml.safe_load((repo / ".github/workflows/ci.yml").read_text())
    steps = []
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            if step.get("name") in ("Lint", "Test"):
                steps.append((step["name"], INSTALLS.sub("", step["run"])))
    return steps


def test_every_service_the_team_writes_gets_a_folder(repos: dict[str, Path]):
    from archls import export
    from archls.export.context import build

    for arch, name in zip(ARCHS, NAMES, strict=True):
        ctx = build(*export.load(arch))
        wanted = {str(c.dns) for c in ctx.services if c.team_code}
        folders = {p.name for p in (repos[name] / "services").iterdir()} if wanted else set()
        assert folders == wanted, name
        for comp in ctx.services:
            if not comp.team_code:
                continue
            folder = repos[name] / "services" / comp.dns
            assert (folder / "Dockerfile").is_file()
            if comp.grpc_port is not None:
                assert list((folder / "proto").glob("*.proto")), f"{name}/{comp.dns} serves gRPC without a .proto"
    # Off-the-shelf parts run from their images.
    assert not (repos["ride-sharing"] / "services" / "gateway").exists()  # Kong


@pytest.mark.parametrize("name", NAMES)
def test_the_repository_passes_its_ci_steps(repos: dict[str, Path], name: str):
    repo = repos[name]
    steps = ci_steps(repo)
    if not (repo / "services").exists():
        assert not steps
    python_services = any("ruff check" in command for _, command in steps)
    if python_services and not SERVICES_PYTHON.exists():
        pytest.skip(f"no environment for the services' tests: {INSTALL_HINT}")
    if any("node " in command for _, command in steps) and tool("node") is None:
        pytest.skip("the Node services need node on PATH")
    bin_dirs = [
        str(SERVICES_PYTHON.parent),
        str(Path(tool("ruff") or "ruff").parent),
        "/usr/local/bin",
        "/usr/bin",
        "/bin",
    ]
    env = {"PATH": ":".join(bin_dirs), "PYTHONDONTWRITEBYTECODE": "1"}

    def one(step: tuple[str, str]):
        return step, run(["bash", "-c", step[1]], cwd=repo, env=env, timeout=300)

    # Node services that speak gRPC get the gRPC packages their `npm install` would bring.
    node_grpc = ROOT / ".tools" / "node-services" / "node_modules"
    for package in (repo / "services").glob("*/package.json") if node_grpc.exists() else []:
        if "@grpc/grpc-js" in package.read_text() and not (package.parent / "node_modules").exists():
            (package.parent / "node_modules").symlink_to(node_grpc)
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(one, steps))
    failed = [f"{kind}: {command}\n{done.stdout[-3000:]}{done.stderr[-3000:]}" for (kind, command), done in results
              if done.returncode != 0]  # fmt: skip
    assert not failed, "\n\n".join(failed)
    terraform = shutil.which("terraform")
    if terraform:
        done = run([terraform, "-chdir=infra/terraform", "fmt", "-check", "-recursive"], cwd=repo)
        assert done.returncode == 0, done.stdout + done.stderr


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _started(command: list[str], cwd: Path, env: dict[str, str], port: int):
    import subprocess
    import time
    import urllib.request

    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{cwd.name} exited: {process.stderr.read() if process.stderr else ''}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError(f"{cwd.name} never answered")


def test_two_scaffolded_services_talk_over_grpc(repos: dict[str, Path]):
    """url-shortener's shorten flow: links-api calls id-generator over gRPC, each its own process,
    with the clients and .proto files the scaffold wrote (no stub between them)."""
    import json
    import urllib.request

    if not SERVICES_PYTHON.exists():
        pytest.skip(f"no environment with grpcio for the services: {INSTALL_HINT}")
    services = repos["url-shortener"] / "services"
    base = {"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}
    callee_http, callee_grpc, http_port = _free_port(), _free_port(), _free_port()
    env = {**base, "PORT": str(callee_http), "GRPC_PORT": str(callee_grpc)}
    callee = _started([str(SERVICES_PYTHON), "app.py"], services / "id-generator", env, callee_http)
    caller = None
    try:
        env = {**base, "PORT": str(http_port), "ID_GENERATOR_HOST": "127.0.0.1",
               "ID_GENERATOR_GRPC_PORT": str(callee_grpc)}  # fmt: skip
        caller = _started([str(SERVICES_PYTHON), "app.py"], services / "links-api", env, http_port)
        request = urllib.request.Request(
            f"http://127.0.0.1:{http_port}/flows/shorten", data=json.dumps({"url": "https://example.com"}).encode(),
            method="POST",
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=10) as response:
            reply = json.load(response)
        assert reply["service"] == "links-api"
        assert reply["next"] == {
            "service": "id-generator",
            "flow": "shorten",
            "request": {"url": "https://example.com"},
        }
    finally:
        for process in (caller, callee):
            if process is not None:
                process.terminate()
                process.wait(timeout=10)
