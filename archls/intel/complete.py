"""Completion for architecture files: keys with their documentation, allowed values, component and
group ids where a reference is expected, technologies and their versions, rule codes in
suppression comments, and snippets for a new component, connection, flow and group.

The cursor is usually in text that does not parse yet. The place is read from the text around the
cursor (:mod:`archls.intel.cursor`); ids come from the text itself plus the last analysis that
read the file, whose model also gives each id its type and technology.
"""

from __future__ import annotations

import datetime
import re
import typing
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from archls import model as m
from archls.intel import docs, technologies
from archls.intel.cursor import Cursor, locate
from archls.intel.facts import memo
from archls.intel.text import TRIGGERS as TRIGGERS
from archls.intel.text import yaml_scalar
from archls.schema import annotation_at, enum_values, field_by_key, model_at

if TYPE_CHECKING:
    from archls.engine import Analysis

#: Reference lists longer than this are cut (and marked incomplete, so the client asks again as
#: the user types): a 1,000-component file must not send 1,000 items on every keystroke.
MAX_ITEMS = 100


@dataclass
class Item:
    label: str
    kind: str  #: key, section, value, component, group, technology, version, snippet, rule
    insert: str  #: plain text that replaces the word at the cursor
    snippet: str | None = None  #: the same as a snippet, for clients that take snippets
    detail: str | None = None
    sort: str | None = None
    filter: str | None = None
    ref: dict[str, Any] = field(default_factory=dict)  #: what completionItem/resolve needs
    documentation: str | None = None


@dataclass
class Completion:
    items: list[Item]
    line: int
    start: int
    end: int
    incomplete: bool = False


@dataclass
class Known:
    """Ids the file defines and what the last analysis knew about them."""

    components: dict[str, str | None]  #: id -> "type · technology" when known
    groups: list[str]
    analysis: Analysis | None = None


def complete(
    text: str,
    line: int,
    col: int,
    recent: Analysis | None = None,
    *,
    trigger: str | None = None,
    lines: list[str] | None = None,
) -> Completion | None:
    """Items for the position, or None when nothing fits (free text, a comment, a closed value).

    ``lines`` is ``text`` split at newlines, when the caller has it already.
    """
    lines = lines if lines is not None else text.split("\n")
    cur = locate(lines, line, col)
    if trigger is not None and not _wanted(cur, lines, trigger):
        return None
    if cur.kind == "comment":
        return _rules(cur)
    if cur.kind == "none":
        return None
    known = _LazyKnown(text, recent)
    if cur.kind == "key":
        items = _keys(cur, cur.path, cur.siblings, cur.keyed)
    elif cur.kind == "item":
        items = _item(cur, known)
    else:
        items = _values(cur, cur.path, known)
    if items is None:
        return None
    incomplete = False
    if len(items) > MAX_ITEMS:
        items = items[:MAX_ITEMS]
        incomplete = True
    return Completion(items, line, cur.start, cur.end, incomplete)


def _wanted(cur: Cursor, lines: list[str], trigger: str) -> bool:
    """Whether a trigger character opens completion here (a space in free text must not)."""
    before = lines[cur.line][: cur.col] if cur.line < len(lines) else ""
    if trigger == " ":
        stripped = before.rstrip(" ")
        return bool(stripped) and stripped[-1] in ":-,[{" and cur.kind in ("value", "item", "key")
    if trigger == ":":
        return cur.kind == "value" and before.endswith(":")
    if trigger == "-":
        return cur.kind == "item" and before.rstrip().endswith("-") and not before.strip().strip("- ")
    if trigger in "[{,":
        return cur.flow or cur.kind == "comment"
    return True


# --- keys ----------------------------------------------------------------------------------------


def _keys(cur: Cursor, path: tuple[Any, ...], present: dict[str, str], keyed: bool) -> list[Item] | None:
    owner = model_at(path)
    if owner is not None:
        return _model_keys(cur, owner, path, present, keyed)
    if path == ("components",):
        return [_component_snippet(cur)]
    if path == ("flows",):
        return [_flow_snippet(cur)]
    if path == ("groups",):
        return [_group_snippet(cur)]
    if path == ("connections",):
        return [_connection_snippet(cur, dashed=False)]
    return None


