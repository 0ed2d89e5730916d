"""Kubernetes manifests: Deployments for services, StatefulSets for the data stores that have an
image, Services, ConfigMaps, Secret references, an Ingress for the entry services, autoscalers,
disruption budgets and NetworkPolicies that allow exactly the connections of the architecture.
"""

from __future__ import annotations

from typing import Any

from archls.export import exporters
from archls.export.context import Comp, ExportContext
from archls.export.emit import yaml_docs
from archls.export.registry import target

INGRESS_NAMESPACE = "ingress-nginx"
#: Where Prometheus runs; it may reach each workload's metrics port.
MONITORING_NAMESPACE = "monitoring"
#: Ranges a pod never needs to reach on the internet side: keeps "egress to third parties" off the cluster network.
PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"]
#: The user each store's image expects to run as (all non-root).
STORE_USERS = {
    "postgresql": 70,
    "redis": 999,
    "valkey": 999,
    "mysql": 999,
    "mariadb": 999,
    "mongodb": 999,
    "kafka": 1000,
    "rabbitmq": 999,
    "elasticsearch": 1000,
    "opensearch": 1000,
    "memcached": 11211,
    "nats": 1000,
    "s3": 1000,
    "cassandra": 999,
    "clickhouse": 101,
    "mqtt": 1883,
}
STORE_USER_DEFAULT = 1000


def labels(ctx: ExportContext, comp: Comp) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": comp.dns,
        "app.kubernetes.io/part-of": ctx.slug,
        "app.kubernetes.io/component": comp.type,
        "app.kubernetes.io/managed-by": "archls",
    }


def selector(comp: Comp) -> dict[str, str]:
    return {"app.kubernetes.io/name": comp.dns}


def service_host(ctx: ExportContext, comp: Comp) -> str:
    return f"{comp.dns}.{ctx.slug}.svc.cluster.local"


def config_data(ctx: ExportContext, comp: Comp) -> dict[str, str]:
    data = {"PORT": str(comp.port), "SERVICE_NAME": str(comp.dns)}
    if comp.grpc_port is not None:
        data["GRPC_PORT"] = str(comp.grpc_port)
    for peer in comp.callees + comp.consumes:
        if peer.is_outside or not peer.runs_container:
            continue
        data[f"{peer.env}_HOST"] = service_host(ctx, peer)
        data[f"{peer.env}_PORT"] = str(peer.port)
        if peer.grpc_port is not None:
            data[f"{peer.env}_GRPC_PORT"] = str(peer.grpc_port)
        if peer.deployable and peer.speaks_http:
            data[f"{peer.env}_URL"] = f"http://{service_host(ctx, peer)}:{peer.port}"
    return dict(sorted(data.items()))


def _port_name(comp: Comp, port: int) -> str:
    if port == comp.port:
        return "http"
    return "grpc" if port == comp.grpc_port else f"p{port}"


def _probe(comp: Comp, initial: int) -> dict[str, Any]:
    if comp.deployable and comp.speaks_http:
        action: dict[str, Any] = {"httpGet": {"path": comp.health_path, "port": "http"}}
    elif comp.tech and comp.tech.health:
        action = {"exec": {"command": ["sh", "-c", comp.tech.health[1]]}}
    else:
        action = {"tcpSocket": {"port": "http" if comp.deployable else "main"}}
    return {
        **action,
        "initialDelaySeconds": initial,
        "periodSeconds": comp.health_interval,
        "timeoutSeconds": 3,
        "failureThreshold": 3,
    }


def _resources(comp: Comp) -> dict[str, Any]:
    cpu_m = max(int(comp.cpu * 1000), 50)
    memory = max(comp.memory_mb, 64)
    return {
        "requests": {"cpu": f"{cpu_m}m", "memory": f"{memory}Mi"},
        "limits": {"cpu": f"{cpu_m * 2}m", "memory": f"{memory}Mi"},
    }


def _container_security(read_only: bool) -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": read_only,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
    }


def _pod_security(user: int) -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "runAsUser": user,
        "runAsGroup": user,
        "fsGroup": user,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def _spread(comp: Comp) -> list[dict[str, Any]]:
    if comp.replicas < 2 and comp.max_replicas < 2:
        return []
    return [
        {
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "ScheduleAnyway" if len(comp.c.zones) < 2 else "DoNotSchedule",
            "labelSelector": {"matchLabels": selector(comp)},
        }
    ]


def _store_env(comp: Comp) -> list[dict[str, Any]]:
    env: list[dict[str, Any]] = []
    if comp.tech is None:
        return env
    for key, value in comp.tech.dev_env:
        if "PASSWORD" in key:
            env.append(
                {"name": key, "valueFrom": {"secretKeyRef": {"name": f"{comp.dns}-credentials", "key": "password"}}}
            )
        else:
            env.append({"name": key, "value": value})
    return env


