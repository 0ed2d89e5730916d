"""What hovering shows: a component's figures and findings, a connection's terms and evidence, a
flow's latency against its budget, the architecture's grade, a key's documentation and a rule's
page (in a suppression comment, or where a finding is)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from archls.findings import Finding, Range
from archls.intel import docs, facts, refs
from archls.intel.text import word_at

if TYPE_CHECKING:
    from archls.engine import Analysis
    from archls.model import Component, Connection

_SUPPRESSION = re.compile(r"#\s*archls\s*:\s*ignore(?:-file)?\[(?P<codes>[^\]]*)\]")
_CODE = re.compile(r"[A-Z]+[0-9]{3}")
_MAX_RULE_PAGES = 3
_SEVERITY_MARK = {"error": "error", "warning": "warning", "info": "info", "hint": "hint"}


@dataclass(frozen=True, slots=True)
class Hover:
    markdown: str
    range: Range | None


def hover(analysis: Analysis, line: int, col: int) -> Hover | None:
    lines = analysis.lines
    if line >= len(lines):
        return None
    text = lines[line]
    code = suppression_code(text, col)
    if code is not None:
        where = Range(line, code[1].start_col, line, code[1].end_col)
        page = docs.rule_markdown(code[0])
        if page is None:
            return Hover(f"`{code[0]}` is not an archls rule.", where)
        return Hover(page, where)
    if text[col : col + 2] == "- ":
        col += 2  # on a list item's dash: the item
    found = _main(analysis, lines, line, col)
    extra = _findings_here(analysis, line, col, found)
    if found is None and not extra:
        return None
    parts = [found.markdown] if found else []
    if extra:
        parts.append(extra)
    r = found.range if found else _first_range(analysis, line, col)
    return Hover("\n\n---\n\n".join(parts), r)


def suppression_code(text: str, col: int) -> tuple[str, Range] | None:
    """The rule code under ``col`` in an ``# archls: ignore[...]`` comment on this line."""
    for match in _SUPPRESSION.finditer(text):
        start = match.start("codes")
        for code in _CODE.finditer(match.group("codes")):
            if start + code.start() <= col <= start + code.end():
                return code.group(0), Range(0, start + code.start(), 0, start + code.end())
    return None


def _main(analysis: Analysis, lines: list[str], line: int, col: int) -> Hover | None:
    if analysis.loaded is None:
        return None
    if analysis.format != "arch":
        return native(analysis, line, col)
    smap = analysis.loaded.smap
    path = smap.path_at(line, col)
    occurrence = refs.at_path(analysis, path, line, col)
    if occurrence is not None:
        if occurrence.kind == refs.COMPONENT:
            body = component_markdown(analysis, occurrence.name)
        else:
            body = group_markdown(analysis, occurrence.name)
        if body is not None:
            return Hover(body, occurrence.range)
    if not path:
        return None
    entry = smap.get(path)
    on_key = entry is not None and entry.key is not None and entry.key.contains(line, col)
    if path == ("name",):
        return Hover(architecture_markdown(analysis), entry.head if entry else None)
    if path[0] == "connections" and len(path) >= 2 and isinstance(path[1], int):
        key = path[2] if len(path) > 2 else None
        if not on_key or key in ("from", "to") or len(path) == 2:
            body = connection_markdown(analysis, path[1])
            if body is not None:
                r = entry.key if on_key and entry and entry.key else (entry.value if entry else None)
                return Hover(body, r)
    if path[0] == "flows" and len(path) == 2 and on_key:
        body = flow_markdown(analysis, str(path[1]))
        if body is not None:
            return Hover(body, entry.key if entry else None)
    if on_key and entry is not None:
        body = docs.key_markdown(path)
        if body is not None:
            return Hover(body, entry.key)
    if entry is not None and not on_key and entry.value.start_line == entry.value.end_line:
        start, end = word_at(lines[line], col)
        value = lines[line][start:end]
        body = docs.value_markdown(path, value) if value else None
        if body is not None:
            return Hover(body, Range(line, start, line, end))
    return None


def _first_range(analysis: Analysis, line: int, col: int) -> Range | None:
    for finding in facts.own_findings(analysis):
        if finding.range.contains(line, col):
            return finding.range
    return None


