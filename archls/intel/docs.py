"""Documentation of keys, values and rules, written from the model and the rule registry."""

from __future__ import annotations

import typing
from enum import Enum
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from archls import model as m
from archls.findings import ModelPath
from archls.schema import annotation_at, enum_values, field_by_key, model_at, options


def field_at(path: ModelPath) -> FieldInfo | None:
    """The model field a key at ``path`` sets, if it is one."""
    if not path or not isinstance(path[-1], str):
        return None
    parent = model_at(path[:-1])
    if parent is None:
        return None
    return field_by_key(parent).get(path[-1])


def type_text(annotation: Any) -> str:
    """A short description of what a value may be: "true or false", "one of: a, b", "a list of ..."."""
    parts = [_one(option) for option in options(annotation)]
    seen: list[str] = []
    for part in parts:
        if part not in seen:
            seen.append(part)
    return " or ".join(seen)


def _one(option: Any) -> str:
    origin = typing.get_origin(option)
    if origin is list:
        inner = typing.get_args(option)[0]
        return f"a list of {_plural(inner)}"
    if origin is dict:
        inner = typing.get_args(option)[1]
        return f"a mapping of ids to {_plural(inner)}"
    if origin is typing.Literal:
        return "one of " + ", ".join(f"`{v}`" for v in typing.get_args(option))
    if isinstance(option, type):
        if issubclass(option, Enum):
            return "one of " + ", ".join(f"`{member.value}`" for member in option)
        if issubclass(option, BaseModel):
            return f"a mapping ({', '.join(f'`{k}`' for k in field_by_key(option))})"
        if option is bool:
            return "`true` or `false`"
        if option is int:
            return "a whole number"
        if option is float:
            return "a number"
        if option is str:
            return "text"
    return "a value"


def _plural(option: Any) -> str:
    for inner in options(option):
        if isinstance(inner, type) and issubclass(inner, Enum):
            return f"{inner.__name__} values (" + ", ".join(f"`{x.value}`" for x in inner) + ")"
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return f"{inner.__name__.lower()}s"
        if inner is str:
            return "names"
        if inner is int:
            return "whole numbers"
    return "values"


def _bounds(info: FieldInfo) -> str:
    words = []
    for item in info.metadata:
        for attr, text in (("ge", "at least"), ("gt", "more than"), ("le", "at most"), ("lt", "less than")):
            value = getattr(item, attr, None)
            if value is not None:
                words.append(f"{text} {value:g}")
    return ", ".join(words)


def key_markdown(path: ModelPath) -> str | None:
    """Documentation of the key at ``path``: what it means, what it takes, its default."""
    info = field_at(path)
    if info is None:
        return None
    key = str(path[-1])
    lines = [f"**`{key}`**" + (" (required)" if info.is_required() else ""), ""]
    if info.description:
        lines += [info.description, ""]
    annotation = annotation_at(path)
    takes = type_text(annotation) if annotation is not None else ""
    bounds = _bounds(info)
    if takes:
        lines.append(f"Takes {takes}" + (f" ({bounds})" if bounds else "") + ".")
    default = info.default
    if not info.is_required() and default not in (None, PydanticUndefined) and not isinstance(default, list | dict):
        shown = str(default.value if isinstance(default, Enum) else default).lower()
        lines.append(f"Default: `{shown}`.")
    return "\n".join(lines).strip()


def key_detail(path: ModelPath) -> str | None:
    info = field_at(path)
    if info is None:
        return None
    annotation = annotation_at(path)
    values = enum_values(annotation) if annotation is not None else []
    if values and values != ["true", "false"]:
        return "one of " + ", ".join(values[:6]) + (", ..." if len(values) > 6 else "")
    return type_text(annotation) if annotation is not None else None


def value_markdown(path: ModelPath, value: str) -> str | None:
    """What an allowed value means where it is written (component types, protocols, data kinds)."""
    key = path[-1] if path and isinstance(path[-1], str) else (path[-2] if len(path) > 1 else None)
    if key == "type" and len(path) >= 3 and path[0] == "components":
        return _component_type(value)
    if key == "protocol":
        return _protocol(value)
    if key == "data" or (len(path) > 1 and path[-2] == "data"):
        return _data_kind(value)
    if key == "compliance" or (len(path) > 1 and path[-2] == "compliance"):
        return f"`{value}`: the rules mapped to this framework's controls apply (`archls check --compliance`)."
    return None


def _component_type(value: str) -> str | None:
    try:
        kind = m.ComponentType(value)
    except ValueError:
        return None
    notes = []
    if kind in m.STATEFUL_TYPES:
        notes.append("holds state: backup, encryption-at-rest and replication rules apply")
    if kind in m.COMPUTE_TYPES:
        notes.append("runs code the team deploys: health-check, resource and image rules apply")
    from archls.graph import ENTRY_TYPES

    if kind in ENTRY_TYPES:
        notes.append("an entry point: requests start here")
    text = f"Component type `{value}`"
    return text + (": " + "; ".join(notes) + "." if notes else ".")


def _protocol(value: str) -> str | None:
    try:
        protocol = m.Protocol(value)
    except ValueError:
        return None
    notes = []
    if protocol in m.ENCRYPTED_PROTOCOLS:
        notes.append("encrypted")
    elif protocol in m.TLS_FORM:
        notes.append(f"plaintext; its TLS form is `{m.TLS_FORM[protocol].value}`")
    notes.append(
        "asynchronous (a message is handed over)" if protocol in m.ASYNC_PROTOCOLS else "synchronous by default"
    )
    return f"Protocol `{value}`: " + "; ".join(notes) + "."


def _data_kind(value: str) -> str | None:
    try:
        kind = m.DataKind(value)
    except ValueError:
        return None
    if kind in m.SENSITIVE_DATA:
        return f"Data kind `{value}`: sensitive; encryption, access and compliance rules apply where it is stored or carried."
    return f"Data kind `{value}`."


def rule_markdown(code_id: str) -> str | None:
    """The rule's documentation page, or None for an unknown code."""
    from archls.report import rule_markdown as page
    from archls.rules.registry import get

    code = get(code_id)
    return page(code) if code is not None else None


def rule_title(code_id: str) -> str | None:
    from archls.rules.registry import get

    code = get(code_id)
    return code.title if code is not None else None
