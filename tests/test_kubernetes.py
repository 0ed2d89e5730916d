"""Kubernetes manifests read into the model: recognised by content, workloads tied together by
Services, container settings defaulted as Kubernetes does, Helm templates noted and skipped,
and large streams read within bounds."""

from __future__ import annotations

from pathlib import Path

import pytest

from archls import engine
from archls.config import Config
from archls.evidence import evidence_of
from archls.formats import detect
from tests.shared import CORPUS as _CORPUS

CORPUS = _CORPUS or Path("corpus-not-found")
needs_corpus = pytest.mark.skipif(
    _CORPUS is None, reason="the shared corpus is not beside this checkout (ARCHLS_SHARED)"
)

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  replicas: 3
  selector:
    matchLabels:
      app: api
  template:
    metadata:
      labels:
        app: api
    spec:
      containers:
      - name: api
        image: acme/api:1.4.2
        env:
        - name: DATABASE_URL
          value: postgres://db.shop:5432/orders
        ports:
        - containerPort: 8080
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  namespace: shop
spec:
  selector:
    matchLabels:
      app: db
  template:
    metadata:
      labels:
        app: db
    spec:
      securityContext:
        runAsNonRoot: true
        runAsUser: 999
      containers:
      - name: postgres
        image: postgres:16.2
        securityContext:
          readOnlyRootFilesystem: true
          allowPrivilegeEscalation: false
        resources:
          limits:
            cpu: 500m
            memory: 1Gi
---
apiVersion: v1
kind: Service
metadata:
  name: db
  namespace: shop
spec:
  selector:
    app: db
  ports:
  - port: 5432
---
apiVersion: v1
kind: Service
metadata:
  name: api
  namespace: shop
spec:
  selector:
    app: api
  ports:
  - port: 80
    targetPort: 8080
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: storefront
  namespace: shop
spec:
  tls:
  - hosts: [shop.example.com]
  rules:
  - http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: api
            port:
              number: 80
