"""The server's answers to ``initialize``, kept for the next start (``archls.server.early``).

pygls builds its answer from the features the server registers and from some of the client's
capabilities. Each answer it gives is kept (:func:`remember`) in a small file beside the package's
bytecode, keyed by a digest of the sources it comes from (the server's, pygls' and lsprotocol's),
whether diagnostics are pulled, and the values of what pygls reads of the client's capabilities
(:func:`client_key`); a test builds pygls' answer for many clients and checks that it depends on
nothing else.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from functools import cache
from pathlib import Path
from typing import Any

from archls import cachefile

#: Answers kept: one per kind of client and server build; a new build's answers push out the oldest.
ENTRIES = 16
_HEADER = b"archls-initialize-1\n"

#: What of the client's capabilities pygls' ServerCapabilitiesBuilder reads (besides the position
#: encodings): a test builds the answer for many clients and checks the answer depends on nothing else.
_READ_BY_PYGLS = (
    ("textDocument", "synchronization", "willSave"),
    ("textDocument", "synchronization", "willSaveWaitUntil"),
    ("textDocument", "rename", "prepareSupport"),
    *(("workspace", "fileOperations", name) for name in ("willCreate", "didCreate", "willRename", "didRename")),
    *(("workspace", "fileOperations", name) for name in ("willDelete", "didDelete")),
)
_ENCODINGS = ("utf-8", "utf-16", "utf-32")


def client_key(capabilities: dict[str, Any], pull: bool) -> list[Any]:
    """What the server's capabilities depend on, of the client's (a JSON object, as sent)."""

    def at(path: tuple[str, ...]) -> Any:
        value: Any = capabilities
        for name in path:
            value = value.get(name) if isinstance(value, dict) else None
        return value

    encodings = at(("general", "positionEncodings"))
    offered = [e for e in encodings if e in _ENCODINGS] if isinstance(encodings, list) else []
    return [
        offered[0] if offered else "utf-16",
        capabilities.get("notebookDocument") is not None,
        *(bool(at(path)) for path in _READ_BY_PYGLS),
        pull,
    ]


def cache_key(capabilities: dict[str, Any], pull: bool) -> str:
    return json.dumps([stamp(), *client_key(capabilities, pull)])


@cache
def stamp() -> str:
    """A digest of the sources the answer comes from: the server's, pygls' and lsprotocol's. Made
    once per process: the early start and the answer pygls then gives would otherwise each read
    some 600 KB of sources, and the code running is what was loaded, whatever changes on disk."""
    digest = hashlib.blake2b(digest_size=16)
    server = Path(__file__).parent
    sources = [server.parent / "__init__.py", *sorted(server.glob("*.py")), *sorted(server.glob("features/*.py"))]
    for package, names in (
        ("pygls", ("capabilities.py", "protocol/language_server.py")),
        ("lsprotocol", ("types.py",)),
    ):
        spec = importlib.util.find_spec(package)
        places = spec.submodule_search_locations if spec is not None else None
        sources += [Path(next(iter(places)), name) for name in names] if places else []
    for source in sources:
        digest.update(source.name.encode())
        try:
            digest.update(source.read_bytes())
        except OSError:
            digest.update(b"-")
    return digest.hexdigest()


def cache_path() -> Path:
    return cachefile.beside(__file__, "initialize.json", per_interpreter=False)


def read() -> dict[str, str]:
    data = cachefile.read(cache_path(), _HEADER)
    try:
        entries = json.loads(data) if data is not None else {}
    except ValueError:
        return {}
    if not isinstance(entries, dict):
        return {}
    return {k: v for k, v in entries.items() if isinstance(k, str) and isinstance(v, str)}


def remember(capabilities: dict[str, Any], pull: bool, answer: str) -> None:
    """Keep pygls' answer to an initialize from a client with ``capabilities``, for the next start."""
    key = cache_key(capabilities, pull)
    entries = read()
    if entries.get(key) == answer:
        return
    entries.pop(key, None)
    entries[key] = answer
    kept = dict(list(entries.items())[-ENTRIES:])
    cachefile.write(cache_path(), _HEADER, json.dumps(kept).encode("utf-8"))


def server_answer(capabilities: dict[str, Any], options: Any = None, converter: Any = None) -> str | None:
    """The JSON of the answer a new server (with the protocol library loaded) gives an initialize from
    a client with ``capabilities`` and ``options``, kept as :func:`remember` keeps it; None when pygls
    cannot read them. ``converter``: pygls' converter to use, which a caller asking many times passes
    (a new one generates its code for every type of the request again)."""
    from archls.server import protocol_types

    protocol_types.load()
    from archls.server.app import create_server

    server = create_server()
    if converter is not None:
        server.protocol._converter = converter
    sent: list[bytes] = []

    class Writer:
        def write(self, data: bytes) -> None:
            sent.append(data)

        def close(self) -> None:
            pass

    server.protocol.set_writer(Writer())
    params = {"processId": None, "rootUri": None, "capabilities": capabilities}
    if options is not None:
        params["initializationOptions"] = options
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": params})
    try:
        message = json.loads(body, object_hook=server.protocol.structure_message)
    except Exception:
        return None
    server.protocol.handle_message(message)
    if len(sent) != 1:
        return None
    answer = json.loads(sent[0].partition(b"\r\n\r\n")[2])
    return json.dumps(answer["result"]) if "result" in answer else None