def _model_keys(
    cur: Cursor, owner: type[BaseModel], path: tuple[Any, ...], present: dict[str, str], keyed: bool
) -> list[Item]:
    items = []
    for n, (key, info) in enumerate(field_by_key(owner).items()):
        if key in present:
            continue
        key_path = (*path, key)
        plain, snippet = _key_insert(key, key_path, cur.indent, keyed, cur.flow)
        items.append(
            Item(
                key,
                "section" if not path else "key",
                plain,
                snippet,
                detail=docs.key_detail(key_path),
                sort=f"{0 if info.is_required() else 1}{n:03d}",
                ref={"k": "key", "path": list(key_path)},
            )
        )
    return items


def _key_insert(
    key: str, path: tuple[Any, ...], indent: int, keyed: bool, flow: bool = False
) -> tuple[str, str | None]:
    if keyed:
        return key, None
    if flow:
        return f"{key}: ", f"{key}: $0"  # inside {...}: one line
    annotation = annotation_at(path)
    options = docs.options(annotation) if annotation is not None else []
    child = " " * (indent + 2)
    if path in (("components",), ("flows",), ("groups",), ("requirements",)):
        return f"{key}:\n{child}", f"{key}:\n{child}$0"
    if path == ("connections",):
        return f"{key}:\n{child}- ", f"{key}:\n{child}- $0"
    only_models = options and all(isinstance(o, type) and issubclass(o, BaseModel) for o in options)
    if only_models:
        return f"{key}:\n{child}", f"{key}:\n{child}$0"
    if any(typing.get_origin(o) is list for o in options):
        return f"{key}: []", f"{key}: [$0]"
    values = enum_values(annotation) if annotation is not None else []
    if values and len(values) <= 40:
        choices = ",".join(values)
        return f"{key}: ", f"{key}: ${{1|{choices}|}}"
    return f"{key}: ", f"{key}: $0"


# --- values --------------------------------------------------------------------------------------


def _item(cur: Cursor, known: _LazyKnown) -> list[Item] | None:
    """A list item: the first key of a mapping item (a connection), or a value (a member id)."""
    owner = model_at(cur.path)
    if owner is not None:
        items = _model_keys(cur, owner, cur.path, cur.item_keys, cur.keyed)
        if cur.path[:1] == ("connections",) and len(cur.path) == 2 and not cur.item_keys and not cur.keyed:
            items.insert(0, _connection_snippet(cur, dashed=True))
        return items
    return _values(cur, cur.path, known)


def _values(cur: Cursor, path: tuple[Any, ...], known: _LazyKnown) -> list[Item] | None:
    if cur.kind == "value" and not cur.flow and not cur.text[: cur.start].rstrip().rstrip("'\"").rstrip().endswith(":"):
        return None  # more than one word, or a closed list: not a value we can offer
    reference = _reference_kind(path)
    if reference == "component":
        return _component_ids(cur, path, known)
    if reference == "component-list":
        return _component_ids(cur, (*path, 0), known, wrap=True)
    if reference == "group":
        return _group_ids(cur, path, known)
    if len(path) == 3 and path[0] == "components" and path[2] == "technology":
        return _technologies(cur)
    if len(path) == 3 and path[0] == "components" and path[2] == "version":
        return _versions(cur)
    annotation = annotation_at(path)
    if annotation is None:
        return None
    values = enum_values(annotation)
    if not values:
        return None
    wrap = _is_list(annotation) and not cur.flow
    taken = set(cur.flow_items()) if cur.flow else set()
    items = []
    for n, value in enumerate(values):
        if value in taken:
            continue
        text = f"[{value}]" if wrap else value
        items.append(
            Item(
                value,
                "value",
                cur.lead + text,
                detail=None,
                sort=f"{n:03d}",
                filter=value,
                ref={"k": "value", "path": [str(p) for p in path], "value": value},
            )
        )
    return items


def _is_list(annotation: Any) -> bool:
    return any(typing.get_origin(o) is list for o in docs.options(annotation))


