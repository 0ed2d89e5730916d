"""`archls cost FILE`: the monthly estimate per component, the total against the budget, and the
cheaper alternatives with what each saves. Exit code 1 when the estimate is over budget.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archls.analysis import Results
    from archls.engine import Analysis
    from archls.model import Architecture


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("cost", help="monthly cost estimate per component, budget and cheaper alternatives")
    parser.add_argument("file", metavar="FILE", help="an architecture, compose, Terraform or Kubernetes file")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument("--region", help="price components that name no region in this region (e.g. eu-west-1)")
    parser.set_defaults(func=run)


def report(model: Architecture, res: Results) -> dict[str, Any]:
    cost = res.cost
    components = []
    for cid, c in cost.components.items():
        components.append(
            {
                "id": cid,
                "monthly": round(c.monthly, 2) if c.monthly is not None else None,
                "region": c.region,
                "overridden": c.overridden,
                "lines": [
                    {"label": line.label, "monthly": round(line.monthly, 2), "basis": line.basis, "source": line.source}
                    for line in c.lines
                ],
                "assumed": c.assumed,
                "note": c.note or None,
            }
        )
    return {
        "name": model.name,
        "currency": "USD",
        "prices_recorded": res.catalog.prices.recorded.isoformat(),
        "total_monthly": round(cost.total, 2),
        "budget_monthly": cost.budget,
        "worst_case_monthly": round(cost.worst_case, 2),
        "components": components,
        "savings": [
            {"component": s.cid, "kind": s.kind, "monthly": round(s.monthly, 2), "message": s.message}
            for s in sorted(cost.savings, key=lambda s: -s.monthly)
        ],
        "sources": {
            key: {"title": src.title, "url": src.url}
            for key, src in res.catalog.sources.items()
            if any(line["source"] == key for comp in components for line in comp["lines"])
        },
    }


def render_text(path: str, data: dict[str, Any]) -> str:
    from archls.analysis.text import usd

    lines = [
        f"{path}: {data['name']}",
        f"Monthly estimate from AWS on-demand list prices (recorded {data['prices_recorded']}), in US dollars.",
        "",
    ]
    priced = [c for c in data["components"] if c["monthly"] is not None]
    width = max([len(c["id"]) for c in data["components"]] + [9])
    for c in sorted(priced, key=lambda c: -c["monthly"]):
        basis = "; ".join(f"{line['label']}: {line['basis']}" for line in c["lines"])
        lines.append(f"{c['id']:<{width}}  {usd(c['monthly']):>10}  {basis}")
        if c["assumed"]:
            lines.append(f"{'':<{width}}  {'':>10}  assumed: {'; '.join(c['assumed'])}")
    lines.append(f"{'total':<{width}}  {usd(data['total_monthly']):>10}")
    budget = data["budget_monthly"]
    if budget is not None:
        share = data["total_monthly"] / budget if budget else float("inf")
        state = "over budget" if share > 1 else "within budget"
        lines.append(f"{'budget':<{width}}  {usd(budget):>10}  {share:.0%} used, {state}")
    if data["worst_case_monthly"] > data["total_monthly"] + 0.5:
        lines.append(
            f"{'at max':<{width}}  {usd(data['worst_case_monthly']):>10}  every autoscaling group at its maximum"
        )
    unpriced = [c for c in data["components"] if c["monthly"] is None]
    if unpriced:
        lines += ["", "Not estimated: " + ", ".join(f"{c['id']} ({c['note']})" for c in unpriced)]
    if data["savings"]:
        total = sum(s["monthly"] for s in data["savings"])
        lines += ["", f"Cheaper alternatives ({usd(total)}/month together):"]
        for s in data["savings"]:
            lines.append(f"  {usd(s['monthly']):>8}/month  {s['component']}: {s['message']}")
    if data["sources"]:
        lines += ["", "Prices from:"]
        lines += [f"  {src['title']} <{src['url']}>" for src in data["sources"].values()]
    from archls.terminal import printable

    return printable("\n".join(lines) + "\n")


def summary_line(path: str, analysis: Analysis) -> str | None:
    """One line for `archls check`: the file's monthly estimate and its budget."""
    from archls.analysis import results
    from archls.analysis.text import usd

    model = analysis.model
    if model is None or not model.components:
        return None
    res = results(model, analysis.config, analysis.graph)
    if not res.cost.total:
        return None
    budget = model.requirements.budget_monthly
    against = f" against a {usd(budget)} budget" if budget is not None else ""
    return f"{path}: estimated {usd(res.cost.total)}/month{against} (archls cost {path})"


def run(args: argparse.Namespace) -> int:
    from archls.analysis import results
    from archls.commands.loadtest import load_file

    if args.region is not None:
        from archls.catalog import load
        from archls.cli import UsageError

        priced = sorted(load().prices.regions)
        if args.region not in priced:
            raise UsageError(f"--region: archls has no prices for '{args.region}'; it prices {', '.join(priced)}")
    analysis = load_file(args.file, region=args.region)
    assert analysis.model is not None
    res = results(analysis.model, analysis.config, analysis.graph)
    data = report(analysis.model, res)
    if args.format == "json":
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        sys.stdout.write(render_text(args.file, data))
    budget = data["budget_monthly"]
    return 1 if budget is not None and data["total_monthly"] > budget else 0
