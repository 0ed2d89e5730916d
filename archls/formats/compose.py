"""Docker Compose files (``compose.yaml``, ``docker-compose*.yml``...) read into the architecture model.

Each service becomes a component: its image names the technology (``postgres:15`` is
PostgreSQL 15), ports, environment, health check, resource limits and container settings
(privileged, host namespaces, the engine socket) fill the model fields the audit rules read,
and each field maps back to the compose key that sets it. Connections come from
``depends_on`` (both forms), ``links`` and environment values naming another service, each
with the line that shows it. An override file beside the base (``compose.override.yaml``) is
merged as ``docker compose`` does; findings on what the override sets land in the override.
Services that only run under a profile are left out of the model (they are not part of a
plain ``docker compose up``) but stay visible to the compose rules.
"""

from __future__ import annotations

import os
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from archls import yamlsource
from archls.evidence import Evidence, evidence_of
from archls.findings import Edit, Finding, ModelPath, Range, Severity
from archls.formats import LoadContext, Loaded, _tech, file_name, register
from archls.formats._inferred import Inferred
from archls.formats._yamlnative import (
    SOCKETS,
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
from archls.model import Architecture, Component, Connection, Group, GroupType
from archls.sourcemap import Entry, SourceMap

NAME = "compose"

_NAME = re.compile(r"^(?:docker-compose[\w.-]*|compose(?:\.[\w-]+)*)\.ya?ml$", re.I)
_OVERRIDE = re.compile(r"^(.*)\.override(\.ya?ml)$", re.I)


def is_compose_file(path: str) -> bool:
    return bool(_NAME.match(file_name(path)))


_DEVELOPMENT = re.compile(r"(?:^|[._-])(?:dev|development|local|override|test|testing|ci|debug)(?:[._-]|$)", re.I)


def is_development(path: str, services: dict[str, Service]) -> bool:
    """A compose file for running the stack on a developer's machine or in CI: its name says so
    (``docker-compose.dev.yml``, ``compose.override.yaml``, ``compose.test.yaml``) or a service
    syncs source code with ``develop:`` (compose watch)."""
    return bool(_DEVELOPMENT.search(file_name(path))) or any("develop" in s.data for s in services.values())


@dataclass
class Service:
    name: str
    data: dict[str, Any]
    #: which file each top-level key of the service comes from
    key_files: dict[str, str] = field(default_factory=dict)
    file: str = ""
    profiles: list[str] = field(default_factory=list)
    #: (file, body as read) for each file that writes the service: the parsed blocks of unchanged
    #: text are the same objects from one audit to the next, which is what the build memo keys on
    sources: list[tuple[str, Any]] = field(default_factory=list)


@dataclass
class ComposeNative:
    """What compose rules read: every service (profiled ones included), raw and merged."""

    services: dict[str, Service]
    files: list[str]
    current: str
    smaps: dict[str, SourceMap]
    #: A local development stack (see :func:`is_development`): production-operations rules skip it.
    development: bool = False

    def path(self, service: str, *native: str | int) -> ModelPath:
        return ("services", service, *native)

    def file_of_key(self, service: str, key: str) -> str:
        found = self.services.get(service)
        return found.key_files.get(key, found.file) if found else self.current


@dataclass
class ComposeLoaded(YamlLoaded):
    """A compose load that remembers where the findings about each unchanged service went."""

    #: service name -> (model or native path, on the value?) -> (range, file): kept in the build memo
    #: for the services whose blocks and lines did not change since the last load of the same file
    placed: dict[str, dict[tuple[ModelPath, bool], tuple[Range, str | None]]] = field(default_factory=dict)
    placed_from: str = ""

    def place(self, path: ModelPath, on_value: bool = False) -> tuple[Range, str | None]:
        known = self.placed.get(path[1]) if len(path) >= 2 and path[0] in _SERVICE_PATHS else None
        if known is None or self.current != self.placed_from:
            return super().place(path, on_value)
        key = (path, on_value)
        found = known.get(key)
        if found is None:
            found = known[key] = super().place(path, on_value)
        return found


_SERVICE_PATHS = frozenset({"components", "services"})


class ComposeFormat:
    name = NAME
    #: the engine records the other files read, so a cached audit is reused only while they are unchanged
    reads_other_files = True

    def claims(self, path: str, text: str | None) -> bool:
        return is_compose_file(path)

    def unit(self, path: str) -> str:
        """A compose file and its override are one project."""
        current = os.path.abspath(path)
        name = file_name(current)
        override = _OVERRIDE.match(name)
        stem = override.group(1) if override else re.sub(r"\.ya?ml$", "", name, flags=re.I)
        return os.path.join(os.path.dirname(current), stem)

    def load(self, text: str, path: str, context: LoadContext) -> Loaded:
        current = os.path.abspath(path) if path else path
        doc = yamlsource.compose(text, file=path, sections=frozenset({"services"}), reuse=context.reuse)
        smaps: dict[str, SourceMap] = {current: doc.smap}
        loaded = ComposeLoaded(NAME, None, doc.smap, list(doc.issues), current=current, smaps=smaps)
        if doc.data is None:
            return loaded
        if not isinstance(doc.data, dict):
            loaded.findings.append(
                Finding(
                    "ARCH002",
                    "a compose file is a mapping with 'services'",
                    Severity.ERROR,
                    _head(doc.smap.first_key()),
                )
            )
            return loaded
        layers: list[tuple[str, dict[str, Any]]] = [(current, doc.data)]
        read = context.reader
        folder = os.path.dirname(current)
        base_name = file_name(current)
        override = _OVERRIDE.match(base_name)
        if override:
            base = _sibling(folder, override.group(1), read)
            if base is not None:
                base_path, base_text = base
                base_doc = yamlsource.compose(
                    base_text, file=base_path, sections=frozenset({"services"}), reuse=context.reuse
                )
                if isinstance(base_doc.data, dict):
                    layers.insert(0, (base_path, base_doc.data))
                    smaps[base_path] = base_doc.smap
        else:
            stem = re.sub(r"\.ya?ml$", "", base_name, flags=re.I)
            found = _sibling(folder, f"{stem}.override", read)
            if found is not None:
                over_path, over_text = found
                over_doc = yamlsource.compose(
                    over_text, file=over_path, sections=frozenset({"services"}), reuse=context.reuse
                )
                if isinstance(over_doc.data, dict):
                    layers.append((over_path, over_doc.data))
                    smaps[over_path] = over_doc.smap
        return build(layers, current, loaded, read, context.max_bytes, reuse=context.reuse)


def _sibling(folder: str, stem: str, read: Any) -> tuple[str, str] | None:
    for ext in (".yaml", ".yml"):
        candidate = os.path.join(folder, stem + ext)
        text = read(candidate)
        if text is not None:
            return candidate, text
    return None


def _head(r: Range) -> Range:
    end = r.end_col if r.end_line == r.start_line else r.start_col + 1
    return Range(r.start_line, r.start_col, r.start_line, max(end, r.start_col + 1))


# --- merging -----------------------------------------------------------------------------------

_APPEND_KEYS = frozenset(
    {"ports", "expose", "volumes", "dns", "dns_search", "cap_add", "cap_drop", "secrets", "configs"}
)


def _merge_value(key: str, base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = _merge_value(k, base[k], v) if k in base else v
        return out
    if key in {"environment", "labels"} and isinstance(base, list | dict) and isinstance(over, list | dict):
        return {**_env_dict(base), **_env_dict(over)}
    if key in _APPEND_KEYS and isinstance(base, list) and isinstance(over, list):
        return base + [v for v in over if v not in base]
    return over


def _merge_services(
    layers: list[tuple[str, dict[str, Any]]], earlier: dict[str, Service] | None = None
) -> dict[str, Service]:
    """Every service with the files' layers merged. ``earlier`` are the services of the last reading
    of the same single file: a service read from the same block is that one again."""
    if earlier is not None and len(layers) == 1 and isinstance(layers[0][1].get("services"), dict):
        file, raw = layers[0][0], layers[0][1]["services"]
        if all(type(name) is str for name in raw):  # no two keys can be the same name
            services = {}
            for name, body in raw.items():
                known = earlier.get(name)
                if known is not None and known.sources[0][1] is body and known.file == file:
                    services[name] = known
                else:
                    services[name] = _service(name, body if isinstance(body, dict) else {}, file)
            return services
    services: dict[str, Service] = {}
    for file, data in layers:
        raw = data.get("services")
        if not isinstance(raw, dict):
            continue
        for name, body in raw.items():
            name = str(name)
            if not isinstance(body, dict):
                body = {}
            if name not in services:
                services[name] = Service(name, dict(body), {k: file for k in body}, file, sources=[(file, body)])
                continue
            service = services[name]
            service.sources.append((file, body))
            for key, value in body.items():
                service.data[key] = _merge_value(key, service.data[key], value) if key in service.data else value
                service.key_files[key] = file
    for service in services.values():
        service.profiles = _profiles(service)
    return services


def _service(name: str, body: dict[str, Any], file: str) -> Service:
    service = Service(name, dict(body), {k: file for k in body}, file, sources=[(file, body)])
    service.profiles = _profiles(service)
    return service


def _profiles(service: Service) -> list[str]:
    profiles = service.data.get("profiles")
    return [str(p) for p in profiles] if isinstance(profiles, list) else []


# --- reading a service -------------------------------------------------------------------------


def _env_dict(raw: Any) -> dict[str, str | None]:
    if isinstance(raw, dict):
        return {str(k): as_text(v) for k, v in raw.items()}
    out: dict[str, str | None] = {}
    if isinstance(raw, list):
        for item in raw:
            if not isinstance(item, str):
                continue
            key, eq, value = item.partition("=")
            out[key.strip()] = value if eq else None
    return out


def _env_paths(raw: Any) -> dict[str, tuple[str | int, ...]]:
    """Environment variable -> native path under ``environment`` (a key, or a list index)."""
    if isinstance(raw, dict):
        return {str(k): (str(k),) for k in raw}
    out: dict[str, tuple[str | int, ...]] = {}
    if isinstance(raw, list):
        for i, item in enumerate(raw):
            if isinstance(item, str):
                out[item.partition("=")[0].strip()] = (i,)
    return out


@dataclass(frozen=True)
class PortSpec:
    index: int
    target: int | None
    published: str | None
    host_ip: str | None


def parse_ports(raw: Any) -> list[PortSpec]:
    out: list[PortSpec] = []
    if not isinstance(raw, list):
        return out
    for i, item in enumerate(raw):
        if isinstance(item, dict):
            target = item.get("target")
            published = item.get("published")
            out.append(
                PortSpec(
                    i,
                    int(target)
                    if isinstance(target, int) or (isinstance(target, str) and target.isdecimal())
                    else None,
                    as_text(published),
                    as_text(item.get("host_ip")),
                )
            )
            continue
        text = as_text(item)
        if text is None:
            continue
        spec = text.split("/")[0]
        host_ip = None
        if spec.startswith("["):  # [::1]:8080:80
            close = spec.find("]")
            host_ip, spec = spec[1:close], spec[close + 2 :]
        parts = spec.rsplit(":", 2)
        if len(parts) == 3:
            host_ip, published, target = parts
        elif len(parts) == 2:
            published, target = parts
        else:
            published, target = None, parts[0]
        number = target.split("-")[0]
        out.append(PortSpec(i, int(number) if number.isdecimal() else None, published, host_ip))
    return out


_LOCAL = {"127.0.0.1", "localhost", "::1"}


def publishes_openly(port: PortSpec) -> bool:
    return bool(port.published) and (port.host_ip is None or port.host_ip in {"", "0.0.0.0", "::"})


def _mem_mb(value: Any) -> float | None:
    text = as_text(value)
    if not text:
        return None
    match = re.fullmatch(r"\s*([\d.]+)\s*([bkmgt]?)i?b?\s*", text.lower())
    if not match:
        return None
    number = float(match.group(1))
    scale = {"": 1 / (1024 * 1024), "b": 1 / (1024 * 1024), "k": 1 / 1024, "m": 1, "g": 1024, "t": 1024 * 1024}
    mb = number * scale[match.group(2)]
    return mb if mb > 0 else None


def _cpus(value: Any) -> float | None:
    try:
        cpus = float(as_text(value) or "")
    except ValueError:
        return None
    return cpus if cpus > 0 else None


def _duration_s(value: Any) -> float | None:
    text = as_text(value)
    if not text:
        return None
    total = 0.0
    for number, unit in re.findall(r"([\d.]+)(h|ms|m|s|us)?", text):
        try:
            n = float(number)
        except ValueError:
            return None
        total += n * {"h": 3600, "m": 60, "s": 1, "ms": 0.001, "us": 0.000001, "": 1}[unit]
    return total or None


def socket_volume(raw: Any) -> int | None:
    """Index of a volume that mounts a container engine socket."""
    if not isinstance(raw, list):
        return None
    for i, item in enumerate(raw):
        source = item.get("source") if isinstance(item, dict) else as_text(item)
        if isinstance(source, str) and source.split(":")[0].endswith(SOCKETS):
            return i
    return None


@dataclass
class _Built:
    data: dict[str, Any]
    places: dict[ModelPath, tuple[str | int, ...]]


def _component(service: Service, dockerfile_tech: tuple[_tech.Tech | None, str | None, str | None]) -> _Built:
    d = service.data
    data: dict[str, Any] = {"type": "service"}
    places: dict[ModelPath, tuple[str | int, ...]] = {}
    image = as_text(d.get("image"))
    tech: _tech.Tech | None = None
    version = None
    if image:
        data["image"] = image
        places[("image",)] = ("image",)
        tech, version = _tech.from_image(image)
        places[("technology",)] = ("image",)
        places[("version",)] = ("image",)
    if tech is None and dockerfile_tech[0] is not None:
        tech, version = dockerfile_tech[0], dockerfile_tech[1]
        places[("technology",)] = ("build",)
    elif tech is None and dockerfile_tech[2] is not None:
        data["technology"] = dockerfile_tech[2]
        version = dockerfile_tech[1]
        places[("technology",)] = ("build",)
    if tech is not None:
        data["technology"] = tech.name
        data["type"] = tech.type.value
    if version:
        data["version"] = version
    replicas = get(d, "deploy", "replicas")
    if isinstance(replicas, int) and not isinstance(replicas, bool):
        data["replicas"] = replicas
        places[("replicas",)] = ("deploy", "replicas")
    elif isinstance(d.get("scale"), int) and not isinstance(d.get("scale"), bool):
        data["replicas"] = d["scale"]
        places[("replicas",)] = ("scale",)
    ports = parse_ports(d.get("ports"))
    targets = [p.target for p in ports if p.target is not None]
    for exposed in items(d.get("expose")):
        text = as_text(exposed) or ""
        number = text.split("/")[0].split("-")[0]
        if number.isdecimal():
            targets.append(int(number))
    if targets:
        data["ports"] = list(dict.fromkeys(t for t in targets if 0 < t < 65536))
        for i, port in enumerate(ports):
            places[("ports", i)] = ("ports", port.index)
        places[("ports",)] = ("ports",) if ports else ("expose",)
    # A published port makes a service reachable from the host's networks, not from the internet:
    # whether the host faces the internet is decided outside the file, so the service stays
    # private in the model and SEC301 reports ports published on every interface of the host.
    env = _env_dict(d.get("environment"))
    if env:
        data["env"] = env
        places[("env",)] = ("environment",)
        for key, native in _env_paths(d.get("environment")).items():
            places[("env", key)] = ("environment", *native)
    container: dict[str, Any] = {}
    privileged = as_bool(d.get("privileged"))
    if privileged is not None:
        container["privileged"] = privileged
        places[("container", "privileged")] = ("privileged",)
    if as_text(d.get("network_mode")) == "host":
        container["host_network"] = True
        places[("container", "host_network")] = ("network_mode",)
    if as_text(d.get("pid")) == "host":
        container["host_pid"] = True
        places[("container", "host_pid")] = ("pid",)
    if as_text(d.get("ipc")) == "host":
        container["host_ipc"] = True
        places[("container", "host_ipc")] = ("ipc",)
    sock = socket_volume(d.get("volumes"))
    if sock is not None:
        container["docker_socket"] = True
        places[("container", "docker_socket")] = ("volumes", sock)
    user = as_text(d.get("user"))
    if user is not None:
        container["run_as_root"] = user.split(":")[0] in {"0", "root"}
        places[("container", "run_as_root")] = ("user",)
    read_only = as_bool(d.get("read_only"))
    if read_only is not None:
        container["read_only_root"] = read_only
    places[("container", "read_only_root")] = ("read_only",)
    options = [as_text(o) or "" for o in items(d.get("security_opt"))]
    if any(o.replace("=", ":").startswith("no-new-privileges") and not o.endswith("false") for o in options):
        container["privilege_escalation"] = False
    places[("container", "privilege_escalation")] = ("security_opt",)
    caps = [as_text(c) for c in items(d.get("cap_add")) if as_text(c)]
    if caps:
        container["capabilities"] = caps
        places[("container", "capabilities")] = ("cap_add",)
    if container:
        data["container"] = container
    cpu = _cpus(get(d, "deploy", "resources", "limits", "cpus"))
    memory = _mem_mb(get(d, "deploy", "resources", "limits", "memory"))
    cpu_place: tuple[str | int, ...] = ("deploy", "resources", "limits", "cpus")
    mem_place: tuple[str | int, ...] = ("deploy", "resources", "limits", "memory")
    if cpu is None and _cpus(d.get("cpus")) is not None:
        cpu, cpu_place = _cpus(d.get("cpus")), ("cpus",)
    if memory is None and _mem_mb(d.get("mem_limit")) is not None:
        memory, mem_place = _mem_mb(d.get("mem_limit")), ("mem_limit",)
    resources: dict[str, Any] = {}
    if cpu is not None:
        resources["cpu"] = cpu
    if memory is not None:
        resources["memory_mb"] = memory
    resources["limits"] = bool(resources)
    data["resources"] = resources
    places[("resources", "cpu")] = cpu_place
    places[("resources", "memory_mb")] = mem_place
    places[("resources", "limits")] = ("deploy", "resources", "limits")
    places[("resources",)] = ("deploy", "resources", "limits")
    check = d.get("healthcheck")
    if isinstance(check, dict):
        test = check.get("test")
        disabled = as_bool(check.get("disable")) or (
            (isinstance(test, list) and test[:1] == ["NONE"]) or (isinstance(test, str) and test.strip() == "NONE")
        )
        if disabled:
            data["health_check"] = False
        else:
            hc: dict[str, Any] = {}
            if isinstance(test, list):
                hc["command"] = " ".join(str(t) for t in test[1:] if t is not None) or None
            elif isinstance(test, str):
                hc["command"] = test
            if _duration_s(check.get("interval")):
                hc["interval_s"] = _duration_s(check.get("interval"))
            if _duration_s(check.get("timeout")):
                hc["timeout_s"] = _duration_s(check.get("timeout"))
            data["health_check"] = {k: v for k, v in hc.items() if v is not None} or True
    places[("health_check",)] = ("healthcheck",)
    return _Built(data, places)


def dockerfile_technology(text: str) -> tuple[_tech.Tech | None, str | None, str | None]:
    """The runtime image of a Dockerfile (its last FROM): technology, version and the raw name."""
    images = _tech.dockerfile_images(text)
    if not images:
        return None, None, None
    image = images[-1]
    tech, version = _tech.from_image(image)
    name = _tech.parse_image(image).name.lower() if "$" not in image else None
    if name in {"scratch", "alpine", "debian", "ubuntu", "busybox", "distroless"}:
        name = None
    return tech, version, name


def _dockerfile(service: Service, folder: str, read: Any, max_bytes: int) -> tuple[Any, Any, Any]:
    build = service.data.get("build")
    context_dir = None
    dockerfile = "Dockerfile"
    if isinstance(build, str):
        context_dir = build
    elif isinstance(build, dict):
        context_dir = as_text(build.get("context")) or "."
        dockerfile = as_text(build.get("dockerfile")) or "Dockerfile"
    if context_dir is None or "://" in context_dir or not folder:
        return None, None, None
    path = os.path.normpath(os.path.join(folder, context_dir, dockerfile))
    text = read(path)
    if text is None or len(text) > max_bytes:
        return None, None, None
    return dockerfile_technology(text)


# --- building the model ------------------------------------------------------------------------


def build(
    layers: list[tuple[str, dict[str, Any]]],
    current: str,
    loaded: YamlLoaded,
    read: Any,
    max_bytes: int,
    *,
    reuse: bool = True,
) -> YamlLoaded:
    memo = _memo_of(current) if reuse else _Memo()
    services = _merge_services(layers, memo.merged)
    memo.merged = services if len(layers) == 1 else {}
    folder = os.path.dirname(current)
    native = ComposeNative(
        services, [f for f, _ in layers], current, loaded.smaps, development=is_development(current, services)
    )
    loaded.native = native
    if isinstance(loaded, ComposeLoaded):
        loaded.placed_from = current
    components: dict[str, Component] = {}
    active = {name for name, s in services.items() if not s.profiles}
    loaded.known_ids = set(services)
    heads: dict[str, tuple[_At | None, ...]] = {}
    #: services whose blocks, keys and lines are all as in the last build: their signs still hold
    settled: set[str] = set()
    entry_of = _Entries(loaded)
    for name in sorted(services, key=lambda n: entry_of.line(services[n].file, n)):
        service = services[name]
        # every service (profiled ones too) can be located for compose rules
        key_file = _service_file(service, loaded, entry_of)
        in_model = name in active
        dockerfile = _dockerfile(service, folder, read, max_bytes) if in_model else _NO_DOCKERFILE
        known = memo.services.get(name)
        fresh = known is None or not known.matches(service, key_file, dockerfile, in_model)
        if fresh:
            # The same blocks read the same way give the same component and places: only a service
            # whose blocks changed is read again (which also tells the engine at once that nothing
            # in the others changed).
            if known is not None:
                memo.unplace(known)
            known = memo.services[name] = _describe(name, service, key_file, dockerfile, in_model)
            memo.places.update(known.places)
            memo.anchors.update(known.anchors)
        component = known.component
        if component is None:
            continue
        sources = service.sources
        heads[name] = service_heads = (
            (entry_of.at(sources[0][0], name),)
            if len(sources) == 1
            else tuple(entry_of.at(file, name) for file, _ in sources)
        )
        at = entry_of.at(key_file, name)
        if fresh:
            if at is not None:
                component._origin = Evidence(key_file, _head_of(at), "service", f"service {name}")
            known.at, known.heads = at, service_heads
        else:
            if known.at != at:  # moved: a copy with its new origin
                component = component.model_copy()
                component._origin = Evidence(key_file, _head_of(at), "service", f"service {name}") if at else None
                known.component, known.at = component, at
            if known.heads != service_heads:
                known.heads, known.placed = service_heads, {}
            else:
                settled.add(name)
        if at is not None:
            # the findings about it go where they went last time (the same text on the same lines)
            loaded.placed[name] = known.placed
        components[name] = component
    for gone in memo.services.keys() - services.keys():
        memo.unplace(memo.services.pop(gone))
    loaded.places = memo.places.copy()
    loaded.anchors = memo.anchors.copy()
    connections = _connections(services, components, loaded, memo, heads, settled)
    groups = _networks(layers, services, active, loaded)
    data_name = next((str(d.get("name")) for _, d in layers if isinstance(d.get("name"), str)), None)
    name = data_name or os.path.basename(folder) or "compose"
    loaded.model = Architecture(name=name, components=components, connections=connections, groups=groups)
    return loaded


_NO_DOCKERFILE: tuple[Any, Any, Any] = (None, None, None)


def _describe(
    name: str, service: Service, key_file: str, dockerfile: tuple[Any, Any, Any], in_model: bool
) -> _ServiceMemo:
    """What a service gives the model (its component, unless it runs only under a profile or cannot
    be read) and where each of its model and native paths is written, whatever line it is on."""
    anchor = Place(key_file, ("services", name))
    places: dict[ModelPath, Place] = {("services", name): Place(key_file, ("services", name))}
    for key, file in service.key_files.items():
        places[("services", name, key)] = Place(file, ("services", name, key))
    anchors: dict[ModelPath, Place] = {("services", name): anchor}
    component = None
    if in_model:
        built = _component(service, dockerfile)
        try:
            component = Component.model_validate(built.data)
        except ValidationError:
            try:
                component = Component.model_validate({"type": built.data.get("type", "service")})
            except ValidationError:
                component = None
        if component is not None:
            own = Place(key_file, ("services", name))
            places[("components", name)] = own
            anchors[("components", name)] = own
            for sub, native_path in built.places.items():
                file = service.key_files.get(str(native_path[0]), key_file)
                places[("components", name, *sub)] = Place(file, ("services", name, *native_path))
    return _ServiceMemo(
        service.sources,
        dict(service.key_files),
        key_file,
        dockerfile,
        in_model,
        component,
        None,
        (),
        places,
        anchors,
    )


# --- the build memo ----------------------------------------------------------------------------
# An edit in a large compose file changes one service block; the YAML reader hands out the very same
# objects for the blocks whose text did not change, so what each service gives the model (its
# component, the places its findings go, the signs of its calls) is kept per compose file and reused
# while the service's blocks are the same objects and its keys sit on the same lines. Reusing the
# objects themselves also lets the engine see at once that they did not change. The places of all
# services are kept as one mapping, changed service by service, and copied whole into each load.


def _same_sources(a: list[tuple[str, Any]], b: list[tuple[str, Any]]) -> bool:
    return len(a) == len(b) and all(x[0] == y[0] and x[1] is y[1] for x, y in zip(a, b, strict=True))


@dataclass
class _ServiceMemo:
    sources: list[tuple[str, Any]]
    key_files: dict[str, str]
    key_file: str
    dockerfile: tuple[Any, Any, Any]
    in_model: bool
    #: None when the service is not in the model (only under a profile, or unreadable)
    component: Component | None
    #: where the service's key is (see _Entries.at)
    at: _At | None
    #: where the service's key is in each file that writes it
    heads: tuple[_At | None, ...]
    #: what the service adds to the load's places and anchors (no lines: they hold while it is the same)
    places: dict[ModelPath, Place]
    anchors: dict[ModelPath, Place]
    #: where findings about it went (see ComposeLoaded), while its heads stay the same
    placed: dict[tuple[ModelPath, bool], tuple[Range, str | None]] = field(default_factory=dict)

    def matches(self, service: Service, key_file: str, dockerfile: tuple[Any, Any, Any], in_model: bool) -> bool:
        return (
            # the same blocks of the same files give the same merged data and key files
            (self.sources is service.sources or _same_sources(self.sources, service.sources))
            and self.key_file == key_file
            and self.in_model == in_model
            and self.dockerfile == dockerfile
        )


@dataclass
class _Signs:
    sources: list[tuple[str, Any]]
    key_files: dict[str, str]
    heads: tuple[_At | None, ...]
    #: the arguments of each Inferred.add the service made
    calls: list[tuple[str, Evidence, dict[str, Any]]]


@dataclass
class _Memo:
    #: the services of the last build when it read one file (see _merge_services)
    merged: dict[str, Service] = field(default_factory=dict)
    services: dict[str, _ServiceMemo] = field(default_factory=dict)
    #: every service's places and anchors (the union of ``services``' own)
    places: dict[ModelPath, Place] = field(default_factory=dict)
    anchors: dict[ModelPath, Place] = field(default_factory=dict)
    signs: dict[str, _Signs] = field(default_factory=dict)
    #: the component names the signs were read against (a host name means a service only if it is one)
    names: frozenset[str] = frozenset()
    #: (source, target) -> (the data and evidence it was made from, the connection)
    connections: dict[tuple[str, str], tuple[dict[str, Any], list[Evidence], Connection]] = field(default_factory=dict)
    #: the last build's connections, what they were made from, and where each is shown
    made: _Made | None = None

    def unplace(self, known: _ServiceMemo) -> None:
        for path in known.places:
            self.places.pop(path, None)
        for path in known.anchors:
            self.anchors.pop(path, None)


@dataclass
class _Made:
    connections: list[Connection]
    #: the components in build order, and what of each target the connections read
    order: list[str]
    targets: dict[str, Component]
    #: (file, connection path, range of its first evidence, its place)
    shown: list[tuple[str, ModelPath, Range, Place]]


_memos: OrderedDict[str, _Memo] = OrderedDict()
_MEMOS = 8


def _memo_of(current: str) -> _Memo:
    memo = _memos.get(current)
    if memo is None:
        memo = _memos[current] = _Memo()
        if len(_memos) > _MEMOS:
            _memos.popitem(last=False)
    else:
        _memos.move_to_end(current)
    return memo


#: Where a service's key is in one file: (line offset, its source map entry before the shift). Blocks
#: that did not change keep their entries, so comparing these tells moved or changed keys from the
#: others without making a range for each of a thousand services.
_At = tuple[int, Entry]


def _head_of(at: _At) -> Range:
    return at[1].head.shifted(at[0])


class _Entries:
    """Where each service's key is in each file, looked up once per build."""

    def __init__(self, loaded: YamlLoaded) -> None:
        self.smaps = loaded.smaps
        self.children: dict[str, dict[Any, _At] | None] = {}
        self.found: dict[tuple[str, str], _At | None] = {}

    def at(self, file: str, name: str) -> _At | None:
        children = self.children.get(file, _UNREAD)
        if children is _UNREAD:
            smap = self.smaps.get(file)
            children = self.children[file] = smap.mounted_children(("services",)) if smap is not None else None
        if children is not None:
            found = children.get(name)
            if found is not None:
                return found
        key = (file, name)
        if key not in self.found:
            smap = self.smaps.get(file)
            entry = smap.get(("services", name)) if smap is not None else None
            self.found[key] = (0, entry) if entry is not None else None
        return self.found[key]

    def line(self, file: str, name: str) -> int:
        at = self.at(file, name)
        return at[1].head.start_line + at[0] if at is not None else 0


_UNREAD: Any = object()


def _service_file(service: Service, loaded: YamlLoaded, entry_of: _Entries) -> str:
    """The file whose ``services.<name>`` key the service's findings anchor to (the current one when it has it)."""
    for file in (loaded.current, service.file):
        if entry_of.at(file, service.name) is not None:
            return file
    return service.file


def _connections(
    services: dict[str, Service],
    components: dict[str, Component],
    loaded: YamlLoaded,
    memo: _Memo | None = None,
    heads: dict[str, tuple[_At | None, ...]] | None = None,
    settled: set[str] | None = None,
) -> list[Connection]:
    """The connections the services' signs show. ``settled`` services are read the same way on the
    same lines as in the last build of ``memo``: their signs are not looked at again; when no sign
    changed and every target reads the same, the last build's connections are handed out again."""
    memo = memo or _Memo()
    heads = heads or {}
    settled = settled or set()
    names = frozenset(components)
    same = names == memo.names
    if not same:
        memo.signs.clear()
        memo.names = names
    for name in components:
        known = memo.signs.get(name)
        if known is not None and name in settled:
            continue
        service = services[name]
        if (
            known is None
            or known.heads != heads.get(name)
            or known.key_files != service.key_files
            or not _same_sources(known.sources, service.sources)
        ):
            fresh = _Signs(list(service.sources), dict(service.key_files), heads.get(name, ()), [])
            _signs(name, services, components, loaded, fresh.calls)
            memo.signs[name] = fresh
            same = same and known is not None and known.calls == fresh.calls
    for gone in memo.signs.keys() - names:
        del memo.signs[gone]
    made = memo.made
    order = list(components)
    if same and made is not None and made.order == order and _same_targets(made.targets, components):
        connections = made.connections
        made.targets = dict(components)
    else:
        inferred = Inferred()
        for name in order:  # in file order, so connections keep their indices from run to run
            for target, evidence, settings in memo.signs[name].calls:
                inferred.add(name, target, evidence, **settings)
        connections = inferred.connections(components, sole_port=True, reuse=memo.connections)
        shown = []
        for index, connection in enumerate(connections):
            first = evidence_of(connection)[0]
            path = ("connections", index)
            shown.append((first.file, path, first.range, Place(first.file, path)))
        made = memo.made = _Made(connections, order, dict(components), shown)
    # findings about an inferred connection land on the first place that shows it
    for file, path, where, place in made.shown:
        smap = loaded.smaps.get(file)
        if smap is not None:
            smap.add(path, where, where)
        loaded.places[path] = place
    return list(connections)


def _same_targets(before: dict[str, Component], now: dict[str, Component]) -> bool:
    """Whether every component reads as a connection's target as it did (technology, ports)."""
    for name, component in now.items():
        earlier = before.get(name)
        if earlier is not component and (
            earlier is None or earlier.technology != component.technology or earlier.ports != component.ports
        ):
            return False
    return True


def _signs(
    name: str,
    services: dict[str, Service],
    components: dict[str, Component],
    loaded: YamlLoaded,
    calls: list[tuple[str, Evidence, dict[str, Any]]],
) -> None:
    """The signs that service ``name`` calls another (depends_on, links, addresses in its environment)."""
    d = services[name].data

    def where(*native: str | int) -> tuple[str, Range] | None:
        file = services[name].key_files.get(str(native[0]), services[name].file)
        smap = loaded.smaps.get(file)
        entry = smap.get(("services", name, *native)) if smap else None
        return (file, entry.head) if entry is not None else None

    depends = d.get("depends_on")
    if isinstance(depends, list):
        for i, target in enumerate(depends):
            spot = where("depends_on", i)
            if isinstance(target, str) and spot:
                calls.append((target, Evidence(spot[0], spot[1], "depends_on", f"{name} depends_on {target}"), {}))
    elif isinstance(depends, dict):
        for target, options in depends.items():
            spot = where("depends_on", target)
            required = as_bool(get(options, "required")) if isinstance(options, dict) else None
            if spot:
                calls.append(
                    (
                        str(target),
                        Evidence(spot[0], spot[1], "depends_on", f"{name} depends_on {target}"),
                        {"required": required},
                    )
                )
    links = d.get("links")
    if isinstance(links, list):
        for i, link in enumerate(links):
            target = (as_text(link) or "").split(":")[0]
            spot = where("links", i)
            if spot:
                calls.append((target, Evidence(spot[0], spot[1], "link", f"{name} links {link}"), {}))
    env = d.get("environment")
    paths = _env_paths(env)
    for key, value in _env_dict(env).items():
        if not value:
            continue
        for address in addresses(key, value):
            target = service_host(address.host, components)
            if target is None or key not in paths:
                continue
            spot = where("environment", *paths[key])
            if spot:
                calls.append(
                    (
                        target,
                        Evidence(spot[0], spot[1], "env", f"{key}={value}"),
                        {"protocol": address.protocol, "port": address.port, "tls": address.tls},
                    )
                )


def _networks(
    layers: list[tuple[str, dict[str, Any]]], services: dict[str, Service], active: set[str], loaded: YamlLoaded
) -> dict[str, Group]:
    declared: dict[str, str] = {}
    for file, data in layers:
        networks = data.get("networks")
        if isinstance(networks, dict):
            for key in networks:
                declared.setdefault(str(key), file)
    if not declared:
        return {}
    members: dict[str, list[str]] = {n: [] for n in declared}
    for name in sorted(active):
        networks = services[name].data.get("networks")
        names = list(networks) if isinstance(networks, dict) else networks if isinstance(networks, list) else []
        for network in names:
            if str(network) in members:
                members[str(network)].append(name)
    out: dict[str, Group] = {}
    for network, file in declared.items():
        if network in services:
            continue
        try:
            out[network] = Group(type=GroupType.NETWORK, members=members[network], description=f"network {network}")
        except ValidationError:
            continue
        loaded.places[("groups", network)] = Place(file, ("networks", network))
    return out


# --- fixes -----------------------------------------------------------------------------------


def fix_edits(text: str, loaded: Loaded, fix: Any) -> list[Edit]:
    """A fix written into the compose file with the YAML editor: comments, order and quotes kept."""
    from archls.fixes import FixError

    if not isinstance(loaded, YamlLoaded) or not isinstance(loaded.native, ComposeNative):
        raise FixError("the compose file could not be read")
    kind, path, value = intent(fix)
    if path[:1] == ("services",):
        return apply_ops(text, loaded, [native_op(loaded, kind, path, value)])
    if path[:1] != ("components",) or len(path) < 3:
        raise FixError("this fix does not apply to compose files")
    return apply_ops(text, loaded, _model_ops(loaded, loaded.native, str(path[1]), tuple(path[2:]), kind, value))


def _model_ops(
    loaded: YamlLoaded, native: ComposeNative, name: str, sub: tuple[Any, ...], kind: str, value: Any
) -> list[Any]:
    """A change to a model field, as the compose keys that carry it."""
    from archls.fixes import FixError

    service = native.services.get(name)
    if service is None:
        raise FixError(f"no service '{name}'")
    data = service.data

    def at(*native_path: Any) -> tuple[Any, ...]:
        return ("services", name, *native_path)

    if sub in {("image",), ("version",)} and kind in {"set", "replace"} and isinstance(value, str) and "image" in data:
        image = value if sub == ("image",) else _retag(str(data["image"]), value)
        return [native_op(loaded, "replace", at("image"), image)]
    if sub[:1] == ("env",) and len(sub) == 2 and kind in {"set", "replace"}:
        env = data.get("environment")
        paths = _env_paths(env)
        key = str(sub[1])
        if key not in paths:
            raise FixError(f"'{key}' is not in the environment of '{name}'")
        text_value = "" if value is None else str(value)
        new = text_value if isinstance(env, dict) else f"{key}={text_value}"
        return [native_op(loaded, "replace", at("environment", *paths[key]), new)]
    if sub == ("replicas",) and kind in {"set", "replace"} and isinstance(value, int):
        if "scale" in data:
            return [native_op(loaded, "replace", at("scale"), value)]
        return [native_op(loaded, "set", at("deploy", "replicas"), value)]
    container = {
        ("container", "privileged"): "privileged",
        ("container", "host_network"): "network_mode",
        ("container", "host_pid"): "pid",
        ("container", "host_ipc"): "ipc",
    }
    if sub in container and value is False:
        key = container[sub]
        return [native_op(loaded, "remove", at(key), None)] if key in data else []
    if sub == ("container", "read_only_root") and value is True:
        return [native_op(loaded, "set", at("read_only"), True)]
    if sub == ("container", "privilege_escalation") and value is False:
        if isinstance(data.get("security_opt"), list):
            return [native_op(loaded, "append", at("security_opt"), ["no-new-privileges:true"])]
        return [native_op(loaded, "set", at("security_opt"), ["no-new-privileges:true"])]
    if sub == ("container", "docker_socket") and value is False:
        index = socket_volume(data.get("volumes"))
        if index is None:
            return []
        return [native_op(loaded, "remove", at("volumes", index), None)]
    if sub[:2] == ("container", "capabilities") and kind == "remove" and len(sub) == 3:
        return [native_op(loaded, "remove", at("cap_add", sub[2]), None)]
    if sub[:1] == ("ports",) and kind == "remove" and len(sub) == 2:
        place = loaded.places.get(("components", name, "ports", sub[1]))
        if place is None:
            raise FixError("that port is not published in this file")
        return [native_op(loaded, "remove", ("components", name, "ports", sub[1]), None)]
    if sub == ("container", "run_as_root"):
        raise FixError("set `user:` to a non-root user the image supports (archls cannot know which)")
    raise FixError(f"compose has no single key for '{'.'.join(map(str, sub))}'")


def _retag(image: str, version: str) -> str:
    ref = _tech.parse_image(image)
    base = f"{ref.registry}/{ref.repository}" if ref.registry else ref.repository
    return f"{base}:{version}"


register(ComposeFormat(), priority=10)
