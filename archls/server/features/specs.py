"""The spec library from the editor: ``workspace/executeCommand`` with

- ``archls.specs`` -> every spec (name, title, summary, tags), for a quick pick;
- ``archls.newFromSpec`` (spec name, target file URI or path) -> a new architecture file from the
  spec's reference, with its acceptance criteria. The file must be new, named ``*.arch.yaml`` and
  inside a workspace folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pygls.uris import from_fs_path, to_fs_path

from archls.server.app import ArchServer
from archls.server.features.export import CommandError, _arguments, inside_workspace, workspace_roots


def spec_list() -> list[dict[str, Any]]:
    from archls import specs

    return [s.to_json() for s in specs.all_specs()]


def new_from_spec(ls: ArchServer, name: Any, target: Any) -> dict[str, Any]:
    from archls import specs
    from archls.commands.new import new_text

    try:
        spec = specs.get(str(name or ""))
    except specs.SpecNotFound as exc:
        raise CommandError(f"archls: {exc}") from exc
    if not isinstance(target, str) or not target:
        raise CommandError("archls: give the new file as a file: URI or a path")
    try:
        given = to_fs_path(target) if target.startswith("file:") else target
    except ValueError:
        given = None
    if not given:
        raise CommandError(f"archls: {target!r} is not a file path")
    path = Path(given)
    if not path.is_absolute():
        roots = workspace_roots(ls)
        if not roots:
            raise CommandError("archls: open a workspace folder, or give an absolute path")
        path = roots[0] / path
    if not path.name.endswith((".arch.yaml", ".arch.yml")):
        raise CommandError(f"archls: name the file *.arch.yaml so archls reads it ({path.name})")
    if not inside_workspace(ls, path.parent):
        raise CommandError(f"archls: refusing to write {path}: it is outside the workspace folders")
    if path.exists():
        raise CommandError(f"archls: {path} exists; choose another name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(new_text(spec), encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"archls: cannot write {path}: {exc.strerror or exc}") from exc
    return {"uri": from_fs_path(str(path)), "path": str(path), "spec": spec.name, "criteria": len(spec.criteria())}


def register(server: ArchServer) -> None:
    @server.command("archls.specs")
    def specs_command(ls: ArchServer, *args: Any) -> list[dict[str, Any]]:
        return spec_list()

    @server.command("archls.newFromSpec")
    def new_command(ls: ArchServer, *args: Any) -> dict[str, Any]:
        params = _arguments(args, ("name", "target"))
        return new_from_spec(ls, params["name"], params["target"])
