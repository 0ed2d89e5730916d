"""Kubernetes rules for what the architecture model does not carry: RBAC, namespaces, probes and
secrets in manifests. They read ``ctx.native`` (every object of the manifest and its folder) and
report on ``("objects", "<Kind>/<namespace>/<name>", key...)``: the key at fault, or the
object's ``metadata.name`` line when it is absent. Objects of other files in the folder are read
for context but reported only for the file being audited.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from archls.findings import Severity
from archls.formats._yamlnative import as_text, get
from archls.rules._native import covered
from archls.rules._secrets import literal_secret
from archls.rules.registry import Control, Fix, Hit, RuleContext, rule

K8S = ["kubernetes"]
_NAMESPACED = frozenset(
    {
        "Deployment",
        "StatefulSet",
        "DaemonSet",
        "ReplicaSet",
        "ReplicationController",
        "Job",
        "CronJob",
        "Pod",
        "Service",
        "ConfigMap",
        "Secret",
        "Ingress",
        "Role",
        "RoleBinding",
        "ServiceAccount",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
    }
)
_SERVING = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Pod"})


def _native(ctx: RuleContext) -> Any:
    from archls.formats.kubernetes import K8sNative

    return ctx.native if isinstance(ctx.native, K8sNative) else None


def _mine(native: Any) -> list[Any]:
    return [o for o in native.objects if native.in_current(o)]


def _list(value: Any) -> list[Any]:
    """A list the manifest holds, or none when it holds something else there."""
    return value if isinstance(value, list) else []


@rule(
    "SEC201",
    "RBAC rule with wildcards",
    severity=Severity.WARNING,
    what="A Role or ClusterRole rule whose `apiGroups`, `resources` or `verbs` contain `*`.",
    why=(
        "A wildcard grants everything that exists now and every resource type or verb added later (CRDs "
        'included); `resources: ["*"]` reads Secrets, and `verbs: ["*"]` includes `escalate` and `bind`.'
    ),
    example='rules:\n- apiGroups: [""]\n  resources: ["*"]\n  verbs: ["get", "watch", "list"]',
    fix="List the resources and verbs the subject needs.",
    references=("https://kubernetes.io/docs/concepts/security/rbac-good-practices/",),
    controls=(Control("pci-dss", "7.2.2", "Access is assigned based on job function, least privileges"),),
    checkov=("CKV_K8S_49",),
    kics=("6b896afb-ca07-467a-b256-1a0077a1c08e",),
    formats=K8S,
    related=(
        (
            "trivy",
            "KSV044",
            "Trivy reports wildcards that come with write or all verbs; SEC201, like checkov, reports a wildcard in verbs, resources or API groups whatever the verbs (read access to every resource includes Secrets).",
        ),
        (
            "trivy",
            "KSV045",
            "Trivy reports wildcards that come with write or all verbs; SEC201, like checkov, reports any wildcard.",
        ),
        (
            "trivy",
            "KSV046",
            "Trivy reports wildcard resources only with write verbs; SEC201, like checkov, reports them whatever the verbs.",
        ),
    ),
)
def rbac_wildcards(ctx: RuleContext) -> Iterator[Hit]:
    native = _native(ctx)
    if native is None:
        return
    for role in _mine(native):
        if role.kind not in {"Role", "ClusterRole"}:
            continue
        for i, item in enumerate(_list(get(role.data, "rules"))):
            if not isinstance(item, dict):
                continue
            for key in ("apiGroups", "resources", "verbs"):
                values = item.get(key)
                if isinstance(values, list) and "*" in values:
                    yield Hit(
                        native.path(role, "rules", i, key, values.index("*")),
                        f"{role.kind} '{role.name}' grants {key} '*'",
                        on_value=True,
                    )


@rule(
    "SEC202",
    "Binding to cluster-admin",
    severity=Severity.ERROR,
    what="A ClusterRoleBinding or RoleBinding whose `roleRef` is the built-in `cluster-admin` ClusterRole.",
    why=(
        "cluster-admin can do anything in every namespace; a service account bound to it turns any compromise "
        "of one pod that mounts its token into control of the whole cluster."
    ),
    example="roleRef:\n  kind: ClusterRole\n  name: cluster-admin",
    fix="Bind a Role with the permissions the subject needs; keep cluster-admin for break-glass human access.",
    references=("https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles",),
    kics=("249328b8-5f0f-409f-b1dd-029f07882e11",),
    trivy=("KSV111",),
    formats=K8S,
)
def cluster_admin_binding(ctx: RuleContext) -> Iterator[Hit]:
    native = _native(ctx)
    if native is None:
        return
    for binding in _mine(native):
        if (
            binding.kind in {"ClusterRoleBinding", "RoleBinding"}
            and get(binding.data, "roleRef", "name") == "cluster-admin"
        ):
            subjects = [as_text(get(s, "name")) for s in _list(get(binding.data, "subjects"))]
            who = ", ".join(s for s in subjects if s) or "its subjects"
            yield Hit(
                native.path(binding, "roleRef", "name"),
                f"{binding.kind} '{binding.name}' gives {who} full control of the cluster",
                on_value=True,
            )


@rule(
    "SEC203",
    "Object in the default namespace",
    severity=Severity.WARNING,
    what=(
        "A namespaced object (workload, Service, ConfigMap, Secret, RBAC object...) with `namespace: default`, "
        "or with no namespace (an information note: `kubectl apply` then puts it wherever the context points, "
        "usually `default`)."
    ),
    why=(
        "The default namespace has no quotas, network policies or RBAC boundaries of its own; everything in it "
        "can reach and often read everything else."
    ),
    example="metadata:\n  name: api\n  namespace: default",
    fix="Give each application its own namespace with quotas, a default-deny NetworkPolicy and its own RBAC.",
    references=("https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/",),
    checkov=("CKV_K8S_21",),
    kics=("611ab018-c4aa-4ba2-b0f6-a448337509a6",),
    trivy=("KSV110",),
    formats=K8S,
    severity_note="An object in `namespace: default` is a warning; an object that names no namespace is info, since the namespace may be given on the command line (`kubectl -n`, Helm, Kustomize).",
)
def default_namespace(ctx: RuleContext) -> Iterator[Hit]:
    native = _native(ctx)
    if native is None:
        return
    for obj in _mine(native):
        if obj.kind not in _NAMESPACED:
            continue
        if obj.namespace == "default":
            yield Hit(
                native.path(obj, "metadata", "namespace"),
                f"{obj.kind} '{obj.name}' is in the default namespace",
                on_value=True,
            )
        elif obj.namespace is None:
            yield Hit(
                native.path(obj),
                f"{obj.kind} '{obj.name}' names no namespace; it lands in the current context's (usually default)",
                severity=Severity.INFO,
            )


def _modelled_env(ctx: RuleContext, native: Any, obj: Any) -> set[tuple[str, int, int]]:
    """(containers, i, j) of the env entries the model carries for ``obj``'s component."""
    component_of = ctx.cached("k8s.component_of", lambda: {id(o): c for c, o in native.workloads.items()})
    cid = component_of.get(id(obj))
    if cid is None or cid not in ctx.model.components:
        return set()
    seen: set[str] = set()
    out: set[tuple[str, int, int]] = set()
    for i, container in obj.containers():
        for j, item in enumerate(_list(container.get("env"))):
            name = as_text(get(item, "name"))
            if name and name not in seen:
                seen.add(name)
                out.add(("containers", i, j))
    return out


