"""`archls chaos FILE --fail X [--fail Y] [--zone Z]`: what else fails when these do.

Each component ends up, degraded or down with the chain of reasons; the flows broken or degraded,
the share of traffic lost, availability after the failure and queue backlogs are reported.
`--each` fails every component and zone in turn and ranks them by the traffic they take down.
Exit code 1 when traffic is lost (or, with `--each`, when some single failure loses traffic).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from archls.terminal import printable

if TYPE_CHECKING:
    from archls.analysis.chaos import Blast, ChaosResult


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "chaos", help="fail components, groups or zones and see the cascade (flows broken, traffic lost)"
    )
    parser.add_argument("file", metavar="FILE", help="an architecture, compose, Terraform or Kubernetes file")
    parser.add_argument(
        "--fail", action="append", default=[], metavar="ID", help="a component or group to fail (repeatable)"
    )
    parser.add_argument(
        "--zone", action="append", default=[], metavar="ZONE", help="a zone (or zone group) to fail (repeatable)"
    )
    parser.add_argument(
        "--each", action="store_true", help="fail every component and zone in turn; rank them by traffic lost"
    )
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.set_defaults(func=run)


def share(value: float) -> str:
    if value <= 0:
        return "0%"
    if value < 0.001:
        return "<0.1%"
    return f"{value * 100:.1f}%".replace(".0%", "%")


def _avail(value: float | None) -> str:
    from archls.analysis.text import availability as availability_text

    return availability_text(value) if value is not None else "-"


def _table(rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(row[n]) for row in rows) for n in range(len(rows[0]))]
    out = []
    for row in rows:
        cells = [cell.rjust(widths[n]) if n in right else cell.ljust(widths[n]) for n, cell in enumerate(row)]
        out.append("  ".join(cells).rstrip())
    return out


def render_text(path: str, name: str, result: ChaosResult) -> str:
    from archls.analysis.chaos import State
    from archls.analysis.text import ms, number

    what = [*result.failed, *(f"zone {z}" for z in result.zones)]
    lines = [f"{path}: {name}", f"Failing {', '.join(what)}:", ""]
    affected = [c for c in result.components.values() if c.state != State.UP]
    affected.sort(key=lambda c: (c.state != State.DOWN, c.step, c.cid))
    if not affected:
        lines.append("Nothing else is affected.")
    for impact in affected:
        lines.append(f"  {impact.state.value.upper():<8} {impact.cid}")
        for reason in impact.reasons:
            lines.append(f"           - {reason.text}")
        if len(impact.chain) > 1:
            lines.append(f"           chain: {' -> '.join(impact.chain)}")
    if result.flows:
        rows = [["flow", "state", "rps", "lost", "p99 before", "p99 after", "budget", "availability"]]
        for f in result.flows.values():
            after = "-" if f.state == "broken" else ms(f.p99_after)
            rows.append(
                [
                    f.fid,
                    f.state,
                    number(f.rps) if f.rps is not None else "-",
                    share(f.lost_share),
                    ms(f.p99_before) if f.p99_before is not None else "-",
                    after,
                    ms(f.budget_ms) if f.budget_ms else "-",
                    f"{_avail(f.availability_before)} -> {_avail(f.availability_after)}",
                ]
            )
        lines += ["", *_table(rows, {2, 3, 4, 5, 6})]
        for f in result.flows.values():
            if f.state != "ok" and f.reason:
                lines.append(f"  {f.fid}: {f.reason}")
    lines.append("")
    basis = "of the flows' requests" if result.traffic_basis == "flows" else "of the requests at the entry points"
    lines.append(f"Traffic lost: {share(result.traffic_lost)} {basis}.")
    if result.availability_before is not None:
        over = "traffic-weighted over the flows" if result.traffic_basis == "flows" else "at the entry points"
        lines.append(
            f"Availability: {_avail(result.availability_before)} before, {_avail(result.availability_after)} "
            f"after ({over})."
        )
    for backlog in result.backlogs:
        lines.append(
            f"Backlog: {backlog.broker} grows by {number(backlog.growth_per_hour)} messages an hour "
            f"({number(backlog.arrival_rps)} in, {number(backlog.drain_rps)} drained by {', '.join(backlog.consumers)})."
        )
    return printable("\n".join(lines) + "\n")


def render_each(path: str, name: str, blasts: list[Blast]) -> str:
    lines = [f"{path}: {name}", "Blast radius of each single failure, worst first:", ""]
    rows = [["failed", "kind", "traffic lost", "down", "flows broken", "availability after"]]
    for b in blasts:
        rows.append(
            [
                b.target,
                b.kind,
                share(b.traffic_lost),
                str(len(b.down))
                + (f" ({', '.join(b.down[:4])}{', ...' if len(b.down) > 4 else ''})" if b.down else ""),
                ", ".join(b.flows_broken) or "-",
                _avail(b.availability_after),
            ]
        )
    lines += _table(rows, {2})
    return printable("\n".join(lines) + "\n")


def run(args: argparse.Namespace) -> int:
    from archls.analysis import chaos
    from archls.cli import UsageError
    from archls.commands.loadtest import load_file

    if not args.each and not args.fail and not args.zone:
        raise UsageError("say what fails: --fail ID (a component or group), --zone ZONE, or --each")
    if args.each and (args.fail or args.zone):
        raise UsageError("--each fails everything in turn; leave out --fail and --zone")
    analysis = load_file(args.file)
    model = analysis.model
    assert model is not None
    if args.each:
        blasts = chaos.each(model, analysis.config, analysis.graph)
        if args.format == "json":
            data: Any = {"name": model.name, "each": [b.to_json() for b in blasts]}
            sys.stdout.write(json.dumps(data, indent=2) + "\n")
        else:
            sys.stdout.write(render_each(args.file, model.name, blasts))
        return 1 if any(b.traffic_lost > 0 for b in blasts) else 0
    try:
        result = chaos.simulate(model, analysis.config, args.fail, args.zone, analysis.graph)
    except chaos.ChaosError as exc:
        raise UsageError(str(exc)) from exc
    if args.format == "json":
        sys.stdout.write(json.dumps({"name": model.name, **result.to_json()}, indent=2) + "\n")
    else:
        sys.stdout.write(render_text(args.file, model.name, result))
    return 1 if result.traffic_lost > 0 else 0
