"""Position-aware YAML reading, shared by every YAML format.

``yaml.compose`` (libyaml's C parser when present) gives nodes with marks; this module turns
them into plain Python data plus a source map, reports duplicate keys, and bounds what
hostile input can cost: alias expansion, nesting depth and size are all capped, and each
breach becomes one positioned finding instead of an exception.

Large architecture files are read in blocks: each top-level entry, and each child of the big
sections (``components``, ``connections``, ...), is composed on its own and cached by its
text, so an edit re-reads only the block it touched. Files where blocks could interact
(anchors, aliases, tags, several documents) are read whole.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import yaml

from archls.findings import FILE_START, Finding, Range, Severity
from archls.sourcemap import SourceMap

try:
    #: libyaml's C parser when PyYAML has it (every YAML reader and editor of archls uses this one)
    Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML without libyaml
    Loader = yaml.SafeLoader

MAX_DEPTH = 100
MAX_NODES = 1_000_000
MAX_ALIAS_NODES = 50_000

_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"
_constructor = yaml.constructor.SafeConstructor()


class RawFloat(float):
    """A float that remembers how it was written (``3.10`` stays ``3.10`` as a version)."""

    raw: str


class RawInt(int):
    raw: str


def _range(node: yaml.Node, line_offset: int = 0) -> Range:
    start = node.start_mark
    # A block collection's end mark sits where the next token starts, often lines later;
    # its last value is where it really ends.
    while isinstance(node, yaml.CollectionNode) and node.value and not node.flow_style:
        last = node.value[-1]
        node = last[1] if isinstance(last, tuple) else last
    end = node.end_mark
    return Range(start.line + line_offset, start.column, end.line + line_offset, end.column)


def syntax_finding(exc: yaml.YAMLError, line_offset: int = 0) -> Finding:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    if mark is None:
        where = FILE_START
    else:
        where = Range(mark.line + line_offset, mark.column, mark.line + line_offset, mark.column + 1)
    if "maximum nesting depth" in problem:
        return Finding(
            "ARCH008", "nesting is deeper than the YAML parser's limit of 1,000 levels", Severity.ERROR, where
        )
    message = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
    return Finding("ARCH001", message, Severity.ERROR, where)


class _Abort(Exception):
    def __init__(self, finding: Finding) -> None:
        self.finding = finding


@dataclass
class YamlDoc:
    """One YAML document read into data. ``data`` is None when the document could not be read."""

    data: Any
    smap: SourceMap
    issues: list[Finding] = field(default_factory=list)
    empty: bool = False


class _Converter:
    """Node tree -> data + source map entries, with bounds."""

    def __init__(self, smap: SourceMap, issues: list[Finding], lines: list[str]) -> None:
        self.smap = smap
        self.issues = issues
        self.lines = lines
        self.nodes = 0
        self.alias_nodes = 0
        self.seen: set[int] = set()
        self.active: set[int] = set()

    def convert(self, node: yaml.Node, path: tuple[Any, ...], depth: int, aliased: bool = False) -> Any:
        self.nodes += 1
        if aliased:
            self.alias_nodes += 1
            if self.alias_nodes > MAX_ALIAS_NODES:
                raise _Abort(
                    Finding(
                        "ARCH008",
                        f"YAML aliases expand to more than {MAX_ALIAS_NODES:,} nodes; "
                        "archls stops reading here (this is how 'billion laughs' files exhaust memory)",
                        Severity.ERROR,
                        _range(node),
                    )
                )
        if self.nodes > MAX_NODES:
            raise _Abort(
                Finding("ARCH008", f"document has more than {MAX_NODES:,} nodes", Severity.ERROR, _range(node))
            )
        if depth > MAX_DEPTH:
            raise _Abort(Finding("ARCH008", f"nesting is deeper than {MAX_DEPTH} levels", Severity.ERROR, _range(node)))
        if isinstance(node, yaml.ScalarNode):
            return _scalar(node)
        ident = id(node)
        if ident in self.active:
            raise _Abort(Finding("ARCH008", "recursive YAML alias", Severity.ERROR, _range(node)))
        aliased = aliased or ident in self.seen
        self.seen.add(ident)
        self.active.add(ident)
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path, depth, aliased)
            return self._sequence(node, path, depth, aliased)
        finally:
            self.active.discard(ident)

    def range(self, node: yaml.Node) -> Range:
        r = _range(node)
        if (
            isinstance(node, yaml.ScalarNode)
            and node.style in ("|", ">")
            and r.end_col == 0
            and r.end_line > r.start_line
        ):
            # A block scalar's end mark is the start of the line after it, past any blank lines.
            line = r.end_line - 1
            while line > r.start_line and not self.lines[line].strip():
                line -= 1
            return Range(r.start_line, r.start_col, line, len(self.lines[line]))
        return r

    def _mapping(self, node: yaml.MappingNode, path: tuple[Any, ...], depth: int, aliased: bool) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merged: list[dict[str, Any]] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merged.extend(self._merge_sources(value_node, path, depth, aliased))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.issues.append(
                    Finding(
                        "ARCH004",
                        "a key must be a plain value, not a list or mapping",
                        Severity.ERROR,
                        _range(key_node),
                    )
                )
                continue
            key = key_node.value
            child = (*path, key)
            if key in result and not aliased:
                first = self.smap.get(child)
                where = f" (first at line {first.head.start_line + 1})" if first is not None else ""
                self.issues.append(
                    Finding(
                        "ARCH006",
                        f"duplicate key '{key}'{where}; the later value wins",
                        Severity.ERROR,
                        _range(key_node),
                        path=child,
                    )
                )
            result[key] = self.convert(value_node, child, depth + 1, aliased)
            if not aliased:
                self.smap.add(child, _range(key_node), self.range(value_node))
        for extra in merged:
            for key, value in extra.items():
                result.setdefault(key, value)
        return result

    def _merge_sources(self, node: yaml.Node, path: tuple[Any, ...], depth: int, aliased: bool) -> list[dict[str, Any]]:
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        out: list[dict[str, Any]] = []
        for source in sources:
            value = self.convert(source, path, depth + 1, True)
            if isinstance(value, dict):
                out.append(value)
            else:
                self.issues.append(
                    Finding("ARCH004", "a merge key (<<) must name a mapping", Severity.ERROR, _range(source))
                )
        return out

    def _sequence(self, node: yaml.SequenceNode, path: tuple[Any, ...], depth: int, aliased: bool) -> list[Any]:
        result = []
        for index, item in enumerate(node.value):
            child = (*path, index)
            result.append(self.convert(item, child, depth + 1, aliased))
            if not aliased:
                self.smap.add(child, _item_head(item), self.range(item))
        return result


def _item_head(item: yaml.Node) -> Range | None:
    """The first line of a list item that is a block mapping (``from: api``): where findings about the item go."""
    if not isinstance(item, yaml.MappingNode) or item.flow_style or not item.value:
        return None
    key, value = item.value[0]
    end = value if isinstance(value, yaml.ScalarNode) and value.end_mark.line == key.start_mark.line else key
    return Range(key.start_mark.line, key.start_mark.column, end.end_mark.line, end.end_mark.column)


def _scalar(node: yaml.ScalarNode) -> Any:
    tag = node.tag
    if tag == _STR_TAG or not tag.startswith("tag:yaml.org,2002:"):
        return node.value
    kind = tag[18:]
    try:
        if kind == "null":
            return None
        if kind == "bool":
            return _constructor.construct_yaml_bool(node)
        if kind == "int":
            number = RawInt(_constructor.construct_yaml_int(node))
            number.raw = node.value
            return number
        if kind == "float":
            real = RawFloat(_constructor.construct_yaml_float(node))
            real.raw = node.value
            return real
    except (ValueError, yaml.YAMLError):
        return node.value
    return node.value


def _compose_whole(text: str, smap: SourceMap) -> YamlDoc:
    issues: list[Finding] = []
    try:
        node = yaml.compose(text, Loader=Loader)
    except yaml.YAMLError as exc:
        return YamlDoc(None, smap, [syntax_finding(exc)])
    if node is None:
        return YamlDoc(None, smap, [], empty=True)
    converter = _Converter(smap, issues, text.split("\n"))
    try:
        data = converter.convert(node, (), 0)
    except _Abort as abort:
        return YamlDoc(None, smap, [abort.finding])
    smap.add((), None, converter.range(node))
    return YamlDoc(data, smap, issues)


@dataclass
class YamlStream:
    """The documents of a multi-document stream (an empty or unreadable one has ``data`` None), and
    what stopped the reading before the end: a syntax error or a bound."""

    docs: list[YamlDoc]
    stop: Finding | None = None


def compose_documents(
    text: str, file: str | None = None, *, max_documents: int = 5000, max_nodes: int = 500_000
) -> YamlStream:
    """Every document of a multi-document stream, up to ``max_documents`` documents or ``max_nodes``
    nodes in all: a stream of a million small documents costs no more than that."""
    stream = YamlStream([])
    lines = text.split("\n")
    nodes = 0
    try:
        for node in yaml.compose_all(text, Loader=Loader):
            if len(stream.docs) >= max_documents or nodes >= max_nodes:
                stream.stop = Finding(
                    "ARCH008",
                    f"archls read the first {len(stream.docs)} documents ({nodes:,} YAML nodes) of this stream "
                    "and stopped; split the file to audit the rest",
                    Severity.WARNING,
                    _head(node) if node is not None else FILE_START,
                )
                break
            smap = SourceMap(file)
            if node is None:
                stream.docs.append(YamlDoc(None, smap, [], empty=True))
                continue
            issues: list[Finding] = []
            converter = _Converter(smap, issues, lines)
            try:
                data = converter.convert(node, (), 0)
            except _Abort as abort:
                stream.docs.append(YamlDoc(None, smap, [abort.finding]))
                continue
            nodes += converter.nodes
            smap.add((), None, _range(node))
            stream.docs.append(YamlDoc(data, smap, issues))
    except yaml.YAMLError as exc:
        stream.stop = syntax_finding(exc)
    return stream


def _head(node: yaml.Node) -> Range:
    mark = node.start_mark
    return Range(mark.line, mark.column, mark.line, mark.column + 1)


# --- block-wise reading -------------------------------------------------------------------------

_RISKY = re.compile(r"(?:^|[\s\[{,])[&*!]|<<|^(?:---|\.\.\.|%)", re.M)
_SECTION_HEADER = re.compile(r"([A-Za-z_][\w-]*)[ \t]*:[ \t]*(?:#.*)?$")


@dataclass(slots=True)
class _Block:
    """A composed block: its data, the map of its content (relative lines) and its issues."""

    key: str | None
    key_range: Range | None
    value: Any
    value_range: Range
    smap: SourceMap
    issues: list[Finding]


class _BlockCache:
    def __init__(self, size: int = 20_000) -> None:
        self.size = size
        self._items: OrderedDict[str, _Block | None] = OrderedDict()

    def get(self, text: str) -> tuple[bool, _Block | None]:
        if text in self._items:
            self._items.move_to_end(text)
            return True, self._items[text]
        return False, None

    def put(self, text: str, block: _Block | None) -> None:
        self._items[text] = block
        if len(self._items) > self.size:
            self._items.popitem(last=False)


_cache = _BlockCache()


class _Fallback(Exception):
    """The block-wise reading cannot be trusted for this text; read it whole."""


def _compose_block(text: str, sequence: bool) -> _Block:
    found, cached = _cache.get(text)
    if found:
        if cached is None:
            raise _Fallback
        return cached
    try:
        block = _build_block(text, sequence)
    except _Fallback:
        _cache.put(text, None)
        raise
    _cache.put(text, block)
    return block


def _build_block(text: str, sequence: bool) -> _Block:
    try:
        node = yaml.compose(text, Loader=Loader)
    except yaml.YAMLError as exc:
        raise _Fallback from exc
    smap = SourceMap()
    issues: list[Finding] = []
    converter = _Converter(smap, issues, text.split("\n"))
    if sequence:
        if not isinstance(node, yaml.SequenceNode) or len(node.value) != 1:
            raise _Fallback
        item = node.value[0]
        try:
            value = converter.convert(item, (), 1)
        except _Abort as abort:
            raise _Fallback from abort
        smap.add((), _item_head(item), converter.range(item))
        return _Block(None, None, value, converter.range(item), smap, issues)
    if not isinstance(node, yaml.MappingNode) or len(node.value) != 1:
        raise _Fallback
    key_node, value_node = node.value[0]
    if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE_TAG:
        raise _Fallback
    try:
        value = converter.convert(value_node, (), 1)
    except _Abort as abort:
        raise _Fallback from abort
    smap.add((), _range(key_node), converter.range(value_node))
    return _Block(key_node.value, _range(key_node), value, converter.range(value_node), smap, issues)


_TOP_ENTRY = re.compile(r"^(?=[^\s#\-])", re.M)
_CONTENT_LINE = re.compile(r"^[ ]*[^\s#]", re.M)
_SECTION_HEADER_AT = re.compile(r"([A-Za-z_][\w-]*)[ ]*:[ ]*(?:#[^\n]*)?\r?$", re.M)


class _Text:
    """The text with cheap offset -> line lookups for boundaries found in increasing order."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._offset = 0
        self._line = 0

    def line_of(self, offset: int) -> int:
        if offset < self._offset:
            self._offset, self._line = 0, 0
        self._line += self.text.count("\n", self._offset, offset)
        self._offset = offset
        return self._line


