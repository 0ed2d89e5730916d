"""What the picture shows, built once per analysis: components with their figures, findings and
source position, connections, groups and flows, laid out by :mod:`archls.preview.layout`.

The page and the SVG export draw the same scene; the page also embeds it as JSON for its side panel,
flow picker and chaos mode.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from archls.findings import Finding, Range, Severity
from archls.preview import layout as layered

if TYPE_CHECKING:
    from archls.engine import Analysis
    from archls.model import Architecture

NODE_HEIGHT = 56.0
NODE_MIN_WIDTH = 156.0
NODE_MAX_WIDTH = 236.0
#: Average advance of a character of the node title at 13 px, with the icon and padding around it.
CHAR_WIDTH = 7.6
NODE_CHROME = 58.0

_SEVERITY_ORDER = {s.value: s.rank for s in Severity}


@dataclass
class SceneFinding:
    code: str
    severity: str
    message: str
    line: int  #: 0-based, code points
    character: int
    href: str

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "line": self.line,
            "character": self.character,
            "href": self.href,
        }


@dataclass
class SceneNode:
    id: str
    type: str
    technology: str | None
    version: str | None
    description: str | None
    replicas: int
    public: bool
    group: str | None  #: the group whose box holds it
    also_in: list[str]  #: other groups it belongs to (drawn as tags)
    line: int | None  #: where it is defined (0-based), in ``file``
    character: int | None
    file: str | None = None  #: the file it is defined in (a module's or manifest set's own file)
    end: tuple[int, int] | None = None  #: where its key (what "go to source" selects) ends
    findings: list[SceneFinding] = field(default_factory=list)
    figures: dict[str, float | None] = field(default_factory=dict)

    @property
    def severity(self) -> str | None:
        if not self.findings:
            return None
        return max(self.findings, key=lambda f: _SEVERITY_ORDER[f.severity]).severity

    @property
    def subtitle(self) -> str:
        parts = [self.type]
        if self.technology:
            parts.append(self.technology + (f" {self.version}" if self.version else ""))
        if self.replicas != 1:
            parts.append(f"×{self.replicas}")
        return " · ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "technology": self.technology,
            "version": self.version,
            "description": self.description,
            "replicas": self.replicas,
            "public": self.public,
            "group": self.group,
            "alsoIn": self.also_in,
            "line": self.line,
            "character": self.character,
            "file": self.file,
            "end": list(self.end) if self.end else None,
            "severity": self.severity,
            "findings": [f.to_json() for f in self.findings],
            "figures": self.figures,
        }


@dataclass
class SceneEdge:
    key: str  #: "from->to"
    source: str
    target: str
    label: str  #: protocols, comma separated
    is_async: bool
    optional: bool  #: none of its connections is required without a fallback
    indices: list[int]

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "from": self.source,
            "to": self.target,
            "label": self.label,
            "async": self.is_async,
            "optional": self.optional,
            "connections": self.indices,
        }


@dataclass
class SceneGroup:
    id: str
    type: str
    public: bool
    description: str | None
    parent: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "public": self.public,
            "description": self.description,
            "parent": self.parent,
        }


@dataclass
class Scene:
    name: str
    path: str
    format: str
    nodes: dict[str, SceneNode]
    edges: list[SceneEdge]
    groups: dict[str, SceneGroup]
    flows: dict[str, dict[str, Any]]
    summary: dict[str, Any]
    other_findings: list[SceneFinding]
    layout: layered.Layout
    #: False while ``layout`` is a sketch made from an earlier drawing (see :mod:`archls.preview.sketch`)
    settled: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": self.path,
            "format": self.format,
            "nodes": [n.to_json() for n in self.nodes.values()],
            "edges": [e.to_json() for e in self.edges],
            "groups": [g.to_json() for g in self.groups.values()],
            "flows": self.flows,
            "summary": self.summary,
            "otherFindings": [f.to_json() for f in self.other_findings],
        }


#: Average advance of a character of the subtitle (10.5 px).
SUB_CHAR_WIDTH = 5.9


def node_width(cid: str, subtitle: str = "") -> float:
    wanted = max(NODE_CHROME + CHAR_WIDTH * len(cid), 50 + SUB_CHAR_WIDTH * len(subtitle))
    return max(NODE_MIN_WIDTH, min(NODE_MAX_WIDTH, wanted))


def label_width(label: str) -> float:
    return 6.2 * len(label) + 8 if label else 0.0


def primary_groups(model: Architecture) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The group whose box holds each component, and the other groups it belongs to.

    A box can hold a component only when the groups holding it nest; the innermost group of the first
    chain that lists it wins, and groups outside that chain are listed as tags.
    """
    groups = model.groups
    chain_of: dict[str, list[str]] = {}
    for gid, group in groups.items():
        chain = [gid]
        parent = group.parent
        while parent is not None and parent in groups and parent not in chain:
            chain.append(parent)
            parent = groups[parent].parent
        chain_of[gid] = chain
    primary: dict[str, str] = {}
    others: dict[str, list[str]] = {}
    for gid, group in groups.items():
        for member in group.members:
            if member not in model.components:
                continue
            current = primary.get(member)
            if current is None:
                primary[member] = gid
            elif current in chain_of[gid]:
                primary[member] = gid  # a group nested inside the one already holding it
            elif gid not in chain_of[current]:
                others.setdefault(member, []).append(gid)
    return primary, others


