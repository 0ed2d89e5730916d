"""`archls loadtest FILE`: the queueing model's view of a file at its peak load.

Per flow: rate, p50, p99, budget and a verdict; per component: arrivals, capacity, utilisation,
p50 and p99. `--scale 2` asks what happens at twice the load. Exit code 1 when a flow misses its
budget (or the latency requirement) or a component is over capacity.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archls.analysis import Results
    from archls.engine import Analysis
    from archls.model import Architecture


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "loadtest", help="per-flow and per-component latency and utilisation at peak load (queueing model)"
    )
    parser.add_argument("file", metavar="FILE", help="an architecture, compose, Terraform or Kubernetes file")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument(
        "--scale", type=float, default=1.0, metavar="X", help="multiply every rate (flows and peak_rps) by X"
    )
    parser.set_defaults(func=run)


def load_file(path: str, region: str | None = None) -> Analysis:
    """Read and audit what a command is given; bad usage raises the CLI's UsageError.

    ``path`` is a file or a folder: a folder is the one architecture it holds (a Terraform module, a
    folder of Kubernetes manifests, a compose project), analysed from one of its files as
    ``archls check`` groups them."""
    from archls import config as configuration
    from archls import engine
    from archls.batch.discover import CannotRead, read_entry
    from archls.cli import UsageError

    try:
        name, text = read_entry(path)
    except CannotRead as exc:
        raise UsageError(str(exc)) from exc
    file, shown = Path(name), path if name == path else name
    try:
        config = configuration.for_path(file)
    except configuration.ConfigError as exc:
        raise UsageError(str(exc)) from exc
    if region:
        config = config.model_copy(update={"region": region})
    analysis = engine.analyse(text, str(file), config)
    if analysis.model is None:
        problems = "; ".join(f"line {f.range.start_line + 1}: {f.message}" for f in analysis.findings[:3])
        raise UsageError(f"{shown}: cannot be read as an architecture ({problems})")
    _note_unread(analysis)
    return analysis


def _note_unread(analysis: Analysis) -> None:
    """Say on standard error which other files of the architecture could not be read: what they define
    is missing from the answer, which is otherwise silent about it (``archls check`` reports them)."""
    from archls.findings import UNREADABLE
    from archls.paths import display_path
    from archls.terminal import printable

    entry = os.path.abspath(analysis.path)
    for finding in analysis.findings:
        if finding.code in UNREADABLE and finding.file and os.path.abspath(finding.file) != entry:
            where = f"{display_path(finding.file)}:{finding.range.start_line + 1}:{finding.range.start_col + 1}"
            note = f"archls: note: {where}: {finding.message}; what that file defines is left out"
            print(printable(note, keep=""), file=sys.stderr)


def read_paths(analysis: Analysis) -> set[Path]:
    """Every file an analysis read (a module's siblings, a compose override), resolved: never written over."""
    return {Path(p).resolve() for p in (analysis.path, *analysis.files, *analysis.inputs)}


def entry_file(path: str) -> str:
    """``path`` itself, or for a folder the file its architecture is analysed from."""
    from archls.batch.discover import CannotRead, entry
    from archls.cli import UsageError

    try:
        return entry(path)
    except CannotRead as exc:
        raise UsageError(str(exc)) from exc


def scaled(model: Architecture, factor: float) -> Architecture:
    if factor == 1.0:
        return model
    copy = model.model_copy(deep=True)
    for flow in copy.flows.values():
        if flow.rps is not None:
            flow.rps *= factor
    if copy.requirements.peak_rps is not None:
        copy.requirements.peak_rps *= factor
    return copy


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def verdicts(model: Architecture, res: Results) -> dict[str, str]:
    target = model.requirements.latency
    out = {}
    for fid, flow in model.flows.items():
        fl = res.load.flows[fid]
        if fl.saturated:
            out[fid] = "saturated"
        elif fl.p99_ms is None:
            out[fid] = "unknown"
        elif flow.latency_budget_ms is not None:
            out[fid] = "ok" if fl.p99_ms <= flow.latency_budget_ms else "over budget"
        elif target is not None and (
            (target.p99_ms is not None and fl.p99_ms > target.p99_ms)
            or (target.p50_ms is not None and (fl.p50_ms or 0) > target.p50_ms)
        ):
            out[fid] = "over requirement"
        else:
            out[fid] = "ok" if (flow.latency_budget_ms or (target and target.p99_ms)) else "no budget"
    return out


def report(model: Architecture, res: Results) -> dict[str, Any]:
    states = verdicts(model, res)
    flows = []
    for fid, flow in model.flows.items():
        fl = res.load.flows[fid]
        fa = res.availability.flows[fid]
        flows.append(
            {
                "id": fid,
                "rps": flow.rps,
                "p50_ms": _finite(fl.p50_ms),
                "p99_ms": _finite(fl.p99_ms),
                "budget_ms": flow.latency_budget_ms,
                "verdict": states[fid],
                "bottleneck": fl.bottleneck,
                "saturated": fl.saturated,
                "availability": fa.value * 100 if fa.value is not None else None,
            }
        )
    components = []
    for cid in model.components:
        lc = res.load.components[cid]
        prof = res.profiles[cid]
        components.append(
            {
                "id": cid,
                "arrival_rps": lc.arrival_rps,
                "replicas": lc.replicas,
                "per_replica_rps": lc.per_replica_rps,
                "capacity_rps": lc.capacity_rps,
                "max_capacity_rps": lc.max_capacity_rps,
                "utilisation": _finite(lc.utilisation),
                "saturated": lc.saturated,
                "p50_ms": _finite(lc.p50_ms),
                "p99_ms": _finite(lc.p99_ms),
                "service_ms": lc.service_ms,
                "figures": prof.figures_from,
                "capacity_from": prof.capacity_from or None,
            }
        )
    return {
        "name": model.name,
        "entry_rps": res.load.entry_rps,
        "peak_rps": model.requirements.peak_rps,
        "limit_rps": _finite(res.load.limit_rps),
        "limiting": res.load.limiting,
        "flows": flows,
        "components": components,
    }


def _table(rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(row[n]) for row in rows) for n in range(len(rows[0]))]
    out = []
    for row in rows:
        cells = [cell.rjust(widths[n]) if n in right else cell.ljust(widths[n]) for n, cell in enumerate(row)]
        out.append("  ".join(cells).rstrip())
    return out