def _reference_kind(path: tuple[Any, ...]) -> str | None:
    if len(path) == 3 and path[0] == "connections" and path[2] in ("from", "to"):
        return "component"
    if len(path) == 4 and path[0] == "flows" and path[2] == "path" and isinstance(path[3], int):
        return "component"
    if len(path) == 4 and path[0] == "groups" and path[2] == "members" and isinstance(path[3], int):
        return "component"
    if len(path) == 3 and path[0] == "groups" and path[2] == "parent":
        return "group"
    if len(path) == 3 and path[0] in ("flows", "groups") and path[2] in ("path", "members"):
        return "component-list"
    return None


def _component_ids(cur: Cursor, path: tuple[Any, ...], known: _LazyKnown, *, wrap: bool = False) -> list[Item]:
    ids = known.get().components
    exclude: set[str] = set()
    prefer: set[str] = set()
    if path[0] == "connections":
        other = cur.siblings.get("to" if path[2] == "from" else "from")
        if other:
            exclude.add(other)
    if cur.flow:
        exclude |= set(cur.flow_items())
    if path[0] == "flows" and cur.flow:
        previous = cur.previous_item()
        analysis = known.get().analysis
        graph = analysis.graph if analysis is not None else None
        if previous and graph is not None:
            prefer = graph.callees(previous)
    return _id_items(cur, ids, exclude, prefer, "component", wrap=wrap)


def _group_ids(cur: Cursor, path: tuple[Any, ...], known: _LazyKnown) -> list[Item]:
    own = path[1]
    groups = {g: "group" for g in known.get().groups if g != own}
    return _id_items(cur, groups, set(), set(), "group")


def _id_items(
    cur: Cursor, ids: dict[str, str | None], exclude: set[str], prefer: set[str], kind: str, *, wrap: bool = False
) -> list[Item]:
    partial = cur.partial.lower()
    chosen = []
    for cid, detail in ids.items():
        if cid in exclude:
            continue
        if partial and not _fuzzy(partial, cid.lower()):
            continue
        rank = 0 if cid in prefer else 1
        rank2 = 0 if partial and cid.lower().startswith(partial) else 1
        chosen.append(((rank2, rank, cid), cid, detail))
    chosen.sort()
    items = []
    for n, (_, cid, detail) in enumerate(chosen):
        items.append(
            Item(
                cid,
                kind,
                cur.lead + (f"[{yaml_scalar(cid)}]" if wrap else cid if cur.quoted else yaml_scalar(cid)),
                detail=detail,
                sort=f"{n:05d}",
                filter=cid,
                ref={"k": kind, "id": cid},
            )
        )
    return items


def _fuzzy(needle: str, hay: str) -> bool:
    if needle in hay:
        return True
    at = 0
    for ch in needle:
        at = hay.find(ch, at)
        if at < 0:
            return False
        at += 1
    return True


def _technologies(cur: Cursor) -> list[Item]:
    kind = cur.siblings.get("type") or None
    items = []
    for n, tech in enumerate(technologies.for_type(kind)):
        fits = kind in tech.types if kind else True
        items.append(
            Item(
                tech.name,
                "technology",
                cur.lead + tech.name,
                detail=tech.title + ("" if fits else f" (usually {tech.types[0]})" if tech.types else ""),
                sort=f"{n:03d}",
                filter=tech.name,
                ref={"k": "technology", "name": tech.name},
            )
        )
    return items


def _versions(cur: Cursor) -> list[Item] | None:
    tech = technologies.find(cur.siblings.get("technology"))
    if tech is None or not tech.versions:
        return None
    quoted = cur.quoted
    items = []
    for n, version in enumerate(tech.versions):
        detail = tech.title
        if version.end_of_life:
            passed = version.end_of_life <= datetime.date.today().isoformat()
            detail = f"end of life {version.end_of_life}" + (" (passed)" if passed else "")
        items.append(
            Item(
                version.name,
                "version",
                cur.lead + (version.name if quoted else f'"{version.name}"'),
                detail=detail,
                sort=f"{n:03d}",
                filter=version.name,
                ref={"k": "version", "name": tech.name, "version": version.name},
            )
        )
    return items


# --- rule codes in suppressions ------------------------------------------------------------------


