"""Kubernetes manifests, recognised by their ``apiVersion`` and ``kind`` (not by file name).

Workloads (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod) become
components; Services tie them together (a Service selects a workload's pods by label), so an
environment value naming a Service (``PRODUCT_CATALOG_SERVICE_ADDR: productcatalogservice:3550``)
is a connection to the workload behind it, and an Ingress reaches workloads through the
Services it routes to. The other manifests of the same folder are read too (one object per file
is common), through the loader's reader. Container settings the audit rules read are filled
the way Kubernetes defaults them (no ``runAsNonRoot`` and no non-zero ``runAsUser`` means the
process runs as root; no ``readOnlyRootFilesystem`` means a writable root filesystem), each
mapped to the key at fault, or to the container when the key is absent. Helm templates are
not manifests until rendered: they get an information note and nothing else.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from pydantic import ValidationError

from archls import yamlsource
from archls.evidence import Evidence
from archls.findings import FILE_START, Finding, ModelPath, Range, Severity
from archls.formats import LoadContext, Loaded, _tech, file_name, register
from archls.formats._inferred import Inferred
from archls.formats._yamlnative import (
    SOCKETS,
    Op,
    Place,
    YamlLoaded,
    addresses,
    apply_ops,
    as_bool,
    as_text,
    get,
    intent,
    items,
    native_op,
    service_host,
)
from archls.model import Architecture, Component, ComponentType, Connection, Group, GroupType, Protocol
from archls.sourcemap import SourceMap

NAME = "kubernetes"

_API = re.compile(r"^apiVersion:[ \t]*['\"]?[\w./-]+", re.M)
_KIND = re.compile(r"^kind:[ \t]*['\"]?[A-Z]\w*", re.M)
_HELM = re.compile(
    r"\{\{-?\s*(?:\.Values|\.Release|\.Chart|\.Capabilities|\.Files|include\s|template\s|if\s|range\s|with\s|end\s*-?\}\}|toYaml|tpl\s)|\{\{-|-\}\}"
)
_HEAD_BYTES = 65536
MAX_DOCUMENTS = 5000
MAX_NODES = 500_000
MAX_SIBLINGS = 50

#: kind -> path of the pod template from the object root
POD_TEMPLATES: dict[str, tuple[str, ...]] = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
    "Pod": (),
}


def looks_like_manifest(text: str) -> bool:
    head = text[:_HEAD_BYTES]
    return bool(_API.search(head) and _KIND.search(head))


@dataclass
class K8sObject:
    kind: str
    name: str
    namespace: str | None
    data: dict[str, Any]
    file: str
    #: native path of the object's root in its file, e.g. ("documents", 3)
    root: tuple[str | int, ...]
    api_version: str = ""

    @property
    def id(self) -> str:
        return f"{self.kind}/{self.namespace}/{self.name}" if self.namespace else f"{self.kind}/{self.name}"

    def native(self, *path: str | int) -> tuple[str | int, ...]:
        return (*self.root, *path)

    @property
    def pod_template(self) -> tuple[str, ...] | None:
        return POD_TEMPLATES.get(self.kind)

    @property
    def pod_spec_path(self) -> tuple[str, ...] | None:
        template = self.pod_template
        return None if template is None else (*template, "spec")

    @property
    def pod_spec(self) -> dict[str, Any]:
        path = self.pod_spec_path
        spec = get(self.data, *path) if path is not None else None
        return spec if isinstance(spec, dict) else {}

    def containers(self, init: bool = False) -> list[tuple[int, dict[str, Any]]]:
        raw = self.pod_spec.get("initContainers" if init else "containers")
        return [(i, c) for i, c in enumerate(raw) if isinstance(c, dict)] if isinstance(raw, list) else []

    @cached_property
    def pod_labels(self) -> dict[str, str]:
        template = self.pod_template
        labels = get(self.data, *template, "metadata", "labels") if template else None
        if self.kind == "Pod":
            labels = get(self.data, "metadata", "labels")
        return {str(k): str(as_text(v)) for k, v in labels.items()} if isinstance(labels, dict) else {}


@dataclass
class K8sNative:
    """What Kubernetes rules read: every object of the file and its folder, and the components made of them."""

    objects: list[K8sObject] = field(default_factory=list)
    current: str = ""
    #: component id -> the workload object behind it
    workloads: dict[str, K8sObject] = field(default_factory=dict)

    def of_kind(self, *kinds: str) -> list[K8sObject]:
        return [o for o in self.objects if o.kind in kinds]

    def path(self, obj: K8sObject, *native: str | int) -> ModelPath:
        return ("objects", obj.id, *native)

    def in_current(self, obj: K8sObject) -> bool:
        """Whether the audit reports on ``obj``: every file read is audited once, as one folder, and
        its findings are shared out to the files."""
        return True


class KubernetesFormat:
    name = NAME
    #: the engine records the other files read, so a cached audit is reused only while they are unchanged
    reads_other_files = True

    def claims(self, path: str, text: str | None) -> bool:
        if text is None or not file_name(path).lower().endswith((".yaml", ".yml")):
            return False
        return looks_like_manifest(text)

    def unit(self, path: str) -> str:
        """The manifests of a folder are read as one set."""
        return os.path.dirname(os.path.abspath(path))

    def load(self, text: str, path: str, context: LoadContext) -> Loaded:
        current = os.path.abspath(path) if path else path
        smap = SourceMap(path)
        loaded = YamlLoaded(NAME, None, smap, [], current=current, smaps={current: smap}, texts={current: text})
        helm = _HELM.search(text)
        if helm is not None:
            line = text.count("\n", 0, helm.start())
            col = helm.start() - (text.rfind("\n", 0, helm.start()) + 1)
            loaded.findings.append(
                Finding(
                    "ARCH020",
                    "this looks like a Helm template ({{ ... }}); archls audits rendered manifests: run "
                    "'helm template' and audit its output",
                    Severity.INFO,
                    Range(line, col, line, col + min(helm.end() - helm.start(), 40)),
                )
            )
            return loaded
        objects, findings = read_objects(text, current, smap)
        loaded.findings.extend(findings)
        if any(f.code in {"ARCH001"} for f in findings) and not objects:
            return loaded
        read = context.reader
        objects.extend(_siblings(current, read, context.max_bytes, loaded))
        # the folder's order, whichever of its files was read first: ids and messages do not depend on it
        objects.sort(key=lambda o: o.file)
        return build(objects, current, loaded)


def read_objects(text: str, file: str, smap: SourceMap) -> tuple[list[K8sObject], list[Finding]]:
    """Every object of a multi-document stream, reading at most MAX_DOCUMENTS / MAX_NODES."""
    stream = yamlsource.compose_documents(text, file, max_documents=MAX_DOCUMENTS, max_nodes=MAX_NODES)
    findings: list[Finding] = []
    objects: list[K8sObject] = []
    for index, doc in enumerate(stream.docs):
        findings.extend(doc.issues)
        if doc.data is not None:
            smap.mount(("documents", index), 0, doc.smap)
            objects.extend(_objects_of(doc.data, file, ("documents", index)))
    if stream.stop is not None:
        findings.append(stream.stop)
    return objects, findings


def _objects_of(data: Any, file: str, root: tuple[str | int, ...]) -> list[K8sObject]:
    if not isinstance(data, dict):
        return []
    kind = as_text(data.get("kind"))
    if not kind:
        return []
    if kind.endswith("List") and isinstance(data.get("items"), list):
        out: list[K8sObject] = []
        for i, item in enumerate(data["items"]):
            out.extend(_objects_of(item, file, (*root, "items", i)))
        return out
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    name = as_text(metadata.get("name")) or as_text(metadata.get("generateName")) or ""
    namespace = as_text(metadata.get("namespace"))
    return [K8sObject(kind, name, namespace, data, file, root, as_text(data.get("apiVersion")) or "")]


def is_custom_resource(api_version: str) -> bool:
    """Whether ``apiVersion`` names an API group outside Kubernetes itself (``cert-manager.io/v1``,
    ``kyverno.io/v1``): built-in groups are the core (``v1``), the unqualified ones (``apps``,
    ``batch``, ``policy``, ``autoscaling``) and those under ``k8s.io``."""
    group = api_version.rpartition("/")[0]
    return "." in group and not group.endswith(".k8s.io") and group != "k8s.io"


def _custom_resources(objects: list[K8sObject], current: str, loaded: YamlLoaded) -> list[Finding]:
    """A note per custom resource: its kind is defined by an operator, so nothing in it is audited."""
    out = []
    for obj in objects:
        if not is_custom_resource(obj.api_version):
            continue
        smap = loaded.smaps.get(obj.file)
        where = smap.value_range(obj.native("kind")) if smap is not None else None
        out.append(
            Finding(
                "ARCH022",
                f"{obj.kind} '{obj.name}' is a custom resource ({obj.api_version}); archls does not audit "
                "kinds defined outside Kubernetes",
                Severity.INFO,
                where or FILE_START,
                file=None if obj.file == current else obj.file,
            )
        )
    return out


def _siblings(current: str, read: Any, max_bytes: int, loaded: YamlLoaded) -> list[K8sObject]:
    folder = os.path.dirname(current)
    if not folder:
        return []
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    out: list[K8sObject] = []
    taken = 0
    for name in names:
        path = os.path.join(folder, name)
        if path == current or not name.lower().endswith((".yaml", ".yml")) or name.startswith("."):
            continue
        if taken >= MAX_SIBLINGS:
            break
        text = read(path)
        if text is None or len(text) > min(max_bytes, 2_000_000) or not looks_like_manifest(text):
            continue
        if _HELM.search(text):
            continue
        taken += 1
        smap = SourceMap(path)
        objects, problems = read_objects(text, path, smap)
        for problem in problems:
            problem.file = path
        loaded.findings.extend(problems)
        loaded.smaps[path] = smap
        loaded.texts[path] = text
        out.extend(objects)
    return out


# --- quantities --------------------------------------------------------------------------------


def cpu_cores(value: Any) -> float | None:
    text = as_text(value)
    if not text:
        return None
    try:
        if text.endswith("m"):
            return float(text[:-1]) / 1000
        return float(text)
    except ValueError:
        return None


_MEM = {"": 1 / 1048576, "k": 1000 / 1048576, "m": 1e6 / 1048576, "g": 1e9 / 1048576, "t": 1e12 / 1048576}
_MEMI = {"ki": 1 / 1024, "mi": 1, "gi": 1024, "ti": 1024 * 1024}


def memory_mb(value: Any) -> float | None:
    text = (as_text(value) or "").strip().lower()
    match = re.fullmatch(r"([\d.]+(?:e\d+)?)([kmgt]i?)?", text)
    if not match:
        return None
    number = float(match.group(1))
    unit = match.group(2) or ""
    factor = _MEMI.get(unit) or _MEM.get(unit)
    return number * factor if factor else None


# --- building the model ------------------------------------------------------------------------


@dataclass
class _Field:
    value: Any
    native: tuple[str | int, ...] | None


def _container_fields(obj: K8sObject) -> tuple[dict[str, Any], dict[ModelPath, tuple[str | int, ...]]]:
    """The ``container`` section (worst case over the containers) and where each value comes from."""
    spec = obj.pod_spec
    spec_path = obj.pod_spec_path or ()
    pod_ctx = spec.get("securityContext") if isinstance(spec.get("securityContext"), dict) else {}
    out: dict[str, Any] = {}
    places: dict[ModelPath, tuple[str | int, ...]] = {}
    containers = obj.containers()
    if not containers:
        return out, places

    def cpath(i: int, *rest: str | int) -> tuple[str | int, ...]:
        return obj.native(*spec_path, "containers", i, *rest)

    def context_place(i: int, container: dict[str, Any], key: str) -> tuple[str | int, ...]:
        ctx = container.get("securityContext")
        if isinstance(ctx, dict) and key in ctx:
            return cpath(i, "securityContext", key)
        if isinstance(ctx, dict):
            return cpath(i, "securityContext")
        return cpath(i)

    privileged = [(i, c) for i, c in containers if as_bool(get(c, "securityContext", "privileged")) is True]
    out["privileged"] = bool(privileged)
    first = privileged[0] if privileged else containers[0]
    places[("container", "privileged")] = context_place(first[0], first[1], "privileged")

    root_at: tuple[str | int, ...] | None = None
    for i, container in containers:
        ctx = container.get("securityContext") if isinstance(container.get("securityContext"), dict) else {}
        user = ctx.get("runAsUser", pod_ctx.get("runAsUser"))
        non_root = as_bool(ctx.get("runAsNonRoot", pod_ctx.get("runAsNonRoot")))
        user_number = user if isinstance(user, int) and not isinstance(user, bool) else None
        if user_number == 0:
            root_at = (
                cpath(i, "securityContext", "runAsUser")
                if "runAsUser" in ctx
                else obj.native(*spec_path, "securityContext", "runAsUser")
            )
            break
        if user_number is None and non_root is not True:
            root_at = context_place(i, container, "runAsNonRoot")
            break
    out["run_as_root"] = root_at is not None
    places[("container", "run_as_root")] = root_at or cpath(containers[0][0])

    writable = [
        (i, c) for i, c in containers if as_bool(get(c, "securityContext", "readOnlyRootFilesystem")) is not True
    ]
    out["read_only_root"] = not writable
    first = writable[0] if writable else containers[0]
    places[("container", "read_only_root")] = context_place(first[0], first[1], "readOnlyRootFilesystem")

    escalating = [
        (i, c) for i, c in containers if as_bool(get(c, "securityContext", "allowPrivilegeEscalation")) is not False
    ]
    out["privilege_escalation"] = bool(escalating)
    first = escalating[0] if escalating else containers[0]
    places[("container", "privilege_escalation")] = context_place(first[0], first[1], "allowPrivilegeEscalation")

    for key, field_name in (("hostNetwork", "host_network"), ("hostPID", "host_pid"), ("hostIPC", "host_ipc")):
        value = as_bool(spec.get(key))
        out[field_name] = bool(value)
        places[("container", field_name)] = obj.native(*spec_path, key)

    sockets = _socket_volumes(obj)
    out["docker_socket"] = bool(sockets)
    if sockets:
        places[("container", "docker_socket")] = sockets[0]

    caps: list[str] = []
    for i, container in containers:
        added = get(container, "securityContext", "capabilities", "add")
        if isinstance(added, list):
            caps.extend(str(as_text(c)) for c in added if as_text(c))
            places.setdefault(("container", "capabilities"), cpath(i, "securityContext", "capabilities", "add"))
    if caps:
        out["capabilities"] = list(dict.fromkeys(caps))
    return out, places


def _socket_volumes(obj: K8sObject) -> list[tuple[str | int, ...]]:
    spec = obj.pod_spec
    spec_path = obj.pod_spec_path or ()
    volumes = spec.get("volumes") if isinstance(spec.get("volumes"), list) else []
    mounted = set()
    for _, container in obj.containers() + obj.containers(init=True):
        for mount in items(container.get("volumeMounts")):
            if isinstance(mount, dict) and as_text(mount.get("name")):
                mounted.add(as_text(mount.get("name")))
    out = []
    for i, volume in enumerate(volumes):
        if not isinstance(volume, dict):
            continue
        path = as_text(get(volume, "hostPath", "path")) or ""
        if path.rstrip("/").endswith(SOCKETS) and as_text(volume.get("name")) in mounted:
            out.append(obj.native(*spec_path, "volumes", i, "hostPath", "path"))
    return out


def _resources(obj: K8sObject) -> tuple[dict[str, Any], dict[ModelPath, tuple[str | int, ...]]]:
    spec_path = obj.pod_spec_path or ()
    cpu = 0.0
    memory = 0.0
    complete = True
    missing_at: tuple[str | int, ...] | None = None
    # Every container needs its limits, init containers too (a runaway migration starves the node as
    # well); the figures add up over the containers that run together.
    for key, init in (("containers", False), ("initContainers", True)):
        for i, container in obj.containers(init=init):
            limits = get(container, "resources", "limits")
            c = cpu_cores(get(limits, "cpu")) if isinstance(limits, dict) else None
            m = memory_mb(get(limits, "memory")) if isinstance(limits, dict) else None
            if c is None or m is None:
                complete = False
                if missing_at is None:
                    if isinstance(limits, dict):
                        missing_at = obj.native(*spec_path, key, i, "resources", "limits")
                    elif isinstance(container.get("resources"), dict):
                        missing_at = obj.native(*spec_path, key, i, "resources")
                    else:
                        missing_at = obj.native(*spec_path, key, i)
            if not init:
                cpu += c or 0
                memory += m or 0
    out: dict[str, Any] = {"limits": complete}
    if complete and cpu > 0:
        out["cpu"] = round(cpu, 3)
    if complete and memory > 0:
        out["memory_mb"] = round(memory, 1)
    first = obj.native(*spec_path, "containers", 0, "resources", "limits")
    place = missing_at or first
    return out, {("resources",): place, ("resources", "limits"): place, ("resources", "cpu"): place}


def _probe(container: dict[str, Any]) -> dict[str, Any] | None:
    for key in ("livenessProbe", "readinessProbe", "startupProbe"):
        probe = container.get(key)
        if not isinstance(probe, dict):
            continue
        out: dict[str, Any] = {}
        path = get(probe, "httpGet", "path")
        command = get(probe, "exec", "command")
        if isinstance(path, str):
            out["path"] = path
        elif isinstance(command, list):
            out["command"] = " ".join(str(c) for c in command)
        elif get(probe, "grpc") is not None:
            out["command"] = "grpc"
        elif get(probe, "tcpSocket") is not None:
            out["command"] = f"tcp {as_text(get(probe, 'tcpSocket', 'port'))}"
        period = probe.get("periodSeconds")
        timeout = probe.get("timeoutSeconds")
        if isinstance(period, int | float) and not isinstance(period, bool) and period > 0:
            out["interval_s"] = float(period)
        if isinstance(timeout, int | float) and not isinstance(timeout, bool) and timeout > 0:
            out["timeout_s"] = float(timeout)
        return out
    return None


def _main_container(obj: K8sObject) -> tuple[int, dict[str, Any]] | None:
    containers = obj.containers()
    for i, container in containers:
        tech, _ = _tech.from_image(as_text(container.get("image")) or "")
        if tech is not None:
            return i, container
    return containers[0] if containers else None


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(str(k)) == as_text(v) for k, v in selector.items())


def build(objects: list[K8sObject], current: str, loaded: YamlLoaded) -> YamlLoaded:
    native = K8sNative(objects, current)
    loaded.native = native
    comments = _skip_comments(loaded)
    for obj in objects:
        loaded.places[("objects", obj.id)] = Place(obj.file, obj.root)
        anchor = obj.native("metadata", "name") if get(obj.data, "metadata", "name") is not None else obj.native("kind")
        loaded.anchors[("objects", obj.id)] = Place(obj.file, anchor)
        skips = _skips(obj, loaded, comments)
        if skips:
            loaded.checkov_skips.setdefault(obj.id, set()).update(skips)

    loaded.findings.extend(_custom_resources(objects, current, loaded))
    workloads = [o for o in objects if o.kind in POD_TEMPLATES and o.pod_spec]
    ids = _component_ids(workloads)
    components: dict[str, Component] = {}
    for obj in workloads:
        cid = ids[obj.id]
        made = _workload(obj, loaded, cid)
        if made is None:
            continue
        components[cid] = made
        native.workloads[cid] = obj
        skips = loaded.checkov_skips.get(obj.id)
        if skips:
            loaded.checkov_skips.setdefault(cid, set()).update(skips)

    services = [o for o in objects if o.kind == "Service"]
    backends = _backends(services, native)
    _public_services(services, backends, components, loaded)
    _autoscalers(objects, native, components, loaded)

    ingress_ids = _ingresses(objects, ids, components, loaded)
    connections = _connections(objects, native, services, backends, components, ingress_ids, loaded)
    groups = _namespaces(native, components, loaded)
    folder = os.path.basename(os.path.dirname(current)) or "kubernetes"
    loaded.model = Architecture(name=folder, components=components, connections=connections, groups=groups)
    loaded.known_ids = set(components)
    return loaded


def _backends(services: list[K8sObject], native: K8sNative) -> dict[str, list[tuple[str, K8sObject]]]:
    """Service id -> the workloads whose pods it selects (same namespace), in workload order.

    Workloads are indexed by (namespace, label, value), so each Service looks only at the workloads
    that carry one of its selector's labels, not at every workload of the folder."""
    by_label: dict[tuple[str | None, str, str], list[str]] = {}
    for cid, obj in native.workloads.items():
        for key, value in obj.pod_labels.items():
            by_label.setdefault((obj.namespace or None, key, value), []).append(cid)
    out: dict[str, list[tuple[str, K8sObject]]] = {}
    for service in services:
        selector = get(service.data, "spec", "selector")
        if not isinstance(selector, dict) or not selector:
            continue
        key, value = next(iter(selector.items()))
        for cid in by_label.get((service.namespace or None, str(key), str(as_text(value))), []):
            obj = native.workloads[cid]
            if selects(selector, obj.pod_labels):
                out.setdefault(service.id, []).append((cid, obj))
    return out


