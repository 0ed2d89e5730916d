"""What the compose and Kubernetes formats share: reading values out of plain YAML data, finding
other services named in environment values, and a Loaded that maps model paths to the native
keys that set them (possibly in another file: a compose override, a sibling manifest)."""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from archls.evidence import evidence_of
from archls.findings import FILE_START, ModelPath, Range
from archls.formats import Loaded
from archls.model import Connection, Protocol
from archls.sourcemap import SourceMap

#: Container engine sockets: a container that mounts one controls the host's containers.
SOCKETS = ("docker.sock", "containerd.sock", "podman.sock", "crio.sock", "cri-dockerd.sock")


def get(data: Any, *path: str | int, default: Any = None) -> Any:
    for step in path:
        if (isinstance(data, dict) and step in data) or (
            isinstance(data, list) and isinstance(step, int) and 0 <= step < len(data)
        ):
            data = data[step]
        else:
            return default
    return data


def items(value: Any) -> list[Any]:
    """The items of a list; none for anything else (a scalar or mapping written where a list belongs)."""
    return value if isinstance(value, list) else []


def as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "yes", "on", "false", "no", "off"}:
        return value.lower() in {"true", "yes", "on"}
    return None


def as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    raw = getattr(value, "raw", None)
    if raw is not None:
        return str(raw)
    if isinstance(value, dict | list):
        return None
    return str(value)


_SCHEMES: dict[str, Protocol] = {
    "http": Protocol.HTTP,
    "https": Protocol.HTTPS,
    "ws": Protocol.WS,
    "wss": Protocol.WSS,
    "grpc": Protocol.GRPC,
    "postgres": Protocol.POSTGRES,
    "postgresql": Protocol.POSTGRES,
    "mysql": Protocol.MYSQL,
    "mariadb": Protocol.MYSQL,
    "mongodb": Protocol.MONGODB,
    "mongodb+srv": Protocol.MONGODB,
    "redis": Protocol.REDIS,
    "rediss": Protocol.REDIS,
    "amqp": Protocol.AMQP,
    "amqps": Protocol.AMQPS,
    "kafka": Protocol.KAFKA,
    "mqtt": Protocol.MQTT,
    "mqtts": Protocol.MQTTS,
    "nats": Protocol.NATS,
    "smtp": Protocol.SMTP,
    "smtps": Protocol.SMTPS,
    "ldap": Protocol.LDAP,
    "ldaps": Protocol.LDAPS,
    "tcp": Protocol.TCP,
    "udp": Protocol.UDP,
    "ftp": Protocol.FTP,
    "sftp": Protocol.SFTP,
}

#: Environment variable names that carry an address (so a bare host name in them means a call).
ADDRESS_KEY = re.compile(
    r"HOST|ADDR|SERVER|URL|URI|ENDPOINT|BROKER|DSN|CONNECTION|SERVICE|UPSTREAM|BACKEND|API|NODES|SEEDS", re.I
)
_HOST_PORT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.-]*):(\d{1,5})(?:/.*)?$")
_SPLIT = re.compile(r"[,;\s]+")


@dataclass(frozen=True, slots=True)
class Address:
    host: str
    port: int | None
    protocol: Protocol | None
    tls: bool | None


#: Connection strings of the key=value kind: libpq (``host=db port=5432``), ADO.NET and ODBC
#: (``Server=db,1433;Database=app``, ``Data Source=db``), with the host in one key and maybe the port
#: in another or after a comma.
_KEYED_HOST = re.compile(
    r"(?:^|[;\s])(?:host|hostname|server|address|addr|data\s+source)\s*=\s*(?:tcp:)?([A-Za-z0-9][A-Za-z0-9_.-]*)"
    r"(?:[,:](\d{1,5}))?",
    re.I,
)
_KEYED_PORT = re.compile(r"(?:^|[;\s])port\s*=\s*(\d{1,5})", re.I)
#: JDBC URLs: ``jdbc:postgresql://db:5432/app``, ``jdbc:sqlserver://db:1433;databaseName=app``,
#: ``jdbc:oracle:thin:@db:1521:ORCL`` or ``@//db:1521/service``.
_JDBC_ORACLE = re.compile(r"^jdbc:oracle:\w+:@(?://)?([A-Za-z0-9][A-Za-z0-9_.-]*):(\d{1,5})", re.I)


def addresses(key: str, value: str) -> list[Address]:
    """Hosts named in an environment value: URLs (JDBC and SQLAlchemy forms too), key=value connection
    strings, ``host:port`` lists, or a bare host for address-like keys."""
    out: list[Address] = []
    keyed = _KEYED_HOST.search(value)
    if keyed and "://" not in value:
        port = keyed.group(2) or (_KEYED_PORT.search(value) or [None, None])[1]
        return [Address(keyed.group(1).lower(), int(port) if port else None, None, None)]
    for part in _SPLIT.split(value.strip()):
        if not part:
            continue
        oracle = _JDBC_ORACLE.match(part)
        if oracle:
            out.append(Address(oracle.group(1).lower(), int(oracle.group(2)), None, None))
            continue
        if part[:5].lower() == "jdbc:":
            part = part[5:]
        if "://" in part:
            try:
                url = urlsplit(part)
                host, port = url.hostname, url.port
            except ValueError:
                continue
            if host:
                scheme = url.scheme.lower()
                # SQLAlchemy names the driver after a plus: postgresql+psycopg, mysql+pymysql
                protocol = _SCHEMES.get(scheme) or _SCHEMES.get(scheme.split("+", 1)[0])
                tls = scheme in {"https", "wss", "rediss", "amqps", "mqtts", "ldaps", "smtps"} or None
                out.append(Address(host.lower(), port, protocol, tls))
            continue
        if "@" in part:
            part = part.rsplit("@", 1)[1]
        match = _HOST_PORT.match(part)
        if match:
            out.append(Address(match.group(1).lower(), int(match.group(2)), None, None))
            continue
        if ADDRESS_KEY.search(key) and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", part):
            out.append(Address(part.lower(), None, None, None))
    return out


