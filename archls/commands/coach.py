"""`archls coach list|start|check`: guided challenges scored by acceptance criteria (archls/coach/)."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("coach", help="guided architecture challenges, from URL shortener to search engine")
    sub = parser.add_subparsers(dest="coach_command", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="the challenges, easiest first")
    listing.set_defaults(func=run_list)
    start = sub.add_parser("start", help="write a challenge's starter file at stage 1")
    start.add_argument("name", metavar="NAME")
    start.add_argument("-o", "--output", metavar="FILE", help="the file to write (default NAME.arch.yaml)")
    start.add_argument("--force", action="store_true", help="replace FILE when it exists")
    start.set_defaults(func=run_start)
    check = sub.add_parser("check", help="score a challenge file; unlock the next stage when every criterion is met")
    check.add_argument("file", metavar="FILE")
    check.set_defaults(func=run_check)


def run_list(args: argparse.Namespace) -> int:
    from archls import coach

    items = coach.challenges()
    width = max(len(c.name) for c in items)
    for n, challenge in enumerate(items, 1):
        stages = " → ".join(s.title for s in challenge.stages)
        print(f"{n}. {challenge.name:<{width}}  {challenge.summary}")
        print(f"   {'':<{width}}  stages: {stages}")
    print(f"\nStart one: archls coach start {items[0].name}")
    return 0


def run_start(args: argparse.Namespace) -> int:
    from archls import coach
    from archls.cli import UsageError

    try:
        challenge = coach.get(args.name)
    except coach.CoachError as exc:
        raise UsageError(str(exc)) from exc
    target = Path(args.output or f"{challenge.name}.arch.yaml")
    if not target.name.endswith((".arch.yaml", ".arch.yml")):
        raise UsageError(f"{target}: name the file *.arch.yaml so archls and the editor recognise it")
    if target.exists() and not args.force:
        raise UsageError(f"{target} exists; pass --force to start over")
    if not target.parent.is_dir():
        raise UsageError(f"folder {target.parent} does not exist")
    target.write_text(coach.starter_text(challenge), encoding="utf-8")
    first = challenge.stages[0]
    print(f"wrote {target}: {challenge.title}, stage 1 of {len(challenge.stages)} — {first.title}")
    print(f"  {first.goal}")
    print(f"Open it in your editor (or run 'archls check {target}'), then 'archls coach check {target}'.")
    return 0


def run_check(args: argparse.Namespace) -> int:
    from archls import coach, engine
    from archls.cli import UsageError

    path = Path(args.file)
    try:
        text, _ = engine.decode(path.read_bytes())
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from exc
    analysis = engine.analyse(text, str(path))
    try:
        score = coach.score(analysis)
    except coach.CoachError as exc:
        raise UsageError(f"{exc}; start one with 'archls coach start NAME'") from exc
    stage = score.challenge.stage(score.stage)
    cost = f" · ${score.cost:,.0f}/month" if score.cost is not None else ""
    print(f"{score.challenge.title} — stage {score.stage}/{score.stages}: {stage.title}")
    print(f"{score.met} of {score.total} criteria met · grade {score.grade.summary()}{cost}")
    for finding in score.unmet:
        print(f"  {path}:{finding.range.start_line + 1}: {finding.code} {finding.message}")
    if not score.complete:
        return 1
    updated = coach.advance(analysis)
    if updated is None:
        print(f"Challenge complete: every stage of {score.challenge.title} is met. Well done.")
        return 0
    path.write_text(updated, encoding="utf-8")
    nxt = score.challenge.stage(score.stage + 1)
    print(f"Stage {score.stage + 1} unlocked: {nxt.title} — {nxt.goal}")
    print(f"  {path} now carries its {len(nxt.criteria)} criteria; 'archls check {path}' shows what is unmet.")
    return 0