_SKIP_COMMENT = re.compile(r"checkov:skip=\s*(CKV2?_[A-Z0-9]+_\d+)", re.I)


def _skips(obj: K8sObject, loaded: YamlLoaded, comments: dict[str, list[tuple[int, str]]]) -> set[str]:
    out: set[str] = set()
    annotations = get(obj.data, "metadata", "annotations")
    if isinstance(annotations, dict):
        for key, value in annotations.items():
            if str(key).startswith("checkov.io/skip"):
                check = (as_text(value) or "").split("=")[0].strip().upper()
                if check.startswith("CKV"):
                    out.add(check)
    marks = comments.get(obj.file)
    if marks:
        smap = loaded.smaps.get(obj.file)
        entry = smap.get(obj.root) if smap else None
        if entry is not None:
            start = max(entry.value.start_line - 3, 0)
            out.update(check for line, check in marks if start <= line <= entry.value.end_line)
    return out


def _skip_comments(loaded: YamlLoaded) -> dict[str, list[tuple[int, str]]]:
    """``# checkov:skip=CKV_...`` comments of every file read, with their lines (one pass per file)."""
    out: dict[str, list[tuple[int, str]]] = {}
    for file, text in loaded.texts.items():
        if "checkov" not in text:
            continue
        out[file] = [(text.count("\n", 0, m.start()), m.group(1).upper()) for m in _SKIP_COMMENT.finditer(text)]
    return out


