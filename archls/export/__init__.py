"""Exports: one architecture to infrastructure code, deploy configurations, monitoring, CI and docs.

The CLI and the language server call :func:`load` (an architecture file through the engine,
refused when it has loader errors) and :func:`export` (render a target and write it under a
folder). :func:`render` is the pure part: the files of a target as a mapping, no disk involved.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from archls.export.registry import Target, all_targets, get
from archls.export.writer import UnsafePath, write_tree

if TYPE_CHECKING:
    from archls.config import Config
    from archls.engine import Analysis
    from archls.export.context import ExportContext
    from archls.graph import ArchGraph
    from archls.model import Architecture

__all__ = [
    "ExportError",
    "Target",
    "UnsafePath",
    "all_targets",
    "export",
    "files_of",
    "load",
    "parse",
    "read",
    "render",
    "target_names",
    "targets_for",
]

ALL = "all"


class ExportError(Exception):
    """Input that cannot be exported, with a message for the user."""


def target_names() -> list[str]:
    return [t.name for t in all_targets()]


def targets_for(name: str) -> list[Target]:
    """The target called ``name``, or every target for ``all``; :class:`ExportError` for any other name."""
    if name == ALL:
        return [t for t in all_targets() if t.in_all]
    found = get(name)
    if found is None:
        raise ExportError(f"no export target {name!r}; 'archls export --list' lists them")
    return [found]


def analysis_model(analysis: Analysis) -> Architecture:
    """The model of an analysis, refusing files the loader could not read cleanly."""
    problems = [f for f in analysis.findings if f.code.startswith("ARCH") and f.severity.value == "error"]
    if analysis.model is None or problems:
        where = analysis.path
        detail = (
            "; ".join(f"line {f.range.start_line + 1}: {f.message} ({f.code})" for f in problems[:5])
            or "not an architecture file archls reads"
        )
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise ExportError(f"{where}: cannot export a file with loading errors: {detail}{more}")
    return analysis.model


def read(path: Path) -> str:
    """The text of a file to export; :class:`ExportError` when it cannot be read or is not UTF-8."""
    from archls import engine

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ExportError(f"cannot read {path}: {exc.strerror or exc}") from exc
    text, bad = engine.decode(data)
    if bad is not None:
        raise ExportError(f"{path}: {bad.message}")
    return text


def parse(path: Path, text: str, config: Config | None = None) -> tuple[Architecture, ArchGraph | None]:
    """Audit the text of ``path``; raise :class:`ExportError` when it cannot be exported."""
    from archls import engine

    if not engine.claims(str(path), text):
        raise ExportError(f"{path}: not a file archls reads (architecture, compose, Terraform or Kubernetes)")
    analysis = engine.analyse(text, str(path), config)
    return analysis_model(analysis), analysis.graph


def load(path: Path, config: Config | None = None) -> tuple[Architecture, ArchGraph | None]:
    """Read and audit an architecture file; raise :class:`ExportError` when it cannot be exported."""
    return parse(path, read(path), config)


def files_of(ctx: ExportContext, target: Target, name: str) -> dict[str, str]:
    """The files of one target, under the target's own folder when ``name`` is ``all``."""
    prefix = f"{target.name}/" if name == ALL else ""
    return {prefix + rel: content for rel, content in target.render(ctx).items()}


def render(model: Architecture, name: str, graph: ArchGraph | None = None) -> dict[str, str]:
    """The files of target ``name`` (or of every target, each under its own folder, for ``all``)."""
    from archls.export.context import build

    chosen = targets_for(name)
    ctx = build(model, graph)
    files: dict[str, str] = {}
    for target in chosen:
        files.update(files_of(ctx, target, name))
    return files


def export(
    model: Architecture, name: str, out: Path, graph: ArchGraph | None = None, *, source: Path | None = None
) -> list[Path]:
    """Render target ``name`` (or ``all``) and write it under ``out``; return the files written.

    ``source``, the file exported, is never written over (``export compose compose.yaml -o .``).
    """
    return write_tree(out, render(model, name, graph), keep=source)
