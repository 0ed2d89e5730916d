"""The architecture format: ``*.arch.yaml``, ``*.arch.yml`` and ``architecture.yaml``.

Each part (a component, a connection, a flow, a group, the requirements) is validated on its
own, so one bad value costs that value and not the whole file: the rest of the architecture
is still audited. Every schema problem is reported on the key or value at fault.
"""

from __future__ import annotations

import difflib
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from archls import yamlsource
from archls.findings import FILE_START, Edit, Finding, ModelPath, Range, Severity
from archls.formats import LoadContext, Loaded, file_name, register
from archls.model import Architecture, Coach, Component, Connection, Criterion, Flow, Group, Requirements
from archls.recent import Recent
from archls.rules.registry import Fix
from archls.schema import annotation_at, enum_values, field_by_key, model_at
from archls.sourcemap import SourceMap

NAME = "arch"
SECTIONS = frozenset({"components", "connections", "flows", "groups"})
_SUFFIXES = (".arch.yaml", ".arch.yml")
_NAMES = frozenset({"architecture.yaml", "architecture.yml"})
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")


def is_arch_file(path: str) -> bool:
    name = file_name(path).lower()
    return name.endswith(_SUFFIXES) or name in _NAMES


class ArchFormat:
    name = NAME

    def claims(self, path: str, text: str | None) -> bool:
        return is_arch_file(path)

    def load(self, text: str, path: str, context: LoadContext) -> Loaded:
        doc = yamlsource.compose(text, file=path, sections=SECTIONS, reuse=context.reuse)
        loaded = Loaded(NAME, None, doc.smap, list(doc.issues))
        if doc.data is None:
            if doc.empty:
                loaded.findings.append(
                    Finding(
                        "ARCH002",
                        "the architecture file is empty; start with 'name:' and 'components:'",
                        Severity.ERROR,
                        FILE_START,
                    )
                )
            return loaded
        return build(doc.data, doc.smap, loaded, _memo_of(path) if context.reuse else _Memo())


def suggest(word: str, candidates: list[str] | set[str] | Any) -> str:
    """' did you mean "x"?' for the closest candidate, or nothing."""
    match = difflib.get_close_matches(str(word), sorted(candidates), n=1, cutoff=0.6)
    return f"; did you mean '{match[0]}'?" if match else ""


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "text"


#: A problem found while validating one part: (code, message, path within the part, on the value, severity).
Problem = tuple[str, str, ModelPath, bool, Severity]

# Parts are validated once per distinct block: the YAML reader hands back the same data object
# for a block whose text did not change, so an edit re-validates only the block it touched.
_parts: Recent[tuple[type, int], tuple[dict[str, Any], BaseModel | None, list[Problem]]] = Recent(20_000)


class _Validator:
    def __init__(self, smap: SourceMap, findings: list[Finding]) -> None:
        self.smap = smap
        self.findings = findings

    def report(
        self, code: str, message: str, path: ModelPath, *, value: bool = False, severity: Severity = Severity.ERROR
    ) -> None:
        entry = self.smap.get(path)
        if entry is None:
            where = self.smap.locate(path) if path else _first_line(self.smap)
        else:
            where = entry.value if value else entry.head
        if path == () or where.end_line > where.start_line:
            where = _head_line(where)
        self.findings.append(Finding(code, message, severity, where, path=path))

    def part(
        self, cls: type[BaseModel], data: Any, path: ModelPath, label: str, *, cache: bool = True
    ) -> BaseModel | None:
        """Validate one part, reporting each problem where it is; bad keys are dropped, the rest kept."""
        if not isinstance(data, dict):
            self.report("ARCH004", f"{label} should be a mapping, not {_kind(data)}", path, value=True)
            return None
        key = (cls, id(data))
        cached = _parts.get(key) if cache else None
        if cached is not None and cached[0] is data:
            _, model, problems = cached
        else:
            problems = []
            model = _validate(cls, data, problems)
            if cache:
                _parts[key] = (data, model, problems)
        for code, message, rel, on_value, severity in problems:
            self.report(code, message, path + rel, value=on_value, severity=severity)
        return model


