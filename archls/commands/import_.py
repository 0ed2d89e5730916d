"""``archls import PATH... -o FILE.arch.yaml``: an architecture file from compose, Terraform and
Kubernetes files (and package manifests for technologies)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK, EXIT_USAGE = 0, 2
_SUFFIXES = (".arch.yaml", ".arch.yml")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "import",
        help="write an architecture file from compose, Terraform and Kubernetes files",
        description=(
            "Read compose files, Terraform modules and Kubernetes manifests (files or whole folders) into one "
            "architecture, with a comment naming the evidence for each component and connection."
        ),
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files, or folders searched recursively")
    parser.add_argument("-o", "--output", help="the architecture file to write (NAME.arch.yaml); default: print it")
    parser.add_argument("--name", help="name of the system (default: the folder's name)")
    parser.add_argument("--force", action="store_true", help="overwrite the output file when it exists")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from archls import engine, importer
    from archls.cli import UsageError
    from archls.config import Config

    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    output = Path(args.output) if args.output else None
    if output is not None:
        if not output.name.lower().endswith(_SUFFIXES):
            raise UsageError(f"{output}: the output must be an architecture file, named like NAME.arch.yaml")
        if output.is_dir():
            raise UsageError(f"{output} is a folder")
        if not output.parent.resolve().is_dir():
            raise UsageError(f"{output.parent} does not exist")
        if output.exists() and not args.force:
            raise UsageError(f"{output} exists; use --force to overwrite it")
    imported = importer.build(list(args.paths), args.name)
    for note in imported.skipped:
        print(f"archls: skipped {note}", file=sys.stderr)
    for note in imported.notes:
        print(f"archls: not followed: {note}", file=sys.stderr)
    if imported.projects:
        print(
            f"archls: {len(imported.projects)} separate projects; each component id starts with its project's folder",
            file=sys.stderr,
        )
    if not imported.sources:
        raise UsageError("found no compose, Terraform or Kubernetes files in " + ", ".join(args.paths))
    text = importer.render(imported)
    check = engine.analyse(text, str(output or "imported.arch.yaml"), Config())
    broken = [f for f in check.findings if f.code.startswith("ARCH") and f.severity.value == "error"]
    if broken:  # a bug of the importer: say so rather than write a file that does not load
        first = broken[0]
        print(f"archls: the imported architecture does not load ({first.code}: {first.message})", file=sys.stderr)
    if output is None:
        sys.stdout.write(text)
    else:
        with open(output, "w" if args.force else "x", encoding="utf-8") as handle:
            handle.write(text)
        counts = (
            f"{_count(len(imported.components), 'component')}, {_count(len(imported.connections), 'connection')} "
            f"from {_count(len(imported.sources), 'source')}"
        )
        print(f"wrote {output} ({counts})", file=sys.stderr)
    return 1 if broken else EXIT_OK


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