def _findings_here(analysis: Analysis, line: int, col: int, found: Hover | None) -> str:
    """The documentation of the rules whose findings cover the position."""
    if (
        found is not None
        and "**Findings**" in found.markdown
        and found.range is not None
        and found.range.contains(line, col)
    ):
        return ""  # on a component's key: its hover lists its findings already
    here: list[Finding] = [f for f in facts.own_findings(analysis) if f.range.contains(line, col)]
    seen: list[str] = []
    for finding in here:
        if finding.code not in seen:
            seen.append(finding.code)
    pages = [docs.rule_markdown(code) for code in seen[:_MAX_RULE_PAGES]]
    return "\n\n---\n\n".join(p for p in pages if p)


# --- what is shown -------------------------------------------------------------------------------


def component_markdown(analysis: Analysis, cid: str, block: Range | None = None) -> str | None:
    """A component's summary; ``block`` adds the findings placed inside it (native formats put
    findings on their own paths, not on the component's)."""
    model = analysis.model
    if model is None:
        return None
    component = model.components.get(cid)
    if component is None:
        return f"### {cid}\n\nThis component could not be read; see the problems reported on it."
    lines = [f"### {cid}", "", _component_line(component)]
    if component.description:
        lines += ["", component.description.strip()]
    lines.append("")
    lines += _component_figures(analysis, cid, component)
    lines += _neighbours(analysis, cid)
    origin = getattr(component, "_origin", None)
    if origin is not None and analysis.format != "arch":
        lines.append(f"- Read from: {_origin_text(origin)}")
    own = [
        f
        for f in facts.own_findings(analysis)
        if (len(f.path) >= 2 and f.path[:2] == ("components", cid))
        or _about_connection_of(analysis, f, cid)
        or (block is not None and block.contains(f.range.start_line, f.range.start_col))
    ]
    if own:
        lines += ["", "**Findings**", ""]
        for finding in own[:12]:
            lines.append(f"- {_SEVERITY_MARK[finding.severity.value]} `{finding.code}` {finding.message}")
        if len(own) > 12:
            lines.append(f"- and {len(own) - 12} more")
    return "\n".join(lines).rstrip()


def _about_connection_of(analysis: Analysis, finding: Finding, cid: str) -> bool:
    if analysis.model is None or len(finding.path) < 2 or finding.path[0] != "connections":
        return False
    index = finding.path[1]
    if not isinstance(index, int) or index >= len(analysis.model.connections):
        return False
    return analysis.model.connections[index].source == cid


def _component_line(component: Component) -> str:
    parts = [f"`{component.type.value}`"]
    if component.technology:
        parts.append(component.technology + (f" {component.version}" if component.version else ""))
    if component.autoscaling is not None:
        parts.append(f"{component.autoscaling.min}–{component.autoscaling.max} replicas (autoscaling)")
    else:
        parts.append(facts.plural(component.replica_count, "replica"))
    if component.public:
        parts.append("public")
    return " · ".join(parts)


def _component_figures(analysis: Analysis, cid: str, component: Component) -> list[str]:
    figures = facts.figures_of(analysis)
    figs = figures.components.get(cid) if figures else None
    out = []
    if figs is not None:
        if figs.cost_monthly is not None:
            overridden = " (set in the file)" if component.cost_monthly is not None else ""
            out.append(f"- Cost: ≈ {facts.money(figs.cost_monthly)}/month{overridden}")
        if figs.utilisation is not None:
            capacity = f" of {figs.capacity_rps:,.0f} rps capacity" if figs.capacity_rps else ""
            out.append(f"- Utilisation: {facts.percent(figs.utilisation)} at peak{capacity}")
        elif figs.capacity_rps:
            out.append(f"- Capacity: {figs.capacity_rps:,.0f} rps")
        latency = [f"p{q} {facts.ms(v)}" for q, v in (("50", figs.p50_ms), ("99", figs.p99_ms)) if v is not None]
        if latency:
            out.append(f"- Latency added per request: {' · '.join(latency)}")
        if figs.dependents:
            out.append(f"- Dependents: {figs.dependents} (components that fail when it fails)")
    return out


