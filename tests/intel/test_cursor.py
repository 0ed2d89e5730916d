"""Reading the place of the cursor from text that may not parse."""

from __future__ import annotations

import pytest

from archls.intel.cursor import locate, shape, strip_comment

DOC = "\n".join(
    [
        "name: x",
        "components:",
        "  api:",
        "    type: ser",
        "    tech",
        "  db:",
        "    type: database",
        "    data: [pii, ",
        "connections:",
        "  - from: api",
        "    to: d",
        "  - {from: api, to: d",
        "  -",
        "  - fr",
        "flows:",
        "  f:",
        "    path: [api, d",
        "groups:",
        "  g:",
        "    members:",
        "      - ap",
        "    parent: ",
        "# archls: ignore[SEC",
        "",
    ]
)
LINES = DOC.split("\n")


def at_end(line: int):
    return locate(LINES, line, len(LINES[line]))


@pytest.mark.parametrize(
    ("line", "kind", "path", "partial"),
    [
        (3, "value", ("components", "api", "type"), "ser"),
        (4, "key", ("components", "api"), "tech"),
        (7, "value", ("components", "db", "data", 1), ""),
        (9, "value", ("connections", 0, "from"), "api"),
        (10, "value", ("connections", 0, "to"), "d"),
        (11, "value", ("connections", 1, "to"), "d"),
        (12, "item", ("connections", 2), ""),
        (13, "item", ("connections", 3), "fr"),
        (16, "value", ("flows", "f", "path", 1), "d"),
        (20, "item", ("groups", "g", "members", 0), "ap"),
        (21, "value", ("groups", "g", "parent"), ""),
        (22, "comment", (), "SEC"),
        (23, "key", (), ""),
    ],
)
def test_kind_path_and_word(line: int, kind: str, path: tuple, partial: str):
    cursor = at_end(line)
    assert (cursor.kind, cursor.path, cursor.partial) == (kind, path, partial)
    assert cursor.start == len(LINES[line].rstrip()) - len(partial) or partial == ""


def test_siblings_are_the_keys_of_the_same_mapping():
    assert at_end(4).siblings == {"type": "ser"}
    assert at_end(10).siblings == {"from": "api", "to": "d"}
    assert at_end(11).siblings == {"from": "api", "to": "d"}


def test_a_value_right_after_a_colon_needs_a_space():
    cursor = locate(["a:", "  type:"], 1, 7)
    assert (cursor.kind, cursor.path, cursor.lead) == ("value", ("a", "type"), " ")
    cursor = locate(["p: [a,"], 0, 6)
    assert (cursor.kind, cursor.path, cursor.lead) == ("value", ("p", 1), " ")


def test_inside_a_key_that_has_its_colon():
    cursor = locate(LINES, 3, 5)
    assert (cursor.kind, cursor.path, cursor.keyed, cursor.start, cursor.end) == (
        "key",
        ("components", "api"),
        True,
        4,
        8,
    )


def test_a_blank_line_takes_the_column_of_the_cursor():
    lines = ["components:", "  api:", "    type: service", "    ", "  "]
    assert locate(lines, 3, 4).path == ("components", "api")
    assert locate(lines, 4, 2).path == ("components",)


def test_sequences_at_the_parents_column():
    lines = ["connections:", "- from: a", "  to: b", "- from: c", "  "]
    cursor = locate(lines, 4, 2)
    assert (cursor.kind, cursor.path, cursor.siblings) == ("key", ("connections", 1), {"from": "c"})


def test_flow_items_around_the_cursor():
    cursor = locate(["path: [a, b, , d]"], 0, 13)
    assert cursor.flow_items() == ["a", "b", "d"]
    assert cursor.previous_item() == "b"


def test_quoted_word():
    cursor = locate(['v: "1'], 0, 5)
    assert (cursor.partial, cursor.quoted) == ("1", True)


def test_line_shapes():
    s = shape("  - - key: value # note")
    assert (s.indent, s.dashes, s.content, s.key, s.value) == (2, [2, 4], 6, "key", "value")
    assert shape("   # only a comment") is None
    assert shape('  "quoted key": 1').key == "quoted key"
    assert shape("  image: registry:5000/app").value == "registry:5000/app"
    assert strip_comment("a: 'x # y' # z") == "a: 'x # y'"
    assert strip_comment("url: http://x#frag") == "url: http://x#frag"


def test_past_the_end_of_the_text():
    assert locate(["a: 1"], 5, 0).kind == "key"