def _secret_refs(comp: Comp) -> list[dict[str, Any]]:
    """Passwords of the stores a service uses, read from the stores' Secrets (created outside git)."""
    env = []
    for store in comp.uses:
        if store.needs_password:
            env.append(
                {
                    "name": f"{store.env}_PASSWORD",
                    "valueFrom": {"secretKeyRef": {"name": f"{store.dns}-credentials", "key": "password"}},
                }
            )
    return env


#: checkov findings a workload accepts, with the reason a reviewer reads in its annotations.
DIGEST_REASON = "images are named by tag in the architecture; pin digests at deploy (kustomize edit set image)"


def _skips(comp: Comp, user: int | None) -> dict[str, str]:
    reasons = [("CKV_K8S_43", DIGEST_REASON)]
    if comp.c.image and comp.image.rpartition(":")[2] in ("latest", comp.image) and "@" not in comp.image:
        reasons.append(("CKV_K8S_14", "the architecture names this image without a fixed tag (archls reports it)"))
    if not comp.deployable:
        reasons.append(
            ("CKV_K8S_22", "the image writes beside its data (sockets, pid and lock files) outside its volume")
        )
        if user is not None and user < 10000:
            reasons.append(("CKV_K8S_40", f"the image runs as the user it was built with (uid {user})"))
    if any("secretKeyRef" in str(e) for e in (_store_env(comp) if not comp.deployable else _secret_refs(comp))):
        reasons.append(("CKV_K8S_35", "the program reads its password from this variable, filled from a Secret"))
    return {f"checkov.io/skip{n}": f"{check}={reason}" for n, (check, reason) in enumerate(reasons, start=1)}


def workload(ctx: ExportContext, comp: Comp, image: str | None = None, replicas: int | None = None) -> dict:
    meta: dict[str, Any] = {"name": comp.dns, "namespace": ctx.slug, "labels": labels(ctx, comp)}
    user = None if comp.deployable else STORE_USERS.get(comp.family, STORE_USER_DEFAULT)
    annotations = _skips(comp, user)
    if comp.description:
        annotations["archls.dev/description"] = comp.description
    meta["annotations"] = annotations
    if comp.deployable:
        container: dict[str, Any] = {
            "name": comp.dns,
            "image": image or comp.image,
            "imagePullPolicy": "Always",
            "ports": [
                {"name": _port_name(comp, port), "containerPort": port, "protocol": "TCP"} for port in comp.ports
            ],
            "envFrom": [{"configMapRef": {"name": f"{comp.dns}-config"}}],
            "env": _secret_refs(comp),
            "resources": _resources(comp),
            "readinessProbe": _probe(comp, 5),
            "livenessProbe": _probe(comp, 15),
            "securityContext": _container_security(True),
            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
        }
        if not container["env"]:
            del container["env"]
        pod_spec: dict[str, Any] = {
            "serviceAccountName": comp.dns,
            "automountServiceAccountToken": False,
            "securityContext": _pod_security(10001),
            "containers": [container],
            "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}],
        }
        spread = _spread(comp)
        if spread:
            pod_spec["topologySpreadConstraints"] = spread
        spec: dict[str, Any] = {
            "replicas": replicas if replicas is not None else comp.replicas,
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": selector(comp)},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": {"metadata": {"labels": labels(ctx, comp)}, "spec": pod_spec},
        }
        if comp.autoscaled:
            del spec["replicas"]
        return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": spec}
    assert user is not None
    container = {
        "name": comp.dns,
        "image": image or comp.image,
        "imagePullPolicy": "Always",
        "ports": [{"name": "main", "containerPort": comp.port, "protocol": "TCP"}],
        "env": _store_env(comp),
        "resources": _resources(comp),
        "readinessProbe": _probe(comp, 10),
        "livenessProbe": _probe(comp, 30),
        # Data stores write beside their data (sockets, pid files), so their root stays writable.
        "securityContext": _container_security(False),
        "volumeMounts": [{"name": "data", "mountPath": comp.data_path}],
    }
    if not container["env"]:
        del container["env"]
    pod_spec = {
        "automountServiceAccountToken": False,
        "securityContext": _pod_security(user),
        "containers": [container],
    }
    exporter = exporters.exporter_for(comp)
    if exporter is not None:
        pod_spec["containers"].append(_exporter_container(comp, exporter))
    spread = _spread(comp)
    if spread:
        pod_spec["topologySpreadConstraints"] = spread
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": meta,
        "spec": {
            "serviceName": comp.dns,
            "replicas": replicas if replicas is not None else comp.replicas,
            "selector": {"matchLabels": selector(comp)},
            "template": {"metadata": {"labels": labels(ctx, comp)}, "spec": pod_spec},
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "data"},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": f"{comp.storage_gb}Gi"}},
                    },
                }
            ],
        },
    }


