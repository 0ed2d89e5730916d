"""Native Kubernetes rules on manifests of odd shape: no rule may fail (ARCH000), and the rules that
read Services still find the ones that select a workload."""

from __future__ import annotations

from pathlib import Path

from archls import engine
from archls.config import Config

WORKLOAD = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web, tier: front}
    spec:
      containers:
        - name: main
          image: nginx:1.27
          livenessProbe: {httpGet: {path: /healthz, port: 80}}
"""


def audit(tmp_path: Path, text: str) -> engine.Analysis:
    path = tmp_path / "app.yaml"
    path.write_text(text, encoding="utf-8")
    return engine.analyse(text, str(path), Config())


def service(selector: str, namespace: str = "shop") -> str:
    return (
        "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n"
        f"  namespace: {namespace}\nspec:\n  selector: {selector}\n"
    )


def failures(analysis: engine.Analysis) -> list[str]:
    return [f.message for f in analysis.findings if f.code == "ARCH000"]


def test_lists_and_mappings_where_the_other_is_expected(tmp_path: Path) -> None:
    text = WORKLOAD + service("[web]")
    text += (
        "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: shop}\nrules: 5\n"
    )
    text += (
        "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b, namespace: shop}\n"
        "roleRef: {kind: ClusterRole, name: cluster-admin}\nsubjects: true\n"
    )
    analysis = audit(tmp_path, text)
    assert failures(analysis) == []
    # A selector that is not a mapping selects nothing, so the port-less container needs no readiness probe.
    assert not [f for f in analysis.findings if f.code == "REL201"]
    assert [f.message for f in analysis.findings if f.code == "SEC202"] == [
        "RoleBinding 'b' gives its subjects full control of the cluster"
    ]


def test_a_service_selecting_the_pods_asks_for_a_readiness_probe(tmp_path: Path) -> None:
    for selector, selected in [
        ("{app: web}", True),
        ("{tier: front, app: web}", True),
        ("{app: web, tier: back}", False),
        ("{app: api}", False),
        ("{canary: null, app: web}", True),  # a null value selects pods without that label
        ("{}", False),
    ]:
        analysis = audit(tmp_path, WORKLOAD + service(selector))
        assert failures(analysis) == []
        reported = [f for f in analysis.findings if f.code == "REL201"]
        assert bool(reported) == selected, selector


def test_a_service_selects_only_pods_of_its_own_namespace(tmp_path: Path) -> None:
    assert not [f for f in audit(tmp_path, WORKLOAD + service("{app: web}", "other")).findings if f.code == "REL201"]