def _validate(cls: type[BaseModel], data: dict[str, Any], problems: list[Problem]) -> BaseModel | None:
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        bad = _explain(exc, data, cls, problems)
    cleaned = {k: v for k, v in data.items() if k not in bad}
    try:
        return cls.model_validate(cleaned)
    except ValidationError:
        return None


def _explain(exc: ValidationError, data: dict[str, Any], cls: type[BaseModel], problems: list[Problem]) -> set[str]:
    """Record the errors of one part; return its top-level keys that were at fault."""
    by_path: dict[ModelPath, list[tuple[dict[str, Any], bool]]] = {}
    for error in exc.errors():
        rel, via_union = _data_path(error["loc"], data, error["type"] in {"extra_forbidden", "missing"})
        by_path.setdefault(rel, []).append((error, via_union))
    deeper = {p[:n] for p in by_path for n in range(len(p))}
    bad: set[str] = set()
    for rel, errors in by_path.items():
        if rel in deeper and all(via for _, via in errors):
            continue  # a union branch that did not match; the deeper error says more
        if rel:
            bad.add(str(rel[0]))
        problems.append(_describe(rel, [e for e, _ in errors], data, cls))
    return bad


def _describe(rel: ModelPath, errors: list[dict[str, Any]], data: dict[str, Any], cls: type[BaseModel]) -> Problem:
    first = errors[0]
    kind = first["type"]
    if kind == "extra_forbidden":
        parent = model_at(rel[:-1], cls)
        allowed = sorted(field_by_key(parent)) if parent else []
        key = str(rel[-1])
        hint = suggest(key, allowed)
        listing = f" (allowed: {', '.join(allowed)})" if not hint and allowed else ""
        return ("ARCH003", f"unknown key '{key}'{hint}{listing}", rel, False, Severity.ERROR)
    if kind == "missing":
        return ("ARCH005", f"missing required key '{rel[-1]}'", rel[:-1], False, Severity.ERROR)
    value = _get(data, rel)
    annotation = annotation_at(rel, cls)
    allowed = enum_values(annotation) if annotation is not None else []
    if any(e["type"] in {"enum", "literal_error"} for e in errors) and not isinstance(value, dict | list):
        choices = [a for a in allowed if a not in {"true", "false"}] or allowed
        hint = suggest(value, choices) if isinstance(value, str) else ""
        message = f"'{value}' is not allowed here{hint} (allowed: {', '.join(choices)})"
        return ("ARCH004", message, rel, True, Severity.ERROR)
    if len(errors) > 1:
        expected = " or ".join(sorted({_EXPECTED.get(e["type"], e["msg"].lower()) for e in errors}))
        return ("ARCH004", f"expected {expected}, not {_kind(value)}", rel, True, Severity.ERROR)
    message = _EXPECTED.get(kind)
    text = f"expected {message}, not {_kind(value)}" if message else first["msg"][:1].lower() + first["msg"][1:]
    if not rel:
        return ("ARCH004", text, rel, True, Severity.ERROR)
    return ("ARCH004", f"invalid value for '{rel[-1]}': {text}", rel, True, Severity.ERROR)


_EXPECTED = {
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "string_type": "text",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
}


def _data_path(loc: tuple[Any, ...], data: Any, names_key: bool) -> tuple[ModelPath, bool]:
    """Keep the parts of a pydantic error location that are real keys in the data.

    Union members add their type names to the location; those are skipped. ``names_key``
    says the last part is a key of the data itself (an unknown or a missing one).
    """
    path: list[str | int] = []
    skipped = False
    node = data
    for part in loc:
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        ):
            path.append(part)
            node = node[part]
        elif names_key and isinstance(node, dict) and isinstance(part, str) and part is loc[-1]:
            path.append(part)  # an unknown or missing key: the key itself is the place
        else:
            skipped = True
    return tuple(path), skipped


def _get(data: Any, path: ModelPath) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _first_line(smap: SourceMap) -> Range:
    root = smap.get(())
    if root is None:
        return FILE_START
    return _head_line(root.value)


def _head_line(where: Range) -> Range:
    return Range(where.start_line, where.start_col, where.start_line, where.start_col + 1)


