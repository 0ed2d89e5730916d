"""Serialisers for the targets built as data (YAML, JSON, TOML): quoting by construction.

A YAML emitter quotes every scalar that needs it, so user text cannot start a new key, a new
document or a tag. Aliases are never written (each repeated object is written out again), and
the output depends only on the data.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from archls.export.quoting import Safe, comment, toml_str

# libyaml's emitter when PyYAML was built with it: the pure-Python one is ten times slower.
_Base: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_Base):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    text = str.__str__(data)  # libyaml wants exactly str, not a subclass such as Safe
    if "\n" in text:
        return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", text)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(Safe, _str)  # representers match exact types; Safe is written like any string


def yaml_doc(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False)


def yaml_docs(docs: list[Any], header: str | None = None) -> str:
    """A multi-document stream; ``header`` becomes leading comment lines."""
    parts = [yaml_doc(d) for d in docs]
    text = "---\n".join(parts)
    return _header(header, "#") + text


def _header(text: str | None, marker: str) -> str:
    if not text:
        return ""
    return "".join(
        f"{marker} {comment(line, 300)}\n".replace(f"{marker} \n", f"{marker}\n") for line in text.split("\n")
    )


def json_doc(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def toml_doc(data: dict[str, Any], header: str | None = None) -> str:
    """A small TOML writer for the shapes the deploy targets use (tables, arrays of tables, scalars)."""
    lines: list[str] = []
    _toml_table(data, [], lines)
    return _header(header, "#") + "\n".join(lines).lstrip("\n") + "\n"


def _toml_key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() and key.isascii() else toml_str(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return toml_str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML form for {type(value).__name__}")


def _toml_table(data: dict[str, Any], path: list[str], lines: list[str]) -> None:
    scalars = {k: v for k, v in data.items() if not _is_table(v) and not _is_table_list(v)}
    tables = {k: v for k, v in data.items() if _is_table(v)}
    table_lists = {k: v for k, v in data.items() if _is_table_list(v)}
    for key, value in scalars.items():
        lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    for key, value in tables.items():
        name = ".".join(_toml_key(p) for p in [*path, key])
        lines += ["", f"[{name}]"]
        _toml_table(value, [*path, key], lines)
    for key, items in table_lists.items():
        name = ".".join(_toml_key(p) for p in [*path, key])
        for item in items:
            lines += ["", f"[[{name}]]"]
            _toml_table(item, [*path, key], lines)


def _is_table(value: Any) -> bool:
    return isinstance(value, dict)


def _is_table_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)