def _component_ids(workloads: list[K8sObject]) -> dict[str, str]:
    counts: dict[str, int] = {}
    for obj in workloads:
        counts[obj.name] = counts.get(obj.name, 0) + 1
    out: dict[str, str] = {}
    taken: set[str] = set()
    for obj in workloads:
        cid = obj.name if counts[obj.name] == 1 else f"{obj.name}.{(obj.namespace or obj.kind).lower()}"
        cid = re.sub(r"[^A-Za-z0-9_.-]+", "-", cid) or "workload"
        if cid in taken:  # the same name, namespace and kind in two files: alternatives, told apart by file
            cid = f"{cid}.{re.sub(r'[^A-Za-z0-9_-]+', '-', os.path.splitext(os.path.basename(obj.file))[0])}"
        while cid in taken:
            cid += f".{obj.kind.lower()}"
        taken.add(cid)
        out[obj.id] = cid
    return out


def _workload(obj: K8sObject, loaded: YamlLoaded, cid: str) -> Component | None:
    places: dict[ModelPath, tuple[str | int, ...]] = {}
    main = _main_container(obj)
    data: dict[str, Any] = {"type": ComponentType.SERVICE.value}
    if obj.kind == "Job":
        data["type"] = ComponentType.WORKER.value
    elif obj.kind == "CronJob":
        data["type"] = ComponentType.SCHEDULER.value
    spec_path = obj.pod_spec_path or ()
    if main is not None:
        index, container = main
        image = as_text(container.get("image"))
        if image:
            data["image"] = image
            places[("image",)] = obj.native(*spec_path, "containers", index, "image")
            places[("technology",)] = places[("image",)]
            places[("version",)] = places[("image",)]
            tech, version = _tech.from_image(image)
            if tech is not None:
                data["technology"] = tech.name
                if obj.kind not in {"Job", "CronJob"}:
                    data["type"] = tech.type.value
            if version:
                data["version"] = version
        probe = _probe(container)
        if probe is not None:
            data["health_check"] = probe or True
        elif obj.kind not in {"Job", "CronJob"}:
            data["health_check"] = False
        for key in ("livenessProbe", "readinessProbe"):
            if key in container:
                places[("health_check",)] = obj.native(*spec_path, "containers", index, key)
                break
        else:
            places[("health_check",)] = obj.native(*spec_path, "containers", index)
    if obj.kind in {"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"}:
        replicas = get(obj.data, "spec", "replicas")
        data["replicas"] = replicas if isinstance(replicas, int) and not isinstance(replicas, bool) else 1
        places[("replicas",)] = obj.native("spec", "replicas")
    ports: list[int] = []
    env: dict[str, str | None] = {}
    for i, container in obj.containers():
        for j, port in enumerate(items(container.get("ports"))):
            number = get(port, "containerPort")
            if isinstance(number, int) and not isinstance(number, bool) and 0 < number < 65536 and number not in ports:
                places[("ports", len(ports))] = obj.native(*spec_path, "containers", i, "ports", j)
                ports.append(number)
        for j, item in enumerate(items(container.get("env"))):
            if not isinstance(item, dict) or not as_text(item.get("name")):
                continue
            key = str(as_text(item.get("name")))
            if key in env:
                continue
            env[key] = as_text(item.get("value")) if "value" in item else None
            where = "value" if "value" in item else "valueFrom" if "valueFrom" in item else "name"
            places[("env", key)] = obj.native(*spec_path, "containers", i, "env", j, where)
    if ports:
        data["ports"] = ports
        places[("ports",)] = places[("ports", 0)]
    if env:
        data["env"] = env
    container_section, container_places = _container_fields(obj)
    if container_section:
        data["container"] = container_section
    places.update(container_places)
    resources, resource_places = _resources(obj)
    if obj.containers():
        data["resources"] = resources
        places.update(resource_places)
    try:
        component = Component.model_validate(data)
    except ValidationError:
        try:
            component = Component.model_validate({"type": data["type"]})
        except ValidationError:
            return None
    smap = loaded.smaps.get(obj.file)
    anchor = loaded.anchors[("objects", obj.id)].path
    entry = smap.get(anchor) if smap else None
    if entry is not None:
        component._origin = Evidence(obj.file, entry.head, "workload", f"{obj.kind} {obj.name}")
    loaded.anchors[("components", cid)] = Place(obj.file, anchor)
    for sub, native in places.items():
        loaded.places[("components", cid, *sub)] = Place(obj.file, native)
    return component


