"""Diagnostic positions made from the audit's split lines are the positions made from the document's
own lines, whatever the text: line feeds or not at the end, other line breaks, non-ASCII text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from pygls.workspace import TextDocument

from archls.server.diagnostic_json import _positions

TEXTS = st.lists(st.sampled_from(["a", "bc", " ", "\n", "\n", "\r", "\x0b", "é", "\u2028"]), max_size=30).map("".join)
POSITIONS = st.lists(st.tuples(st.integers(0, 12), st.integers(-1, 12)), min_size=1, max_size=20)


@given(text=TEXTS, positions=POSITIONS)
def test_positions_from_the_split_lines_are_the_documents(text: str, positions: list[tuple[int, int]]) -> None:
    doc = TextDocument("file:///t.arch.yaml", text)
    own, split = _positions(doc), _positions(doc, text.split("\n"))
    for line, col in positions:
        assert split(line, col) == own(line, col), (text, line, col)