def build(
    analysis: Analysis,
    *,
    docs: Any = None,
    sketch_from: layered.Layout | None = None,
    previous: layered.Layout | None = None,
) -> Scene:
    """The scene of an analysed file (its model must have been read), with its findings.

    A Terraform module, a set of Kubernetes manifests or a compose project is read from several
    files: the scene is the whole architecture's, each component placed in its own file, with the
    findings of every file.

    ``sketch_from``: when the graph must be laid out again, sketch it from this earlier drawing instead
    (the scene is then not ``settled``), if enough of it is left.

    ``previous``: the drawing shown before an edit (the live preview's): a changed graph is laid
    out from it (:func:`archls.preview.layout.layout`), which moves little and costs a fraction of a
    fresh layout; a graph already laid out that way is found again. Without it a changed graph gets
    a fresh layout, the same whatever was drawn before (a static page, an export)."""
    from archls.intel import facts

    model = analysis.model
    assert model is not None, "build a scene only from an analysis with a model"
    href = docs or _docs_href(analysis)
    views = _views(analysis)
    sources = _sources_of(views)
    heads = {cid: (head, block) for cid, (_, head, block) in sources.items()}
    found = scene_of(
        model, facts.figures_of(analysis), analysis.path, analysis.format or "", heads, sketch_from, previous
    )
    for cid, (path, _, _) in sources.items():
        found.nodes[cid].file = path
    every: list[Finding] = []
    for view in views:
        own = facts.own_findings(view)
        every.extend(own)
        view_heads = {cid: (head, block) for cid, (path, head, block) in sources.items() if path == view.path}
        for finding in own:
            owner = _owner(view, finding, view_heads)
            item = SceneFinding(
                finding.code,
                finding.severity.value,
                finding.message,
                finding.range.start_line,
                finding.range.start_col,
                href(finding.code),
            )
            if owner is not None and owner in found.nodes:
                found.nodes[owner].findings.append(item)
            else:
                found.other_findings.append(item)
    found.flows = _flows(model, analysis.config, analysis.graph, found.flows)
    found.summary = _summary(analysis, facts.figures_of(analysis), facts.grade_of(analysis), every)
    return found


def source_of(analysis: Analysis, cid: str) -> tuple[str, Range] | None:
    """Where a component is defined, for "go to source": its file and its key (or first line)."""
    found = _sources_of(_views(analysis)).get(cid)
    return (found[0], found[1]) if found is not None else None