"""


def audit(path: Path, text: str, config: Config | None = None) -> engine.Analysis:
    return engine.analyse(text, str(path), config or Config())


@pytest.mark.parametrize(
    ("name", "text", "claimed"),
    [
        ("anything.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n", True),
        ("ci.yml", "name: CI\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n", False),
        ("config.yaml", "server:\n  port: 8080\nkind: of a value\n", False),
        ("deploy.json", '{"apiVersion": "v1", "kind": "Pod"}', False),
    ],
)
def test_manifests_are_recognised_by_content(name: str, text: str, claimed: bool) -> None:
    fmt = detect(f"/repo/{name}", text)
    assert (fmt is not None and fmt.name == "kubernetes") is claimed


def test_workloads_services_and_ingress_make_the_graph(tmp_path: Path) -> None:
    analysis = audit(tmp_path / "app.yaml", DEPLOYMENT)
    model = analysis.model
    assert model is not None
    assert set(model.components) == {"api", "db", "storefront"}
    db = model.components["db"]
    assert (db.type.value, db.technology, db.version) == ("database", "postgresql", "16.2")
    assert db.container is not None and db.container.run_as_root is False and db.container.read_only_root is True
    assert db.resources is not None and (db.resources.cpu, db.resources.memory_mb) == (0.5, 1024.0)
    api = model.components["api"]
    assert api.replicas == 3 and api.container is not None
    assert (api.container.run_as_root, api.container.read_only_root, api.container.privilege_escalation) == (
        True,
        False,
        True,
    )
    edges = {(c.source, c.target): c for c in model.connections}
    assert set(edges) == {("api", "db"), ("storefront", "api")}
    assert edges[("storefront", "api")].port == 8080
    assert evidence_of(edges[("api", "db")])[0].line == 21
    assert model.components["storefront"].tls is True and model.components["storefront"].public is True
    assert model.groups["shop"].members == ["api", "db"]


def test_a_service_selects_the_pods_carrying_all_its_labels_in_its_namespace(tmp_path: Path) -> None:
    def deployment(name: str, namespace: str, labels: str) -> str:
        return (
            f"---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: {namespace}}}\n"
            f"spec:\n  template:\n    metadata:\n      labels: {labels}\n"
            f"    spec:\n      containers:\n      - {{name: c, image: acme/{name}:1}}\n"
        )

    text = (
        deployment("api", "shop", "{part: shop, app: api}")
        + deployment("web", "shop", "{part: shop, app: web}")
        + deployment("api-copy", "other", "{part: shop, app: api}")
        + "---\napiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: shop}\n"
        "spec:\n  type: LoadBalancer\n  selector: {part: shop, app: api}\n"
        "---\napiVersion: v1\nkind: Service\nmetadata: {name: nothing, namespace: shop}\n"
        "spec:\n  type: LoadBalancer\n  selector: {part: shop, app: null}\n"
    )
    model = audit(tmp_path / "app.yaml", text).model
    assert model is not None
    assert {cid for cid, component in model.components.items() if component.public} == {"api"}


def test_container_settings_land_on_the_container(tmp_path: Path) -> None:
    analysis = audit(tmp_path / "app.yaml", DEPLOYMENT)
    loaded = analysis.loaded
    assert loaded is not None
    # absent securityContext: the container's first line, not the whole Deployment
    assert loaded.locate(("components", "api", "container", "run_as_root")).start_line == 16
    assert loaded.locate(("components", "api", "resources")).start_line == 16
    # a securityContext without the key: the securityContext
    assert loaded.locate(("components", "db", "container", "privileged")).start_line == 44
    assert loaded.locate(("components", "api", "replicas")).start_line == 6


@needs_corpus
def test_online_boutique_service_graph_from_environment() -> None:
    path = CORPUS / "online-boutique" / "release" / "kubernetes-manifests.yaml"
    model = audit(path, path.read_text()).model
    assert model is not None
    assert len(model.components) == 12
    edges = {(c.source, c.target) for c in model.connections}
    assert {
        ("frontend", "productcatalogservice"),
        ("frontend", "currencyservice"),
        ("frontend", "cartservice"),
        ("frontend", "recommendationservice"),
        ("frontend", "shippingservice"),
        ("frontend", "checkoutservice"),
        ("frontend", "adservice"),
        ("checkoutservice", "paymentservice"),
        ("checkoutservice", "emailservice"),
        ("recommendationservice", "productcatalogservice"),
        ("cartservice", "redis-cart"),
        ("loadgenerator", "frontend"),
    } <= edges
    assert len(edges) == 16
    assert model.components["frontend"].public is True  # the frontend-external LoadBalancer
    assert model.components["redis-cart"].technology == "redis"


@needs_corpus
def test_voting_app_components_from_its_manifests() -> None:
    folder = CORPUS / "example-voting-app" / "k8s-specifications"
    path = folder / "vote-deployment.yaml"

    def read(p: str) -> str | None:
        return Path(p).read_text() if Path(p).is_file() else None

    analysis = engine.analyse(path.read_text(), str(path), Config(), read=read)
    model = analysis.model
    assert model is not None
    assert set(model.components) == {"vote", "result", "worker", "redis", "db"}
    assert model.components["db"].technology == "postgresql"
    assert model.components["redis"].technology == "redis"
    # vote and result are NodePort Services: reachable on the nodes' addresses, not an internet edge.
    assert {c for c, comp in model.components.items() if comp.public} == set()


def test_load_balancers_are_the_edge_unless_kept_internal(tmp_path: Path) -> None:
    workload = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {0}, namespace: shop}}\nspec:\n"
        "  selector: {{matchLabels: {{app: {0}}}}}\n  template:\n    metadata: {{labels: {{app: {0}}}}}\n"
        "    spec:\n      containers: [{{name: app, image: 'ghcr.io/acme/{0}:1.0.0'}}]\n---\n"
    )
    service = (
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {0}\n  namespace: shop\n{1}spec:\n  type: {2}\n"
        "  selector: {{app: {0}}}\n  ports: [{{port: 80}}]\n---\n"
    )
    internal = "  annotations:\n    networking.gke.io/load-balancer-type: Internal\n"
    text = "".join(
        workload.format(name) + service.format(name, notes, kind)
        for name, notes, kind in (
            ("web", "", "LoadBalancer"),
            ("admin", internal, "LoadBalancer"),
            ("backend", "", "NodePort"),
        )
    )
    model = audit(tmp_path / "shop.yaml", text).model
    assert model is not None
    assert {c for c, comp in model.components.items() if comp.public} == {"web"}


def test_helm_templates_get_a_note_and_nothing_else(tmp_path: Path) -> None:
    text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-web\n"
    analysis = audit(tmp_path / "templates" / "deployment.yaml", text)
    assert [(f.code, f.severity.value, f.range.start_line) for f in analysis.findings] == [("ARCH020", "info", 3)]


def test_moustaches_inside_values_are_not_helm(tmp_path: Path) -> None:
    text = 'apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata:\n  name: p\nspec:\n  key: "{{ request.namespace }}"\n'
    analysis = audit(tmp_path / "policy.yaml", text)
    # only the note that a custom resource is not audited, no ARCH020 for a template
    assert [f.code for f in analysis.findings] == ["ARCH022"] and analysis.model is not None


def test_a_scalar_or_mapping_where_a_list_belongs_reads_as_no_items(tmp_path: Path) -> None:
    # each of these used to make the whole manifest unreadable (ARCH000 on line 1)
    text = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n"
        "    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n"
        "      - name: web\n        image: nginx:1.25\n        ports: 80\n        env: {A: b}\n"
        "        envFrom: 5\n        volumeMounts: 5\n"
        "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector: {app: web}\n  ports: 80\n"
        "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: edge\nspec:\n  rules: 5\n"
        "---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\n"
        "spec:\n  scaleTargetRef: {name: web}\n  maxReplicas: 3\n  metrics: 5\n"
    )
    analysis = audit(tmp_path / "web.yaml", text)
    assert not [f for f in analysis.findings if f.code.startswith("ARCH")]
    assert analysis.model is not None and analysis.model.components["web"].ports == []


def test_unknown_kinds_are_named_as_not_audited(tmp_path: Path) -> None:
    text = "apiVersion: acme.io/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: shop\nspec:\n  size: 3\n"
    analysis = audit(tmp_path / "widget.yaml", text)
    assert [(f.code, f.range.start_line) for f in analysis.findings] == [("ARCH022", 1)]
    assert analysis.model is not None and not analysis.model.components


_BULK = """
import json, resource, sys
from archls import engine
from archls.config import Config

one = ("---\\napiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: cm-{n}\\n  namespace: bulk\\ndata:\\n"
       + "".join(f"  key{k}: value-{k}-{{n}}\\n" for k in range(40)))
parts, size, n = [], 0, 0
while size < 50_000_000:
    doc = one.replace("{n}", str(n))
    parts.append(doc)
    size += len(doc)
    n += 1
text = "".join(parts)
del parts
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
refused = engine.analyse(text, sys.argv[1], Config())
read = engine.analyse(text, sys.argv[1], Config(max_file_bytes=200_000_000))
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({
    "refused": [f.code for f in refused.findings],
    "read": [[f.code, f.message] for f in read.findings],
    "grew_mb": (after - before) / 1024,
}))
"""


def test_a_50mb_stream_is_refused_or_read_within_bounds(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _BULK, str(tmp_path / "bulk.yaml")], capture_output=True, text=True, check=True
    )
    result = json.loads(done.stdout)
    assert result["refused"] == ["ARCH008"]  # above max_file_bytes: not read at all
    stopped = [message for code, message in result["read"] if code == "ARCH008"]
    assert stopped and "stopped" in stopped[0]  # with the limit raised, reading stops at its own bound
    assert result["grew_mb"] < 1000
