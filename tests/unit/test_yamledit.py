"""Minimal YAML edits: each operation changes only what it must and the result reads back as intended."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from archls import yamlsource
from archls.fixes import apply
from archls.yamledit import YamlEditError, YamlText, flow, plain_ok, scalar


def edit(text: str, op: str, *args: Any, **kwargs: Any) -> str:
    doc = yamlsource.compose(text)
    assert not doc.issues
    result = apply(text, getattr(YamlText(text, doc.smap), op)(*args, **kwargs))
    yaml.safe_load(result)  # still valid YAML
    return result


# --- set ----------------------------------------------------------------------------------------


def test_set_appends_after_last_sibling_keeping_comments() -> None:
    text = "a:\n  b: 1  # first\n  # between\n  c: 2\nd: 3  # tail\n"
    assert edit(text, "set", ("a",), "x", True) == "a:\n  b: 1  # first\n  # between\n  c: 2\n  x: true\nd: 3  # tail\n"


def test_set_uses_the_siblings_indentation() -> None:
    text = "a:\n    b: 1\n    c: 2\n"
    assert edit(text, "set", ("a",), "x", 5) == "a:\n    b: 1\n    c: 2\n    x: 5\n"


def test_set_into_flow_mapping() -> None:
    assert edit("a: {b: 1, c: 2}\n", "set", ("a",), "x", "y z") == "a: {b: 1, c: 2, x: y z}\n"
    assert edit("a: {}\n", "set", ("a",), "x", 1) == "a: {x: 1}\n"
    assert edit("a: { b: 1 }  # c\n", "set", ("a",), "x", 1) == "a: { b: 1, x: 1 }  # c\n"


def test_set_into_multiline_flow_mapping() -> None:
    text = "a: {b: 1,\n    c: 2}\n"
    assert edit(text, "set", ("a",), "x", 1) == "a: {b: 1,\n    c: 2, x: 1}\n"


def test_set_existing_key_replaces_only_the_value() -> None:
    text = "a:\n  b: 1   # keep me\n  c: 2\n"
    assert edit(text, "set", ("a",), "b", 3) == "a:\n  b: 3   # keep me\n  c: 2\n"


def test_set_on_an_item_of_a_block_list() -> None:
    text = "l:\n  - from: a\n    to: b\n  - from: c\n    to: d\n"
    out = edit(text, "set", ("l", 0), "timeout_ms", 100)
    assert out == "l:\n  - from: a\n    to: b\n    timeout_ms: 100\n  - from: c\n    to: d\n"


def test_set_on_a_flow_item_of_a_list() -> None:
    text = "l:\n  - {from: a, to: b}   # first\n  - {from: c, to: d}\n"
    out = edit(text, "set", ("l", 1), "tls", True)
    assert out == "l:\n  - {from: a, to: b}   # first\n  - {from: c, to: d, tls: true}\n"


def test_set_creates_missing_parent_mapping() -> None:
    text = "c:\n  db:\n    type: database\n"
    assert edit(text, "set", ("c", "db", "backups"), "cross_region", True) == (
        "c:\n  db:\n    type: database\n    backups: {cross_region: true}\n"
    )


def test_set_under_an_empty_key() -> None:
    assert edit("a:\n  b:\nc: 1\n", "set", ("a", "b"), "x", 1) == "a:\n  b:\n    x: 1\nc: 1\n"
    assert edit("a:\n  b:  # note\nc: 1\n", "set", ("a", "b"), "x", 1) == "a:\n  b:  # note\n    x: 1\nc: 1\n"
    assert edit("a:\n  b: null\n", "set", ("a", "b"), "x", 1) == "a:\n  b:\n    x: 1\n"


def test_set_block_component() -> None:
    text = "components:\n  web:\n    type: client\n"
    out = edit(text, "set", ("components",), "cache", {"type": "cache", "zones": ["a", "b"]}, as_block=True)
    assert out == "components:\n  web:\n    type: client\n  cache:\n    type: cache\n    zones: [a, b]\n"


def test_set_into_a_section_that_has_no_value_yet() -> None:
    out = edit("name: x\ncomponents:\n", "set", ("components",), "db", {"type": "database"}, as_block=True)
    assert out == "name: x\ncomponents:\n  db:\n    type: database\n"


def test_set_keeps_crlf_line_endings() -> None:
    out = edit("a:\r\n  b: 1\r\nc: 2\r\n", "set", ("a",), "x", 2)
    assert out == "a:\r\n  b: 1\r\n  x: 2\r\nc: 2\r\n"


def test_set_on_last_line_without_newline() -> None:
    assert edit("a:\n  b: 1", "set", ("a",), "c", 2) == "a:\n  b: 1\n  c: 2"


def test_set_after_trailing_spaces() -> None:
    assert edit("a:\n  b: 1   \nz: 0\n", "set", ("a",), "c", 2) == "a:\n  b: 1   \n  c: 2\nz: 0\n"


def test_set_after_a_block_scalar_with_blank_lines() -> None:
    text = "a:\n  d: |\n    text\n\n    more\n\nz: 1\n"
    out = edit(text, "set", ("a",), "c", 2)
    assert out == "a:\n  d: |\n    text\n\n    more\n  c: 2\n\nz: 1\n"
    assert yaml.safe_load(out)["a"] == {"d": "text\n\nmore\n", "c": 2}


def test_set_on_a_scalar_is_an_error() -> None:
    with pytest.raises(YamlEditError):
        edit("a:\n  b: true\n", "set", ("a", "b"), "k", 1)


# --- replace ------------------------------------------------------------------------------------


def test_replace_keeps_quote_style() -> None:
    assert edit('a:\n  b: "q"\n', "replace", ("a", "b"), "new") == 'a:\n  b: "new"\n'
    assert edit("a:\n  b: 'q'\n", "replace", ("a", "b"), "it's") == "a:\n  b: 'it''s'\n"
    assert edit("a:\n  b: q\n", "replace", ("a", "b"), "has: colon") == 'a:\n  b: "has: colon"\n'


def test_replace_scalar_with_mapping() -> None:
    assert edit("a:\n  b: true  # c\n", "replace", ("a", "b"), {"k": 1}) == "a:\n  b: {k: 1}  # c\n"


def test_replace_inside_flow_quotes_what_flow_forbids() -> None:
    assert edit("a: {b: x}\n", "replace", ("a", "b"), "${X}") == 'a: {b: "${X}"}\n'
    assert edit("a:\n  b: x\n", "replace", ("a", "b"), "${X}") == "a:\n  b: ${X}\n"


# --- remove -------------------------------------------------------------------------------------


def test_remove_block_key_with_its_line() -> None:
    assert edit("a:\n  b: 1  # gone\n  c: 2\n", "remove", ("a", "b")) == "a:\n  c: 2\n"


def test_remove_multiline_value() -> None:
    text = "a:\n  b:\n    x: 1\n    y: 2\n  c: 3\n"
    assert edit(text, "remove", ("a", "b")) == "a:\n  c: 3\n"


def test_remove_from_flow_mapping() -> None:
    assert edit("a: {b: 1, c: 2}\n", "remove", ("a", "b")) == "a: {c: 2}\n"
    assert edit("a: {b: 1, c: 2}\n", "remove", ("a", "c")) == "a: {b: 1}\n"


def test_remove_from_flow_list() -> None:
    assert edit("a: [1, 2, 3]\n", "remove", ("a", 1)) == "a: [1, 3]\n"
    assert edit("a: [1]\n", "remove", ("a", 0)) == "a: []\n"


def test_remove_block_list_item() -> None:
    text = "l:\n  - from: a\n    to: b\n  - from: c  # second\n    to: d\n"
    assert edit(text, "remove", ("l", 1)) == "l:\n  - from: a\n    to: b\n"
    assert edit("l:\n  - x\n  - y\n", "remove", ("l", 0)) == "l:\n  - y\n"


def test_remove_first_key_of_a_list_item_moves_the_next_one_up() -> None:
    text = "l:\n  - from: a\n    to: b\n"
    assert edit(text, "remove", ("l", 0, "from")) == "l:\n  - to: b\n"


def test_remove_on_last_line_without_newline() -> None:
    assert edit("a:\n  b: 1\n  c: 2", "remove", ("a", "c")) == "a:\n  b: 1"


def test_remove_keeps_crlf() -> None:
    assert edit("a:\r\n  b: 1\r\n  c: 2\r\n", "remove", ("a", "b")) == "a:\r\n  c: 2\r\n"


# --- append -------------------------------------------------------------------------------------


def test_append_matches_the_style_of_the_items() -> None:
    flow_items = "l:\n  - {from: a, to: b}\n"
    assert edit(flow_items, "append", ("l",), [{"from": "x", "to": "y"}]) == (
        "l:\n  - {from: a, to: b}\n  - {from: x, to: y}\n"
    )
    block_items = "l:\n  - from: a\n    to: b\n"
    assert edit(block_items, "append", ("l",), [{"from": "x", "to": "y"}]) == (
        "l:\n  - from: a\n    to: b\n  - from: x\n    to: y\n"
    )
    indentless = "l:\n- from: a\n  to: b\n"
    assert edit(indentless, "append", ("l",), [{"from": "x"}]) == "l:\n- from: a\n  to: b\n- from: x\n"


def test_append_to_flow_lists() -> None:
    assert edit("l: [a, b]  # c\n", "append", ("l",), ["c"]) == "l: [a, b, c]  # c\n"
    assert edit("l: []\n", "append", ("l",), ["c"]) == "l: [c]\n"
    assert edit("l: [a,\n    b]\n", "append", ("l",), ["c"]) == "l: [a,\n    b, c]\n"


def test_append_creates_the_list() -> None:
    assert edit("x: 1\n", "append", ("l",), ["c"]) == "x: 1\nl: [c]\n"


def test_append_after_many_items_finds_the_last() -> None:
    text = "l:\n" + "".join(f"  - {{n: {i}}}\n" for i in range(300)) + "z: 1\n"
    out = edit(text, "append", ("l",), [{"n": 300}])
    assert yaml.safe_load(out)["l"][-1] == {"n": 300}
    assert out.endswith("  - {n: 299}\n  - {n: 300}\nz: 1\n")


# --- values -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (True, "true"),
        (None, "null"),
        (3, "3"),
        (2.5, "2.5"),
        ("plain", "plain"),
        ("true", '"true"'),
        ("1.0", '"1.0"'),
        ("a: b", '"a: b"'),
        ("x #y", '"x #y"'),
        ("", '""'),
        ("-leading", '"-leading"'),
    ],
)
def test_scalars_read_back_as_written(value: Any, text: str) -> None:
    assert scalar(value) == text
    assert yaml.safe_load(f"k: {text}")["k"] == value


def test_flow_rendering_quotes_flow_indicators() -> None:
    assert flow({"a": [1, "x,y"], "b": {"c": None}}) == '{a: [1, "x,y"], b: {c: null}}'
    assert not plain_ok("a,b", flow=True)
    assert plain_ok("a,b")


def test_removing_the_last_item_leaves_an_empty_collection() -> None:
    assert edit("a:\n  ports:\n    - 22  # ssh\nb: 1\n", "remove", ("a", "ports", 0)) == "a:\n  ports: []\nb: 1\n"
    assert edit("a:\n  env:\n    X: 1\nb: 1\n", "remove", ("a", "env", "X")) == "a:\n  env: {}\nb: 1\n"
