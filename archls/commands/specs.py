"""`archls specs list|show`: the library of product specs (archls/specs/)."""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("specs", help="browse the library of product specs with reference architectures")
    sub = parser.add_subparsers(dest="specs_command", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="list the specs")
    listing.add_argument(
        "--tag", action="append", default=[], metavar="T", help="only specs with this tag (repeatable)"
    )
    listing.add_argument("--search", default="", metavar="WORDS", help="only specs matching these words, best first")
    listing.add_argument("--format", choices=["text", "json"], default="text")
    listing.set_defaults(func=run_list)
    show = sub.add_parser("show", help="a spec: description, requirements, criteria, reference summary")
    show.add_argument("name", metavar="NAME")
    show.add_argument("--format", choices=["text", "json", "yaml"], default="text", help="yaml: the reference itself")
    show.set_defaults(func=run_show)


def run_list(args: argparse.Namespace) -> int:
    from archls import specs
    from archls.cli import UsageError

    known = specs.tags()
    unknown = [t for t in args.tag if t not in known]
    if unknown:
        raise UsageError(f"no spec has the tag {unknown[0]!r} (tags: {', '.join(known)})")
    found = specs.search(args.search, args.tag)
    if args.format == "json":
        json.dump([s.to_json() for s in found], sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    width = max((len(s.name) for s in found), default=0)
    for spec in found:
        print(f"{spec.name:<{width}}  {spec.summary.splitlines()[0]}  [{', '.join(spec.tags)}]")
    print(f"\n{len(found)} specs" + (f" (of {len(specs.names())})" if len(found) != len(specs.names()) else ""))
    return 0


def run_show(args: argparse.Namespace) -> int:
    from archls import specs
    from archls.cli import UsageError

    try:
        spec = specs.get(args.name)
    except specs.SpecNotFound as exc:
        raise UsageError(str(exc)) from exc
    if args.format == "json":
        json.dump(spec.to_json(full=True), sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif args.format == "yaml":
        sys.stdout.write(spec.reference_text)
    else:
        sys.stdout.write(spec.describe())
    return 0