def build(data: Any, smap: SourceMap, loaded: Loaded, memo: _Memo | None = None) -> Loaded:
    """Validate read YAML data into the model, reporting every problem at its place. ``memo`` holds
    what the last build of the same file made of each part, reused for the parts read unchanged."""
    memo = memo or _Memo()
    v = _Validator(smap, loaded.findings)
    if not isinstance(data, dict):
        v.report(
            "ARCH002",
            f"an architecture file is a mapping with 'name' and 'components', not {_kind(data)}",
            (),
        )
        return loaded

    for key in data:
        if key not in field_by_key(Architecture):
            allowed = sorted(field_by_key(Architecture))
            hint = suggest(key, allowed)
            v.report("ARCH003", f"unknown key '{key}'{hint or ' (allowed: ' + ', '.join(allowed) + ')'}", (key,))

    name = data.get("name")
    if name is None:
        v.report("ARCH005", "missing required key 'name'", ())

    requirements = v.part(Requirements, data.get("requirements") or {}, ("requirements",), "requirements")
    components, known = memo.components.build(v, _section(v, data, "components", dict), _components, _patch_components)
    connections, connection_paths = memo.connections.build(
        v, _section(v, data, "connections", list), _connections, _patch_connections
    )
    flows = memo.flows.build(v, _section(v, data, "flows", dict), _flows)
    groups = memo.groups.build(v, _section(v, data, "groups", dict), _groups)

    memo.references.check(v, known, connections, connection_paths, flows, groups)
    acceptance = _acceptance(v, _section(v, data, "acceptance", list), flows)
    coach = v.part(Coach, data["coach"], ("coach",), "coach") if data.get("coach") is not None else None

    meta = {k: data[k] for k in ("name", "description", "archls") if k in data}
    head = v.part(Architecture, {"name": "unnamed", **meta}, (), "the architecture", cache=False)
    if not isinstance(head, Architecture):
        head = Architecture(name="unnamed")
    model = head.model_copy(
        update={
            "requirements": requirements if isinstance(requirements, Requirements) else Requirements(),
            "components": components,
            "connections": connections,
            "flows": flows,
            "groups": groups,
            "acceptance": acceptance,
            "coach": coach if isinstance(coach, Coach) else None,
        }
    )
    loaded.model = model
    loaded.known_ids = known
    # A connection that failed validation is left out of the model, so model indices can
    # run behind file indices; findings must still land on the right item.
    if memo.aliases[0] is not connection_paths:
        aliases = {("connections", i): path for i, path in enumerate(connection_paths) if path != ("connections", i)}
        memo.aliases = (connection_paths, aliases)
    loaded.aliases = dict(memo.aliases[1])
    return loaded


#: A report made while building: (code, message, path, on the value, severity), replayed on reuse.
Report = tuple[str, str, ModelPath, bool, Severity]


class _Recorder(_Validator):
    """Collects what a part reports, so the part can be replayed without validating it again."""

    def __init__(self) -> None:  # no map or findings: it only records
        self.reports: list[Report] = []

    def report(
        self, code: str, message: str, path: ModelPath, *, value: bool = False, severity: Severity = Severity.ERROR
    ) -> None:
        self.reports.append((code, message, path, value, severity))


def _replay(v: _Validator, reports: list[Report] | tuple[Report, ...]) -> None:
    # positions are resolved anew: lines above may have moved since the reports were made
    for code, message, path, value, severity in reports:
        v.report(code, message, path, value=value, severity=severity)


# --- the build memo ----------------------------------------------------------------------------
# The YAML reader hands back the same objects for the blocks of a file whose text did not change
# since its last reading (and the same section object when none of its blocks changed). What the
# last build of the same file made of each part -- the validated model object and the problems it
# reported -- is kept per file and reused while the part is the same object: an edit re-validates
# the block it touched. The reused objects also tell the engine at once that they did not change.


@dataclass(slots=True)
class _Item:
    """One part as the last build made it: the data read, the model object (None when invalid) and
    the problems it reported."""

    raw: Any
    part: Any
    reports: tuple[Report, ...]


