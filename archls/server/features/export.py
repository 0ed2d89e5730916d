"""Export and scaffold from the editor: ``workspace/executeCommand`` with

- ``archls.exportTargets`` -> the targets, for a quick pick;
- ``archls.export`` (architecture URI, target or "all", optional output folder) -> the files written;
- ``archls.scaffold`` (architecture URI, optional output folder) -> the files written.

Both writers report ``$/progress`` when the client supports it, read the open document's current
text (unsaved edits included), and refuse any output folder outside the workspace folders.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcInvalidParams
from pygls.uris import from_fs_path, to_fs_path

from archls import engine
from archls.analysis.text import plural
from archls.server.app import ArchServer, path_of

_tokens = itertools.count(1)


class CommandError(JsonRpcInvalidParams):
    """A refused command; the message is for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _arguments(args: tuple[Any, ...], names: tuple[str, ...]) -> dict[str, Any]:
    """Positional arguments, or a single object with the same names (both styles are common in clients)."""
    if len(args) == 1 and isinstance(args[0], dict):
        return {n: args[0].get(n) for n in names}
    return {n: (args[i] if i < len(args) else None) for i, n in enumerate(names)}


def workspace_roots(ls: ArchServer) -> list[Path]:
    roots = []
    for uri in ls.workspace.folders:
        path = to_fs_path(uri)
        if path:
            roots.append(Path(os.path.realpath(path)))
    if not roots and ls.workspace.root_path:
        roots.append(Path(os.path.realpath(ls.workspace.root_path)))
    return roots


def inside_workspace(ls: ArchServer, folder: Path) -> bool:
    """Whether ``folder`` (resolved, symlinks followed) lies inside one of the workspace folders."""
    target = Path(os.path.realpath(folder))
    return any(target == root or target.is_relative_to(root) for root in workspace_roots(ls))


def _source(ls: ArchServer, uri: str) -> tuple[Path, str]:
    from archls import export

    if not isinstance(uri, str) or not uri.startswith("file:"):
        raise CommandError("archls: give the file: URI of an architecture file")
    path = path_of(uri)
    if not path:
        raise CommandError(f"archls: {uri} is not a file")
    document = ls.workspace.text_documents.get(uri)
    if document is not None:
        return Path(path), document.source
    try:
        return Path(path), export.read(Path(path))
    except export.ExportError as exc:
        raise CommandError(f"archls: {exc}") from exc


def _model(ls: ArchServer, uri: str) -> tuple[Path, str, Any, Any]:
    from archls import export

    path, text = _source(ls, uri)
    analysis = engine.analyse(text, str(path), ls.config_for(uri))
    try:
        model = export.analysis_model(analysis)
    except export.ExportError as exc:
        raise CommandError(f"archls: {exc}") from exc
    return path, text, model, analysis.graph


def _output(ls: ArchServer, path: Path, output: Any, default: Path) -> Path:
    if output:
        given: str | None = None
        if isinstance(output, str):
            try:
                given = to_fs_path(output) if output.startswith("file:") else output
            except ValueError:  # a file: URI that does not parse
                given = None
        if not given:
            raise CommandError("archls: the output folder must be a path or a file: URI")
        folder = Path(given)
        if not folder.is_absolute():
            folder = path.parent / folder
    else:
        folder = default
    if not inside_workspace(ls, folder):
        raise CommandError(
            f"archls: refusing to write to {folder}: it is outside the workspace folders "
            f"({', '.join(str(r) for r in workspace_roots(ls)) or 'none open'})"
        )
    return folder