def _views(analysis: Analysis) -> list[Analysis]:
    """The analysis as seen from each file it reads, the opened file's first."""
    import os

    out = [analysis]
    here = os.path.abspath(analysis.path)
    for path in analysis.files:
        if path != here:
            view = analysis.for_file(path)
            if view is not None:
                out.append(view)
    return out


def _sources_of(views: list[Analysis]) -> dict[str, tuple[str, Range, Range]]:
    """Each component's file, key and block, from the first file that defines it."""
    out: dict[str, tuple[str, Range, Range]] = {}
    for view in views:
        for cid, (head, block) in _heads(view).items():
            out.setdefault(cid, (view.path, head, block))
    return out


def of_model(model: Architecture, config: Any = None, graph: Any = None, path: str = "") -> Scene:
    """The scene of a model alone (the SVG export): figures, no findings."""
    from archls.analysis import figures
    from archls.config import Config

    config = config or Config()
    try:
        figs = figures(model, config, graph)
    except Exception:  # a figure that cannot be estimated leaves it out, never the picture
        figs = None
    found = scene_of(model, figs, path, "arch", {})
    found.flows = _flows(model, config, graph, found.flows)
    return found


def scene_of(
    model: Architecture,
    figures: Any,
    path: str,
    format: str,
    heads: dict[str, tuple[Range, Range]],
    sketch_from: layered.Layout | None = None,
    previous: layered.Layout | None = None,
) -> Scene:
    primary, others = primary_groups(model)
    nodes: dict[str, SceneNode] = {}
    for cid, component in model.components.items():
        head = heads.get(cid)
        figs = figures.components.get(cid) if figures else None
        nodes[cid] = SceneNode(
            id=cid,
            type=component.type.value,
            technology=component.technology,
            version=component.version,
            description=component.description,
            replicas=component.replica_count,
            public=component.public,
            group=primary.get(cid),
            also_in=others.get(cid, []),
            line=head[0].start_line if head else None,
            character=head[0].start_col if head else None,
            end=(head[0].end_line, head[0].end_col) if head else None,
            figures=_component_figures(figs),
        )
    edges: dict[tuple[str, str], SceneEdge] = {}
    for index, c in enumerate(model.connections):
        if c.source not in nodes or c.target not in nodes or c.source == c.target:
            continue
        key = (c.source, c.target)
        waited = not c.is_async and c.required and not c.fallback
        protocol = c.protocol.value if c.protocol is not None else ""
        edge = edges.get(key)
        if edge is None:
            edges[key] = SceneEdge(
                f"{c.source}->{c.target}", c.source, c.target, protocol, c.is_async, not waited, [index]
            )
            continue
        edge.indices.append(index)
        if protocol and protocol not in edge.label.split(", "):
            edge.label = f"{edge.label}, {protocol}" if edge.label else protocol
        edge.is_async = edge.is_async and c.is_async
        edge.optional = edge.optional and not waited

    groups = {
        gid: SceneGroup(gid, g.type.value, g.public, g.description, g.parent if g.parent in model.groups else None)
        for gid, g in model.groups.items()
        if any(primary.get(m) == gid for m in model.components) or _holds_nested(gid, model, primary)
    }
    spec = (
        tuple((cid, node_width(cid, n.subtitle), NODE_HEIGHT, primary.get(cid)) for cid, n in nodes.items()),
        tuple((e.key, e.source, e.target, label_width(e.label)) for e in edges.values()),
        tuple((gid, g.parent) for gid, g in groups.items()),
    )
    live = previous is not None or sketch_from is not None
    laid = kept_layout(*spec, relaid=live)
    settled = True
    if laid is None and sketch_from is not None:
        from archls.preview.sketch import sketch

        laid = sketch(sketch_from, *spec)
        settled = laid is None
    if laid is None:
        laid = laid_out(*spec, previous=previous)
    flows = {fid: {"figures": figures.flows.get(fid) if figures else None} for fid in model.flows}
    return Scene(
        name=model.name,
        path=path,
        format=format,
        nodes=nodes,
        edges=list(edges.values()),
        groups=groups,
        flows=flows,
        summary={"components": len(nodes)},
        other_findings=[],
        layout=laid,
        settled=settled,
    )