def _public_services(
    services: list[K8sObject],
    backends: dict[str, list[tuple[str, K8sObject]]],
    components: dict[str, Component],
    loaded: YamlLoaded,
) -> None:
    for service in services:
        # A LoadBalancer is the cluster's edge unless its cloud is told to keep it internal. A NodePort
        # opens a port on the nodes, which clouds firewall by default and which Ingresses use as their
        # backends: the Ingress in front is the edge, not the port.
        kind = as_text(get(service.data, "spec", "type")) or "ClusterIP"
        if kind != "LoadBalancer" or _internal_load_balancer(service):
            continue
        for cid, _ in backends.get(service.id, []):
            component = components.get(cid)
            if component is not None and not component.public:
                component.public = True
                loaded.places[("components", cid, "public")] = Place(service.file, service.native("spec", "type"))


#: Annotations by which a cloud provisions a LoadBalancer Service on a private network only.
_INTERNAL_LB = {
    "networking.gke.io/load-balancer-type": "internal",
    "cloud.google.com/load-balancer-type": "internal",
    "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
    "service.beta.kubernetes.io/azure-load-balancer-internal": "true",
    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
}


def _internal_load_balancer(service: K8sObject) -> bool:
    annotations = get(service.data, "metadata", "annotations")
    if not isinstance(annotations, dict):
        return False
    return any((as_text(annotations.get(key)) or "").lower() == value for key, value in _INTERNAL_LB.items())


