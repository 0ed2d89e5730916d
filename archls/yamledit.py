"""Minimal text edits on YAML: set, replace, remove and append without re-serialising the file.

Every operation takes a path in file terms (the keys and list indices as written in the file)
and returns :class:`~archls.findings.Edit` objects that touch only the text they must. The
source map says where each path is; the few facts it does not keep (flow or block style, the
quoting of a scalar, where the items of a flow collection start) come from reading the text
at that place, or from composing just that one value again. Comments, key order, quotes and
indentation elsewhere are never touched.

The module knows nothing about any one file format: the architecture format, compose files and
Kubernetes manifests all use it with their own paths.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import yaml

from archls.findings import Edit, ModelPath, Range
from archls.sourcemap import Entry, SourceMap
from archls.yamlsource import Loader

_RESOLVER = yaml.resolver.Resolver()
_STR_TAG = "tag:yaml.org,2002:str"
_PLAIN_START = re.compile(r"[A-Za-z0-9_$/.(~^=+]")
_PLAIN_BAD = re.compile(r":\s|:$|\s#|[\n\r\t]|\s$")
_FLOW_BAD = re.compile(r"[,\[\]{}]")
_KEY_AT = re.compile(
    r"""(?:"((?:[^"\\]|\\.)*)"|'((?:[^']|'')*)'|([^\s#'"\-?:,\[\]{}][^#]*?|-[^\s#][^#]*?))\s*:(?:\s|$)"""
)


class YamlEditError(Exception):
    """The edit cannot be made in this text (the shape there is not what the path implies)."""


# --- rendering values ---------------------------------------------------------------------------


def plain_ok(text: str, *, flow: bool = False) -> bool:
    """Whether ``text`` can be written as a plain scalar that reads back as the same string."""
    if not text or not _PLAIN_START.match(text) or _PLAIN_BAD.search(text):
        return False
    if flow and _FLOW_BAD.search(text):
        return False
    return _RESOLVER.resolve(yaml.ScalarNode, text, (True, False)) == _STR_TAG


def scalar(value: Any, *, flow: bool = False, quote: str | None = None) -> str:
    """A scalar as YAML text. ``quote`` (``"`` or ``'``) keeps the quoting an existing value used."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) and not value.is_integer() else str(int(value))
    text = str(value)
    if quote == "'" and "\n" not in text:
        return "'" + text.replace("'", "''") + "'"
    if quote == '"' or not plain_ok(text, flow=flow):
        return json.dumps(text, ensure_ascii=False)
    return text


def key_text(key: Any) -> str:
    return scalar(str(key), flow=True)


def flow(value: Any) -> str:
    """A value in flow style, on one line: ``{from: a, to: b}``, ``[x, y]``, ``true``."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key_text(k)}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return scalar(value, flow=True)


def _is_collection(value: Any) -> bool:
    return isinstance(value, dict | list | tuple)


def block(value: dict[str, Any], indent: str, step: str, expand: int = 0) -> list[str]:
    """The lines of a mapping in block style, each starting with ``indent``. Lists of scalars and
    small mappings inside stay in flow style, the way people write them, unless ``expand`` asks
    for that many levels of nested mappings in block style."""
    lines: list[str] = []
    for k, v in value.items():
        head = f"{indent}{key_text(k)}:"
        if isinstance(v, dict) and v and (expand > 0 or any(_is_collection(x) for x in v.values())):
            lines.append(head)
            lines.extend(block(v, indent + step, step, expand - 1))
        elif isinstance(v, list | tuple) and v and any(isinstance(x, dict) for x in v):
            lines.append(head)
            lines.extend(f"{indent}{step}- {flow(item)}" for item in v)
        else:
            lines.append(f"{head} {flow(v)}")
    return lines


# --- the text -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Composed:
    """A value composed on its own; its marks count lines from ``offset``."""

    node: yaml.Node
    offset: int

    def start(self, node: yaml.Node) -> tuple[int, int]:
        return node.start_mark.line + self.offset, node.start_mark.column

    def end(self, node: yaml.Node) -> tuple[int, int]:
        return node.end_mark.line + self.offset, node.end_mark.column


@dataclass(frozen=True, slots=True)
class _Style:
    """What the text at a value shows about it."""

    kind: str  # "block-map", "block-seq", "flow-map", "flow-seq", "scalar", "empty"
    quote: str | None = None