#: Layouts kept for reuse, by everything a layout depends on (see :func:`laid_out`).
_LAYOUTS: OrderedDict[tuple[Any, ...], layered.Layout] = OrderedDict()
_LAYOUTS_KEPT = 8
_layouts_lock = threading.Lock()
_MAKING: dict[tuple[Any, ...], threading.Event] = {}


def laid_out(
    nodes: tuple[tuple[str, float, float, str | None], ...],
    edges: tuple[tuple[str, str, str, float], ...],
    groups: tuple[tuple[str, str | None], ...],
    previous: layered.Layout | None = None,
) -> layered.Layout:
    """The layout of this graph (the fields of its layout nodes, edges and groups), computed once
    while its structure and box sizes stay the same.

    With ``previous`` (the drawing shown before an edit), a graph not laid out yet is laid out from
    it, and kept apart from fresh layouts: a static page or an export of the same graph gets the
    fresh one, whatever the live preview drew before.

    Most edits while typing change a figure, a finding or a description, not the graph: the preview
    redraws them without laying 200 components out again (the layout is most of a redraw's time),
    and an edit undone finds its earlier layout. Layouts are read-only once made.
    """
    relaid = previous is not None and previous.made is not None
    key: tuple[Any, ...] = (nodes, edges, groups, True) if relaid else (nodes, edges, groups)
    while True:
        with _layouts_lock:
            found = _find(nodes, edges, groups, relaid)
            if found is not None:
                return found
            # One layout of a graph at a time: a redraw that needs the layout another thread is
            # making (the live preview's, after a sketch) waits for it rather than making it again.
            making = _MAKING.get(key)
            if making is None:
                _MAKING[key] = threading.Event()
                break
        making.wait()
    try:
        made = layered.layout(
            [layered.Node(*node) for node in nodes],
            [layered.Edge(*edge) for edge in edges],
            [layered.Group(*group) for group in groups],
            previous if relaid else None,
        )
        with _layouts_lock:
            _LAYOUTS[key] = made
            while len(_LAYOUTS) > _LAYOUTS_KEPT:
                _LAYOUTS.popitem(last=False)
        return made
    finally:
        with _layouts_lock:
            _MAKING.pop(key).set()


def kept_layout(
    nodes: tuple[tuple[str, float, float, str | None], ...],
    edges: tuple[tuple[str, str, str, float], ...],
    groups: tuple[tuple[str, str | None], ...],
    relaid: bool = False,
) -> layered.Layout | None:
    """The layout of this graph if one was made and kept, else None; with ``relaid``, also one laid
    out from an earlier drawing (the one the live preview showed, first)."""
    with _layouts_lock:
        return _find(nodes, edges, groups, relaid)


def _find(
    nodes: tuple[tuple[str, float, float, str | None], ...],
    edges: tuple[tuple[str, str, str, float], ...],
    groups: tuple[tuple[str, str | None], ...],
    relaid: bool,
) -> layered.Layout | None:
    """A kept layout (called holding ``_layouts_lock``)."""
    for key in ((nodes, edges, groups, True), (nodes, edges, groups)) if relaid else ((nodes, edges, groups),):
        found = _LAYOUTS.get(key)
        if found is not None:
            _LAYOUTS.move_to_end(key)
            return found
    return None


def forget_layouts() -> None:
    """Drop the kept layouts (benchmarks time the layout itself)."""
    with _layouts_lock:
        _LAYOUTS.clear()