def _autoscalers(
    objects: list[K8sObject], native: K8sNative, components: dict[str, Component], loaded: YamlLoaded
) -> None:
    from archls.model import Autoscaling

    for hpa in objects:
        if hpa.kind != "HorizontalPodAutoscaler":
            continue
        target = get(hpa.data, "spec", "scaleTargetRef", "name")
        kind = get(hpa.data, "spec", "scaleTargetRef", "kind")
        for cid, obj in native.workloads.items():
            if obj.name != target or (kind and obj.kind != kind) or obj.namespace != hpa.namespace:
                continue
            low = get(hpa.data, "spec", "minReplicas", default=1)
            high = get(hpa.data, "spec", "maxReplicas")
            cpu = get(hpa.data, "spec", "targetCPUUtilizationPercentage")
            for metric in items(get(hpa.data, "spec", "metrics")):
                if get(metric, "resource", "name") == "cpu":
                    cpu = get(metric, "resource", "target", "averageUtilization", default=cpu)
            try:
                components[cid].autoscaling = Autoscaling(
                    min=low if isinstance(low, int) else 1,
                    max=high,
                    target_cpu=cpu if isinstance(cpu, int | float) and not isinstance(cpu, bool) else None,
                )
            except (ValidationError, TypeError):
                continue
            loaded.places[("components", cid, "autoscaling")] = Place(hpa.file, hpa.native("spec"))


