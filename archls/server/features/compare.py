"""``archls.compare``: an open document against another file (open or on disk, any format).

Arguments: the document URI, the other file's (or folder's) URI or path, and optionally the format (``json``, the
default, ``text`` or ``html``). The answer holds the comparison as JSON, as text and, when asked, as the
self-contained HTML page with both diagrams.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pygls.exceptions import JsonRpcInvalidParams
from pygls.uris import to_fs_path

from archls import engine
from archls.server import views
from archls.server.app import ArchServer, path_of


def _other(ls: ArchServer, target: Any, base: str) -> tuple[engine.Analysis, str | None]:
    """The other side's analysis, and its name when it is a folder (its analysis is of one file)."""
    if not isinstance(target, str) or not target:
        raise JsonRpcInvalidParams("archls.compare: give the other file's URI or path")
    if target.startswith("file:"):
        path = to_fs_path(target)
    else:
        path = target if Path(target).is_absolute() else str(Path(base).parent / target)
    if not path:
        raise JsonRpcInvalidParams(f"archls.compare: {target} is not a file")
    from archls.batch.discover import CannotRead, entry, read_entry

    label = path if os.path.isdir(path) else None
    try:
        path = entry(path)
        uri = Path(path).resolve().as_uri()
        if uri in ls.workspace.text_documents:
            analysis = views.fresh(ls, uri)
        else:
            path, text = read_entry(path)
            analysis = engine.analyse(text, path, ls.config_for(uri), read=ls.read_file)
    except CannotRead as exc:
        raise JsonRpcInvalidParams(f"archls.compare: {exc}") from exc
    if analysis is None or analysis.model is None:
        raise JsonRpcInvalidParams(f"archls.compare: {path} cannot be read as an architecture")
    return analysis, label


def compare_command(ls: ArchServer, args: tuple[Any, ...]) -> dict[str, Any]:
    from archls import compare

    if len(args) == 1 and isinstance(args[0], dict):
        uri, target, fmt = args[0].get("uri"), args[0].get("other"), args[0].get("format")
    else:
        uri, target, fmt = [*args, None, None, None][:3]
    if not isinstance(uri, str) or uri not in ls.workspace.text_documents:
        raise JsonRpcInvalidParams(f"archls.compare: {uri!r} is not an open document")
    first = views.fresh(ls, uri)
    if first is None or first.model is None:
        raise JsonRpcInvalidParams(f"archls.compare: {uri} cannot be read as an architecture")
    second, label = _other(ls, target, path_of(uri) or "")
    result = compare.compare(first, second, labels=(None, label))
    answer: dict[str, Any] = {"comparison": result.to_json(), "text": compare.render_text(result)}
    if fmt == "html":
        from archls.preview import compare_page

        answer["html"] = compare_page.render(result, first, second)
    return answer


def register(server: ArchServer) -> None:
    @server.command("archls.compare")
    def run(ls: ArchServer, *args: Any) -> dict[str, Any]:
        return compare_command(ls, args)
