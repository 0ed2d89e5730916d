"""The registry of finding codes: loader codes (ARCH) and audit rules (SEC, CMP, ...).

A rule is a small function over a :class:`RuleContext` that yields :class:`Hit` objects, plus
its documentation in four parts (what it checks, why it matters, an example, the fix) and its
references. Rules never see text or positions: a hit names a model path and the engine finds
the range. Ids are stable and never reused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from archls.findings import ModelPath, Severity

if TYPE_CHECKING:
    from archls.config import Config
    from archls.graph import ArchGraph
    from archls.model import Architecture


class Category(StrEnum):
    ARCH = "ARCH"
    SEC = "SEC"
    CMP = "CMP"
    PERF = "PERF"
    COST = "COST"
    VULN = "VULN"
    QUAL = "QUAL"
    LOAD = "LOAD"
    REL = "REL"
    SPEC = "SPEC"

    @property
    def title(self) -> str:
        return CATEGORY_TITLES[self]


CATEGORY_TITLES = {
    Category.ARCH: "Loading and structure",
    Category.SEC: "Security",
    Category.CMP: "Compliance",
    Category.PERF: "Performance",
    Category.COST: "Cost",
    Category.VULN: "Vulnerability and misconfiguration",
    Category.QUAL: "Architecture quality",
    Category.LOAD: "Load and latency",
    Category.REL: "Reliability",
    Category.SPEC: "Acceptance criteria",
}


@dataclass(frozen=True, slots=True)
class Fix:
    """What a fix should do, in model terms; each format's fixer turns it into text edits.

    ``kind`` is one of:
    - ``set``: give ``key`` the value ``value`` in the mapping at ``path`` (added when absent);
    - ``replace``: replace the value at ``path`` with ``value``;
    - ``remove``: delete the key or list item at ``path``;
    - ``append``: add ``value`` to the list at ``path`` (created when absent);
    - ``add_component``: add a component ``key`` with body ``value`` (a mapping), and the
      connections in ``extra["connections"]`` (a list of connection mappings);
    - ``text``: literal edits ``value = [[start_line, start_col, end_line, end_col, new_text], ...]``
      for changes outside the model (removing a suppression comment).

    ``safe`` fixes are the ones a reviewer accepts without a decision: they add the missing
    setting the rule asks for. Fixes that pick a value, remove something or change what is
    exposed are offered but not applied by "fix all".
    """

    title: str
    kind: str
    path: ModelPath
    value: Any = None
    key: str | None = None
    safe: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"title": self.title, "kind": self.kind, "path": list(self.path), "safe": self.safe}
        if self.value is not None:
            out["value"] = self.value
        if self.key is not None:
            out["key"] = self.key
        if self.extra:
            out["extra"] = self.extra
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fix:
        return cls(
            title=data["title"],
            kind=data["kind"],
            path=tuple(data["path"]),
            value=data.get("value"),
            key=data.get("key"),
            safe=data.get("safe", True),
            extra=data.get("extra") or {},
        )


@dataclass(slots=True)
class Hit:
    """One problem a rule found. ``on_value`` points at the value instead of the key."""

    path: ModelPath
    message: str
    fix: Fix | None = None
    severity: Severity | None = None
    on_value: bool = False
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Related:
    """Another tool's check that covers ground close to a rule's without matching it case for case,
    with where archls differs and why. Checks a rule *matches* (``Code.checkov``, ``Code.trivy``) are
    held to agreeing with their own tool's verdicts (tests/test_equivalence.py); ``Code.kics`` names
    KICS queries of the same intent, which no test compares (KICS is not on the package registries)."""

    tool: str  # checkov, trivy or kics
    id: str
    note: str


@dataclass(frozen=True, slots=True)
class Control:
    """A compliance control a rule maps to, e.g. ``Control("pci-dss", "3.5.1", "Stored account data is encrypted")``."""

    framework: str
    id: str
    title: str = ""


Check = Callable[["RuleContext"], Iterable[Hit]]


@dataclass(frozen=True)
class Code:
    """A finding code and its documentation. Rules have a ``check``; loader codes do not."""

    id: str
    title: str
    category: Category
    severity: Severity
    what: str
    why: str
    example: str
    fix: str
    references: tuple[str, ...] = ()
    controls: tuple[Control, ...] = ()
    checkov: tuple[str, ...] = ()
    kics: tuple[str, ...] = ()
    trivy: tuple[str, ...] = ()
    related: tuple[Related, ...] = ()
    check: Check | None = None
    fixable: bool = False
    #: When some findings carry another severity than the default: which, and why.
    severity_note: str = ""
    #: None: run for every format. Otherwise the formats the rule applies to: those it reads natively
    #: (native rules), or the architecture format alone for rules whose evidence only an architecture
    #: file states (declared connections, trust zones).
    formats: frozenset[str] | None = None
    #: Judges the audit's other findings (``RuleContext.findings``), so runs after every other rule.
    after_audit: bool = False
    #: ``component`` or ``connection`` for a rule that judges each component (or connection) on its
    #: own: it walks them with :meth:`RuleContext.components` (or ``connections``), every hit's path
    #: starts with ``("components", id)`` (or ``("connections", index)``), and what it says about one
    #: depends on that one's settings and figures, the settings of a connection's two ends, and
    #: results shared over the whole graph (the graph, the rule facts, the arrivals), never on another
    #: component's own settings or on flows' or totals' figures. After an edit local to some
    #: components, the engine runs it on those alone and keeps its other hits. ``service``: the same
    #: for a compose rule over the services of the format's own reading (:meth:`RuleContext.services`,
    #: hits under ``("services", name)``), and the component of the same name.
    scope: str | None = None

    @property
    def is_rule(self) -> bool:
        return self.check is not None

    @property
    def checkov_ids(self) -> tuple[str, ...]:
        """Every checkov id the rule answers to, matching or related: a ``#checkov:skip`` of any of
        them silences the rule too, so a team's decision is kept in both tools."""
        return self.checkov + tuple(r.id for r in self.related if r.tool == "checkov")