@dataclass
class _SectionMemo:
    raw: Any = None
    result: Any = None
    reports: list[Report] = field(default_factory=list)
    #: each part of the last build, by id (mappings) or index (lists)
    items: dict[Any, _Item] = field(default_factory=dict)

    def build(self, v: _Validator, raw: Any, build_section: Any, patch: Any = None) -> Any:
        """The section built from ``raw``: as last time when it is the same object, else from its parts,
        each reused while it is the same object as last time. ``patch`` redoes only the parts the YAML
        reader says are new when the rest is the last version's (see :func:`yamlsource.patch_of`)."""
        if raw is not self.raw or self.result is None:
            note = yamlsource.patch_of(raw) if patch is not None and self.result is not None else None
            patched = patch(self, raw, note[1]) if note is not None and note[0] is self.raw else None
            if patched is not None:
                self.raw, self.result = raw, patched
            else:
                recorder = _Recorder()
                items: dict[Any, _Item] = {}
                self.result = build_section(recorder, raw, self.items, items)
                self.raw, self.reports, self.items = raw, recorder.reports, items
        _replay(v, self.reports)
        return self.result


def _made(v: _Recorder, raw: Any, part: Any, mark: int) -> _Item:
    """The item of a part just validated with ``v``, which recorded its reports after ``mark``."""
    return _Item(raw, part, tuple(v.reports[mark:]) if len(v.reports) > mark else ())


@dataclass
class _References:
    """The dangling references (and flow steps no connection links) found at the last build, by part."""

    known: set[str] = field(default_factory=set)
    connections: Any = None
    connection_reports: list[Report] = field(default_factory=list)
    linked: set[tuple[str, str]] = field(default_factory=set)
    flows: Any = None
    flow_reports: list[Report] = field(default_factory=list)
    groups: Any = None
    group_reports: list[Report] = field(default_factory=list)

    def check(
        self,
        v: _Validator,
        known: set[str],
        connections: list[Connection],
        connection_paths: list[ModelPath],
        flows: dict[str, Flow],
        groups: dict[str, Group],
    ) -> None:
        same_ids = known is self.known or known == self.known
        self.known = known
        if not (same_ids and connections is self.connections):
            recorder = _Recorder()
            self.linked = _check_connections(recorder, known, connections, connection_paths)
            self.connections, self.connection_reports, self.flows = connections, recorder.reports, None
        if not (same_ids and flows is self.flows):
            recorder = _Recorder()
            _check_flows(recorder, known, self.linked, flows)
            self.flows, self.flow_reports = flows, recorder.reports
        if not (same_ids and groups is self.groups):
            recorder = _Recorder()
            _check_groups(recorder, known, groups)
            self.groups, self.group_reports = groups, recorder.reports
        _replay(v, self.connection_reports)
        _replay(v, self.flow_reports)
        _replay(v, self.group_reports)


@dataclass
class _Memo:
    components: _SectionMemo = field(default_factory=_SectionMemo)
    connections: _SectionMemo = field(default_factory=_SectionMemo)
    flows: _SectionMemo = field(default_factory=_SectionMemo)
    groups: _SectionMemo = field(default_factory=_SectionMemo)
    references: _References = field(default_factory=_References)
    aliases: tuple[Any, dict[ModelPath, ModelPath]] = (None, {})


_memos: OrderedDict[str, _Memo] = OrderedDict()
_MEMOS = 8


def _memo_of(path: str) -> _Memo:
    memo = _memos.pop(path, None) or _Memo()
    _memos[path] = memo
    while len(_memos) > _MEMOS:
        try:
            _memos.popitem(last=False)
        except KeyError:  # another thread trimmed it meanwhile
            break
    return memo


# A section's builder reports to the recorder of its section memo, and each part's reports are kept
# with the part, to be recorded again when the part is reused.


def _components(
    v: _Recorder, raw_components: dict[str, Any], before: dict[Any, _Item], after: dict[Any, _Item]
) -> tuple[dict[str, Component], set[str]]:
    components: dict[str, Component] = {}
    for cid, raw in raw_components.items():
        item = before.get(cid)
        if item is None or item.raw is not raw:
            mark = len(v.reports)
            item = _made(v, raw, _component(v, str(cid), raw), mark)
        elif item.reports:
            v.reports.extend(item.reports)
        after[cid] = item
        if item.part is not None:
            components[str(cid)] = item.part
    return components, {str(cid) for cid in raw_components}