def render_text(path: str, data: dict[str, Any]) -> str:
    from archls.analysis.text import ms, number, percent, rps

    lines = [f"{path}: {data['name']}"]
    if data["entry_rps"]:
        lines.append(f"Peak load {rps(data['entry_rps'])} entering; M/M/c per component, catalog figures.")
    else:
        lines.append("No request rates in this file (flows' rps or requirements.peak_rps): latency is unloaded.")
    if data["flows"]:
        rows = [["flow", "rps", "p50", "p99", "budget", "verdict", "bottleneck"]]
        for f in data["flows"]:
            rows.append(
                [
                    f["id"],
                    number(f["rps"]) if f["rps"] is not None else "-",
                    ms(f["p50_ms"]),
                    ms(f["p99_ms"]),
                    ms(f["budget_ms"]) if f["budget_ms"] else "-",
                    f["verdict"],
                    f["bottleneck"] or "-",
                ]
            )
        lines += ["", *_table(rows, {1, 2, 3, 4})]
    rows = [["component", "arrival", "capacity", "util", "p50", "p99", "figures"]]
    for c in data["components"]:
        if c["capacity_rps"] is not None:
            capacity = f"{number(c['capacity_rps'])} ({c['replicas']} x {number(c['per_replica_rps'])})"
        else:
            capacity = "elastic" if c["capacity_from"] == "elastic" else "-"
        util = "over" if c["saturated"] else (percent(c["utilisation"], 0) if c["utilisation"] is not None else "-")
        rows.append(
            [
                c["id"],
                number(c["arrival_rps"]),
                capacity,
                util,
                ms(c["p50_ms"]) if c["p50_ms"] is not None or c["saturated"] else "-",
                ms(c["p99_ms"]) if c["p99_ms"] is not None or c["saturated"] else "-",
                c["figures"],
            ]
        )
    lines += ["", *_table(rows, {1, 2, 3, 4, 5})]
    if data["limit_rps"] is not None and data["entry_rps"]:
        scale = data["limit_rps"] / data["entry_rps"]
        lines += [
            "",
            f"Saturates at ~{rps(data['limit_rps'])} ({scale:.1f}x this load): {data['limiting']} reaches capacity first.",
        ]
    from archls.terminal import printable

    return printable("\n".join(lines) + "\n")


def run(args: argparse.Namespace) -> int:
    from archls.analysis import results
    from archls.cli import UsageError

    if args.scale <= 0:
        raise UsageError("--scale must be above 0")
    analysis = load_file(args.file)
    assert analysis.model is not None
    model = scaled(analysis.model, args.scale)
    res = results(model, analysis.config)
    data = report(model, res)
    if args.format == "json":
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        sys.stdout.write(render_text(args.file, data))
    failing = any(f["verdict"] in {"saturated", "over budget", "over requirement"} for f in data["flows"])
    failing = failing or any(c["saturated"] for c in data["components"] if c["arrival_rps"] > 0)
    return 1 if failing else 0
