"""Where the cursor is in YAML that may not parse: the model path around it, whether a key, a
value or a list item is being typed, and the keys written beside it.

Completion runs while the user types, so the text is often broken. This reads the structure
from indentation, dashes and the current line only, never from a parser, and looks at no more
lines than it needs (upwards to the enclosing keys, around the cursor for the siblings).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from archls.findings import ModelPath

Kind = Literal["key", "value", "item", "comment", "none"]

_KEY = re.compile(r"""(?P<key>"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#:'"{}\[\],&*!|>%@`][^:#]*?)[ \t]*:(?=[ \t]|$)""")
#: The token being typed: what a completion replaces.
_PARTIAL = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-/@+]*$")
_SUPPRESSION = re.compile(r"#\s*archls\s*:\s*ignore(?:-file)?\[(?P<codes>[A-Za-z0-9, ]*)$")


@dataclass(slots=True)
class Shape:
    """One line read structurally."""

    indent: int
    dashes: list[int]  #: columns of the ``- `` markers that open list items
    content: int  #: column of what follows the dashes
    key: str | None  #: the key written at ``content``, unquoted
    value: str  #: the rest after ``key:`` (or the whole content), comment removed
    value_col: int

    @property
    def first(self) -> int:
        return self.dashes[0] if self.dashes else self.content


def strip_comment(line: str) -> str:
    """The line without its ``# comment`` (a ``#`` inside quotes or a word does not start one)."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"" and (i == 0 or line[i - 1] in " \t[{,:-"):
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i].rstrip()
    return line.rstrip()


def shape(line: str) -> Shape | None:
    """The line's structure; None for blank and comment-only lines."""
    body = strip_comment(line)
    stripped = body.lstrip(" ")
    if not stripped:
        return None
    indent = len(body) - len(stripped)
    col = indent
    dashes: list[int] = []
    while col < len(body) and body[col] == "-" and (col + 1 == len(body) or body[col + 1] in " \t"):
        dashes.append(col)
        col += 1
        while col < len(body) and body[col] in " \t":
            col += 1
    if dashes and col >= len(body):
        col = dashes[-1] + 2  # a bare "- ": the item's content goes after the space
    match = _KEY.match(body, col)
    if match is None:
        return Shape(indent, dashes, col, None, body[col:], col)
    key = match.group("key")
    if key[:1] in "'\"":
        key = key[1:-1]
    value_col = match.end()
    while value_col < len(body) and body[value_col] in " \t":
        value_col += 1
    return Shape(indent, dashes, col, key.rstrip(), body[value_col:], value_col)


class Lines:
    """The document's lines with their shapes computed once, on demand."""

    __slots__ = ("_shapes", "text")

    def __init__(self, text: list[str]) -> None:
        self.text = text
        self._shapes: dict[int, Shape | None] = {}

    def __len__(self) -> int:
        return len(self.text)

    def shape(self, i: int) -> Shape | None:
        try:
            return self._shapes[i]
        except KeyError:
            found = self._shapes[i] = shape(self.text[i])
            return found

    def indent(self, i: int) -> int | None:
        """Column of the first character, None for blank lines and comments (cheap: no parsing)."""
        line = self.text[i]
        stripped = line.lstrip(" ")
        if not stripped or stripped[0] == "#" or stripped[0] == "\r":
            return None
        return len(line) - len(stripped)


def _parent(
    lines: Lines, line_no: int, col: int, kind: str, own: Shape | None
) -> tuple[tuple[int, int, str, Shape] | None, int]:
    """The node that holds the node (``kind`` "key" or "item") at ``line_no``/``col``, and the
    node's index when it is a list item."""
    # On the same line: "- key:" puts the key in the item; "- - x" nests items.
    if own is not None:
        if kind == "key" and own.dashes and own.content == col:
            return (line_no, own.dashes[-1], "item", own), 0
        if kind == "item" and col in own.dashes:
            at = own.dashes.index(col)
            if at > 0:
                return (line_no, own.dashes[at - 1], "item", own), 0
    index = 0
    text = lines.text
    # Most lines above are deeper than the node or its siblings; plain prefix tests skip them
    # without reading the line (a 1,000-component file has thousands of such lines).
    same = " " * col
    deeper = same + " "
    item = same + "-"
    for i in range(line_no - 1, -1, -1):
        t = text[i]
        if t.startswith(deeper):
            continue
        if kind == "key" and t.startswith(same) and col:
            continue  # a sibling key, or a list belonging to one
        if kind == "item" and t.startswith(item) and (len(t) == col + 1 or t[col + 1] in " \t\r"):
            index += 1
            continue
        indent = lines.indent(i)
        if indent is None or indent > col:
            continue
        sh = lines.shape(i)
        if sh is None:
            continue
        if kind == "key":
            if sh.content == col and sh.key is not None:
                if sh.dashes:
                    return (i, sh.dashes[-1], "item", sh), 0
                continue  # a sibling key of the same mapping
            if sh.first == col:
                continue  # a list at the same column belongs to a sibling key
            if sh.content < col:
                if sh.key is not None:
                    return (i, sh.content, "key", sh), 0
                if sh.dashes and not sh.value:
                    return (i, sh.dashes[-1], "item", sh), 0  # a bare "-" opening a mapping below
                return None, 0
            inside = [d for d in sh.dashes if d < col]
            return ((i, inside[-1], "item", sh), 0) if inside else (None, 0)
        # kind == "item": a list item at column ``col``
        if sh.dashes and sh.dashes[0] == col:
            index += 1
            continue
        if sh.key is not None and sh.content <= col:
            return (i, sh.content, "key", sh), index
        inside = [d for d in sh.dashes if d < col]
        return ((i, inside[-1], "item", sh), index) if inside else (None, index)
    return None, index


def ancestors(lines: Lines, line_no: int, col: int, kind: str, own: Shape | None) -> tuple[list[str | int], int]:
    """Path steps from the top down to the node holding the node at ``line_no``/``col`` (its
    key or list index included for every ancestor), and the node's own index if it is an item."""
    steps: list[str | int] = []
    parent, own_index = _parent(lines, line_no, col, kind, own)
    while parent is not None:
        p_line, p_col, p_kind, p_shape = parent
        parent, index = _parent(lines, p_line, p_col, p_kind, p_shape)
        steps.append(index if p_kind == "item" else (p_shape.key or ""))
    steps.reverse()
    return steps, own_index


def siblings(lines: Lines, line_no: int, col: int) -> dict[str, str]:
    """Keys written at ``col`` in the mapping around ``line_no``, with their values."""
    found: dict[str, str] = {}

    def take(sh: Shape) -> None:
        if sh.key is not None:
            found.setdefault(sh.key, _unquote(sh.value))

    own = lines.shape(line_no) if line_no < len(lines) else None
    if own is not None and own.content == col:
        take(own)
        if own.dashes:
            starts_item = True
        else:
            starts_item = False
    else:
        starts_item = False
    if not starts_item:
        for i in range(line_no - 1, -1, -1):
            indent = lines.indent(i)
            if indent is None or indent > col:
                continue
            sh = lines.shape(i)
            if sh is None:
                continue
            if sh.content == col and sh.key is not None:
                take(sh)
                if sh.dashes:
                    break
                continue
            if sh.first <= col:
                break
    for i in range(line_no + 1, len(lines)):
        indent = lines.indent(i)
        if indent is None or indent > col:
            continue
        sh = lines.shape(i)
        if sh is None:
            continue
        if sh.first == col and not sh.dashes and sh.key is not None:
            take(sh)
            continue
        break
    return found


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


@dataclass(slots=True)
class Cursor:
    """What is being typed at a position."""

    line: int
    col: int
    #: key: a key of the mapping at ``path``; value: the value at ``path``; item: a list item at
    #: ``path`` (a scalar, or the first key of a mapping item); comment: rule codes in a suppression.
    kind: Kind
    path: ModelPath = ()
    partial: str = ""
    start: int = 0  #: column where the text a completion replaces starts
    end: int = 0  #: ... and ends (the rest of the word after the cursor)
    lead: str = ""  #: what to put before an inserted value (a space after ':' or ',')
    indent: int = 0  #: column of the keys of the mapping being written (for multi-line inserts)
    siblings: dict[str, str] = field(default_factory=dict)
    flow: bool = False  #: inside ``[...]`` or ``{...}``
    dashed: bool = False  #: the node is opened by "- " on this line
    #: For kind "item": the keys of the item mapping written on this line and below it.
    item_keys: dict[str, str] = field(default_factory=dict)
    #: For kind "key": the word is already followed by ":" (complete the name only).
    keyed: bool = False
    text: str = ""  #: the cursor's line

    @property
    def quoted(self) -> bool:
        """The word being typed is inside quotes the user opened."""
        return self.start > 0 and self.text[self.start - 1 : self.start] in ("'", '"')

    def flow_items(self) -> list[str]:
        """The items of the flow list around the cursor, in order, the one being typed left out."""
        open_at = self.text.rfind("[", 0, self.start)
        if open_at < 0:
            return []
        close_at = self.text.find("]", self.end)
        body_before = self.text[open_at + 1 : self.start]
        body_after = self.text[self.end : close_at if close_at >= 0 else len(self.text)]
        before = [_unquote(v) for v in body_before.split(",")[:-1]]
        after = [_unquote(v) for v in body_after.split(",")[1:]]
        return [v for v in before + after if v]

    def previous_item(self) -> str | None:
        """The flow list item written just before the one being typed."""
        open_at = self.text.rfind("[", 0, self.start)
        if open_at < 0:
            return None
        before = [_unquote(v) for v in self.text[open_at + 1 : self.start].split(",")[:-1]]
        before = [v for v in before if v]
        return before[-1] if before else None


def locate(text_lines: list[str], line: int, col: int) -> Cursor:
    """Read the position ``line``/``col`` (code points) of the text."""
    if line >= len(text_lines):
        return Cursor(line, col, "key", (), start=col, end=col)
    lines = Lines(text_lines)
    raw = text_lines[line].rstrip("\r")
    col = min(col, len(raw))
    before = raw[:col]
    found = _PARTIAL.search(before)
    partial = found.group(0) if found else ""
    start = col - len(partial)
    end = col
    while end < len(raw) and (raw[end].isalnum() or raw[end] in "_.-/@+"):
        end += 1
    lead = " " if start > 0 and before[start - 1] in ":,-" else ""
    base = Cursor(line, col, "none", (), partial, start, end, lead, text=raw)

    comment = _comment_start(before)
    if comment is not None:
        suppression = _SUPPRESSION.search(before[comment:])
        if suppression is None:
            return base
        base.kind = "comment"
        return base

    own = lines.shape(line)
    if own is None:
        # A blank line: a key of the mapping whose keys sit at the cursor's column.
        return _key_cursor(lines, base, line, col, None)

    flow = _flow(before, own)
    if flow is not None:
        return _flow_cursor(lines, base, own, flow)

    if own.key is not None and own.value_col <= col and _colon_before(raw, own, col):
        block, _ = ancestors(lines, line, own.content, "key", own)
        base.kind = "value"
        base.path = (*block, own.key)
        base.siblings = siblings(lines, line, own.content)
        base.indent = own.content
        return base
    if own.dashes and col >= own.content:
        d = own.dashes[-1]
        block, index = ancestors(lines, line, d, "item", own)
        base.kind = "item"
        base.path = (*block, index)
        base.dashed = True
        base.indent = own.content
        base.item_keys = siblings(lines, line, own.content) if own.key is not None else _keys_below(lines, line, own)
        if own.key is not None:
            base.item_keys.pop(own.key, None)
            base.keyed = True
        if col == own.content and before.endswith("-"):
            base.lead = " "
        return base
    if own.dashes and col < own.content:
        # Right after "-" with no space yet.
        d = max(x for x in own.dashes if x < col) if any(x < col for x in own.dashes) else own.dashes[0]
        block, index = ancestors(lines, line, d, "item", own)
        base.kind = "item"
        base.path = (*block, index)
        base.dashed = True
        base.indent = d + 2
        base.lead = " " if before.endswith("-") else ""
        return base
    if col < own.content:
        return _key_cursor(lines, base, line, col, None)
    return _key_cursor(lines, base, line, own.content, own)


def _key_cursor(lines: Lines, base: Cursor, line: int, col: int, own: Shape | None) -> Cursor:
    block, _ = ancestors(lines, line, col, "key", own)
    base.kind = "key"
    base.keyed = own is not None and own.key is not None
    base.path = tuple(block)
    base.indent = col
    found = siblings(lines, line, col)
    if own is not None and own.key is not None:
        found.pop(own.key, None)
    base.siblings = found
    return base


def _keys_below(lines: Lines, line: int, own: Shape) -> dict[str, str]:
    """Keys of a list item mapping written on the lines below a bare "- "."""
    col = own.dashes[-1] + 2
    found: dict[str, str] = {}
    for i in range(line + 1, len(lines)):
        indent = lines.indent(i)
        if indent is None:
            continue
        sh = lines.shape(i)
        if sh is None:
            continue
        if sh.first == col and not sh.dashes and sh.key is not None:
            found.setdefault(sh.key, _unquote(sh.value))
            continue
        if sh.first > col:
            continue
        break
    return found


def _comment_start(before: str) -> int | None:
    stripped = strip_comment(before)
    if len(stripped) == len(before.rstrip()):
        return None
    return before.find("#", len(stripped))


def _colon_before(raw: str, own: Shape, col: int) -> bool:
    """Whether the cursor is past the ``key:`` of this line (so a value is being typed)."""
    return col >= own.value_col or (col > own.content and ":" in raw[own.content : col])


@dataclass(slots=True)
class _Frame:
    kind: str  # "[" or "{"
    label: str | int | None  # how the frame is reached from its parent
    index: int = 0
    key: str | None = None
    segment: int = 0  # column where the current entry starts


def _flow(before: str, own: Shape) -> list[_Frame] | None:
    """The open ``[`` / ``{`` collections before the cursor on this line, innermost last."""
    start = own.value_col if own.key is not None else own.content
    if start >= len(before):
        return None
    stack: list[_Frame] = []
    quote = ""
    i = start
    while i < len(before):
        ch = before[i]
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch in "[{":
            label: str | int | None = None
            if stack:
                top = stack[-1]
                label = top.index if top.kind == "[" else top.key
            stack.append(_Frame(ch, label, segment=i + 1))
        elif ch in "]}":
            if stack:
                stack.pop()
        elif ch == "," and stack:
            top = stack[-1]
            top.index += 1
            top.key = None
            top.segment = i + 1
        elif ch == ":" and stack and stack[-1].kind == "{" and (i + 1 == len(before) or before[i + 1] in " ,"):
            top = stack[-1]
            top.key = _unquote(before[top.segment : i])
            top.segment = i + 1
        i += 1
    return stack or None


def _flow_cursor(lines: Lines, base: Cursor, own: Shape, frames: list[_Frame]) -> Cursor:
    line = base.line
    if own.key is not None:
        block, _ = ancestors(lines, line, own.content, "key", own)
        path: list[str | int] = [*block, own.key]
    else:
        block, index = ancestors(lines, line, own.dashes[-1], "item", own) if own.dashes else ([], 0)
        path = [*block, index] if own.dashes else list(block)
    for frame in frames[1:]:
        path.append(frame.label if frame.label is not None else 0)
    top = frames[-1]
    base.flow = True
    raw = lines.text[line]
    if top.kind == "[":
        base.kind = "value"
        base.path = (*path, top.index)
        if base.start > 0 and raw[base.start - 1] == ",":
            base.lead = " "
        return base
    base.siblings = _flow_keys(raw, top.segment)
    if top.key is not None:
        base.kind = "value"
        base.path = (*path, top.key)
        return base
    base.kind = "key"
    base.path = tuple(path)
    return base


def _flow_keys(raw: str, around: int) -> dict[str, str]:
    """Keys of the flow mapping around column ``around``, read from the whole line."""
    open_at = raw.rfind("{", 0, around)
    close_at = raw.find("}", around)
    body = raw[open_at + 1 : close_at if close_at != -1 else len(raw)]
    found: dict[str, str] = {}
    for part in body.split(","):
        key, sep, value = part.partition(":")
        if sep and key.strip():
            found.setdefault(_unquote(key), _unquote(value))
    return found