def _patch_components(memo: _SectionMemo, raw_components: dict[str, Any], ids: list[Any]) -> Any:
    """The components with those at ``ids`` validated again (the others and the ids are as last time);
    None when one reports a problem or was or becomes invalid (the section is then built in full)."""
    if memo.reports:
        return None
    components, known = memo.result
    components = dict(components)
    for cid in ids:
        raw = raw_components[cid]
        recorder = _Recorder()
        item = _made(recorder, raw, _component(recorder, str(cid), raw), 0)
        memo.items[cid] = item
        if item.reports or item.part is None or str(cid) not in components:
            return None
        components[str(cid)] = item.part
    return components, known


def _patch_connections(memo: _SectionMemo, raw_connections: list[Any], indices: list[Any]) -> Any:
    """The connections with those at ``indices`` validated again; None as for components."""
    connections, paths = memo.result
    if memo.reports or len(connections) != len(raw_connections):
        return None
    connections = list(connections)
    for index in indices:
        raw = raw_connections[index]
        recorder = _Recorder()
        item = _made(recorder, raw, recorder.part(Connection, raw, ("connections", index), "a connection"), 0)
        memo.items[index] = item
        if item.reports or not isinstance(item.part, Connection):
            return None
        connections[index] = item.part
    return connections, paths


def _component(v: _Validator, cid: str, raw: Any) -> Component | None:
    if not ID_PATTERN.match(cid):
        v.report(
            "ARCH004",
            f"component id '{cid}' should use only letters, digits, '-', '_' and '.', starting with a letter "
            "or digit; exports will rename it",
            ("components", cid),
            severity=Severity.WARNING,
        )
    if raw is None:
        v.report("ARCH005", f"component '{cid}' is empty; give it at least a 'type'", ("components", cid))
        return None
    part = v.part(Component, raw, ("components", cid), f"component '{cid}'")
    return part if isinstance(part, Component) else None


def _connections(
    v: _Recorder, raw_connections: list[Any], before: dict[Any, _Item], after: dict[Any, _Item]
) -> tuple[list[Connection], list[ModelPath]]:
    connections: list[Connection] = []
    paths: list[ModelPath] = []
    for index, raw in enumerate(raw_connections):
        item = before.get(index)
        if item is None or item.raw is not raw:
            mark = len(v.reports)
            item = _made(v, raw, v.part(Connection, raw, ("connections", index), "a connection"), mark)
        elif item.reports:
            v.reports.extend(item.reports)
        after[index] = item
        if isinstance(item.part, Connection):
            connections.append(item.part)
            paths.append(("connections", index))
    return connections, paths


def _parts_of(cls: type[BaseModel], kind: str) -> Any:
    """The builder of a section of ``cls`` parts by id (flows, groups)."""

    def build_section(
        v: _Recorder, raw_parts: dict[str, Any], before: dict[Any, _Item], after: dict[Any, _Item]
    ) -> dict[str, Any]:
        parts: dict[str, Any] = {}
        for pid, raw in raw_parts.items():
            item = before.get(pid)
            if item is None or item.raw is not raw:
                mark = len(v.reports)
                item = _made(v, raw, v.part(cls, raw, (f"{kind}s", str(pid)), f"{kind} '{pid}'"), mark)
            elif item.reports:
                v.reports.extend(item.reports)
            after[pid] = item
            if isinstance(item.part, cls):
                parts[str(pid)] = item.part
        return parts

    return build_section


_flows = _parts_of(Flow, "flow")
_groups = _parts_of(Group, "group")


def _acceptance(v: _Validator, raw_criteria: list[Any], flows: dict[str, Flow]) -> list[Criterion]:
    # Criteria keep their file index: a SPEC finding is reported at ("acceptance", index), so an
    # invalid entry is replaced by nothing only after the valid ones are numbered as written.
    criteria: list[Criterion] = []
    for index, raw in enumerate(raw_criteria):
        part = v.part(Criterion, raw, ("acceptance", index), "an acceptance criterion")
        if not isinstance(part, Criterion):
            continue
        if part.flow is not None and part.flow not in flows:
            v.report(
                "ARCH007",
                f"flow '{part.flow}' does not exist{suggest(part.flow, set(flows))}",
                ("acceptance", index, "flow"),
                value=True,
            )
            continue
        part._index = index
        criteria.append(part)
    return criteria


