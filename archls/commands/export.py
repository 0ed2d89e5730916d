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

    if args.list:
        targets = export.all_targets()
        if args.format == "json":
            sys.stdout.write(json.dumps([t.to_json() for t in targets], indent=2) + "\n")
            return EXIT_OK
        for t in targets:
            print(f"{t.name:<16} {t.kind:<15} {t.description}")
        print(f"\n{len(targets)} targets; 'all' writes each into its own folder")
        return EXIT_OK
    if not args.target or not args.file:
        raise UsageError("usage: archls export TARGET FILE -o DIR (or --list)")
    if args.target != export.ALL and args.target not in export.target_names():
        raise UsageError(f"no export target {args.target!r}; 'archls export --list' lists them")
    file = Path(args.file)
    out = Path(args.output) if args.output else default_output(file)
    try:
        model, graph = export.load(file)
        written = export.export(model, args.target, out, graph, source=file)
    except (export.ExportError, export.UnsafePath) as exc:
        raise UsageError(str(exc)) from exc
    except OSError as exc:
        raise UsageError(f"cannot write to {out}: {exc.strerror or exc}") from exc
    if args.format == "json":
        sys.stdout.write(json.dumps({"output": str(out), "files": [str(p) for p in written]}, indent=2) + "\n")
    else:
        print(f"wrote {len(written)} {'file' if len(written) == 1 else 'files'} to {out}")
    return EXIT_OK


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
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.set_defaults(func=cmd_export)
