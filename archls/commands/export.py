"""``archls export``: write an architecture as infrastructure code, deploy configs, monitoring, CI or docs."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from archls.cli import EXIT_OK, UsageError


def default_output(file: Path, what: str = "export") -> Path:
    """``<name>-<what>/`` beside the architecture file (``shop.arch.yaml`` -> ``shop-export``)."""
    stem = file.name
    for suffix in (".arch.yaml", ".arch.yml", ".yaml", ".yml", ".json", ".tf"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    return file.parent / f"{stem or 'architecture'}-{what}"


def cmd_export(args: argparse.Namespace) -> int:
    from archls import export
    from archls.analysis.text import plural

    if args.list:
        targets = export.all_targets()
        if args.format == "json":
            sys.stdout.write(json.dumps([t.to_json() for t in targets], indent=2) + "\n")
            return EXIT_OK
        for t in targets:
            print(f"{t.name:<16} {t.kind:<15} {t.description}")
        print(f"\n{plural(len(targets), 'target')}; 'all' writes each into its own folder")
        return EXIT_OK
    if not args.target or not args.file:
        raise UsageError("usage: archls export TARGET FILE -o DIR (or --list)")
    if args.target != export.ALL and args.target not in export.target_names():
        raise UsageError(f"no export target {args.target!r}; 'archls export --list' lists them")
    file = Path(args.file)
    out = Path(args.output) if args.output else default_output(file)
    from archls.export.writer import write_tree

    try:
        model, graph = export.load(file)
        files = export.render(model, args.target, graph)
        if not args.force:
            _refuse_overwriting(out, files, file)
        written = write_tree(out, files, keep=file)
    except (export.ExportError, export.UnsafePath) as exc:
        raise UsageError(str(exc)) from exc
    except OSError as exc:
        raise UsageError(f"cannot write to {out}: {exc.strerror or exc}") from exc
    if args.format == "json":
        sys.stdout.write(json.dumps({"output": str(out), "files": [str(p) for p in written]}, indent=2) + "\n")
    else:
        print(f"wrote {plural(len(written), 'file')} to {out}")
    return EXIT_OK


def _refuse_overwriting(out: Path, files: dict[str, str | bytes], source: Path) -> None:
    """Stop before writing anything when a file the export would write exists with other content:
    it may have been edited by hand since. Files that would stay byte for byte the same are fine,
    so exporting again into the same folder needs no --force."""
    from archls.analysis.text import plural
    from archls.export.writer import check_relative

    changed = []
    for name in sorted(files):
        target = out.joinpath(*check_relative(name))
        if not target.is_file() and not target.is_symlink():
            continue
        if target.exists() and source.exists() and target.samefile(source):
            continue  # the writer refuses this one with its own reason, --force or not
        content = files[name]
        data = content.encode("utf-8") if isinstance(content, str) else content
        try:
            same = target.read_bytes() == data
        except OSError:
            same = False
        if not same:
            changed.append(name)
    if changed:
        listed = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
        raise UsageError(
            f"{plural(len(changed), 'file')} in {out} would be overwritten ({listed}); use --force to overwrite them"
        )


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "export",
        help="export an architecture to Terraform, Kubernetes, compose, CI, monitoring or docs",
        description="Write an architecture as infrastructure code, deploy configurations, monitoring, CI or "
        "documentation. 'all' writes every target into its own folder. The same input gives the same bytes.",
    )
    parser.add_argument("target", nargs="?", metavar="TARGET", help="a target from --list, or 'all'")
    parser.add_argument("file", nargs="?", metavar="FILE", help="the architecture file")
    parser.add_argument("-o", "--output", metavar="DIR", help="output folder (default: <name>-export beside FILE)")
    parser.add_argument("--list", action="store_true", help="list the targets")
    parser.add_argument(
        "--force", action="store_true", help="overwrite files in the output folder that differ from the export"
    )
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.set_defaults(func=cmd_export)