def _holds_nested(gid: str, model: Architecture, primary: dict[str, str]) -> bool:
    children = [g for g, group in model.groups.items() if group.parent == gid]
    return any(any(primary.get(m) == c for m in model.components) or _holds_nested(c, model, primary) for c in children)


def _finite(value: float | None, digits: int = 4) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(value, digits)


def _component_figures(figs: Any) -> dict[str, float | None]:
    if figs is None:
        return {}
    return {
        "costMonthly": _finite(figs.cost_monthly, 2),
        "utilisation": _finite(figs.utilisation),
        "p50Ms": _finite(figs.p50_ms, 3),
        "p99Ms": _finite(figs.p99_ms, 3),
        "availability": _finite(figs.availability, 5),
        "arrivalRps": _finite(figs.arrival_rps, 3),
        "capacityRps": _finite(figs.capacity_rps, 3),
        "dependents": figs.dependents,
    }


def _heads(analysis: Analysis) -> dict[str, tuple[Range, Range]]:
    """Where each component is defined: its key (or first line) and the block read for it."""
    loaded, model = analysis.loaded, analysis.model
    if loaded is None or model is None:
        return {}
    if analysis.format != "arch":
        from archls.intel.native import places

        return {p.cid: (p.head, p.block) for p in places(analysis)}
    out = {}
    for cid in model.components:
        entry = loaded.smap.get(("components", cid))
        if entry is not None and entry.key is not None:
            out[cid] = (entry.key, entry.value)
    return out


def _owner(analysis: Analysis, finding: Finding, heads: dict[str, tuple[Range, Range]]) -> str | None:
    """The component a finding is about: by its model path, the connection it is on (the caller's),
    or the block of text it lands in (native formats' own rules)."""
    model = analysis.model
    path = finding.path
    if model is not None and len(path) >= 2:
        if path[0] == "components" and path[1] in model.components:
            return str(path[1])
        if path[0] == "connections" and isinstance(path[1], int) and path[1] < len(model.connections):
            return model.connections[path[1]].source
    if analysis.format != "arch":
        for cid, (_, block) in heads.items():
            if block.contains(finding.range.start_line, finding.range.start_col):
                return cid
    return None


def _docs_href(analysis: Analysis) -> Any:
    from archls.rule_pages import docs_href

    return lambda code: docs_href(code, analysis.config)


def _flows(
    model: Architecture, config: Any, graph: Any, partial: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    from archls.analysis import results
    from archls.commands.loadtest import verdicts

    try:
        states = verdicts(model, results(model, config, graph))
    except Exception:  # an estimate that fails leaves verdicts out, never the picture
        states = {}
    out: dict[str, dict[str, Any]] = {}
    for fid, flow in model.flows.items():
        figs = partial.get(fid, {}).get("figures")
        path = [cid for cid in flow.path if cid in model.components]
        out[fid] = {
            "id": fid,
            "path": path,
            "rps": flow.rps,
            "budgetMs": flow.latency_budget_ms,
            "p50Ms": _finite(figs.p50_ms, 3) if figs else None,
            "p99Ms": _finite(figs.p99_ms, 3) if figs else None,
            "availability": _finite(figs.availability, 5) if figs else None,
            "bottleneck": figs.bottleneck if figs else None,
            "verdict": states.get(fid),
            "description": flow.description,
        }
    return out


def _summary(analysis: Analysis, figures: Any, grade: Any, findings: list[Finding]) -> dict[str, Any]:
    from archls.intel import facts

    return {
        "grade": facts.grade_letter(grade),
        "score": facts.grade_score(grade),
        "costMonthly": _finite(figures.cost_monthly, 2) if figures else None,
        "budgetMonthly": figures.budget_monthly if figures else None,
        "availabilityTarget": figures.availability_target if figures else None,
        "findings": facts.counts(findings),
        "components": len(analysis.model.components) if analysis.model else 0,
    }