REGISTRY: dict[str, Code] = {}


def _add(code: Code) -> Code:
    if code.id in REGISTRY:
        raise ValueError(f"finding code {code.id} registered twice")
    if not code.id.startswith(code.category.value):
        raise ValueError(f"{code.id} does not start with its category {code.category.value}")
    REGISTRY[code.id] = code
    return code


def loader_code(
    id: str, title: str, *, severity: Severity = Severity.ERROR, what: str, why: str, example: str, fix: str
) -> Code:
    return _add(Code(id, title, Category.ARCH, severity, what, why, example, fix))


def rule(
    id: str,
    title: str,
    *,
    severity: Severity,
    what: str,
    why: str,
    example: str,
    fix: str,
    references: Iterable[str] = (),
    controls: Iterable[Control] = (),
    checkov: Iterable[str] = (),
    kics: Iterable[str] = (),
    trivy: Iterable[str] = (),
    related: Iterable[tuple[str, str, str]] = (),
    fixable: bool = False,
    formats: Iterable[str] | None = None,
    severity_note: str = "",
    after_audit: bool = False,
    scope: str | None = None,
) -> Callable[[Check], Check]:
    """Register the decorated function as the check of rule ``id``."""

    def register(check: Check) -> Check:
        _add(
            Code(
                id=id,
                title=title,
                category=Category(id.rstrip("0123456789")),
                severity=severity,
                what=what.strip(),
                why=why.strip(),
                example=example.strip("\n"),
                fix=fix.strip(),
                references=tuple(references),
                controls=tuple(controls),
                checkov=tuple(checkov),
                kics=tuple(kics),
                trivy=tuple(trivy),
                related=tuple(Related(tool, id_, note) for tool, id_, note in related),
                check=check,
                fixable=fixable,
                formats=frozenset(formats) if formats is not None else None,
                severity_note=severity_note.strip(),
                after_audit=after_audit,
                scope=scope,
            )
        )
        return check

    return register


@dataclass
class Earlier:
    """The audit of the same document before an edit, and what the edit changed."""

    context: RuleContext
    #: the ``(kind, attribute)`` pairs that changed (see :func:`archls.tracking.changes`)
    changed: set[Any]
    #: the objects that changed (a :class:`archls.tracking.Parts`)
    parts: Any


_MISSING = object()