def _children(text: str, start: int, end: int) -> tuple[list[int], bool, int] | None:
    """Offsets where the children of a block section body start, whether they are list items, and their indent."""
    first = _CONTENT_LINE.search(text, start, end)
    if first is None:
        return None
    line_start = first.start()
    indent = first.end() - 1 - line_start
    sequence = text[first.end() - 1] == "-"
    if indent and re.compile(rf"^ {{0,{indent - 1}}}[^\s#]", re.M).search(text, line_start, end):
        raise _Fallback  # a line less indented than the children: not a plain list of blocks
    pattern = rf"^ {{{indent}}}-(?=[ \r\n]|$)" if sequence else rf"^ {{{indent}}}(?=[^\s#])"
    starts = [m.start() for m in re.compile(pattern, re.M).finditer(text, line_start, end)]
    if not starts or starts[0] != line_start:
        raise _Fallback
    return starts, sequence, indent


_sections: OrderedDict[str, _Block] = OrderedDict()
_SECTIONS_SIZE = 16


def _compose_section(text: str, name: str, header_width: int) -> _Block:
    """A big section (``components:`` and its children) as one block, assembled from its children's
    cached blocks and itself cached by its text, so an edit elsewhere costs nothing here."""
    cached = _sections.get(text)
    if cached is not None:
        _sections.move_to_end(text)
        return cached
    key_range = Range(0, 0, 0, len(name))
    smap = SourceMap()
    body = text.find("\n")
    children = _children(text, body + 1, len(text)) if body != -1 else None
    if children is None:
        smap.add((), key_range, Range(0, header_width, 0, header_width))
        block = _Block(name, key_range, None, Range(0, header_width, 0, header_width), smap, [])
    else:
        where = _Text(text)
        starts, sequence, indent = children
        container: Any = [] if sequence else {}
        issues: list[Finding] = []
        last = Range(0, 0, 0, 0)
        for c_start, c_end in zip(starts, [*starts[1:], len(text)], strict=True):
            line = where.line_of(c_start)
            child = _compose_block(text[c_start:c_end], sequence)
            if sequence:
                path: tuple[Any, ...] = (len(container),)
                container.append(child.value)
            else:
                path = (child.key,)
                if child.key in container:
                    raise _Fallback
                container[child.key] = child.value
            smap.mount(path, line, child.smap)
            if child.issues:
                issues.extend(_shift(child.issues, line, path))
            last = child.value_range.shifted(line)
        value_range = Range(where.line_of(starts[0]), indent, last.end_line, last.end_col)
        smap.add((), key_range, value_range)
        block = _Block(name, key_range, container, value_range, smap, issues)
    _sections[text] = block
    if len(_sections) > _SECTIONS_SIZE:
        _sections.popitem(last=False)
    return block