def _exporter_container(comp: Comp, exporter: exporters.Exporter) -> dict[str, Any]:
    """The store's Prometheus exporter as a sidecar: it reads the store on localhost."""
    env: list[dict[str, Any]] = []
    for key, value in exporters.render_env(exporter, comp):
        if value is None:
            env.append(
                {"name": key, "valueFrom": {"secretKeyRef": {"name": f"{comp.dns}-credentials", "key": "password"}}}
            )
        else:
            env.append({"name": key, "value": value})
    container: dict[str, Any] = {
        "name": "metrics",
        "image": exporter.image,
        "imagePullPolicy": "Always",
        "args": exporters.render_args(exporter, comp),
        "env": env,
        "ports": [{"name": "metrics", "containerPort": exporter.port, "protocol": "TCP"}],
        "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"cpu": "100m", "memory": "64Mi"}},
        "securityContext": {**_container_security(True), "runAsUser": 65534, "runAsGroup": 65534},
        "readinessProbe": {"tcpSocket": {"port": "metrics"}, "periodSeconds": 10},
        "livenessProbe": {"tcpSocket": {"port": "metrics"}, "periodSeconds": 30},
    }
    return {k: v for k, v in container.items() if v != []}


def component_docs(ctx: ExportContext, comp: Comp, image: str | None = None, replicas: int | None = None) -> list[dict]:
    docs: list[dict] = []
    meta = {"name": comp.dns, "namespace": ctx.slug, "labels": labels(ctx, comp)}
    if comp.deployable:
        docs.append(
            {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta, "automountServiceAccountToken": False}
        )
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {**meta, "name": f"{comp.dns}-config"},
                "data": config_data(ctx, comp),
            }
        )
    docs.append(workload(ctx, comp, image, replicas))
    port_name = "http" if comp.deployable else "main"
    service: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta,
        "spec": {
            "selector": selector(comp),
            "ports": [{"name": port_name, "port": comp.port, "targetPort": port_name, "protocol": "TCP"}],
        },
    }
    scrape = exporters.scrape_for(comp)
    if scrape is not None and scrape.port != comp.port:
        name = "metrics" if scrape.exporter is not None else f"p{scrape.port}"
        service["spec"]["ports"].append(
            {"name": name, "port": scrape.port, "targetPort": scrape.port, "protocol": "TCP"}
        )
    if comp.grpc_port is not None:
        service["spec"]["ports"].append(
            {"name": "grpc", "port": comp.grpc_port, "targetPort": "grpc", "protocol": "TCP", "appProtocol": "grpc"}
        )
    if not comp.deployable:
        service["spec"]["clusterIP"] = "None"  # headless: each replica keeps its own name
    docs.append(service)
    if comp.autoscaled:
        docs.append(
            {
                "apiVersion": "autoscaling/v2",
                "kind": "HorizontalPodAutoscaler",
                "metadata": meta,
                "spec": {
                    "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": comp.dns},
                    "minReplicas": comp.min_replicas,
                    "maxReplicas": comp.max_replicas,
                    "metrics": [
                        {
                            "type": "Resource",
                            "resource": {
                                "name": "cpu",
                                "target": {"type": "Utilization", "averageUtilization": comp.target_cpu},
                            },
                        }
                    ],
                },
            }
        )
    if comp.min_replicas > 1:
        docs.append(
            {
                "apiVersion": "policy/v1",
                "kind": "PodDisruptionBudget",
                "metadata": meta,
                "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector(comp)}},
            }
        )
    return docs


def network_policies(ctx: ExportContext) -> list[dict]:
    """Default deny, then one policy per workload allowing its callers in and its callees out."""
    deployed = [c for c in ctx.components if c.runs_container]
    ids = {c.id for c in deployed}
    docs: list[dict] = [
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "default-deny", "namespace": ctx.slug},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
        }
    ]
    entry = {c.id for c in ctx.entry_services}
    for comp in deployed:
        ingress = _by_port(_peers_in(comp, ids), "from")
        if comp.id in entry:
            ingress.append(
                {
                    "from": [
                        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": INGRESS_NAMESPACE}}}
                    ],
                    "ports": [{"protocol": "TCP", "port": comp.port}],
                }
            )
        scrape = exporters.scrape_for(comp)
        if scrape is not None:
            ingress.append(
                {
                    "from": [
                        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": MONITORING_NAMESPACE}}}
                    ],
                    "ports": [{"protocol": "TCP", "port": scrape.port}],
                }
            )
        egress: list[dict[str, Any]] = [
            {
                "to": [
                    {
                        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                    }
                ],
                "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
            }
        ]
        egress += _by_port(_peers_out(comp, ids), "to")
        if any(c.target.is_outside or not c.target.runs_container for c in comp.outgoing if not c.target.is_edge):
            egress.append(
                {
                    "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": PRIVATE_RANGES}}],
                    "ports": [{"protocol": "TCP", "port": 443}],
                }
            )
        spec: dict[str, Any] = {"podSelector": {"matchLabels": selector(comp)}, "policyTypes": ["Ingress", "Egress"]}
        if ingress:
            spec["ingress"] = ingress
        spec["egress"] = egress
        docs.append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": comp.dns, "namespace": ctx.slug, "labels": labels(ctx, comp)},
                "spec": spec,
            }
        )
    return docs


