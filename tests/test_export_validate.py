"""Every export of every example, checked by the real tool for its format.

A test skips only when its validator is absent from this machine; ``make test`` installs them all
(the Python ones come with the test extras, ``scripts/export-validators.sh`` brings Prisma's CLI and
the Makefile's Debian list brings docker-compose and nginx).
"""

from __future__ import annotations

import ast
import json
import py_compile
import tomllib
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import hcl2
import pytest
import yaml

from archls import engine
from archls.findings import Severity
from tests.export_support import (
    PRISMA,
    architectures,
    exported,
    ids,
    prisma_env,
    render_helm,
    run,
    tool,
    write,
)

ARCHS = architectures()
pytestmark = pytest.mark.parametrize("arch", ARCHS, ids=ids(ARCHS))


def files_of(arch: Path, target: str) -> dict[str, str]:
    prefix = f"{target}/"
    return {k.removeprefix(prefix): v for k, v in exported(arch).items() if k.startswith(prefix)}


def need(name: str) -> str:
    path = tool(name)
    if path is None:
        pytest.skip(f"{name} is not installed (make test installs it)")
    return path


def test_every_target_writes_files(arch: Path):
    from archls.export import all_targets

    produced = {k.split("/", 1)[0] for k in exported(arch)}
    assert produced == {t.name for t in all_targets() if t.in_all}
    assert len(produced) >= 25