_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")


def _probe_hits(ctx: RuleContext, key: str, what: str) -> Iterator[Hit]:
    native = _native(ctx)
    if native is None:
        return
    from archls.formats.kubernetes import _main_container

    # REL011 (no health check) reports a component's main container when it has no probe at all
    deferred = covered(ctx, "REL011")
    for obj in _mine(native):
        if obj.kind not in _SERVING:
            continue
        spec_path = obj.pod_spec_path or ()
        main = _main_container(obj)
        selected: bool | None = None
        for i, container in obj.containers():
            if key in container:
                continue
            if key == "readinessProbe" and not container.get("ports"):
                if selected is None:
                    selected = _selected(ctx, native, obj)
                if not selected:
                    continue
            if deferred and main is not None and main[0] == i and not any(p in container for p in _PROBES):
                continue
            name = as_text(container.get("name")) or f"#{i}"
            yield Hit(
                native.path(obj, *spec_path, "containers", i),
                f"container '{name}' of {obj.kind} '{obj.name}' has no {what}",
            )


_Selector = dict[str, Any]


def _selected(ctx: RuleContext, native: Any, obj: Any) -> bool:
    """Whether a Service of the folder, in the workload's namespace, selects ``obj``'s pods."""
    from archls.formats.kubernetes import selects

    by_first, textless = ctx.cached("k8s.selectors", lambda: _selectors(native))
    namespace = obj.namespace or None
    labels = obj.pod_labels
    # A selector can only match pods that carry its first label with its value; one whose first
    # value is not text (null) matches pods without that label, so those are always tried.
    candidates = [s for key, value in labels.items() for s in by_first.get((namespace, key, value), ())]
    return any(selects(selector, labels) for selector in [*candidates, *textless.get(namespace, ())])