def _ingress_backends(ingress: K8sObject) -> list[tuple[str, Any, tuple[str | int, ...]]]:
    """(service name, port, native path of the backend) for every backend of an Ingress."""
    out = []
    spec = ingress.data.get("spec") if isinstance(ingress.data.get("spec"), dict) else {}
    default = spec.get("defaultBackend") or spec.get("backend")
    if isinstance(default, dict):
        key = "defaultBackend" if "defaultBackend" in spec else "backend"
        name = get(default, "service", "name") or default.get("serviceName")
        port = get(default, "service", "port", "number") or default.get("servicePort")
        if name:
            out.append((str(name), port, ingress.native("spec", key)))
    for i, rule in enumerate(items(spec.get("rules"))):
        for j, path in enumerate(items(get(rule, "http", "paths"))):
            backend = get(path, "backend")
            if not isinstance(backend, dict):
                continue
            name = get(backend, "service", "name") or backend.get("serviceName")
            port = get(backend, "service", "port", "number") or backend.get("servicePort")
            if name:
                out.append((str(name), port, ingress.native("spec", "rules", i, "http", "paths", j, "backend")))
    return out


def _ingresses(
    objects: list[K8sObject], ids: dict[str, str], components: dict[str, Component], loaded: YamlLoaded
) -> dict[str, str]:
    out: dict[str, str] = {}
    for ingress in objects:
        if ingress.kind != "Ingress":
            continue
        cid = re.sub(r"[^A-Za-z0-9_.-]+", "-", ingress.name or "ingress")
        if cid in components:
            cid = f"{cid}.ingress"
        ingress_class = as_text(get(ingress.data, "spec", "ingressClassName")) or as_text(
            get(ingress.data, "metadata", "annotations", "kubernetes.io/ingress.class")
        )
        annotations = get(ingress.data, "metadata", "annotations")
        annotations = annotations if isinstance(annotations, dict) else {}
        certificate = next((key for key in _CERTIFICATE_ANNOTATIONS if as_text(annotations.get(key))), None)
        data: dict[str, Any] = {
            "type": "load-balancer",
            "public": True,
            "tls": bool(get(ingress.data, "spec", "tls")) or certificate is not None,
        }
        if any(as_text(annotations.get(key)) for key in _RATE_LIMIT_ANNOTATIONS):
            data["rate_limit"] = True
        if any(_annotation_on(annotations.get(key)) for key in _WAF_ANNOTATIONS):
            data["waf"] = True
        if ingress_class:
            data["technology"] = ingress_class
        try:
            component = Component.model_validate(data)
        except ValidationError:
            continue
        anchor = loaded.anchors[("objects", ingress.id)]
        smap = loaded.smaps.get(ingress.file)
        entry = smap.get(anchor.path) if smap else None
        if entry is not None:
            component._origin = Evidence(ingress.file, entry.head, "ingress", f"Ingress {ingress.name}")
        components[cid] = component
        out[ingress.id] = cid
        loaded.anchors[("components", cid)] = anchor
        tls_at = ("spec", "tls") if get(ingress.data, "spec", "tls") or certificate is None else None
        native_tls = ingress.native(*tls_at) if tls_at else ingress.native("metadata", "annotations", certificate)
        loaded.places[("components", cid, "tls")] = Place(ingress.file, native_tls)
    return out


#: Annotations by which a cloud's ingress controller terminates TLS with a certificate it manages
#: (GKE managed or pre-shared certificates, an AWS Certificate Manager ARN), without `spec.tls`.
_CERTIFICATE_ANNOTATIONS = (
    "networking.gke.io/managed-certificates",
    "ingress.gcp.kubernetes.io/pre-shared-cert",
    "alb.ingress.kubernetes.io/certificate-arn",
    "service.beta.kubernetes.io/aws-load-balancer-ssl-cert",
)
_RATE_LIMIT_ANNOTATIONS = (
    "nginx.ingress.kubernetes.io/limit-rps",
    "nginx.ingress.kubernetes.io/limit-rpm",
    "nginx.ingress.kubernetes.io/limit-connections",
    "nginx.ingress.kubernetes.io/global-rate-limit",
)
_WAF_ANNOTATIONS = (
    "nginx.ingress.kubernetes.io/enable-modsecurity",
    "alb.ingress.kubernetes.io/wafv2-acl-arn",
    "alb.ingress.kubernetes.io/waf-acl-id",
    "appgw.ingress.kubernetes.io/waf-policy-for-path",
    "cloud.google.com/armor-config",
)


def _annotation_on(value: Any) -> bool:
    text = as_text(value)
    return bool(text) and text.strip().lower() not in {"false", "0", "off", "no"}


def _port_name_protocol(name: str | None) -> Protocol | None:
    if not name:
        return None
    lowered = name.lower()
    for candidate in (lowered, lowered.split("-")[0]):
        try:
            return Protocol(candidate)
        except ValueError:
            continue
    return None