def _rules(cur: Cursor) -> Completion:
    from archls.rules.registry import all_codes

    partial = cur.partial.upper()
    items = [
        Item(code.id, "rule", code.id, detail=code.title, sort=code.id, ref={"k": "rule", "code": code.id})
        for code in all_codes()
        if code.id.startswith(partial)
    ]
    return Completion(items, cur.line, cur.start, cur.end)


# --- snippets ------------------------------------------------------------------------------------


def _choices(enum: type[Enum] | tuple[str, ...]) -> str:
    values = [e.value for e in enum] if isinstance(enum, type) else list(enum)  # type: ignore[union-attr]
    return ",".join(values)


def _component_snippet(cur: Cursor) -> Item:
    pad = " " * (cur.indent + 2)
    plain = f"new-service:\n{pad}type: service\n{pad}replicas: 2"
    snippet = (
        f"${{1:new-service}}:\n{pad}type: ${{2|{_choices(m.ComponentType)}|}}\n{pad}technology: $3\n"
        f"{pad}replicas: ${{4:2}}$0"
    )
    return Item(
        "new component",
        "snippet",
        plain,
        snippet,
        "component with type, technology and replicas",
        "0",
        ref={"k": "snippet", "what": "component"},
    )


def _connection_snippet(cur: Cursor, *, dashed: bool) -> Item:
    if dashed:
        pad = " " * cur.indent
        head = cur.lead
    else:
        pad = " " * (cur.indent + 2)
        head = "- "
    plain = f"{head}from: \n{pad}to: \n{pad}protocol: https\n{pad}timeout_ms: 1000"
    snippet = (
        f"{head}from: $1\n{pad}to: $2\n{pad}protocol: ${{3|{_choices(m.Protocol)}|}}\n{pad}timeout_ms: ${{4:1000}}$0"
    )
    return Item(
        "new connection",
        "snippet",
        plain,
        snippet,
        "from, to, protocol and timeout",
        "0",
        ref={"k": "snippet", "what": "connection"},
    )


def _flow_snippet(cur: Cursor) -> Item:
    pad = " " * (cur.indent + 2)
    plain = f"new-flow:\n{pad}rps: 100\n{pad}latency_budget_ms: 500\n{pad}path: []"
    snippet = f"${{1:new-flow}}:\n{pad}rps: ${{2:100}}\n{pad}latency_budget_ms: ${{3:500}}\n{pad}path: [$4]$0"
    return Item(
        "new flow",
        "snippet",
        plain,
        snippet,
        "request path with its rate and latency budget",
        "0",
        ref={"k": "snippet", "what": "flow"},
    )


def _group_snippet(cur: Cursor) -> Item:
    pad = " " * (cur.indent + 2)
    plain = f"new-group:\n{pad}type: trust-boundary\n{pad}members: []"
    snippet = f"${{1:new-group}}:\n{pad}type: ${{2|{_choices(m.GroupType)}|}}\n{pad}members: [$3]$0"
    return Item(
        "new group",
        "snippet",
        plain,
        snippet,
        "zone or trust boundary with its members",
        "0",
        ref={"k": "snippet", "what": "group"},
    )


# --- ids -----------------------------------------------------------------------------------------


class _LazyKnown:
    """The ids are read only when a completion needs them."""

    def __init__(self, text: str, recent: Analysis | None) -> None:
        self.text = text
        self.recent = recent
        self._known: Known | None = None

    def get(self) -> Known:
        if self._known is None:
            self._known = known_ids(self.text, self.recent)
        return self._known


def known_ids(text: str, recent: Analysis | None) -> Known:
    components: dict[str, str | None] = dict.fromkeys(section_keys(text, "components"))
    groups = section_keys(text, "groups")
    if recent is not None:
        details, known_groups = memo(recent, "completion-ids", lambda: _details(recent))
        for cid, detail in details.items():
            components[cid] = detail if detail is not None else components.get(cid)
        groups = list(dict.fromkeys([*groups, *known_groups]))
    return Known(components, groups, recent)


def _details(analysis: Analysis) -> tuple[dict[str, str | None], list[str]]:
    """What the analysis knew about each id: computed once per analysis, not per keystroke."""
    details: dict[str, str | None] = {}
    if analysis.loaded is not None:
        details = dict.fromkeys(analysis.loaded.known_ids)
    model = analysis.model
    if model is None:
        return details, []
    for cid, component in model.components.items():
        details[cid] = component.type.value + (f" · {component.technology}" if component.technology else "")
    return details, list(model.groups)