def _compose_blockwise(text: str, sections: frozenset[str], smap: SourceMap) -> YamlDoc:
    if "\t" in text or (
        (
            "&" in text
            or "*" in text
            or "!" in text
            or "<<" in text
            or "%" in text
            or "\n---" in text
            or "\n..." in text
            or text.startswith("---")
        )
        and _RISKY.search(text)
    ):
        raise _Fallback
    tops = [m.start() for m in _TOP_ENTRY.finditer(text)]
    if not tops or _CONTENT_LINE.search(text, 0, tops[0]):
        raise _Fallback
    where = _Text(text)
    data: dict[str, Any] = {}
    issues: list[Finding] = []
    last_line = last_col = 0
    bounds = [*tops[1:], len(text)]
    first_line = where.line_of(tops[0])
    for start, end in zip(tops, bounds, strict=True):
        start_line = where.line_of(start)
        header = _SECTION_HEADER_AT.match(text, start)
        if header and header.group(1) in sections:
            block = _compose_section(text[start:end], header.group(1), header.end() - start)
        else:
            block = _compose_block(text[start:end], False)
        if block.key in data:
            raise _Fallback
        data[block.key] = block.value
        smap.mount((block.key,), start_line, block.smap)
        if block.issues:
            issues.extend(_shift(block.issues, start_line, (block.key,)))
        end_range = block.value_range.shifted(start_line)
        if end_range.end_line >= last_line:
            last_line, last_col = end_range.end_line, end_range.end_col
    smap.add((), None, Range(first_line, 0, last_line, last_col))
    return YamlDoc(data, smap, issues)


def _shift(issues: list[Finding], lines: int, prefix: tuple[Any, ...]) -> list[Finding]:
    return [Finding(f.code, f.message, f.severity, f.range.shifted(lines), f.category, prefix + f.path) for f in issues]


def compose(text: str, *, file: str | None = None, sections: frozenset[str] = frozenset()) -> YamlDoc:
    """Read one YAML document. ``sections`` names top-level keys whose children are cached block by block."""
    smap = SourceMap(file)
    if sections:
        try:
            return _compose_blockwise(text, sections, smap)
        except _Fallback:
            smap = SourceMap(file)
    return _compose_whole(text, smap)
