"""Compose files read into the model: services, technologies, connections with evidence, override
files, and settings placed on the compose key that sets them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from archls import engine
from archls.config import Config
from archls.evidence import evidence_of
from archls.formats import detect
from tests.shared import CORPUS as _CORPUS

VOTING = (_CORPUS or Path("corpus-not-found")) / "example-voting-app"
needs_corpus = pytest.mark.skipif(
    _CORPUS is None, reason="the shared corpus is not beside this checkout (ARCHLS_SHARED)"
)


def audit(path: Path, text: str | None = None) -> engine.Analysis:
    source = path.read_text(encoding="utf-8") if text is None else text
    return engine.analyse(source, str(path), Config())


@pytest.mark.parametrize(
    ("name", "claimed"),
    [
        ("compose.yaml", True),
        ("compose.yml", True),
        ("docker-compose.yml", True),
        ("docker-compose.prod.yaml", True),
        ("compose.override.yaml", True),
        ("config.yaml", False),
        ("my-compose.yml", False),
    ],
)
def test_compose_files_are_claimed_by_name(name: str, claimed: bool) -> None:
    fmt = detect(f"/x/{name}", "services: {}\n")
    assert (fmt is not None and fmt.name == "compose") is claimed


@needs_corpus
def test_voting_app_has_five_components_and_their_connections() -> None:
    analysis = audit(VOTING / "docker-compose.yml")
    model = analysis.model
    assert model is not None
    assert set(model.components) == {"vote", "result", "worker", "redis", "db"}  # 'seed' only runs under a profile
    db = model.components["db"]
    assert (db.type.value, db.technology, db.version) == ("database", "postgresql", "15")
    assert model.components["redis"].technology == "redis"
    # Published on every interface of the host, but whether the host faces the internet is not in the file.
    assert model.components["vote"].public is False
    assert model.components["vote"].ports == [80]
    codes = {(f.code, f.range.start_line + 1) for f in analysis.findings}
    assert ("SEC301", 22) in codes
    assert not {code for code, _ in codes} & {"SEC003", "SEC005", "SEC008", "SEC013", "SEC016", "PERF005", "REL015"}
    edges = {(c.source, c.target): c for c in model.connections}
    assert set(edges) == {("vote", "redis"), ("result", "db"), ("worker", "redis"), ("worker", "db")}
    worker_db = edges[("worker", "db")]
    assert (worker_db.protocol.value if worker_db.protocol else None, worker_db.port) == ("postgres", 5432)
    assert evidence_of(worker_db)[0].line == 49
    assert evidence_of(worker_db)[0].kind == "depends_on"


def test_environment_values_naming_a_service_are_connections(tmp_path: Path) -> None:
    path = tmp_path / "compose.yaml"
    path.write_text(
        "services:\n"
        "  api:\n"
        "    image: acme/api:1.0\n"
        "    environment:\n"
        "      DATABASE_URL: postgres://app@db:5432/app\n"
        "      REDIS_HOST: cache\n"
        "      POSTGRES_USER: db\n"
        "    links:\n"
        "      - search:es\n"
        "  db:\n"
        "    image: postgres:16\n"
        "  cache:\n"
        "    image: redis:7.2\n"
        "  search:\n"
        "    image: elasticsearch:8.13.0\n"
    )
    model = audit(path).model
    assert model is not None
    edges = {(c.source, c.target): c for c in model.connections}
    assert set(edges) == {("api", "db"), ("api", "cache"), ("api", "search")}
    assert [e.detail for e in evidence_of(edges[("api", "db")])] == ["DATABASE_URL=postgres://app@db:5432/app"]
    assert edges[("api", "cache")].protocol is not None and edges[("api", "cache")].protocol.value == "redis"
    assert model.components["search"].version == "8.13.0"


def test_container_settings_land_on_their_compose_key(tmp_path: Path) -> None:
    path = tmp_path / "docker-compose.yml"
    path.write_text(
        "services:\n"
        "  agent:\n"
        "    image: acme/agent:2\n"
        "    privileged: true\n"
        "    network_mode: host\n"
        "    volumes:\n"
        "      - ./data:/data\n"
        "      - /var/run/docker.sock:/var/run/docker.sock\n"
        "    deploy:\n"
        "      resources:\n"
        "        limits:\n"
        "          cpus: '0.5'\n"
        "          memory: 256M\n"
    )
    analysis = audit(path)
    model, loaded = analysis.model, analysis.loaded
    assert model is not None and loaded is not None
    container = model.components["agent"].container
    assert container is not None
    assert (container.privileged, container.host_network, container.docker_socket) == (True, True, True)
    resources = model.components["agent"].resources
    assert resources is not None and (resources.cpu, resources.memory_mb, resources.limits) == (0.5, 256.0, True)
    assert loaded.locate(("components", "agent", "container", "privileged")).start_line == 3
    assert loaded.locate(("components", "agent", "container", "docker_socket")).start_line == 7
    # no health check written: the finding goes on the service's key, not the whole service
    assert loaded.locate(("components", "agent", "health_check")).start_line == 1


def test_override_file_beside_the_base_is_merged(tmp_path: Path) -> None:
    base = tmp_path / "compose.yaml"
    base.write_text("services:\n  web:\n    image: nginx:1.25\n    ports:\n      - '8080:80'\n")
    override = tmp_path / "compose.override.yaml"
    override.write_text("services:\n  web:\n    privileged: true\n")
    analysis = audit(base)
    loaded = analysis.loaded
    assert analysis.model is not None and loaded is not None
    container = analysis.model.components["web"].container
    assert container is not None and container.privileged is True
    assert loaded.file_of(("components", "web", "container", "privileged")) == str(override)
    # opened from the override, the base's settings belong to the base
    from_override = audit(override)
    assert from_override.loaded is not None
    assert from_override.loaded.file_of(("services", "web", "ports", 0)) == str(base)
    assert from_override.loaded.file_of(("components", "web", "container", "privileged")) is None


def test_custom_tags_do_not_crash(tmp_path: Path) -> None:
    path = tmp_path / "compose.override.yaml"
    path.write_text(
        "services:\n  web:\n    ports: !reset []\n    environment: !override\n      A: b\n    image: !custom x\n"
    )
    analysis = audit(path)
    assert not [f for f in analysis.findings if f.code in {"ARCH000", "ARCH001"}]
    assert analysis.model is not None and "web" in analysis.model.components


def test_a_scalar_where_a_list_belongs_reads_as_no_items(tmp_path: Path) -> None:
    # `expose: 80` used to make the whole file unreadable (ARCH000 on line 1)
    path = tmp_path / "compose.yaml"
    analysis = audit(
        path, "services:\n  web:\n    image: nginx\n    expose: 80\n    cap_add: NET_ADMIN\n    security_opt: 5\n"
    )
    assert not [f for f in analysis.findings if f.code.startswith("ARCH")]
    assert analysis.model is not None
    web = analysis.model.components["web"]
    assert web.ports == [] and (web.container is None or not web.container.capabilities)


def test_a_digit_that_is_no_number_is_no_port(tmp_path: Path) -> None:
    # "²" is a digit to str.isdigit but not a number to int(): the loader raised on it
    path = tmp_path / "compose.yaml"
    analysis = audit(path, 'services:\n  web:\n    image: nginx\n    ports: ["²", "8080:²"]\n    expose: ["²"]\n')
    assert not [f for f in analysis.findings if f.code.startswith("ARCH")]
    assert analysis.model is not None and analysis.model.components["web"].ports == []


def test_not_a_mapping_is_a_positioned_error(tmp_path: Path) -> None:
    path = tmp_path / "compose.yaml"
    analysis = audit(path, "- web\n- db\n")
    assert [(f.code, f.range.start_line) for f in analysis.findings] == [("ARCH002", 0)]


def test_connections_come_in_file_order_whatever_the_hash_seed(tmp_path: Path) -> None:
    # Connection indices are model paths (findings, fixes, the preview): they must not change between runs.
    path = tmp_path / "compose.yaml"
    path.write_text(
        "services:\n"
        + "".join(f"  s{i}:\n    image: acme/s{i}\n    depends_on: [s{i + 1}]\n" for i in range(8))
        + "  s8:\n    image: redis:7\n"
    )
    script = (
        "import sys\nfrom archls import engine\nfrom archls.config import Config\n"
        "p = sys.argv[1]\nm = engine.analyse(open(p).read(), p, Config()).model\n"
        "print([c.source for c in m.connections])\n"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script, str(path)],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in (1, 2, 3)
    }
    assert outputs == {str([f"s{i}" for i in range(8)]) + "\n"}