_TOP_LEVEL = re.compile(r"\n[^\s#\-]")
_FIRST_CHILD = re.compile(r"\n( +)[^\s#]")


def section_keys(text: str, section: str) -> list[str]:
    """Keys of a top-level section's mapping, read from the text (works while it does not parse).

    Plain string searches, not multi-line regular expressions: this runs on every keystroke over
    files of tens of thousands of lines.
    """
    at = 0 if text.startswith(section) else text.find("\n" + section)
    while at != -1:
        start = at if at == 0 and text.startswith(section) else at + 1
        line_end = text.find("\n", start)
        line_end = len(text) if line_end == -1 else line_end
        rest = text[start + len(section) : line_end].strip()
        if rest.startswith(":") and (not rest[1:].strip() or rest[1:].strip().startswith("#")):
            break
        at = text.find("\n" + section, line_end)
    else:
        return []
    following = _TOP_LEVEL.search(text, line_end)
    body = text[line_end : following.start() if following else len(text)]
    first = _FIRST_CHILD.search(body)
    if first is None:
        return []
    pad = first.group(1)
    keys = re.findall(rf"\n{pad}(\"[^\"\n]+\"|'[^'\n]+'|[^\s#:'\"\-][^:\n#]*?)[ \t]*:(?=[ \t\r\n]|$)", body)
    return [k[1:-1] if k[:1] in "'\"" else k.strip() for k in keys]


# --- documentation (completionItem/resolve) ------------------------------------------------------

_SNIPPET_DOCS = {
    "component": "A new component with its type, technology and replica count. Rename the id, then pick a type.",
    "connection": "A new connection from one component to another, with its protocol and a timeout "
    "(a synchronous call without a timeout is reported).",
    "flow": "A new request flow: its peak rate, its p99 latency budget and the components it visits in order.",
    "group": "A new zone or trust boundary and the components inside it.",
}


def documentation(ref: dict[str, Any], recent: Analysis | None) -> str | None:
    """The documentation of an item, from what the item carried (``Item.ref``)."""
    kind = ref.get("k")
    if kind == "key":
        return docs.key_markdown(tuple(ref.get("path") or ()))
    if kind == "value":
        path = tuple(int(p) if isinstance(p, str) and p.isdigit() else p for p in ref.get("path") or ())
        return docs.value_markdown(path, str(ref.get("value")))
    if kind in ("component", "group") and recent is not None:
        from archls.intel.hover import component_markdown, group_markdown

        ident = str(ref.get("id"))
        return component_markdown(recent, ident) if kind == "component" else group_markdown(recent, ident)
    if kind == "technology":
        return technology_markdown(str(ref.get("name")))
    if kind == "version":
        return version_markdown(str(ref.get("name")), str(ref.get("version")))
    if kind == "rule":
        return docs.rule_markdown(str(ref.get("code")))
    if kind == "snippet":
        return _SNIPPET_DOCS.get(str(ref.get("what")))
    return None


def technology_markdown(name: str) -> str | None:
    tech = technologies.find(name)
    if tech is None:
        return None
    lines = [f"**{tech.title or tech.name}** (`{tech.name}`)", ""]
    if tech.description:
        lines += [tech.description, ""]
    if tech.types:
        lines.append("Used as: " + ", ".join(f"`{t}`" for t in tech.types))
    if tech.versions:
        lines.append("Versions: " + ", ".join(_version_text(v) for v in tech.versions))
    if tech.source:
        lines += ["", f"Source: {tech.source}"]
    return "\n".join(lines).strip()


def _version_text(version: technologies.Version) -> str:
    return f"`{version.name}`" + (f" (end of life {version.end_of_life})" if version.end_of_life else "")


def version_markdown(name: str, wanted: str) -> str | None:
    tech = technologies.find(name)
    if tech is None:
        return None
    for version in tech.versions:
        if version.name == wanted:
            text = f"**{tech.title or tech.name} {version.name}**"
            if version.end_of_life:
                text += f"\n\nEnd of life: {version.end_of_life}"
            if version.note:
                text += f"\n\n{version.note}"
            return text
    return None