def _selectors(
    native: Any,
) -> tuple[dict[tuple[str | None, str, str], list[_Selector]], dict[str | None, list[_Selector]]]:
    """The Services' selectors by namespace, first label and its value; and, by namespace, those whose
    first value is not text."""
    by_first: dict[tuple[str | None, str, str], list[_Selector]] = {}
    textless: dict[str | None, list[_Selector]] = {}
    for service in native.objects:
        selector = get(service.data, "spec", "selector")
        if service.kind != "Service" or not isinstance(selector, dict) or not selector:
            continue
        namespace = service.namespace or None
        key, value = next(iter(selector.items()))
        text = as_text(value)
        if text is None:
            textless.setdefault(namespace, []).append(selector)
        else:
            by_first.setdefault((namespace, str(key), text), []).append(selector)
    return by_first, textless


@rule(
    "REL201",
    "Container without a readiness probe",
    severity=Severity.WARNING,
    what="A container of a long-running workload that serves traffic (it has ports, or a Service of its namespace "
    "selects it) without a `readinessProbe`. Where the model rule REL011 (no health check) runs, a main container "
    "with no probe at all is left to it.",
    why=(
        "Without one, Kubernetes sends requests to a pod as soon as its process starts, before caches, "
        "connections and migrations are ready, and keeps sending them while it is overloaded: every rollout "
        "and every slow dependency becomes user-visible errors."
    ),
    example="containers:\n- name: api\n  image: api:1.4\n  ports:\n  - containerPort: 8080",
    fix="Add a `readinessProbe` (an HTTP endpoint that checks the pod can serve) to each serving container.",
    references=(
        "https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/",
    ),
    kics=("a659f3b5-9bf0-438a-bd9a-7d3a6427f1e3",),
    formats=K8S,
    related=(
        (
            "checkov",
            "CKV_K8S_9",
            "checkov asks every container for a readiness probe; REL201 reports the containers of workloads traffic is routed to that REL011 does not already report.",
        ),
    ),
)
def readiness_probe(ctx: RuleContext) -> Iterator[Hit]:
    yield from _probe_hits(ctx, "readinessProbe", "readiness probe")


