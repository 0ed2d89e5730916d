"""The architecture format: ``*.arch.yaml``, ``*.arch.yml`` and ``architecture.yaml``.

Each part (a component, a connection, a flow, a group, the requirements) is validated on its
own, so one bad value costs that value and not the whole file: the rest of the architecture
is still audited. Every schema problem is reported on the key or value at fault.
"""

from __future__ import annotations

import difflib
import re
from collections import OrderedDict
from typing import Any

from pydantic import BaseModel, ValidationError

from archls import yamlsource
from archls.findings import FILE_START, Edit, Finding, ModelPath, Range, Severity
from archls.formats import LoadContext, Loaded, file_name, register
from archls.model import Architecture, Coach, Component, Connection, Criterion, Flow, Group, Requirements
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
        doc = yamlsource.compose(text, file=path, sections=SECTIONS)
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
        return build(doc.data, doc.smap, loaded)


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
_parts: OrderedDict[tuple[type, int], tuple[dict[str, Any], BaseModel | None, list[Problem]]] = OrderedDict()
_PARTS_SIZE = 20_000


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
            _parts.move_to_end(key)
            _, model, problems = cached
        else:
            problems = []
            model = _validate(cls, data, problems)
            if cache:
                _parts[key] = (data, model, problems)
                if len(_parts) > _PARTS_SIZE:
                    _parts.popitem(last=False)
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


def build(data: Any, smap: SourceMap, loaded: Loaded) -> Loaded:
    """Validate read YAML data into the model, reporting every problem at its place."""
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
    components, known = _memoised(v, _section(v, data, "components", dict), _components)
    connections, connection_paths = _memoised(v, _section(v, data, "connections", list), _connections)
    flows = _memoised(v, _section(v, data, "flows", dict), _flows)
    groups = _memoised(v, _section(v, data, "groups", dict), _groups)

    _check_references(v, known, connections, connection_paths, flows, groups)
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
    loaded.aliases = {("connections", i): path for i, path in enumerate(connection_paths) if path != ("connections", i)}
    return loaded


class _Recorder(_Validator):
    """Collects what a section reports, so the section can be replayed without validating it again."""

    def __init__(self) -> None:
        super().__init__(SourceMap(), [])
        self.reports: list[tuple[str, str, ModelPath, bool, Severity]] = []

    def report(
        self, code: str, message: str, path: ModelPath, *, value: bool = False, severity: Severity = Severity.ERROR
    ) -> None:
        self.reports.append((code, message, path, value, severity))


# The YAML reader hands back the same section object while the section's text is unchanged; its
# validated parts and problems are then replayed instead of rebuilt (positions are resolved anew,
# since lines above may have moved).
_sections: OrderedDict[tuple[Any, int], tuple[Any, Any, list[tuple[str, str, ModelPath, bool, Severity]]]] = (
    OrderedDict()
)


def _memoised(v: _Validator, raw: Any, build_section: Any) -> Any:
    key = (build_section, id(raw))
    cached = _sections.get(key)
    if cached is None or cached[0] is not raw:
        recorder = _Recorder()
        cached = (raw, build_section(recorder, raw), recorder.reports)
        _sections[key] = cached
        if len(_sections) > 16:
            _sections.popitem(last=False)
    else:
        _sections.move_to_end(key)
    for code, message, path, value, severity in cached[2]:
        v.report(code, message, path, value=value, severity=severity)
    return cached[1]


def _components(v: _Validator, raw_components: dict[str, Any]) -> tuple[dict[str, Component], set[str]]:
    components: dict[str, Component] = {}
    known: set[str] = set()
    for cid, raw in raw_components.items():
        cid = str(cid)
        known.add(cid)
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
            continue
        part = v.part(Component, raw, ("components", cid), f"component '{cid}'")
        if isinstance(part, Component):
            components[cid] = part
    return components, known


def _connections(v: _Validator, raw_connections: list[Any]) -> tuple[list[Connection], list[ModelPath]]:
    connections: list[Connection] = []
    paths: list[ModelPath] = []
    for index, raw in enumerate(raw_connections):
        part = v.part(Connection, raw, ("connections", index), "a connection")
        if isinstance(part, Connection):
            connections.append(part)
            paths.append(("connections", index))
    return connections, paths


def _flows(v: _Validator, raw_flows: dict[str, Any]) -> dict[str, Flow]:
    flows: dict[str, Flow] = {}
    for fid, raw in raw_flows.items():
        part = v.part(Flow, raw, ("flows", str(fid)), f"flow '{fid}'")
        if isinstance(part, Flow):
            flows[str(fid)] = part
    return flows


def _groups(v: _Validator, raw_groups: dict[str, Any]) -> dict[str, Group]:
    groups: dict[str, Group] = {}
    for gid, raw in raw_groups.items():
        part = v.part(Group, raw, ("groups", str(gid)), f"group '{gid}'")
        if isinstance(part, Group):
            groups[str(gid)] = part
    return groups


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


def _check_references(
    v: _Validator,
    known: set[str],
    connections: list[Connection],
    connection_paths: list[ModelPath],
    flows: dict[str, Flow],
    groups: dict[str, Group],
) -> None:
    def ref(target: str, path: ModelPath, what: str, pool: set[str] = known) -> bool:
        if target in pool:
            return True
        v.report("ARCH007", f"{what} '{target}' does not exist{suggest(target, pool)}", path, value=True)
        return False

    linked: set[tuple[str, str]] = set()
    for connection, path in zip(connections, connection_paths, strict=True):
        ref(connection.source, (*path, "from"), "component")
        ref(connection.target, (*path, "to"), "component")
        linked.add((connection.source, connection.target))

    for fid, flow in flows.items():
        ok = [ref(step, ("flows", fid, "path", i), "component") for i, step in enumerate(flow.path)]
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

    group_ids = set(groups)
    for gid, group in groups.items():
        for i, member in enumerate(group.members):
            ref(member, ("groups", gid, "members", i), "component")
        if group.parent is not None:
            ref(group.parent, ("groups", gid, "parent"), "group", group_ids)


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
