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
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from archls import yamlsource
from archls.evidence import Evidence
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
from archls.sourcemap import SourceMap

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
        doc = yamlsource.compose(text, file=path, sections=frozenset({"services"}))
        smaps: dict[str, SourceMap] = {current: doc.smap}
        loaded = YamlLoaded(NAME, None, doc.smap, list(doc.issues), current=current, smaps=smaps)
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
                base_doc = yamlsource.compose(base_text, file=base_path, sections=frozenset({"services"}))
                if isinstance(base_doc.data, dict):
                    layers.insert(0, (base_path, base_doc.data))
                    smaps[base_path] = base_doc.smap
        else:
            stem = re.sub(r"\.ya?ml$", "", base_name, flags=re.I)
            found = _sibling(folder, f"{stem}.override", read)
            if found is not None:
                over_path, over_text = found
                over_doc = yamlsource.compose(over_text, file=over_path, sections=frozenset({"services"}))
                if isinstance(over_doc.data, dict):
                    layers.append((over_path, over_doc.data))
                    smaps[over_path] = over_doc.smap
        return build(layers, current, loaded, read, context.max_bytes)


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


def _merge_services(layers: list[tuple[str, dict[str, Any]]]) -> dict[str, Service]:
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
                services[name] = Service(name, dict(body), {k: file for k in body}, file)
                continue
            service = services[name]
            for key, value in body.items():
                service.data[key] = _merge_value(key, service.data[key], value) if key in service.data else value
                service.key_files[key] = file
    for service in services.values():
        profiles = service.data.get("profiles")
        service.profiles = [str(p) for p in profiles] if isinstance(profiles, list) else []
    return services


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
    layers: list[tuple[str, dict[str, Any]]], current: str, loaded: YamlLoaded, read: Any, max_bytes: int
) -> YamlLoaded:
    services = _merge_services(layers)
    folder = os.path.dirname(current)
    native = ComposeNative(
        services, [f for f, _ in layers], current, loaded.smaps, development=is_development(current, services)
    )
    loaded.native = native
    components: dict[str, Component] = {}
    active = {name for name, s in services.items() if not s.profiles}
    loaded.known_ids = set(services)
    for name in sorted(services, key=lambda n: _order(n, services, loaded)):
        service = services[name]
        # every service (profiled ones too) can be located for compose rules
        key_file = _service_file(service, loaded)
        loaded.anchors[("services", name)] = Place(key_file, ("services", name))
        loaded.places[("services", name)] = Place(key_file, ("services", name))
        for key, file in service.key_files.items():
            loaded.places[("services", name, key)] = Place(file, ("services", name, key))
        if name not in active:
            continue
        built = _component(service, _dockerfile(service, folder, read, max_bytes))
        try:
            component = Component.model_validate(built.data)
        except ValidationError:
            try:
                component = Component.model_validate({"type": built.data.get("type", "service")})
            except ValidationError:
                continue
        smap = loaded.smaps.get(key_file)
        entry = smap.get(("services", name)) if smap else None
        if entry is not None:
            component._origin = Evidence(key_file, entry.head, "service", f"service {name}")
        components[name] = component
        loaded.anchors[("components", name)] = Place(key_file, ("services", name))
        loaded.places[("components", name)] = Place(key_file, ("services", name))
        for sub, native_path in built.places.items():
            top = str(native_path[0])
            file = service.key_files.get(top, key_file)
            loaded.places[("components", name, *sub)] = Place(file, ("services", name, *native_path))
    connections = _connections(services, components, loaded)
    groups = _networks(layers, services, active, loaded)
    data_name = next((str(d.get("name")) for _, d in layers if isinstance(d.get("name"), str)), None)
    name = data_name or os.path.basename(folder) or "compose"
    loaded.model = Architecture(name=name, components=components, connections=connections, groups=groups)
    return loaded


def _order(name: str, services: dict[str, Service], loaded: YamlLoaded) -> int:
    service = services[name]
    smap = loaded.smaps.get(service.file)
    entry = smap.get(("services", name)) if smap else None
    return entry.head.start_line if entry is not None else 0


def _service_file(service: Service, loaded: YamlLoaded) -> str:
    """The file whose ``services.<name>`` key the service's findings anchor to (the current one when it has it)."""
    for file in (loaded.current, service.file):
        smap = loaded.smaps.get(file)
        if smap is not None and smap.get(("services", service.name)) is not None:
            return file
    return service.file


def _connections(
    services: dict[str, Service], components: dict[str, Component], loaded: YamlLoaded
) -> list[Connection]:
    inferred = Inferred()
    for name in components:  # in file order, so connections keep their indices from run to run
        d = services[name].data

        def where(*native: str | int, _name: str = name) -> tuple[str, Range] | None:
            file = services[_name].key_files.get(str(native[0]), services[_name].file)
            smap = loaded.smaps.get(file)
            entry = smap.get(("services", _name, *native)) if smap else None
            return (file, entry.head) if entry is not None else None

        depends = d.get("depends_on")
        if isinstance(depends, list):
            for i, target in enumerate(depends):
                spot = where("depends_on", i)
                if isinstance(target, str) and spot:
                    inferred.add(name, target, Evidence(spot[0], spot[1], "depends_on", f"{name} depends_on {target}"))
        elif isinstance(depends, dict):
            for target, options in depends.items():
                spot = where("depends_on", target)
                required = as_bool(get(options, "required")) if isinstance(options, dict) else None
                if spot:
                    inferred.add(
                        name,
                        str(target),
                        Evidence(spot[0], spot[1], "depends_on", f"{name} depends_on {target}"),
                        required=required,
                    )
        links = d.get("links")
        if isinstance(links, list):
            for i, link in enumerate(links):
                target = (as_text(link) or "").split(":")[0]
                spot = where("links", i)
                if spot:
                    inferred.add(name, target, Evidence(spot[0], spot[1], "link", f"{name} links {link}"))
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
                    inferred.add(
                        name,
                        target,
                        Evidence(spot[0], spot[1], "env", f"{key}={value}"),
                        protocol=address.protocol,
                        port=address.port,
                        tls=address.tls,
                    )
    connections = inferred.connections(components, sole_port=True)
    loaded.place_connections(connections)
    return connections


def _networks(
    layers: list[tuple[str, dict[str, Any]]], services: dict[str, Service], active: set[str], loaded: YamlLoaded
) -> dict[str, Group]:
    declared: dict[str, str] = {}
    for file, data in layers:
        networks = data.get("networks")
        if isinstance(networks, dict):
            for key in networks:
                declared.setdefault(str(key), file)
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
