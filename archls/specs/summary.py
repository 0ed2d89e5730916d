"""A spec in words: what ``archls specs show`` prints."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from archls.analysis.text import ms, rps, usd

if TYPE_CHECKING:
    from archls.model import Architecture, Criterion
    from archls.specs import Spec

WIDTH = 100


def _para(text: str, indent: str = "") -> str:
    return "\n".join(
        textwrap.fill(p, WIDTH, initial_indent=indent, subsequent_indent=indent) for p in text.split("\n") if p.strip()
    )


def criterion_text(c: Criterion) -> str:
    """One criterion in words, e.g. ``p99 of redirect at most 50 ms at 12,000 rps``."""
    kind = c.check.value
    if kind == "latency":
        text = f"p99 of {c.flow} at most {ms(c.p99_ms)}" + (f" at {rps(c.rps)}" if c.rps else " at its rps")
    elif kind == "availability":
        where = c.flow or "every flow"
        text = f"{where} available at least " + (f"{c.percent}%" if c.percent else f"{c.nines:g} nines")
    elif kind == "no-single-point-of-failure":
        text = f"no single point of failure on {c.flow or 'any flow'}"
    elif kind == "survives-zone-loss":
        text = f"{c.flow or 'every flow'} survives the loss of any one zone"
    elif kind == "encrypted":
        text = f"{', '.join(k.value for k in c.kinds)} encrypted in transit and at rest"
    elif kind == "cost":
        text = f"monthly cost at most {usd(c.max_usd or 0)}"
    elif kind == "component-on-flow":
        what = c.type.value if c.type else "component"
        text = f"a {what}{f' ({c.technology})' if c.technology else ''} on {c.flow}"
    elif kind == "no-errors":
        text = "no error-severity finding"
    else:
        text = f"grade at least {c.grade}"
    return f"{text}" + (f" — {c.description}" if c.description else "")


def reference_summary(model: Architecture) -> list[str]:
    lines = []
    by_type: dict[str, list[str]] = {}
    for cid, comp in model.components.items():
        tech = f" ({comp.technology})" if comp.technology else ""
        count = f" x{comp.replica_count}" if comp.replica_count > 1 else ""
        zones = f" in {len(comp.zones)} zones" if len(comp.zones) > 1 else ""
        by_type.setdefault(comp.type.value, []).append(f"{cid}{tech}{count}{zones}")
    lines.append(f"{len(model.components)} components, {len(model.connections)} connections, {len(model.flows)} flows")
    for kind, items in by_type.items():
        lines.append(_para(f"{kind}: {', '.join(items)}", "  ")[2:])
    for fid, flow in model.flows.items():
        rate = f", {rps(flow.rps)}" if flow.rps else ""
        budget = f", budget {ms(flow.latency_budget_ms)}" if flow.latency_budget_ms else ""
        lines.append(f"flow {fid}: {' -> '.join(flow.path)}{rate}{budget}")
    return lines


def requirements_text(model: Architecture) -> list[str]:
    r = model.requirements
    out = []
    if r.peak_rps:
        out.append(f"peak {rps(r.peak_rps)}")
    if r.concurrent_users:
        out.append(f"{r.concurrent_users:,} concurrent users")
    if r.latency and r.latency.p99_ms:
        out.append(f"p99 {ms(r.latency.p99_ms)}")
    if r.availability:
        out.append(f"availability {r.availability}%")
    if r.rpo_minutes is not None:
        out.append(f"RPO {r.rpo_minutes:g} min")
    if r.rto_minutes is not None:
        out.append(f"RTO {r.rto_minutes:g} min")
    if r.budget_monthly:
        out.append(f"budget {usd(r.budget_monthly)}/month")
    if r.compliance:
        out.append("compliance " + ", ".join(f.value for f in r.compliance))
    if r.data_residency:
        out.append("data stays in " + ", ".join(r.data_residency))
    return out


def describe(spec: Spec) -> str:
    model = spec.reference()
    parts = [f"{spec.title} ({spec.name})", f"tags: {', '.join(spec.tags)}", "", _para(spec.summary), ""]
    for heading, text in (("What users do", spec.users), ("Scale", spec.scale), ("The hard part", spec.hard_part)):
        if text:
            parts += [f"{heading}:", _para(text, "  "), ""]
    parts.append("Non-functional requirements:")
    measured = requirements_text(model)
    if measured:
        parts.append(_para("; ".join(measured), "  "))
    parts += [_para(f"- {n}", "  ") for n in spec.nfrs]
    parts += ["", "Acceptance criteria (checked by archls, rules SPEC001-SPEC009):"]
    parts += [f"  {n}. {criterion_text(c)}" for n, c in enumerate(model.acceptance, 1)]
    parts += ["", "Reference architecture:"]
    parts += [f"  {line}" for line in reference_summary(model)]
    parts += ["", f"Start from it: archls new --from-spec {spec.name} -o {spec.name}.arch.yaml"]
    return "\n".join(parts) + "\n"