def test_compose_with_docker_compose_and_the_compose_spec(arch: Path, tmp_path: Path):
    write(files_of(arch, "compose"), tmp_path)
    compose_file = tmp_path / "compose.yaml"
    done = run([need("docker-compose"), "-f", str(compose_file), "config", "-q"])
    assert done.returncode == 0, done.stderr
    done = run([need("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(compose_file)])
    assert done.returncode == 0, done.stdout + done.stderr


def test_kubernetes_with_kubernetes_validate_strict(arch: Path, tmp_path: Path):
    files = files_of(arch, "kubernetes")
    write(files, tmp_path)
    manifests = sorted(str(tmp_path / k) for k in files if k != "kustomization.yaml")
    done = run([need("kubernetes-validate"), "--strict", "--quiet", *manifests])
    assert done.returncode == 0, done.stdout + done.stderr
    kustomization = yaml.safe_load(files["kustomization.yaml"])
    assert sorted(kustomization["resources"]) == sorted(k for k in files if k != "kustomization.yaml")


def test_helm_chart_renders_to_valid_manifests(arch: Path, tmp_path: Path):
    chart = files_of(arch, "helm")
    meta = yaml.safe_load(chart["Chart.yaml"])
    assert meta["apiVersion"] == "v2" and meta["version"] == "0.1.0"
    rendered = render_helm(chart)
    write(rendered, tmp_path)
    done = run([need("kubernetes-validate"), "--strict", "--quiet", *sorted(str(tmp_path / k) for k in rendered)])
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("target", "path", "schema"),
    [
        ("github-actions", ".github/workflows/ci.yml", "vendor.github-workflows"),
        ("gitlab-ci", ".gitlab-ci.yml", "vendor.gitlab-ci"),
        ("circleci", ".circleci/config.yml", "vendor.circle-ci"),
        ("dependabot", ".github/dependabot.yml", "vendor.dependabot"),
    ],
)
def test_ci_with_check_jsonschema(arch: Path, tmp_path: Path, target: str, path: str, schema: str):
    write(files_of(arch, target), tmp_path)
    done = run([need("check-jsonschema"), "--builtin-schema", schema, str(tmp_path / path)])
    assert done.returncode == 0, done.stdout + done.stderr


def test_nginx_config_test(arch: Path, tmp_path: Path):
    files = files_of(arch, "nginx")
    write(files, tmp_path)
    hosts = [line.split()[1].rstrip(";") for line in files["nginx.conf"].splitlines() if "server_name" in line]
    tls = tmp_path / "tls"
    tls.mkdir()
    for host in hosts:
        if host == "_":
            continue
        made = run([need("openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=test", "-keyout", str(tls / f"{host}.key"), "-out", str(tls / f"{host}.crt")])  # fmt: skip
        assert made.returncode == 0, made.stderr
    done = run([need("nginx"), "-t", "-c", str(tmp_path / "nginx.conf"), "-p", f"{tmp_path}/"])
    assert done.returncode == 0, done.stderr


def test_prisma_validate(arch: Path, tmp_path: Path):
    files = {k: v for k, v in files_of(arch, "prisma").items() if k.endswith(".prisma")}
    if not files:
        pytest.skip("no relational or document database in this architecture")
    if not PRISMA.exists():
        pytest.skip("prisma is not installed (scripts/export-validators.sh installs it)")
    write(files, tmp_path)
    for rel, text in files.items():
        done = run([str(PRISMA), "validate", "--schema", str(tmp_path / rel)], env=prisma_env(text))
        assert done.returncode == 0, f"{rel}: {done.stdout}{done.stderr}"


def test_terraform_parses_back(arch: Path):
    for target in ("terraform-aws", "sentry"):
        for rel, text in files_of(arch, target).items():
            if rel.endswith(".tf"):
                parsed = hcl2.loads(text)
                assert isinstance(parsed, dict), rel
    parsed = {rel: hcl2.loads(text) for rel, text in files_of(arch, "terraform-aws").items()}
    resources = {kind for doc in parsed.values() for block in doc.get("resource", []) for kind in block}
    assert {"aws_vpc", "aws_kms_key", "aws_ecs_cluster", "aws_security_group"} <= resources


def test_pulumi_program_compiles_and_names_only_what_it_defines(arch: Path, tmp_path: Path):
    files = files_of(arch, "pulumi-gcp")
    write(files, tmp_path)
    py_compile.compile(str(tmp_path / "__main__.py"), doraise=True)
    done = run([need("ruff"), "check", "--select", "F", "--no-cache", str(tmp_path / "__main__.py")])
    assert done.returncode == 0, done.stdout
    assert yaml.safe_load(files["Pulumi.yaml"])["runtime"]["name"] == "python"


def test_prometheus_rules_parse_as_promql(arch: Path):
    promql = pytest.importorskip("promql_parser")
    doc = yaml.safe_load(files_of(arch, "prometheus")["alerts.yaml"])
    rules = [r for g in doc["groups"] for r in g["rules"]]
    assert rules
    for rule in rules:
        promql.parse(rule["expr"])
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}
        assert rule["labels"]["severity"] in {"critical", "warning"}


def test_grafana_dashboards_match_the_dashboard_model(arch: Path):
    files = files_of(arch, "grafana")
    dashboards = {k: json.loads(v) for k, v in files.items() if k.endswith(".json")}
    assert "dashboards/overview.json" in dashboards
    uids = set()
    for name, board in dashboards.items():
        assert {"uid", "title", "panels", "schemaVersion", "templating", "time"} <= set(board), name
        assert len(board["uid"]) <= 40 and board["uid"] not in uids
        uids.add(board["uid"])
        for panel in board["panels"]:
            assert panel["type"] in {"row", "timeseries"}
            assert {"x", "y", "w", "h"} == set(panel["gridPos"])
            assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
            if panel["type"] == "timeseries":
                assert panel["targets"] and all("expr" in t and "refId" in t for t in panel["targets"])


def test_datadog_monitors_match_the_create_monitor_body(arch: Path):
    monitors = json.loads(files_of(arch, "datadog")["monitors.json"])
    assert monitors
    for monitor in monitors:
        assert {"name", "type", "query", "message", "tags", "options"} <= set(monitor)
        assert monitor["type"] in {"query alert", "metric alert", "service check"}
        assert "critical" in monitor["options"]["thresholds"]
        assert all(":" in tag for tag in monitor["tags"])


def test_paas_configs_parse_and_have_their_documented_shape(arch: Path):
    render_doc = yaml.safe_load(files_of(arch, "render")["render.yaml"])
    for service in render_doc["services"]:
        assert service["type"] in {"web", "pserv", "worker", "cron", "keyvalue"}
        if service["type"] != "keyvalue":
            assert service["runtime"] in {"docker", "image"}
    for rel, text in files_of(arch, "fly").items():
        if rel.endswith("fly.toml"):
            doc = tomllib.loads(text)
            assert doc["app"] and doc["primary_region"] and ("image" in doc["build"] or "dockerfile" in doc["build"])
    for rel, text in files_of(arch, "railway").items():
        if rel.endswith("railway.json"):
            doc = json.loads(text)
            assert set(doc) <= {"$schema", "build", "deploy"}
            assert doc["deploy"]["restartPolicyType"] in {"ON_FAILURE", "NEVER", "ALWAYS"}


def test_documentation_formats(arch: Path, tmp_path: Path):
    root = ET.fromstring(files_of(arch, "svg")["architecture.svg"])
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert not list(root.iter("{http://www.w3.org/2000/svg}script"))
    pydot = pytest.importorskip("pydot")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydot's parser uses pyparsing names pyparsing now deprecates
        graphs = pydot.graph_from_dot_data(files_of(arch, "graphviz")["architecture.dot"])
    assert graphs and graphs[0].get_edges()
    mermaid = files_of(arch, "mermaid")["architecture.mmd"]
    assert mermaid.splitlines()[1] == "flowchart LR"
    readme = files_of(arch, "readme")["README.md"]
    assert "```mermaid" in readme and "## Components" in readme
    dsl = files_of(arch, "structurizr")["workspace.dsl"]
    assert dsl.count("{") == dsl.count("}")
    puml = files_of(arch, "plantuml")["architecture.puml"]
    assert puml.startswith("@startuml") and puml.rstrip().endswith("@enduml")
    catalog = list(yaml.safe_load_all(files_of(arch, "backstage")["catalog-info.yaml"]))
    assert catalog[0]["kind"] == "System"
    script = tmp_path / "load-test.mjs"
    script.write_text(files_of(arch, "k6")["load-test.js"])
    done = run([need("node"), "--check", str(script)])
    assert done.returncode == 0, done.stderr


def test_exports_pass_archls_own_audits(arch: Path):
    """Files archls reads (compose, Terraform, Kubernetes once those formats exist) have no error finding."""
    checked = 0
    for rel, text in sorted(exported(arch).items()):
        path = f"/export/{rel}"
        if not engine.claims(path, text):
            continue
        checked += 1
        analysis = engine.analyse(text, path)
        errors = [f for f in analysis.findings if f.severity is Severity.ERROR]
        assert not errors, f"{rel}: " + "; ".join(f"{f.code} {f.message}" for f in errors)
    if not checked:
        pytest.skip("archls reads none of the exported formats yet")


def test_python_parts_are_python(arch: Path):
    for rel, text in exported(arch).items():
        if rel.endswith(".py"):
            ast.parse(text, rel)