class RuleContext:
    """What a rule may look at. Shared analyses are computed once per audit and cached here.

    With ``earlier``, shared results that read nothing an edit changed are taken over from the audit
    before it (see :meth:`cached`), and the analyses are updated rather than computed again."""

    def __init__(
        self, model: Architecture, config: Config, format: str, native: Any = None, earlier: Earlier | None = None
    ) -> None:
        self.model = model
        self.config = config
        self.format = format
        self._native = native
        #: cut by the engine once the audit is done, so that audits do not keep their predecessors alive
        self.earlier = earlier
        #: key -> (value, reads): see :meth:`cached` (no functions: a closure over this context would
        #: make a reference cycle, which the server's collector frees late)
        self._memo: dict[str, tuple[Any, Any]] = {}
        #: key -> the reads of a shared result that spans the whole graph, kept from audit to audit
        #: (an edit to one of them is not local to the components it touched; see ``Code.scope``)
        self.spans: dict[str, Any] = dict(earlier.context.spans) if earlier is not None else {}
        #: the shared results asked for by the rule running now (set by the engine)
        self.uses: set[str] | None = None
        #: while a scoped rule runs on part of the model: a callable giving the components (ids) or
        #: connections (indices) to judge (set by the engine)
        self.focus: Callable[[], set[Any]] | None = None
        #: The audit's findings so far (suppressed and configured), for rules that run ``after_audit``.
        self.findings: list[Any] | None = None
        self._ranks: dict[str, int] | None = None

    @property
    def native(self) -> Any:
        """The format's own reading of the files (Terraform resources, compose services...)."""
        from archls import tracking

        tracking.note(_NATIVE_READ)
        return self._native

    @property
    def graph(self) -> ArchGraph:
        from archls.graph import ArchGraph

        return self.cached("graph", lambda: ArchGraph(self.model), carry=lambda old: old.rebound(self.model))

    def can_say(self, setting: str) -> bool:
        """Whether this file's format can write the model setting ``setting``; rules that report its
        absence stay quiet where it could not have been written."""
        from archls.formats import can_say

        return can_say(self.format, setting)

    @property
    def development(self) -> bool:
        """Whether the file describes a local development stack (a compose file for a developer's
        machine or CI): rules about running in production do not apply to it."""
        from archls import tracking

        tracking.note(_DEVELOPMENT_READ)
        return bool(getattr(self._native, "development", False))

    def threshold(self, name: str, default: float) -> float:
        return float(self.config.thresholds.get(name, default))

    def components(self) -> Iterable[tuple[str, Any]]:
        """``model.components.items()``, or only those a scoped rule judges again after an edit."""
        components = self.model.components
        if self.focus is None:
            return components.items()
        focused = self.focus()
        if len(focused) * 4 > len(components):
            return [(cid, c) for cid, c in components.items() if cid in focused]
        rank = self.positions()
        return [(cid, components[cid]) for cid in sorted((c for c in focused if c in rank), key=rank.__getitem__)]

    def services(self, native: Any) -> Iterable[tuple[str, Any]]:
        """``native.services.items()`` (a compose file's services), or only those a rule scoped to
        services judges again after an edit."""
        if self.focus is None:
            return native.services.items()
        focused = self.focus()
        return [(name, service) for name, service in native.services.items() if name in focused]

    def service_positions(self) -> dict[str, int]:
        """Each service's position in the format's own reading."""
        return {name: n for n, name in enumerate(getattr(self._native, "services", ()))}

    def positions(self) -> dict[str, int]:
        """Each component id's position in the file (kept from the audit before an edit that left the
        components' ids and order as they were)."""
        if self._ranks is None:
            earlier = self.earlier
            if earlier is not None and ("architecture", "components") not in earlier.changed:
                self._ranks = earlier.context._ranks
            if self._ranks is None:
                self._ranks = {cid: n for n, cid in enumerate(self.model.components)}
        return self._ranks

    def connections(self) -> Iterable[tuple[int, Any]]:
        """``enumerate(model.connections)``, or only those a scoped rule judges again after an edit."""
        connections = self.model.connections
        if self.focus is None:
            return enumerate(connections)
        return [(index, connections[index]) for index in sorted(self.focus()) if index < len(connections)]

    def cached(
        self, key: str, compute: Callable[[], Any], *, carry: Callable[[Any], Any] | None = None, spans: bool = True
    ) -> Any:
        """Compute a shared analysis once per audit, e.g. ``ctx.cached("load", lambda: ...)``.

        Every rule that asks depends on what the analysis read (see :mod:`archls.tracking`). With
        ``carry`` (which makes the earlier audit's value fit this model, or returns None), the value of
        the audit before an edit is taken over when it read nothing the edit changed; values that hold
        model objects must return None when those objects' kind changed. ``spans``: the value is
        computed over the whole graph (not component by component), see ``Code.scope``."""
        from archls import tracking

        if self.uses is not None:
            self.uses.add(key)
        hit = self._memo.get(key)
        if hit is not None:
            tracking.replay(hit[1])
            return hit[0]
        value = _MISSING
        reads = None
        earlier = self.earlier
        if carry is not None and earlier is not None:
            old = earlier.context._memo.get(key)
            if old is not None and old[1] is not None and not tracking.stale(old[1], earlier.changed):
                taken = carry(old[0])
                if taken is not None:
                    value, reads = taken, old[1]
                    tracking.replay(reads)
        if value is _MISSING:
            if tracking.active():
                with tracking.isolated() as record:
                    value = compute()
                reads = frozenset(record)
            else:
                value = compute()
        self._memo[key] = (value, reads)
        if spans:
            self.spans[key] = reads if reads is not None else frozenset({tracking.EVERYTHING})
        return value

    def known(self, key: str) -> Any:
        """The shared result ``key`` if this audit has it, else None (it is not computed)."""
        hit = self._memo.get(key)
        return hit[0] if hit is not None else None

    def earlier_value(self, key: str) -> tuple[Any, Any] | None:
        """The value the audit before an edit computed for ``key`` and what it read, if it has one."""
        if self.earlier is None:
            return None
        old = self.earlier.context._memo.get(key)
        if old is None or old[1] is None:
            return None
        return old[0], old[1]

    def analysed(self) -> Any:
        """Every analysis of the model (:func:`archls.analysis.results`), updated from the audit before
        an edit where there is one."""
        from archls import tracking
        from archls.analysis import Earlier as Before
        from archls.analysis import results

        def compute() -> Any:
            before = self.earlier_value("analysis")
            if before is None or self.earlier is None:
                return results(self.model, self.config, self.graph)
            # the figures kept from before were made of what those results read
            tracking.replay(before[1])
            earlier = Before(self.earlier.context.model, before[0], self.earlier.changed, self.earlier.parts)
            return results(self.model, self.config, self.graph, earlier)

        fresh = "analysis" not in self._memo
        value = self.cached("analysis", compute, spans=False)
        if fresh:
            # What the figures of one component read of others: the graph and the arrivals.
            span = value.spanning if value.spanning is not None else frozenset({tracking.EVERYTHING})
            self.spans["analysis"] = span | self.spans.get("graph", frozenset({tracking.EVERYTHING}))
        if self.uses is not None:
            self.uses.add("graph")
        tracking.note(_FIGURES_READ)
        return value