def _connections(
    objects: list[K8sObject],
    native: K8sNative,
    services: list[K8sObject],
    backends: dict[str, list[tuple[str, K8sObject]]],
    components: dict[str, Component],
    ingress_ids: dict[str, str],
    loaded: YamlLoaded,
) -> list[Connection]:
    by_name: dict[str, list[K8sObject]] = {}
    for service in services:
        by_name.setdefault(service.name, []).append(service)
    inferred = Inferred()

    def range_of(obj: K8sObject, *native: str | int) -> Range | None:
        smap = loaded.smaps.get(obj.file)
        entry = smap.get(obj.native(*native)) if smap else None
        return entry.head if entry is not None else None

    def service_port(service: K8sObject, port: int | None) -> tuple[int | None, Protocol | None]:
        for item in items(get(service.data, "spec", "ports")):
            if not isinstance(item, dict):
                continue
            if port is None or item.get("port") == port:
                target = item.get("targetPort", item.get("port"))
                number = target if isinstance(target, int) and not isinstance(target, bool) else item.get("port")
                protocol = _port_name_protocol(as_text(item.get("appProtocol")) or as_text(item.get("name")))
                if protocol in {Protocol.TCP, Protocol.UDP}:
                    protocol = None  # says nothing the target's technology does not say better
                return (number if isinstance(number, int) else None), protocol
        return port, None

    configmaps = {(o.namespace, o.name): o for o in objects if o.kind == "ConfigMap"}
    # A ConfigMap that several workloads load whole (envFrom) is shared configuration: its addresses
    # say that someone calls those services, not which of its readers does, so they are no evidence
    # of an edge. A key one workload picks (configMapKeyRef) is.
    loaders: dict[tuple[str | None, str], set[str]] = {}
    for cid, obj in native.workloads.items():
        for _, container in [*obj.containers(init=False), *obj.containers(init=True)]:
            for source in items(container.get("envFrom")):
                ref = as_text(get(source, "configMapRef", "name"))
                if ref:
                    loaders.setdefault((obj.namespace, ref), set()).add(cid)
    for cid, obj in native.workloads.items():
        spec_path = obj.pod_spec_path or ()
        env_items: list[tuple[str, str, tuple[str | int, ...], K8sObject]] = []
        for init in (False, True):
            key = "initContainers" if init else "containers"
            for i, container in obj.containers(init=init):
                for j, item in enumerate(items(container.get("env"))):
                    value = as_text(get(item, "value"))
                    name = as_text(get(item, "name"))
                    if value and name:
                        env_items.append((name, value, (*spec_path, key, i, "env", j, "value"), obj))
                        continue
                    picked = get(item, "valueFrom", "configMapKeyRef")
                    ref, wanted = as_text(get(picked, "name")), as_text(get(picked, "key"))
                    configmap = configmaps.get((obj.namespace, ref)) if ref and wanted else None
                    chosen = as_text(get(configmap.data, "data", wanted)) if configmap and wanted else None
                    if name and wanted and chosen:
                        env_items.append((name, chosen, ("data", wanted), configmap))
                for source in items(container.get("envFrom")):
                    ref = as_text(get(source, "configMapRef", "name"))
                    configmap = configmaps.get((obj.namespace, ref)) if ref else None
                    data = get(configmap.data, "data") if configmap else None
                    if len(loaders.get((obj.namespace, ref or ""), ())) > 1:
                        continue
                    if configmap is not None and isinstance(data, dict):
                        for k, v in data.items():
                            if as_text(v):
                                env_items.append((str(k), str(as_text(v)), ("data", str(k)), configmap))
        for name, value, native_path, holder in env_items:
            for address in addresses(name, value):
                host = service_host(address.host, by_name)
                if host is None:
                    continue
                for service in by_name[host]:
                    if (service.namespace or obj.namespace) != obj.namespace and "." not in address.host:
                        continue
                    where = range_of(holder, *native_path)
                    if where is None:
                        continue
                    port, port_protocol = service_port(service, address.port)
                    for target, _ in backends.get(service.id, []):
                        inferred.add(
                            cid,
                            target,
                            Evidence(holder.file, where, "env", f"{name}={value}"),
                            protocol=address.protocol or port_protocol,
                            port=port,
                            tls=address.tls,
                        )
    for ingress in objects:
        source = ingress_ids.get(ingress.id)
        if source is None:
            continue
        for service_name, port, native_path in _ingress_backends(ingress):
            for service in by_name.get(service_name, []):
                if (service.namespace or None) != (ingress.namespace or None):
                    continue
                where = range_of(ingress, *native_path[len(ingress.root) :])
                if where is None:
                    continue
                target_port, port_protocol = service_port(service, port if isinstance(port, int) else None)
                for target, _ in backends.get(service.id, []):
                    inferred.add(
                        source,
                        target,
                        Evidence(ingress.file, where, "ingress", f"Ingress {ingress.name} -> Service {service_name}"),
                        protocol=port_protocol or Protocol.HTTP,
                        port=target_port,
                    )

    connections = inferred.connections(components, technology_port=False)
    loaded.place_connections(connections)
    return connections


def _namespaces(native: K8sNative, components: dict[str, Component], loaded: YamlLoaded) -> dict[str, Group]:
    members: dict[str, list[str]] = {}
    for cid, obj in native.workloads.items():
        if obj.namespace and cid in components:
            members.setdefault(obj.namespace, []).append(cid)
    out: dict[str, Group] = {}
    for namespace, cids in members.items():
        gid = re.sub(r"[^A-Za-z0-9_.-]+", "-", namespace)
        if gid in components:
            gid = f"{gid}.namespace"
        try:
            out[gid] = Group(type=GroupType.NAMESPACE, members=cids, description=f"namespace {namespace}")
        except ValidationError:
            continue
        declared = next((o for o in native.objects if o.kind == "Namespace" and o.name == namespace), None)
        if declared is not None:
            loaded.places[("groups", gid)] = Place(declared.file, declared.native("metadata", "name"))
    return out


# --- fixes -----------------------------------------------------------------------------------

#: model container field -> (securityContext key, value that makes the field right)
_SECURITY_KEYS = {
    "privileged": ("privileged", False),
    "run_as_root": ("runAsNonRoot", True),
    "read_only_root": ("readOnlyRootFilesystem", True),
    "privilege_escalation": ("allowPrivilegeEscalation", False),
}
_POD_KEYS = {"host_network": "hostNetwork", "host_pid": "hostPID", "host_ipc": "hostIPC"}
_WANTED = {"privileged": False, "run_as_root": False, "read_only_root": True, "privilege_escalation": False}