class YamlText:
    """A YAML text and its source map, with the edit operations. Paths are in file terms."""

    def __init__(self, text: str, smap: SourceMap) -> None:
        self.text = text
        self.smap = smap
        self.lines = text.split("\n")
        crlf = text.find("\r\n")
        lf = text.find("\n")
        self.newline = "\r\n" if crlf != -1 and crlf + 1 == lf else "\n"

    # --- small readers ---------------------------------------------------------------------

    def line(self, n: int) -> str:
        """Line ``n`` without its line break."""
        if n >= len(self.lines):
            return ""
        return self.lines[n].removesuffix("\r")

    def eol(self, n: int) -> int:
        return len(self.line(n))

    def char_at(self, line: int, col: int) -> str:
        text = self.line(line)
        return text[col] if 0 <= col < len(text) else ""

    def slice(self, r: Range) -> str:
        if r.start_line == r.end_line:
            return self.line(r.start_line)[r.start_col : r.end_col]
        parts = [self.line(r.start_line)[r.start_col :]]
        parts += [self.line(n) for n in range(r.start_line + 1, r.end_line)]
        parts.append(self.line(r.end_line)[: r.end_col])
        return "\n".join(parts)

    def entry(self, path: ModelPath) -> Entry:
        found = self.smap.get(path)
        if found is None:
            raise YamlEditError(f"nothing at {'.'.join(map(str, path)) or 'the top'} in the file")
        return found

    def last_line(self, r: Range) -> int:
        """The last line a value really occupies (a block collection's end mark can sit at column
        0 of the line after a block scalar, past blank lines)."""
        end = r.end_line
        if r.end_col == 0 and end > r.start_line:
            end -= 1
        while end > r.start_line and not self.line(end).strip():
            end -= 1
        return end

    def indent_of(self, line: int) -> int:
        text = self.line(line)
        return len(text) - len(text.lstrip(" "))

    def style(self, path: ModelPath, entry: Entry | None = None) -> _Style:
        entry = entry or self.entry(path)
        r = entry.value
        first = self.char_at(r.start_line, r.start_col)
        if r.start_line == r.end_line and r.start_col == r.end_col:
            return _Style("empty")
        if first == "{":
            return _Style("flow-map")
        if first == "[":
            return _Style("flow-seq")
        if first in "\"'":
            return _Style("scalar", first)
        if first == "-" and self.char_at(r.start_line, r.start_col + 1) in ("", " ") and (*path, 0) in self.smap:
            return _Style("block-seq")
        found = _KEY_AT.match(self.line(r.start_line), r.start_col)
        if found is not None:
            name = found.group(1) or found.group(2) or found.group(3)
            if found.group(1) is not None:
                name = json.loads(f'"{found.group(1)}"')
            elif found.group(2) is not None:
                name = found.group(2).replace("''", "'")
            child = self.smap.get((*path, name.strip() if found.group(3) is not None else name))
            if child is not None and child.key is not None and child.key.start_line == r.start_line:
                return _Style("block-map")
        if self.slice(r).strip() in ("", "~", "null", "Null", "NULL"):
            return _Style("empty")
        return _Style("scalar")

    def compose_value(self, entry: Entry) -> _Composed:
        """Compose only the text of one value, with marks in the file's lines and columns."""
        r = entry.value
        end = self.last_line(r)
        lines = [" " * r.start_col + self.line(r.start_line)[r.start_col :]]
        lines += [self.line(n) for n in range(r.start_line + 1, end + 1)]
        if r.end_line == end and r.end_col and r.end_line > r.start_line:
            lines[-1] = lines[-1][: r.end_col]
        elif r.start_line == r.end_line:
            lines[0] = lines[0][: r.end_col]
        try:
            node = yaml.compose("\n".join(lines), Loader=Loader)
        except yaml.YAMLError as exc:
            raise YamlEditError(f"cannot read the value at line {r.start_line + 1}: {exc}") from exc
        if node is None:
            raise YamlEditError(f"the value at line {r.start_line + 1} is empty")
        return _Composed(node, r.start_line)

    def step(self, entry: Entry) -> str:
        """The indentation step the file uses below ``entry``'s key (two spaces by default)."""
        if entry.key is not None and entry.value.start_line > entry.key.start_line:
            inner = self.indent_of(entry.value.start_line) - entry.key.start_col
            if inner > 0:
                return " " * inner
        return "  "

    def file_step(self) -> str:
        """The indentation step of the document: the indent of the first nested line."""
        for number in range(len(self.lines)):
            text = self.line(number)
            stripped = text.lstrip(" ")
            if stripped and not stripped.startswith("#") and text != stripped:
                return " " * (len(text) - len(stripped))
        return "  "

    # --- where new lines go ------------------------------------------------------------------

    def after_line(self, line: int, new_lines: list[str]) -> Edit:
        """Insert whole lines after ``line`` (which keeps its comment)."""
        at = self.eol(line)
        return Edit(Range(line, at, line, at), "".join(self.newline + text for text in new_lines))

    def delete_lines(self, first: int, last: int) -> Edit:
        """Delete lines ``first``..``last`` with their line breaks."""
        if last + 1 < len(self.lines):
            return Edit(Range(first, 0, last + 1, 0), "")
        if first > 0:
            return Edit(Range(first - 1, self.eol(first - 1), last, self.eol(last)), "")
        return Edit(Range(first, 0, last, self.eol(last)), "")

    # --- operations --------------------------------------------------------------------------

    def apply(
        self, kind: str, path: ModelPath, value: Any = None, key: str | None = None, *, as_block: bool = False
    ) -> list[Edit]:
        """One operation by name: ``set`` ``key`` in the mapping at ``path``, or ``replace``,
        ``remove`` or ``append`` at ``path``."""
        if kind == "set":
            if key is None:
                raise YamlEditError("a 'set' fix needs a key")
            return self.set(path, key, value, as_block=as_block)
        if kind == "replace":
            return self.replace(path, value)
        if kind == "remove":
            return self.remove(path)
        if kind == "append":
            return self.append(path, list(value) if isinstance(value, list | tuple) else [value])
        raise YamlEditError(f"no YAML fix of kind '{kind}'")

    def replace(self, path: ModelPath, value: Any) -> list[Edit]:
        """Replace the value at ``path``, keeping a string's quoting style."""
        entry = self.entry(path)
        style = self.style(path, entry)
        r = entry.value
        if style.kind == "empty":
            return self._fill_empty(path, entry, value)
        last = self.last_line(r)
        if style.kind in ("block-map", "block-seq"):
            if isinstance(value, dict) and value:
                lines = block(value, " " * r.start_col, self.step(entry))
                return [Edit(Range(r.start_line, 0, last, self.eol(last)), self.newline.join(lines))]
            if isinstance(value, list | tuple) and value:
                lines = [f"{' ' * r.start_col}- {flow(item)}" for item in value]
                return [Edit(Range(r.start_line, 0, last, self.eol(last)), self.newline.join(lines))]
            if entry.key is None:
                raise YamlEditError("a block collection in a list cannot be replaced by a single value")
            text = flow(value) if _is_collection(value) else scalar(value)
            k = entry.key
            return [Edit(Range(k.end_line, k.end_col, last, self.eol(last)), f": {text}")]
        if _is_collection(value):
            return [Edit(Range(r.start_line, r.start_col, r.end_line, r.end_col), flow(value))]
        quote = style.quote if isinstance(value, str) else None
        return [
            Edit(
                Range(r.start_line, r.start_col, r.end_line, r.end_col),
                scalar(value, flow=self._inside_flow(path), quote=quote),
            )
        ]

    def _inside_flow(self, path: ModelPath) -> bool:
        """Whether ``path`` sits inside a flow collection (where commas and brackets end a plain scalar)."""
        for n in range(len(path) - 1, -1, -1):
            parent = self.smap.get(path[:n])
            if parent is None:
                continue
            if self.char_at(parent.value.start_line, parent.value.start_col) in "{[":
                return True
        return False

    def _fill_empty(self, path: ModelPath, entry: Entry, value: Any, expand: int = 0) -> list[Edit]:
        """Give a key written without a value (``db:`` or ``db: null``) one."""
        r = entry.value
        k = entry.key
        if isinstance(value, dict) and value and k is not None and not self._inside_flow(path):
            step = self.file_step()
            lines = block(value, " " * k.start_col + step, step, expand)
            if not self.line(r.end_line)[r.end_col :].strip() and k.end_line == r.start_line:
                body = "".join(self.newline + line for line in lines)
                return [Edit(Range(k.end_line, k.end_col, r.end_line, self.eol(r.end_line)), ":" + body)]
            edits = [self.after_line(r.end_line, lines)]
            if r.start_col != r.end_col or r.start_line != r.end_line:
                edits.insert(0, Edit(r, ""))
            return edits
        text = flow(value) if _is_collection(value) else scalar(value, flow=self._inside_flow(path))
        if r.start_col == r.end_col and r.start_line == r.end_line:
            return [Edit(r, " " + text if self.char_at(r.start_line, r.start_col - 1) == ":" else text)]
        return [Edit(r, text)]

    def set(self, path: ModelPath, key: str, value: Any, *, as_block: bool = False) -> list[Edit]:
        """Give ``key`` the value ``value`` in the mapping at ``path``: replaced when present, else
        inserted after the last sibling with the siblings' indentation (or before ``}``).
        ``as_block`` writes a mapping value in block style under the key."""
        child = self.smap.get((*path, key))
        if child is not None:
            return self.replace((*path, key), value)
        entry = self.smap.get(path)
        if entry is None:
            if not path:
                raise YamlEditError("the document is empty")
            return self.set(path[:-1], str(path[-1]), {key: value}, as_block=as_block)
        style = self.style(path, entry)
        if style.kind == "empty":
            return self._fill_empty(path, entry, {key: value}, 1 if as_block else 0)
        if style.kind == "flow-map":
            return [self._flow_insert(entry, "}", f"{key_text(key)}: {flow(value)}")]
        if style.kind != "block-map":
            raise YamlEditError(f"'{'.'.join(map(str, path))}' is not a mapping")
        r = entry.value
        indent = " " * r.start_col
        last = self.last_line(r)
        long = len(flow(value)) + len(indent) + len(str(key)) > 100
        if isinstance(value, dict) and value and (as_block or long):
            step = self._child_step(path, entry)
            lines = [f"{indent}{key_text(key)}:", *block(value, indent + step, step)]
        else:
            lines = [f"{indent}{key_text(key)}: {flow(value)}"]
        return [self.after_line(last, lines)]

    def _child_step(self, path: ModelPath, entry: Entry) -> str:
        """The step the siblings under ``path`` use for their own children."""
        r = entry.value
        start = r.start_col
        for number in range(r.start_line + 1, min(self.last_line(r), r.start_line + 200) + 1):
            text = self.line(number)
            stripped = text.lstrip(" ")
            if stripped and not stripped.startswith("#"):
                level = len(text) - len(stripped)
                if level > start:
                    return " " * (level - start)
        return self.file_step()

    def _flow_insert(self, entry: Entry, closer: str, text: str) -> Edit:
        """Insert ``text`` as the last item of the flow collection at ``entry``."""
        r = entry.value
        close_line, close_col = r.end_line, r.end_col - 1
        if self.char_at(close_line, close_col) != closer:
            raise YamlEditError(f"expected '{closer}' at line {close_line + 1}")
        before = self.slice(Range(r.start_line, r.start_col + 1, close_line, close_col))
        if not before.strip():
            return Edit(Range(close_line, r.start_col + 1, close_line, close_col), text)
        # After the last item, before any spaces or line break that lead to the closer.
        line, col = close_line, close_col
        while True:
            text_line = self.line(line)
            while col > 0 and text_line[col - 1] in " \t":
                col -= 1
            if col > 0 or line == r.start_line:
                break
            line -= 1
            col = self.eol(line)
        if self.char_at(line, col - 1) == ",":
            return Edit(Range(line, col, line, col), f" {text}")
        return Edit(Range(line, col, line, col), f", {text}")

    def append(self, path: ModelPath, values: list[Any]) -> list[Edit]:
        """Add ``values`` at the end of the list at ``path`` (created, in flow style, when absent)."""
        entry = self.smap.get(path)
        if entry is None:
            if not path:
                raise YamlEditError("the document is empty")
            return self.set(path[:-1], str(path[-1]), list(values))
        style = self.style(path, entry)
        if style.kind == "empty":
            return self._fill_empty(path, entry, list(values))
        if style.kind == "flow-seq":
            return [self._flow_insert(entry, "]", ", ".join(flow(v) for v in values))]
        if style.kind != "block-seq":
            raise YamlEditError(f"'{'.'.join(map(str, path))}' is not a list")
        r = entry.value
        dash = r.start_col
        last_item = self._last_item(path)
        block_items = last_item is not None and self._block_mapping_item(last_item)
        lines: list[str] = []
        for value in values:
            if isinstance(value, dict) and value and block_items:
                assert last_item is not None
                content = max(last_item.value.start_col, dash + 2)
                body = block(value, " " * content, self.file_step())
                lines.append(" " * dash + "-" + " " * (content - dash - 1) + body[0][content:])
                lines.extend(body[1:])
            else:
                lines.append(f"{' ' * dash}- {flow(value)}")
        return [self.after_line(self.last_line(r), lines)]

    def _last_item(self, path: ModelPath) -> Entry | None:
        """The last item of the list at ``path``, found in the source map by bisection."""
        if (*path, 0) not in self.smap:
            return None
        low, high = 0, 1
        while (*path, high) in self.smap:
            low, high = high, high * 2
        while high - low > 1:
            middle = (low + high) // 2
            if (*path, middle) in self.smap:
                low = middle
            else:
                high = middle
        return self.smap.get((*path, low))

    def _block_mapping_item(self, item: Entry) -> bool:
        return item.key is not None and self.char_at(item.value.start_line, item.value.start_col) != "{"

    def remove(self, path: ModelPath) -> list[Edit]:
        """Delete the key or list item at ``path`` with its lines (or its text in a flow collection)."""
        if not path:
            raise YamlEditError("cannot remove the whole document")
        target = self.entry(path)
        parent_path = path[:-1]
        parent = self.entry(parent_path)
        parent_style = self.style(parent_path, parent)
        if parent_style.kind in ("flow-map", "flow-seq"):
            return [self._remove_flow_item(parent, path[-1])]
        if parent_style.kind in ("block-map", "block-seq") and self._only_child(parent, target):
            # An emptied collection stays a collection of the same kind: `ports: []`, not `ports:`.
            if parent.key is None:
                raise YamlEditError("cannot empty a collection that has no key")
            last = self.last_line(parent.value)
            empty = "{}" if parent_style.kind == "block-map" else "[]"
            k = parent.key
            return [Edit(Range(k.end_line, k.end_col, last, self.eol(last)), f": {empty}")]
        if parent_style.kind == "block-map":
            assert target.key is not None
            head = self.line(target.key.start_line)[: target.key.start_col]
            if head.strip():
                return self._remove_first_key_of_item(parent_path, parent, target)
            return [self.delete_lines(target.key.start_line, self.last_line(target.value))]
        if parent_style.kind == "block-seq":
            r = target.value
            dash_line = r.start_line
            text = self.line(dash_line)
            dash_col = text.rfind("-", 0, r.start_col + 1)
            if dash_col < 0 or text[:dash_col].strip():
                # The dash sits on an earlier line ("-" alone) or after another dash.
                dash_line -= 1
                if self.line(dash_line).strip() != "-":
                    raise YamlEditError(f"cannot find the '-' of the list item at line {r.start_line + 1}")
            return [self.delete_lines(dash_line, self.last_line(r))]
        raise YamlEditError(f"'{'.'.join(map(str, parent_path))}' is not a mapping or a list")

    def _only_child(self, parent: Entry, target: Entry) -> bool:
        """Whether ``target`` is all there is in the block collection ``parent``."""
        start = target.key if target.key is not None else target.value
        p, t = parent.value, target.value
        begins = (p.start_line, p.start_col) >= (start.start_line, start.start_col - 2)
        return begins and self.last_line(p) == self.last_line(t) and p.start_line == start.start_line

    def _remove_first_key_of_item(self, parent_path: ModelPath, parent: Entry, target: Entry) -> list[Edit]:
        """Remove a key that shares its line with the ``-`` of a list item: the next key moves up."""
        composed = self.compose_value(parent)
        node = composed.node
        if not isinstance(node, yaml.MappingNode):
            raise YamlEditError("unexpected shape")
        assert target.key is not None
        at = (target.key.start_line, target.key.start_col)
        pairs = node.value
        for index, (key_node, _) in enumerate(pairs):
            if composed.start(key_node) == at:
                if index + 1 < len(pairs):
                    line, col = composed.start(pairs[index + 1][0])
                    return [Edit(Range(at[0], at[1], line, col), "")]
                return self.remove(parent_path)
        raise YamlEditError("cannot find the key to remove")

    def _remove_flow_item(self, parent: Entry, key: str | int) -> Edit:
        composed = self.compose_value(parent)
        node = composed.node
        if isinstance(node, yaml.MappingNode):
            names = [k.value for k, _ in node.value]
            if key not in names:
                raise YamlEditError(f"no key '{key}'")
            index = names.index(key)
            spans = [(composed.start(k), composed.end(v)) for k, v in node.value]
        elif isinstance(node, yaml.SequenceNode):
            if not isinstance(key, int) or not 0 <= key < len(node.value):
                raise YamlEditError(f"no item {key}")
            index = key
            spans = [(composed.start(v), composed.end(v)) for v in node.value]
        else:
            raise YamlEditError("not a flow collection")
        (start_line, start_col), (end_line, end_col) = spans[index]
        if index + 1 < len(spans):
            line, col = spans[index + 1][0]
            return Edit(Range(start_line, start_col, line, col), "")
        if index > 0:
            line, col = spans[index - 1][1]
            return Edit(Range(line, col, end_line, end_col), "")
        return Edit(Range(start_line, start_col, end_line, end_col), "")