def _section(v: _Validator, data: dict[str, Any], key: str, kind: type) -> Any:
    raw = data.get(key)
    if raw is None:
        return kind()
    if not isinstance(raw, kind):
        v.report(
            "ARCH004",
            f"'{key}' should be {'a mapping of ids' if kind is dict else 'a list'}, not {_kind(raw)}",
            (key,),
            value=True,
        )
        return kind()
    return raw


def _ref(v: _Validator, pool: set[str], target: str, path: ModelPath, what: str) -> bool:
    if target in pool:
        return True
    v.report("ARCH007", f"{what} '{target}' does not exist{suggest(target, pool)}", path, value=True)
    return False


def _check_connections(
    v: _Validator, known: set[str], connections: list[Connection], connection_paths: list[ModelPath]
) -> set[tuple[str, str]]:
    """Report connections' dangling ends; return the pairs of components connections link."""
    linked: set[tuple[str, str]] = set()
    for connection, path in zip(connections, connection_paths, strict=True):
        _ref(v, known, connection.source, (*path, "from"), "component")
        _ref(v, known, connection.target, (*path, "to"), "component")
        linked.add((connection.source, connection.target))
    return linked


def _check_flows(v: _Validator, known: set[str], linked: set[tuple[str, str]], flows: dict[str, Flow]) -> None:
    for fid, flow in flows.items():
        ok = [_ref(v, known, step, ("flows", fid, "path", i), "component") for i, step in enumerate(flow.path)]
        for i in range(1, len(flow.path)):
            a, b = flow.path[i - 1], flow.path[i]
            if ok[i - 1] and ok[i] and (a, b) not in linked and (b, a) not in linked:
                v.report(
                    "ARCH012",
                    f"flow '{fid}' goes from '{a}' to '{b}', but no connection links them",
                    ("flows", fid, "path", i),
                    value=True,
                    severity=Severity.WARNING,
                )


def _check_groups(v: _Validator, known: set[str], groups: dict[str, Group]) -> None:
    group_ids = set(groups)
    for gid, group in groups.items():
        for i, member in enumerate(group.members):
            _ref(v, known, member, ("groups", gid, "members", i), "component")
        if group.parent is not None:
            _ref(v, group_ids, group.parent, ("groups", gid, "parent"), "group")


register(ArchFormat(), priority=0)


def fix_edits(text: str, loaded: Loaded, fix: Fix) -> list[Edit]:
    """Turn a fix intent into minimal edits of an architecture file (see :mod:`archls.yamledit`)."""
    from archls.fixes import FixError
    from archls.yamledit import YamlEditError, YamlText

    doc = YamlText(text, loaded.smap)
    try:
        if fix.kind == "add_component":
            return _add_component(doc, loaded, fix)
        return doc.apply(fix.kind, loaded.file_path(fix.path), fix.value, fix.key)
    except YamlEditError as exc:
        raise FixError(str(exc)) from exc


def _add_component(doc: Any, loaded: Loaded, fix: Fix) -> list[Edit]:
    from archls.fixes import FixError

    if not fix.key or not isinstance(fix.value, dict):
        raise FixError("an 'add_component' fix needs an id and a body")
    if fix.key in loaded.known_ids:
        raise FixError(f"a component '{fix.key}' already exists")
    # Write the new component the way its neighbours are written: one line of flow style, or a block.
    as_block = True
    model = loaded.model
    if model is not None and model.components:
        last = doc.smap.get(("components", next(reversed(model.components))))
        if last is not None and doc.char_at(last.value.start_line, last.value.start_col) == "{":
            as_block = False
    edits = doc.set(("components",), fix.key, fix.value, as_block=as_block)
    connections = fix.extra.get("connections") or []
    if connections:
        edits += doc.append(("connections",), list(connections))
    return edits
