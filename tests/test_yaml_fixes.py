"""Quick fixes written into compose files and Kubernetes manifests in their own syntax: the edit
touches only the lines it must, and the finding is gone after it."""

from __future__ import annotations

from pathlib import Path

import pytest

from archls import engine, fixes
from archls.config import Config
from archls.fixes import FixError
from archls.rules.registry import Fix

pytest.importorskip("archls.yamledit")

COMPOSE = """\
# the shop, locally
services:
  api:
    image: acme/api:1.4.2   # pinned
    environment:
      DATABASE_URL: postgres://app@db:5432/app
      API_TOKEN: "tok-8c1f0e2d9a7b"
    ports:
      - "8080:8080"
  db:
    image: postgres:16
    restart: unless-stopped
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  selector:
    matchLabels:
      app: api
  template:
    metadata:
      labels:
        app: api
    spec:
      initContainers:
      - name: migrate
        image: acme/api:1.4.2
        env:
        - name: DB_PASSWORD
          value: hunter2hunter2
      containers:
      - name: api  # the main container
        image: acme/api:1.4.2
        env:
        - name: DB_PASSWORD
          value: hunter2hunter2
"""


def analyse(tmp_path: Path, name: str, text: str) -> engine.Analysis:
    path = tmp_path / name
    path.write_text(text)
    return engine.analyse(text, str(path), Config())


def fixed(analysis: engine.Analysis, fix: Fix) -> str:
    return fixes.apply(analysis.text, fixes.edits_for(analysis, fix))


def changed_lines(before: str, after: str) -> list[str]:
    import difflib

    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def test_compose_native_fixes(tmp_path: Path) -> None:
    analysis = analyse(tmp_path, "docker-compose.yml", COMPOSE)
    restart = next(f for f in analysis.findings if f.code == "REL301")
    after = fixed(analysis, Fix.from_json(restart.fix or {}))
    assert changed_lines(COMPOSE, after) == ["+    restart: unless-stopped"]
    port = next(f for f in analysis.findings if f.code == "SEC301")
    after = fixed(analysis, Fix.from_json(port.fix or {}))
    assert changed_lines(COMPOSE, after) == ['-      - "8080:8080"', '+      - "127.0.0.1:8080:8080"']
    again = engine.analyse(after, analysis.path, Config())
    assert "SEC301" not in {f.code for f in again.findings}


def test_compose_model_fixes_write_compose_keys(tmp_path: Path) -> None:
    analysis = analyse(tmp_path, "docker-compose.yml", COMPOSE)
    cases = [
        (Fix("ro", "replace", ("components", "api", "container", "read_only_root"), True), ["+    read_only: true"]),
        (
            Fix("nnp", "set", ("components", "api", "container"), False, key="privilege_escalation"),
            ["+    security_opt: [no-new-privileges:true]"],
        ),
        (
            Fix("ref", "replace", ("components", "api", "env", "API_TOKEN"), "${API_TOKEN}"),
            ['-      API_TOKEN: "tok-8c1f0e2d9a7b"', '+      API_TOKEN: "${API_TOKEN}"'],
        ),
        (
            Fix("pin", "replace", ("components", "db", "image"), "postgres:16.4"),
            ["-    image: postgres:16", "+    image: postgres:16.4"],
        ),
    ]
    for fix, lines in cases:
        assert changed_lines(COMPOSE, fixed(analysis, fix)) == lines, fix.title
    with pytest.raises(FixError, match="user"):
        fixed(analysis, Fix("root", "replace", ("components", "api", "container", "run_as_root"), False))


def test_a_fix_for_the_override_file_is_refused_in_the_base(tmp_path: Path) -> None:
    (tmp_path / "compose.override.yaml").write_text("services:\n  web:\n    privileged: true\n")
    analysis = analyse(tmp_path, "compose.yaml", "services:\n  web:\n    image: nginx:1.27\n")
    with pytest.raises(FixError, match=r"compose\.override\.yaml"):
        fixed(analysis, Fix("p", "set", ("components", "web", "container"), False, key="privileged"))


def test_kubernetes_security_context_fixes(tmp_path: Path) -> None:
    analysis = analyse(tmp_path, "deploy.yaml", DEPLOYMENT)
    after = fixed(analysis, Fix("ro", "replace", ("components", "api", "container", "read_only_root"), True))
    assert changed_lines(DEPLOYMENT, after) == ["+        securityContext:", "+          readOnlyRootFilesystem: true"]
    assert after.index("readOnlyRootFilesystem") > after.index("name: api")  # the main container
    again = engine.analyse(after, analysis.path, Config())
    assert again.model is not None and again.model.components["api"].container.read_only_root is True  # type: ignore[union-attr]
    after = fixed(again, Fix("nr", "replace", ("components", "api", "container", "run_as_root"), False))
    assert changed_lines(again.text, after) == ["+          runAsNonRoot: true"]


def test_kubernetes_secret_moves_to_a_secret_reference(tmp_path: Path) -> None:
    analysis = analyse(tmp_path, "deploy.yaml", DEPLOYMENT)
    expected = [
        "-          value: hunter2hunter2",
        "+          valueFrom:",
        "+            secretKeyRef:",
        "+              name: api",
        "+              key: db-password",
    ]
    # the init container's variable: a native finding and fix
    finding = next(f for f in analysis.findings if f.code == "SEC204" and f.range.start_line == 19)
    after = fixed(analysis, Fix.from_json(finding.fix or {}))
    assert changed_lines(DEPLOYMENT, after) == expected
    # the main container's: the model's fix intent (a reference to a secret store) becomes secretKeyRef
    model_fix = Fix("ref", "replace", ("components", "api", "env", "DB_PASSWORD"), "${DB_PASSWORD}")
    after = fixed(analysis, model_fix)
    assert changed_lines(DEPLOYMENT, after) == expected
    assert after.index("secretKeyRef") > after.index("name: api")