def _neighbours(analysis: Analysis, cid: str) -> list[str]:
    graph = analysis.graph
    if graph is None:
        return []
    out = []
    callees = sorted(graph.callees(cid) - {cid})
    callers = sorted(graph.callers(cid) - {cid})
    if callees:
        out.append(f"- Calls: {_names(callees)}")
    if callers:
        out.append(f"- Called by: {_names(callers)}")
    return out


def _names(ids: list[str], limit: int = 8) -> str:
    shown = ", ".join(f"`{i}`" for i in ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def connection_markdown(analysis: Analysis, index: int) -> str | None:
    model = analysis.model
    if model is None or index >= len(model.connections) or index < 0:
        return None
    c = model.connections[index]
    if analysis.format == "arch" and not _is_connection_at(analysis, index):
        return None
    return "\n".join(connection_lines(c)).rstrip()


def _is_connection_at(analysis: Analysis, index: int) -> bool:
    # Connections that failed validation are left out of the model, so the model's index can
    # differ from the file's; the from/to written at that place must match.
    from archls.intel.text import slice_range, unquote

    loaded = analysis.loaded
    assert loaded is not None and analysis.model is not None
    entry = loaded.smap.get(("connections", index, "from"))
    if entry is None:
        return True
    written = unquote(slice_range(analysis.lines, entry.value))
    return written == analysis.model.connections[index].source


def connection_lines(c: Connection) -> list[str]:
    head = [f"### {c.source} → {c.target}", ""]
    terms = []
    terms.append(f"`{c.protocol.value}`" if c.protocol else "protocol not given")
    terms.append("async" if c.is_async else "sync")
    terms.append("required" if c.required else "optional")
    if c.encrypted:
        terms.append("encrypted")
    head.append(" · ".join(terms))
    head.append("")
    rows = [
        f"- Timeout: {facts.ms(c.timeout_ms) if c.timeout_ms else 'none'}",
        f"- Retries: {c.retries if c.retries is not None else 'none'}",
    ]
    if c.circuit_breaker is not None:
        rows.append(f"- Circuit breaker: {'yes' if c.circuit_breaker else 'no'}")
    if c.calls != 1:
        rows.append(f"- {c.calls} calls per request" + (f", on {c.share:.0%} of requests" if c.share != 1.0 else ""))
    elif c.share != 1.0:
        rows.append(f"- Made on {c.share:.0%} of requests")
    if c.data:
        rows.append(f"- Carries: {', '.join(d.value for d in c.data)}")
    if c.fallback:
        rows.append(f"- Fallback: {c.fallback}")
    evidence = list(getattr(c, "_evidence", None) or [])
    if evidence:
        rows += ["", "**Inferred from**", ""]
        rows += [f"- {_evidence_text(e)}" for e in evidence[:8]]
    if c.description:
        rows += ["", c.description.strip()]
    return head + rows


def _evidence_text(evidence: Any) -> str:
    if isinstance(evidence, str):
        return evidence
    describe = getattr(evidence, "describe", None)
    if callable(describe):
        return str(describe())
    get = evidence.get if isinstance(evidence, dict) else lambda k: getattr(evidence, k, None)
    reason = get("reason") or get("text") or get("description") or get("kind") or str(evidence)
    where = get("file") or get("source")
    line = get("line")
    if where and line is not None:
        return f"{reason} ({where}:{int(line) + 1 if isinstance(line, int) else line})"
    if line is not None:
        return f"{reason} (line {int(line) + 1 if isinstance(line, int) else line})"
    return str(reason)


def _origin_text(origin: Any) -> str:
    if isinstance(origin, str):
        return f"`{origin}`"
    describe = getattr(origin, "describe", None)
    if callable(describe):
        return str(describe())
    get = origin.get if isinstance(origin, dict) else lambda k: getattr(origin, k, None)
    name = get("address") or get("name") or get("id") or str(origin)
    kind = get("kind") or get("type")
    return f"`{name}`" + (f" ({kind})" if kind else "")


def flow_markdown(analysis: Analysis, fid: str) -> str | None:
    model = analysis.model
    if model is None or fid not in model.flows:
        return None
    flow = model.flows[fid]
    lines = [f"### Flow {fid}", "", " → ".join(f"`{step}`" for step in flow.path), ""]
    if flow.rps is not None:
        lines.append(f"- Rate: {flow.rps:,g} requests/s at peak")
    figures = facts.figures_of(analysis)
    figs = figures.flows.get(fid) if figures else None
    if figs is not None:
        latency = [f"p{q} {facts.ms(v)}" for q, v in (("50", figs.p50_ms), ("99", figs.p99_ms)) if v is not None]
        if latency:
            lines.append(f"- Latency: {' · '.join(latency)}")
        if figs.availability is not None:
            lines.append(f"- Availability: {facts.availability(figs.availability)}")
    if flow.latency_budget_ms is not None:
        lines.append(f"- Budget: p99 {facts.ms(flow.latency_budget_ms)}")
    if flow.description:
        lines += ["", flow.description.strip()]
    return "\n".join(lines).rstrip()


def group_markdown(analysis: Analysis, gid: str) -> str | None:
    model = analysis.model
    if model is None or gid not in model.groups:
        return None
    group = model.groups[gid]
    lines = [f"### {gid}", "", f"`{group.type.value}`" + (" · public" if group.public else "")]
    if group.parent:
        lines.append(f"Inside `{group.parent}`")
    if group.members:
        lines += ["", f"- Members: {_names(group.members, 12)}"]
    if group.description:
        lines += ["", group.description.strip()]
    return "\n".join(lines).rstrip()


def architecture_markdown(analysis: Analysis) -> str:
    model = analysis.model
    name = model.name if model else "this architecture"
    lines = [f"### {name}", ""]
    grade = facts.grade_of(analysis)
    letter = facts.grade_letter(grade)
    if letter is not None:
        score = facts.grade_score(grade)
        explanation = facts.grade_explanation(grade)
        head = f"Grade: **{letter}**" + (f" ({score:.0f}/100)" if score is not None else "")
        if explanation and "\n" not in explanation:
            head += f" · points lost: {explanation}"
        lines.append(head)
        if explanation and "\n" in explanation:
            lines += ["", explanation]
        formula = facts.grade_formula()
        if formula:
            lines += ["", f"_{formula}_"]
        lines.append("")
    if model is not None:
        lines.append(
            f"- {facts.plural(len(model.components), 'component')} · "
            f"{facts.plural(len(model.connections), 'connection')} · {facts.plural(len(model.flows), 'flow')}"
        )
    figures = facts.figures_of(analysis)
    if figures is not None:
        budget = figures.budget_monthly
        if figures.cost_monthly is not None:
            of = f" of {facts.money(budget)} budget" if budget else ""
            lines.append(f"- Cost: ≈ {facts.money(figures.cost_monthly)}/month{of}")
        elif budget:
            lines.append(f"- Budget: {facts.money(budget)}/month")
    counted = facts.counts(facts.own_findings(analysis))
    shown = [facts.plural(n, sev) for sev, n in counted.items() if n]
    lines.append(f"- Findings: {', '.join(shown) if shown else 'none'}")
    return "\n".join(lines).rstrip()


# --- other formats -------------------------------------------------------------------------------


def native(analysis: Analysis, line: int, col: int) -> Hover | None:
    """On a service or resource of a compose, Terraform or Kubernetes file: the component it became."""
    from archls.intel import native as places

    reference = places.reference_at(analysis, line, col)
    found = (reference[0], reference[1]) if reference is not None else places.component_at(analysis, line, col)
    if found is None:
        return None
    cid, r = found
    block = next((p.block for p in places.places(analysis) if p.cid == cid), None)
    body = component_markdown(analysis, cid, block)
    if body is None:
        return None
    graph = analysis.graph
    if graph is not None:
        inferred = [(i, c) for i, c in graph.outgoing(cid) + graph.incoming(cid) if getattr(c, "_evidence", None)]
        if inferred:
            body += "\n\n**Inferred connections**\n"
            for _, c in inferred[:10]:
                evidence = "; ".join(_evidence_text(e) for e in c._evidence[:2])
                protocol = f" `{c.protocol.value}`" if c.protocol else ""
                body += f"\n- {c.source} → {c.target}{protocol}" + (f" — {evidence}" if evidence else "")
    return Hover(body, r)