def fix_edits(text: str, loaded: Loaded, fix: Any) -> list[Any]:
    """A fix written into the manifest with the YAML editor: comments, order and quotes kept."""
    from archls.fixes import FixError

    if not isinstance(loaded, YamlLoaded) or not isinstance(loaded.native, K8sNative):
        raise FixError("the manifest could not be read")
    kind, path, value = intent(fix)
    if path[:1] == ("objects",):
        if (kind == "replace" and len(path) > 2 and path[-2] == "env") or (kind == "replace" and _is_env_item(path)):
            return _env_from_secret(text, loaded, path, value)
        return apply_ops(text, loaded, [native_op(loaded, kind, path, value)])
    if path[:1] != ("components",) or len(path) < 3:
        raise FixError("this fix does not apply to Kubernetes manifests")
    cid, sub = str(path[1]), tuple(path[2:])
    reference = re.fullmatch(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", value) if isinstance(value, str) else None
    if sub[:1] == ("env",) and len(sub) == 2 and kind in {"set", "replace"} and reference is not None:
        # a reference to a secret store: in Kubernetes that is a Secret, read with secretKeyRef
        place = loaded.places.get(("components", cid, "env", sub[1]))
        if place is None or place.file != loaded.current or place.path[-1] != "value":
            raise FixError(f"'{sub[1]}' has no literal value in this file")
        workload = loaded.native.workloads.get(cid)
        secret = workload.name if workload is not None else cid
        return _secret_ref_edit(text, loaded, place.path[:-1], secret, str(sub[1]).lower().replace("_", "-"))
    ops = _model_ops(loaded, cid, sub, kind, value)
    return apply_ops(text, loaded, ops)


def _is_env_item(path: tuple[Any, ...]) -> bool:
    return len(path) >= 3 and path[-2] == "env" and isinstance(path[-1], int)


def _model_ops(loaded: YamlLoaded, cid: str, sub: tuple[Any, ...], kind: str, value: Any) -> list[Any]:
    from archls.fixes import FixError

    def place(*field: Any) -> tuple[str, tuple[Any, ...]]:
        found = loaded.places.get(("components", cid, *field))
        if found is None:
            raise FixError(f"archls does not know where '{'.'.join(map(str, field))}' of '{cid}' is written")
        if found.file != loaded.current:
            raise FixError(f"that setting is written in {found.file.rsplit('/', 1)[-1]}; fix it there")
        return found.file, found.path

    if sub[:1] == ("container",) and len(sub) == 2 and kind in {"set", "replace"}:
        field = str(sub[1])
        if field in _SECURITY_KEYS and value == _WANTED[field]:
            _, native = place("container", field)
            if native and native[-1] == "runAsUser":
                raise FixError("runAsUser is 0: set it to the non-root user the image runs as")
            container = _container_of(native)
            key, wanted = _SECURITY_KEYS[field]
            return [Op("set", (*container, "securityContext"), wanted, key, block=True)]
        if field in _POD_KEYS and value is False:
            _, native = place("container", field)
            return [Op("remove", native)] if loaded.smap.get(native) is not None else []
        if field == "docker_socket":
            raise FixError("remove the hostPath volume and its volumeMount by hand")
    if sub == ("image",) and kind in {"set", "replace"} and isinstance(value, str):
        _, native = place("image")
        return [Op("replace", native, value)]
    if sub[:1] == ("env",) and len(sub) == 2 and kind in {"set", "replace"}:
        _, native = place("env", sub[1])
        if native[-1] != "value":
            raise FixError(f"'{sub[1]}' has no literal value to replace")
        return [Op("replace", native, "" if value is None else str(value))]
    if sub == ("replicas",) and kind in {"set", "replace"} and isinstance(value, int):
        _, native = place("replicas")
        return [Op("set", native[:-1], value, str(native[-1]))]
    if sub == ("public",) and value is False:
        _, native = place("public")
        if native[-2:] == ("spec", "type"):
            return [Op("replace", native, "ClusterIP")]
    raise FixError(f"no single manifest key carries '{'.'.join(map(str, sub))}'")


def _container_of(native: tuple[Any, ...]) -> tuple[Any, ...]:
    for i in range(len(native) - 1, 0, -1):
        if native[i - 1] in {"containers", "initContainers"} and isinstance(native[i], int):
            return native[: i + 1]
    from archls.fixes import FixError

    raise FixError("the setting is not inside a container")


def _env_from_secret(text: str, loaded: YamlLoaded, path: tuple[Any, ...], value: Any) -> list[Any]:
    """A native fix that turns ``- name: X / value: ...`` into ``valueFrom.secretKeyRef``."""

    op = native_op(loaded, "replace", path, value)
    ref = get(value, "valueFrom", "secretKeyRef") if isinstance(value, dict) else None
    if not isinstance(ref, dict):
        return apply_ops(text, loaded, [op])
    return _secret_ref_edit(text, loaded, op.path, str(ref.get("name")), str(ref.get("key")))


def _secret_ref_edit(text: str, loaded: YamlLoaded, item: tuple[Any, ...], secret: str, key: str) -> list[Any]:
    """Replace the ``value`` key of the env item at ``item`` with ``valueFrom.secretKeyRef``, in one edit."""
    from archls.findings import Edit
    from archls.fixes import FixError

    entry = loaded.smap.get((*item, "value"))
    if entry is None or entry.key is None:
        raise FixError("the variable has no literal value")
    from archls.yamledit import block

    lines = text.split("\n")
    indent = " " * entry.key.start_col
    body = block({"valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}, indent, "  ", expand=3)
    new = "\n".join(body)[len(indent) :]
    end = entry.value
    tail = lines[end.end_line][end.end_col :] if end.end_line < len(lines) else ""
    if tail.strip().startswith("#"):
        return [
            Edit(
                Range(entry.key.start_line, entry.key.start_col, end.end_line, len(lines[end.end_line])),
                new + " " + tail.strip(),
            )
        ]
    return [Edit(Range(entry.key.start_line, entry.key.start_col, end.end_line, end.end_col), new)]


register(KubernetesFormat(), priority=50)