class _Progress:
    """``$/progress`` for one command, or nothing when the client cannot show it."""

    def __init__(self, ls: ArchServer, title: str) -> None:
        self.ls = ls
        self.title = title
        self.token: str | None = None

    async def begin(self, message: str) -> None:
        window = self.ls.client_capabilities.window
        if not (window and window.work_done_progress):
            return
        token = f"archls-{os.getpid()}-{next(_tokens)}"
        try:
            await self.ls.work_done_progress.create_async(token)
        except Exception:  # the client declined: work on without progress
            self.ls.log_exception("creating a progress token")
            return
        self.token = token
        self.ls.work_done_progress.begin(
            token, lsp.WorkDoneProgressBegin(title=self.title, message=message, percentage=0, cancellable=False)
        )

    def report(self, message: str, percentage: int) -> None:
        if self.token:
            self.ls.work_done_progress.report(
                self.token, lsp.WorkDoneProgressReport(message=message, percentage=percentage)
            )

    def end(self, message: str) -> None:
        if self.token:
            self.ls.work_done_progress.end(self.token, lsp.WorkDoneProgressEnd(message=message))


def _result(output: Path, written: list[Path]) -> dict[str, Any]:
    return {
        "output": str(output),
        "outputUri": from_fs_path(str(output)),
        "files": [from_fs_path(str(p)) for p in written],
        "count": len(written),
    }


def register(server: ArchServer) -> None:
    @server.command("archls.exportTargets")
    def export_targets(ls: ArchServer, *args: Any) -> list[dict[str, str]]:
        from archls import export

        targets = [t.to_json() for t in export.all_targets()]
        return [
            {
                "name": "all",
                "title": "All targets",
                "kind": "all",
                "description": "Every target, each in its own folder",
            },
            *targets,
        ]

    @server.command("archls.export")
    async def export_command(ls: ArchServer, *args: Any) -> dict[str, Any]:
        from archls import export
        from archls.commands.export import default_output
        from archls.export.context import build
        from archls.export.writer import write_tree

        params = _arguments(args, ("uri", "target", "output"))
        name = params["target"] or export.ALL
        if name != export.ALL and name not in export.target_names():
            raise CommandError(f"archls: no export target {name!r}")
        path, _text, model, graph = _model(ls, params["uri"])
        output = _output(ls, path, params["output"], default_output(path))
        chosen = export.targets_for(name)
        progress = _Progress(ls, f"archls: exporting {name}")
        await progress.begin(f"{len(chosen)} targets")
        try:
            ctx = build(model, graph)
            files: dict[str, str] = {}
            for index, target in enumerate(chosen):
                progress.report(target.name, int(index * 90 / len(chosen)))
                files.update(export.files_of(ctx, target, name))
                await asyncio.sleep(0)  # let the report go out before the next target
            progress.report("writing files", 95)
            written = write_tree(output, files, keep=path)
        except (export.UnsafePath, OSError) as exc:
            progress.end("failed")
            raise CommandError(f"archls: export failed: {exc}") from exc
        except Exception as exc:
            progress.end("failed")
            ls.log_exception("export")
            raise CommandError(f"archls: export failed: {type(exc).__name__}: {exc}") from exc
        progress.end(f"wrote {plural(len(written), 'file')}")
        return _result(output, written)

    @server.command("archls.scaffold")
    async def scaffold_command(ls: ArchServer, *args: Any) -> dict[str, Any]:
        from archls import export
        from archls.commands.export import default_output
        from archls.export import scaffold

        params = _arguments(args, ("uri", "output"))
        path, text, model, graph = _model(ls, params["uri"])
        output = _output(ls, path, params["output"], default_output(path, "scaffold"))
        progress = _Progress(ls, "archls: scaffolding a repository")
        await progress.begin("rendering")
        steps = {"rendering": 10, "writing": 60, "committing": 80, "pushing": 90}
        try:
            written = scaffold.scaffold(
                model, output, source_text=scaffold.architecture_text(path, text, model.name), graph=graph,
                progress=lambda step: progress.report(step, steps.get(step, 50)),
            )  # fmt: skip
        except (scaffold.ScaffoldError, export.UnsafePath, OSError) as exc:
            progress.end("failed")
            raise CommandError(f"archls: scaffold failed: {exc}") from exc
        progress.end(f"wrote {plural(len(written), 'file')}")
        return _result(output, written)
