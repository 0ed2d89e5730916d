"""`archls new --from-spec NAME -o FILE`: a new architecture file from a spec's reference, ready to edit,
with the spec's acceptance criteria."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archls.specs import Spec


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("new", help="write a new architecture file from a spec's reference architecture")
    parser.add_argument("--from-spec", required=True, metavar="NAME", help="a spec name ('archls specs list')")
    parser.add_argument("-o", "--output", metavar="FILE", help="the file to write (default NAME.arch.yaml)")
    parser.add_argument("--force", action="store_true", help="replace FILE when it exists")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from archls import specs
    from archls.cli import UsageError

    try:
        spec = specs.get(args.from_spec)
    except specs.SpecNotFound as exc:
        raise UsageError(str(exc)) from exc
    target = Path(args.output or f"{spec.name}.arch.yaml")
    if target.is_dir():
        raise UsageError(f"{target} is a folder; give a file name such as {target / (spec.name + '.arch.yaml')}")
    if not target.name.endswith((".arch.yaml", ".arch.yml")) and target.name != "architecture.yaml":
        raise UsageError(f"{target}: name the file *.arch.yaml so archls and the editor recognise it")
    if target.exists() and not args.force:
        raise UsageError(f"{target} exists; pass --force to replace it")
    if not target.parent.is_dir():
        raise UsageError(f"folder {target.parent} does not exist")
    target.write_text(new_text(spec), encoding="utf-8")
    criteria = len(spec.criteria())
    print(f"wrote {target}: the {spec.title} reference with {criteria} acceptance criteria; 'archls check {target}'")
    return 0


def new_text(spec: Spec) -> str:
    head = f"# From the archls spec '{spec.name}' ('archls specs show {spec.name}'). Edit freely: the audits\n"
    head += "# and the acceptance criteria below are checked as you type.\n"
    return head + spec.reference_text
