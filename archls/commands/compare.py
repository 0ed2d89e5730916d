"""`archls compare A B`: two architectures side by side (any two formats archls reads): cost, p99 per
flow, availability, single points of failure, findings by category and severity, grade, and the
components added, removed and changed. `--format html` writes both diagrams side by side.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("compare", help="compare two architectures (any formats) side by side")
    parser.add_argument("a", metavar="A", help="the first file, or a folder holding one architecture")
    parser.add_argument("b", metavar="B", help="the second file or folder")
    parser.add_argument("--format", choices=["text", "json", "html"], default="text")
    parser.add_argument("-o", "--output", metavar="OUT", help="write to this file (the html format needs it or prints)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from archls import compare
    from archls.cli import UsageError
    from archls.commands.loadtest import load_file, read_paths

    a, b = load_file(args.a), load_file(args.b)
    result = compare.compare(a, b, labels=(args.a, args.b))
    if args.format == "json":
        text = json.dumps(result.to_json(), indent=2) + "\n"
    elif args.format == "html":
        from archls.preview import compare_page

        text = compare_page.render(result, a, b)
    else:
        text = compare.render_text(result)
    if args.output:
        out = Path(args.output)
        if out.resolve() in read_paths(a) | read_paths(b):
            raise UsageError(f"refusing to write over {out}, one of the files compared")
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {out}: {exc.strerror or exc}") from exc
        print(f"wrote {out}")
    else:
        sys.stdout.write(text)
    return 0