#: Rules that read the format's native objects depend on the whole text (see the engine).
_NATIVE_READ = (("native", "*"),)
_DEVELOPMENT_READ = (("native", "development"),)
#: Noted by every rule that reads the analyses' figures, which an edit to one component may change
#: for others (their arrivals): a scoped rule that read them judges those others again too.
_FIGURES_READ = (("analysis", "figures"),)


#: Categories in the order codes are listed (and run): the order they are declared in.
_CATEGORY_RANK = {category: n for n, category in enumerate(Category)}


def all_codes() -> list[Code]:
    load_rules()
    return sorted(REGISTRY.values(), key=lambda c: (_CATEGORY_RANK[c.category], c.id))


def get(code_id: str) -> Code | None:
    load_rules()
    return REGISTRY.get(code_id.upper())


_plugins_loaded = False
#: The entry point group of third-party rule modules.
PLUGIN_GROUP = "archls.rules"


def load_rules() -> None:
    """Register the built-in rules, then third-party ones.

    Third-party rules come from packages declaring an ``archls.rules`` entry point and from the
    modules named in ``ARCHLS_RULE_MODULES`` (comma-separated). They are never read from a
    workspace's configuration: opening a repository must not run its code.
    """
    global _plugins_loaded
    from archls import rules  # noqa: F401  (importing the package registers every rule module)

    if _plugins_loaded:
        return
    _plugins_loaded = True
    import importlib
    import logging
    import os

    names = [n.strip() for n in os.environ.get("ARCHLS_RULE_MODULES", "").split(",") if n.strip()]
    if _may_declare(PLUGIN_GROUP):
        from importlib.metadata import entry_points

        names += [point.value for point in entry_points(group=PLUGIN_GROUP)]
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # a broken plugin must not stop the built-in rules
            logging.getLogger(__name__).exception("cannot load rule module %s", name)


def _may_declare(group: str) -> bool:
    """Whether a distribution on the path may declare entry points of ``group``: False only when no
    ``entry_points.txt`` of a ``*.dist-info`` or ``*.egg-info`` folder on ``sys.path`` names it, which
    is where importlib.metadata looks on a plain path. Importing importlib.metadata (email, zipfile,
    csv and more) and reading every distribution's metadata was, with pydantic's own plugin lookup
    (archls.server.early), 5% of the server's work until its first diagnostics, to find nothing on
    almost every machine. Whatever this does not look through (a zip or an egg on the path, another
    finder of distributions) answers True: importlib.metadata decides then."""
    import importlib.machinery
    import os
    import sys

    for finder in sys.meta_path:
        if finder is not importlib.machinery.PathFinder and hasattr(finder, "find_distributions"):
            return True
    for entry in sys.path:
        folder = entry or "."
        if folder.endswith(".egg") or os.path.isfile(folder):
            return True
        try:
            names = [e.name for e in os.scandir(folder) if e.name.endswith((".dist-info", ".egg-info"))]
        except OSError:
            continue  # not a folder (yet): importlib.metadata finds nothing there either
        for name in names:
            try:
                with open(os.path.join(folder, name, "entry_points.txt"), encoding="utf-8") as handle:
                    if group in handle.read():
                        return True
            except (OSError, UnicodeDecodeError):
                continue
    return False