def service_host(host: str, names: Container[str]) -> str | None:
    """The service a host name means: ``db``, ``db.namespace``, ``db.ns.svc.cluster.local``."""
    if host in names:
        return host
    first = host.split(".", 1)[0]
    if first in names and (host.count(".") <= 1 or ".svc" in host):
        return first
    return None


@dataclass
class Place:
    file: str
    path: ModelPath


@dataclass
class YamlLoaded(Loaded):
    """A Loaded whose model paths map to native YAML paths, possibly in several files."""

    smaps: dict[str, SourceMap] = field(default_factory=dict)
    current: str = ""
    #: (model prefix) -> (file, native prefix); the longest matching prefix wins.
    places: dict[ModelPath, Place] = field(default_factory=dict)
    #: Fallback place per component (where a finding about an absent setting goes).
    anchors: dict[ModelPath, Place] = field(default_factory=dict)
    #: The text of every file read, by path.
    texts: dict[str, str] = field(default_factory=dict)

    def _resolve(self, path: ModelPath) -> tuple[str, ModelPath, ModelPath | None]:
        """(file, native path, anchor path): the native place of ``path``."""
        for n in range(len(path), 0, -1):
            place = self.places.get(path[:n])
            if place is not None:
                anchor = self._anchor(path)
                return place.file, place.path + path[n:], anchor
        anchor_place = self.anchors.get(path[:2]) if len(path) >= 2 else None
        if anchor_place is not None:
            return anchor_place.file, anchor_place.path, anchor_place.path
        return self.current, path, None

    def place_connections(self, connections: list[Connection]) -> None:
        """Findings about an inferred connection land on the first place that shows it."""
        for index, connection in enumerate(connections):
            first = evidence_of(connection)[0]
            smap = self.smaps.get(first.file)
            if smap is not None:
                smap.add(("connections", index), first.range, first.range)
            self.places[("connections", index)] = Place(first.file, ("connections", index))

    def _anchor(self, path: ModelPath) -> ModelPath | None:
        place = self.anchors.get(path[:2]) if len(path) >= 2 else None
        return place.path if place is not None else None

    def file_path(self, path: ModelPath) -> ModelPath:
        file, native, _ = self._resolve(path)
        return native if file == self.current else path

    def file_of(self, path: ModelPath) -> str | None:
        file, _, _ = self._resolve(path)
        return None if file == self.current else file

    def locate(self, path: ModelPath) -> Range:
        file, native, anchor = self._resolve(path)
        smap = self.smaps.get(file)
        if smap is None:
            return FILE_START
        found = smap.nearest(native)
        if found is not None and anchor is not None and len(found[0]) < len(anchor):
            # never climb above the component's own key (that would be the whole block or file)
            entry = smap.get(anchor)
            if entry is not None:
                return entry.head
        if found is None:
            return smap.first_key()
        return found[1].head

    def value_range(self, path: ModelPath) -> Range | None:
        file, native, _ = self._resolve(path)
        smap = self.smaps.get(file)
        return smap.value_range(native) if smap is not None else None

    def files(self) -> list[str]:
        return list(self.smaps)

    def view(self, path: str) -> YamlLoaded:
        if path == self.current or path not in self.smaps:
            return self
        return replace(self, current=path, smap=self.smaps[path])


# --- fixes ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Op:
    """One YAML edit in file terms: set ``key`` under ``path``, or replace / remove / append at ``path``."""

    kind: str
    path: ModelPath
    value: Any = None
    key: str | None = None
    #: write a new mapping in block style (as manifests are written), not flow style
    block: bool = False


def intent(fix: Any) -> tuple[str, ModelPath, Any]:
    """(kind, full path of the field, value) of a fix intent; a ``set`` names its key as the last step."""
    path = tuple(fix.path)
    if fix.kind == "set":
        if fix.key is None:
            from archls.fixes import FixError

            raise FixError("a 'set' fix needs a key")
        return "set", (*path, fix.key), fix.value
    return fix.kind, path, fix.value


def native_op(loaded: YamlLoaded, kind: str, path: ModelPath, value: Any) -> Op:
    """The same operation on a native path (a compose service key, a manifest key), in this file."""
    from archls.fixes import FixError

    file, native, _ = loaded._resolve(path)
    if file != loaded.current:
        raise FixError(f"that setting is written in {file.rsplit('/', 1)[-1]}; fix it there")
    if kind == "set":
        return Op("set", native[:-1], value, str(native[-1]))
    return Op(kind, native, value)


def apply_ops(text: str, loaded: YamlLoaded, ops: list[Op]) -> list[Any]:
    from archls.fixes import FixError
    from archls.yamledit import YamlEditError, YamlText

    doc = YamlText(text, loaded.smap)
    try:
        return [edit for op in ops for edit in doc.apply(op.kind, op.path, op.value, op.key, as_block=op.block)]
    except YamlEditError as exc:
        raise FixError(str(exc)) from exc