@rule(
    "REL202",
    "Container without a liveness probe",
    severity=Severity.INFO,
    what="A container of a long-running workload without a `livenessProbe`. Where the model rule REL011 (no "
    "health check) runs, a main container with no probe at all is left to it.",
    why=(
        "A process that deadlocks or wedges keeps its pod Running for ever; only a liveness probe lets the "
        "kubelet notice and restart it. (A liveness probe that checks dependencies does more harm than good: "
        "keep it to the process itself.)"
    ),
    example="containers:\n- name: worker\n  image: worker:2.0",
    fix="Add a cheap `livenessProbe` that checks the process itself responds.",
    references=(
        "https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/",
    ),
    kics=("ade74944-a674-4e00-859e-c6eab5bde441",),
    formats=K8S,
    related=(
        (
            "checkov",
            "CKV_K8S_8",
            "checkov asks every container for a liveness probe; REL202 notes the long-running containers with a readiness probe but no liveness probe.",
        ),
    ),
)
def liveness_probe(ctx: RuleContext) -> Iterator[Hit]:
    yield from _probe_hits(ctx, "livenessProbe", "liveness probe")


@rule(
    "SEC204",
    "Secret written into a manifest",
    severity=Severity.ERROR,
    what=(
        "A container environment variable whose `value` is a literal secret (a password, token or key by its "
        "name, or a credential by its shape), or a ConfigMap holding one. `valueFrom.secretKeyRef` is fine. "
        "Where the model rule SEC007 (secret written in the architecture) runs, it reports the variables the "
        "model carries (the first of each name in a workload) and this rule the rest: ConfigMaps, and "
        "variables repeated in other or init containers."
    ),
    why=(
        "Manifests live in git and every `kubectl get -o yaml` prints the value; ConfigMaps are readable by "
        "anyone with view access to the namespace. Secrets can be restricted, encrypted at rest and rotated."
    ),
    example="env:\n- name: DB_PASSWORD\n  value: hunter2",
    fix="Move the value into a Secret (or an external secret store) and use `valueFrom.secretKeyRef`.",
    references=("https://kubernetes.io/docs/concepts/configuration/secret/",),
    controls=(Control("pci-dss", "8.3.2", "Strong cryptography renders authentication factors unreadable"),),
    kics=("a88baa34-e2ad-44ea-ad6f-8cac87bc7c71",),
    formats=K8S,
    related=(
        (
            "checkov",
            "CKV_SECRET_6",
            "checkov's secret scanner judges values by their entropy; SEC204 by the key's name and the value's shape.",
        ),
    ),
)
def manifest_secrets(ctx: RuleContext) -> Iterator[Hit]:
    native = _native(ctx)
    if native is None:
        return
    for obj in _mine(native):
        if obj.kind == "ConfigMap":
            data = get(obj.data, "data")
            if isinstance(data, dict):
                for key, value in data.items():
                    reason = literal_secret(str(key), as_text(value))
                    if reason:
                        yield Hit(native.path(obj, "data", str(key)), f"ConfigMap '{obj.name}' holds {reason}")
            continue
        spec_path = obj.pod_spec_path
        if spec_path is None:
            continue
        modelled = _modelled_env(ctx, native, obj) if covered(ctx, "SEC007") else set()
        for init in (False, True):
            group = "initContainers" if init else "containers"
            for i, container in obj.containers(init=init):
                for j, item in enumerate(_list(container.get("env"))):
                    if not isinstance(item, dict) or "value" not in item:
                        continue
                    key = as_text(item.get("name")) or ""
                    if (group, i, j) in modelled:
                        continue
                    reason = literal_secret(key, as_text(item.get("value")))
                    if reason:
                        yield Hit(
                            native.path(obj, *spec_path, group, i, "env", j, "value"),
                            f"{obj.kind} '{obj.name}' has {reason} in its environment",
                            fix=Fix(
                                f"Read {key} from a Secret",
                                "replace",
                                native.path(obj, *spec_path, group, i, "env", j),
                                value={
                                    "name": key,
                                    "valueFrom": {
                                        "secretKeyRef": {"name": obj.name, "key": key.lower().replace("_", "-")}
                                    },
                                },
                                safe=False,
                            ),
                        )
