"""The shared corpus of real public files: everything archls claims loads without a crash or an
undeserved loader error, and the flaws planted in terragoat and kubernetes-goat are found at
their lines."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from archls import engine
from archls.config import Config
from tests.shared import CORPUS as _CORPUS

CORPUS = _CORPUS or Path("corpus-not-found")
pytestmark = pytest.mark.skipif(_CORPUS is None, reason="the shared corpus is not beside this checkout (ARCHLS_SHARED)")
LOADER_ERRORS = {"ARCH000", "ARCH001", "ARCH002", "ARCH003", "ARCH004", "ARCH005", "ARCH006", "ARCH008", "ARCH009"}


def read(path: str) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*") if p.is_file()) if CORPUS.is_dir() else []


@cache
def analysis_of(path: str) -> engine.Analysis:
    return engine.analyse(Path(path).read_text(encoding="utf-8"), path, Config(), read=read)


def test_every_corpus_file_archls_reads_loads_cleanly() -> None:
    claimed = 0
    problems = []
    for path in corpus_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        if not engine.claims(str(path), text):
            continue
        claimed += 1
        analysis = analysis_of(str(path))
        if analysis.model is None:
            problems.append((path, "no model"))
        problems.extend((path, f.code, f.message) for f in analysis.findings if f.code in LOADER_ERRORS)
    assert not problems
    # 39 awesome-compose files, 3 voting-app compose files, 9 + 15 manifests, 1 boutique manifest, 19 .tf files
    assert claimed >= 80


def test_formats_claim_what_they_should() -> None:
    from archls.formats import detect

    names = {}
    for path in corpus_files():
        try:
            fmt = detect(str(path), path.read_text(encoding="utf-8")[:65536])
        except UnicodeDecodeError:
            fmt = None
        names[str(path.relative_to(CORPUS))] = fmt.name if fmt else None
    assert names["awesome-compose/flask/compose.yaml"] == "compose"
    assert names["example-voting-app/docker-compose.yml"] == "compose"
    assert names["example-voting-app/docker-stack.yml"] is None  # a swarm stack, not a compose file by name
    assert names["example-voting-app/k8s-specifications/db-service.yaml"] == "kubernetes"
    assert names["terragoat/aws/s3.tf"] == "terraform"
    assert names["terragoat/aws/resources/Dockerfile"] is None
    assert names["README.md"] is None


def _found(relative: str) -> set[tuple[int, str]]:
    path = CORPUS / relative
    return {(f.range.start_line + 1, f.code) for f in analysis_of(str(path)).findings if f.file in (None, str(path))}


#: "A|B": the native rule A, or the model rule B that reports the same thing where it runs
TERRAGOAT_FLAWS = [
    ("terragoat/aws/db-app.tf", 17, "REL103"),  # multi_az = false
    ("terragoat/aws/db-app.tf", 18, "REL102|REL015"),  # backup_retention_period = 0
    ("terragoat/aws/db-app.tf", 19, "SEC104"),  # storage_encrypted = false
    ("terragoat/aws/db-app.tf", 22, "SEC105|SEC001"),  # publicly_accessible = true
    ("terragoat/aws/db-app.tf", 210, "SEC109"),  # "Action": ["s3:*", "ec2:*", "rds:*"] on "*"
    ("terragoat/aws/db-app.tf", 243, "SEC107|VULN008"),  # IMDSv1 on db_app
    ("terragoat/aws/ec2.tf", 15, "SEC110"),  # AWS key in user_data
    ("terragoat/aws/ec2.tf", 34, "SEC108"),  # unencrypted EBS volume
    ("terragoat/aws/ec2.tf", 94, "SEC106"),  # SSH open to 0.0.0.0/0
    ("terragoat/aws/ec2.tf", 271, "SEC101"),  # flow log bucket without a public access block
    ("terragoat/aws/eks.tf", 118, "SEC113"),  # no secrets encryption
    ("terragoat/aws/eks.tf", 122, "SEC112"),  # public endpoint (vpc_config without endpoint_public_access)
    ("terragoat/aws/elb.tf", 9, "SEC114|SEC005"),  # lb_protocol = "http" on a public ELB
    ("terragoat/aws/iam.tf", 29, "SEC109"),  # "Action": ["ec2:*", "s3:*", ...] in a heredoc policy
    ("terragoat/aws/kms.tf", 1, "SEC111"),  # no key rotation
    ("terragoat/aws/neptune.tf", 9, "SEC104"),  # storage_encrypted = false
    ("terragoat/aws/providers.tf", 10, "SEC110"),  # access_key in the provider
    ("terragoat/aws/providers.tf", 11, "SEC110"),  # secret_key in the provider
    ("terragoat/aws/rds.tf", 4, "REL102|REL015"),  # backup_retention_period = 0
    ("terragoat/aws/s3.tf", 1, "SEC101"),  # public bucket without a block
    ("terragoat/aws/s3.tf", 1, "REL101"),  # no versioning
    ("terragoat/aws/s3.tf", 1, "CMP101"),  # no access logs
    ("terragoat/aws/s3.tf", 42, "REL101"),
    ("terragoat/aws/es.tf", 32, "SEC115"),  # es:* to anyone in the domain's policy document
]


@pytest.mark.parametrize(("relative", "line", "code"), TERRAGOAT_FLAWS)
def test_terragoat_flaws_are_found_at_their_lines(relative: str, line: int, code: str) -> None:
    found = _found(relative)
    assert any((line, c) in found for c in code.split("|")), sorted(found)


def test_terragoat_s3_default_encryption_is_information_only() -> None:
    findings = [f for f in analysis_of(str(CORPUS / "terragoat/aws/s3.tf")).findings if f.code == "SEC103"]
    assert findings and {f.severity.value for f in findings} == {"info"}


K8S_GOAT_FLAWS = [
    ("kubernetes-goat/scenarios/insecure-rbac/setup.yaml", 14, "SEC202"),  # cluster-admin for a service account
    ("kubernetes-goat/scenarios/hunger-check/deployment.yaml", 14, "SEC201"),  # resources: ["*"]
    ("kubernetes-goat/scenarios/system-monitor/deployment.yaml", 5, "SEC203"),  # Secret in default
    ("kubernetes-goat/scenarios/build-code/deployment.yaml", 5, "SEC203"),
    ("kubernetes-goat/scenarios/health-check/deployment.yaml", 15, "REL201|REL011"),  # no probe at all
]


@pytest.mark.parametrize(("relative", "line", "code"), K8S_GOAT_FLAWS)
def test_kubernetes_goat_flaws_are_found_at_their_lines(relative: str, line: int, code: str) -> None:
    found = _found(relative)
    assert any((line, c) in found for c in code.split("|")), sorted(found)


#: Flaws the model rules (written with the audit rules) find through the loaders' places.
MODEL_FLAWS = [
    ("kubernetes-goat/scenarios/docker-bench-security/deployment.yaml", 45, "SEC009"),  # privileged: true
    ("kubernetes-goat/scenarios/docker-bench-security/deployment.yaml", 27, "SEC010"),  # hostPID: true
    ("kubernetes-goat/scenarios/docker-bench-security/deployment.yaml", 29, "SEC010"),  # hostNetwork: true
    ("kubernetes-goat/scenarios/docker-bench-security/deployment.yaml", 91, "SEC011"),  # docker.sock hostPath
    ("kubernetes-goat/scenarios/docker-bench-security/deployment.yaml", 31, "VULN004"),  # runAsUser: 0
    ("kubernetes-goat/scenarios/system-monitor/deployment.yaml", 41, "SEC009"),  # privileged: true
    ("kubernetes-goat/scenarios/system-monitor/deployment.yaml", 40, "VULN007"),  # allowPrivilegeEscalation: true
    ("kubernetes-goat/scenarios/kube-bench-security/master-job.yaml", 29, "VULN001"),  # kube-bench:latest
    ("kubernetes-goat/scenarios/hunger-check/deployment.yaml", 71, "VULN005"),  # no resource limits
    ("example-voting-app/docker-compose.yml", 68, "SEC007"),  # POSTGRES_PASSWORD: "postgres"
    ("terragoat/aws/lambda.tf", 45, "SEC007"),  # access_key in the function's environment
    ("terragoat/aws/db-app.tf", 19, "SEC014|SEC104"),  # storage_encrypted = false
]


@pytest.mark.parametrize(("relative", "line", "code"), MODEL_FLAWS)
def test_model_rules_find_flaws_at_native_lines(relative: str, line: int, code: str) -> None:
    from archls.rules.registry import get

    codes = [c for c in code.split("|") if get(c) is not None and get(c).is_rule]  # type: ignore[union-attr]
    if not codes:
        pytest.skip(f"{code} is not part of this build")
    found = _found(relative)
    assert any((line, c) in found for c in codes), sorted(found)


def test_kubernetes_goat_container_settings_are_read() -> None:
    path = CORPUS / "kubernetes-goat/scenarios/docker-bench-security/deployment.yaml"
    analysis = analysis_of(str(path))
    assert analysis.model is not None and analysis.loaded is not None
    container = analysis.model.components["docker-bench-security"].container
    assert container is not None
    assert (container.privileged, container.host_pid, container.host_network, container.docker_socket) == (
        True,
        True,
        True,
        True,
    )
    # privileged: true is line 45; the docker.sock hostPath line 91; runAsUser: 0 (pod level) line 31
    assert analysis.loaded.locate(("components", "docker-bench-security", "container", "privileged")).start_line == 44
    assert (
        analysis.loaded.locate(("components", "docker-bench-security", "container", "docker_socket")).start_line == 90
    )
    assert analysis.loaded.locate(("components", "docker-bench-security", "container", "run_as_root")).start_line == 30