def _by_port(peers: list[tuple[Comp, int]], side: str) -> list[dict[str, Any]]:
    """One rule per port, naming every peer on it under ``side`` ("from" or "to"); ports in order."""
    names: dict[int, set[str]] = {}
    for peer, port in peers:
        names.setdefault(port, set()).add(peer.dns)
    return [
        {
            side: [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": n}}} for n in sorted(group)],
            "ports": [{"protocol": "TCP", "port": port}],
        }
        for port, group in sorted(names.items())
    ]


def _peers_in(comp: Comp, ids: set[str]) -> list[tuple[Comp, int]]:
    """Who opens connections to ``comp``: its callers, and the consumers of a queue it is."""
    found = [(c.source, comp.port) for c in comp.incoming if c.source.id in ids and not c.source.is_stateful]
    found += [(c.target, comp.port) for c in comp.outgoing if comp.is_stateful and c.target.id in ids]
    return found


def _peers_out(comp: Comp, ids: set[str]) -> list[tuple[Comp, int]]:
    found = [(c.target, c.target.port) for c in comp.outgoing if c.target.id in ids and not comp.is_stateful]
    found += [(c.source, c.source.port) for c in comp.incoming if c.source.is_stateful and c.source.id in ids]
    return found


def ingress_doc(ctx: ExportContext) -> dict | None:
    entries = [c for c in ctx.entry_services if c.speaks_http]
    if not entries:
        return None
    hosts = [f"{c.dns}.{ctx.slug}.example.com" for c in entries]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": ctx.slug,
            "namespace": ctx.slug,
            "annotations": {"nginx.ingress.kubernetes.io/ssl-redirect": "true"},
        },
        "spec": {
            "ingressClassName": "nginx",
            "tls": [{"hosts": hosts, "secretName": f"{ctx.slug}-tls"}],
            "rules": [
                {
                    "host": host,
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": c.dns, "port": {"number": c.port}}},
                            }
                        ]
                    },
                }
                for c, host in zip(entries, hosts, strict=True)
            ],
        },
    }


def namespace_doc(ctx: ExportContext) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": ctx.slug,
            "labels": {
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/warn": "restricted",
            },
        },
    }


HEADER = "Generated by archls from the architecture {name}. Edit the architecture and export again."


@target(
    "kubernetes",
    "Kubernetes manifests",
    kind="deploy",
    description="Deployments, StatefulSets, Services, ConfigMaps, Secret references, Ingress, HPAs, PDBs, "
    "NetworkPolicies from the connections, probes, requests/limits, non-root security contexts (kustomize-ready)",
)
def kubernetes(ctx: ExportContext) -> dict[str, str]:
    header = HEADER.format(name=ctx.name)
    files = {"namespace.yaml": yaml_docs([namespace_doc(ctx)], header)}
    resources = ["namespace.yaml"]
    skipped = []
    for comp in ctx.components:
        if not comp.runs_container:
            if comp.is_stateful:
                skipped.append(comp)
            continue
        name = f"{comp.dns}.yaml"
        files[name] = yaml_docs(component_docs(ctx, comp), header)
        resources.append(name)
    files["network-policies.yaml"] = yaml_docs(network_policies(ctx), header)
    resources.append("network-policies.yaml")
    ingress = ingress_doc(ctx)
    if ingress:
        files["ingress.yaml"] = yaml_docs([ingress], header)
        resources.append("ingress.yaml")
    notes = [header, "", "Secrets are referenced, never written here. Create them before applying, e.g.:"]
    notes += [
        f"kubectl -n {ctx.slug} create secret generic {c.dns}-credentials --from-literal=password=..."
        for c in ctx.stores
        if c.runs_container and c.needs_password
    ]
    if ingress:
        notes.append(f"kubectl -n {ctx.slug} create secret tls {ctx.slug}-tls --cert=... --key=...")
    if skipped:
        notes += ["", "Not run in the cluster (use the managed service): " + ", ".join(c.dns for c in skipped)]
    files["kustomization.yaml"] = yaml_docs(
        [
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "namespace": str(ctx.slug),
                "resources": resources,
            }
        ],
        "\n".join(notes),
    )
    return files
