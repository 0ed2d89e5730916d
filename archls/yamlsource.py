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
from bisect import bisect_right
from collections import OrderedDict
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import yaml

from archls.findings import FILE_START, Finding, Range, Severity
from archls.recent import Recent
from archls.sourcemap import SourceMap
from archls.textdiff import Edit, diff

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


#: Each block's reading, by its text: a _Block, _BROKEN, or None (read the whole file instead).
_cache: Recent[str, Any] = Recent(20_000)


class _Fallback(Exception):
    """The block-wise reading cannot be trusted for this text; read it whole."""


class _Broken(_Fallback):
    """A block is not valid YAML on its own: the file is likely broken there (a key being typed).
    ``resume`` says where a reading of the rest of the file can start in the same state as a reading
    of the whole file: (offset of the section's header or None, offset, line, the children's indent,
    whether they are list items)."""

    resume: tuple[int | None, int, int, int, bool] | None = None


#: The block cache's answer for a block that is not valid YAML on its own.
_BROKEN: Any = object()


def _compose_block(text: str, sequence: bool) -> _Block:
    found, cached = _cache.lookup(text)
    if found:
        if cached is None:
            raise _Fallback
        if cached is _BROKEN:
            raise _Broken
        return cached
    try:
        block = _build_block(text, sequence)
    except _Broken:
        _cache[text] = _BROKEN
        raise
    except _Fallback:
        _cache[text] = None
        raise
    _cache[text] = block
    return block


def _build_block(text: str, sequence: bool) -> _Block:
    try:
        node = yaml.compose(text, Loader=Loader)
    except yaml.YAMLError as exc:
        raise _Broken from exc
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


def _risky(text: str) -> bool:
    """Whether blocks of ``text`` could interact (anchors, aliases, tags, merges, several documents)
    or be indented with tabs: such text is read whole."""
    return "\t" in text or (
        (
            "&" in text
            or "*" in text
            or "!" in text
            or "<<" in text
            or "%" in text
            or "\n---" in text
            or "\n..." in text
            or text.startswith(("---", "..."))
        )
        and _RISKY.search(text) is not None
    )


#: One child block of a section: (offset of its first character, its first line, the block), the
#: offset and line counted from the section's first character.
_Child = tuple[int, int, _Block]


@dataclass(slots=True)
class _Section:
    """A big section (``components:`` and its children) and the children it was assembled from."""

    block: _Block
    children: list[_Child]
    sequence: bool
    indent: int


_sections: OrderedDict[str, _Section] = OrderedDict()
_SECTIONS_SIZE = 16


def _child_pattern(sequence: bool, indent: int) -> re.Pattern[str]:
    return re.compile(rf"^ {{{indent}}}-(?=[ \r\n]|$)" if sequence else rf"^ {{{indent}}}(?=[^\s#])", re.M)


def _outdented(indent: int) -> re.Pattern[str] | None:
    return re.compile(rf"^ {{0,{indent - 1}}}[^\s#]", re.M) if indent else None


def _split(text: str, start: int, end: int, sequence: bool, indent: int) -> list[int]:
    """Offsets where the children of a section start between ``start`` (the first child's start)
    and ``end``; falls back when a line there is indented less than the children."""
    outdented = _outdented(indent)
    if outdented is not None and outdented.search(text, start, end):
        raise _Fallback  # a line less indented than the children: not a plain list of blocks
    starts = [m.start() for m in _child_pattern(sequence, indent).finditer(text, start, end)]
    if not starts or starts[0] != start:
        raise _Fallback
    return starts


def _compose_section(text: str, name: str, header_width: int) -> _Section:
    """A big section as one block, assembled from its children's cached blocks and itself cached
    by its text, so an edit elsewhere costs nothing here."""
    cached = _sections.get(text)
    if cached is not None:
        _sections.move_to_end(text)
        return cached
    body = text.find("\n")
    first = _CONTENT_LINE.search(text, body + 1) if body != -1 else None
    if first is None:
        section = _Section(_section_block(name, header_width, [], False, 0), [], False, 0)
    else:
        indent = first.end() - 1 - first.start()
        sequence = text[first.end() - 1] == "-"
        starts = _split(text, first.start(), len(text), sequence, indent)
        children = _children_of(text, starts, len(text), sequence, 0, text.count("\n", 0, starts[0]))
        section = _Section(_section_block(name, header_width, children, sequence, indent), children, sequence, indent)
    _sections[text] = section
    if len(_sections) > _SECTIONS_SIZE:
        _sections.popitem(last=False)
    return section


def _children_of(text: str, starts: list[int], end: int, sequence: bool, base: int, line: int) -> list[_Child]:
    """The blocks starting at ``starts`` (offsets in ``text``, the first on line ``line`` counted from
    ``base``), with offsets and lines counted from ``base``."""
    children: list[_Child] = []
    previous = starts[0]
    for c_start, c_end in zip(starts, [*starts[1:], end], strict=True):
        line += text.count("\n", previous, c_start)
        previous = c_start
        children.append((c_start - base, line, _compose_block(text[c_start:c_end], sequence)))
    return children


def _section_block(name: str, header_width: int, children: list[_Child], sequence: bool, indent: int) -> _Block:
    """The block of a section made of ``children`` (whose lines count from the section's header)."""
    key_range = Range(0, 0, 0, len(name))
    smap = SourceMap()
    if not children:
        empty = Range(0, header_width, 0, header_width)
        smap.add((), key_range, empty)
        return _Block(name, key_range, None, empty, smap, [])
    container: Any
    if sequence:
        container = [block.value for _, _, block in children]
        paths: list[tuple[Any, ...]] = [(index,) for index in range(len(children))]
    else:
        container = {block.key: block.value for _, _, block in children}
        if len(container) != len(children):
            raise _Fallback  # a duplicate id: the whole reading reports it
        paths = [(block.key,) for _, _, block in children]
    smap.mount_all({path: (line, block.smap) for path, (_, line, block) in zip(paths, children, strict=True)}, 1)
    issues: list[Finding] = []
    for path, (_, line, block) in zip(paths, children, strict=True):
        if block.issues:
            issues.extend(_shift(block.issues, line, path))
    _, last_line, last_block = children[-1]
    last = last_block.value_range.shifted(last_line)
    value_range = Range(children[0][1], indent, last.end_line, last.end_col)
    smap.add((), key_range, value_range)
    return _Block(name, key_range, container, value_range, smap, issues)


@dataclass(slots=True)
class _Top:
    """A top-level entry: its offset and first line in the text, its block, and its children when
    it is a big section."""

    start: int
    line: int
    block: _Block
    section: _Section | None


@dataclass(slots=True)
class _Reading:
    """What the block-wise reading of one file's text was made of, for reading its next version."""

    text: str
    sections: frozenset[str]
    tops: list[_Top]


def _read_tops(text: str, starts: list[int], end: int, sections: frozenset[str], line: int) -> list[_Top]:
    """The top-level entries starting at ``starts``, the first on line ``line``."""
    tops: list[_Top] = []
    previous = starts[0]
    for start, stop in zip(starts, [*starts[1:], end], strict=True):
        line += text.count("\n", previous, start)
        previous = start
        header = _SECTION_HEADER_AT.match(text, start)
        if header and header.group(1) in sections:
            section = _compose_section(text[start:stop], header.group(1), header.end() - start)
            tops.append(_Top(start, line, section.block, section))
        else:
            tops.append(_Top(start, line, _compose_block(text[start:stop], False), None))
    return tops


def _compose_blockwise(text: str, sections: frozenset[str]) -> _Reading:
    if _risky(text):
        raise _Fallback
    starts = [m.start() for m in _TOP_ENTRY.finditer(text)]
    if not starts or _CONTENT_LINE.search(text, 0, starts[0]):
        raise _Fallback
    return _Reading(text, sections, _read_tops(text, starts, len(text), sections, text.count("\n", 0, starts[0])))


def _document(tops: list[_Top], smap: SourceMap) -> YamlDoc:
    data: dict[str, Any] = {}
    issues: list[Finding] = []
    last_line = last_col = 0
    for top in tops:
        block = top.block
        if block.key in data:
            raise _Fallback
        data[block.key] = block.value  # type: ignore[index]
        smap.mount((block.key,), top.line, block.smap)
        if block.issues:
            issues.extend(_shift(block.issues, top.line, (block.key,)))
        end_range = block.value_range.shifted(top.line)
        if end_range.end_line >= last_line:
            last_line, last_col = end_range.end_line, end_range.end_col
    smap.add((), None, Range(tops[0].line, 0, last_line, last_col))
    return YamlDoc(data, smap, issues)


# --- reading the next version of a file ---------------------------------------------------------
# An edit changes a few characters of a large file. The text before the first changed character and
# after the last one is what the last reading of the same file read: the blocks there are kept as
# they were (those after the edit with their lines moved), and only the blocks the edit touched are
# split and composed again. The result is the one reading the new text from scratch would give: the
# same checks run on the text read again, and any doubt falls back to that reading.


def _touched(starts: list[Any], edit: Edit, base: int = 0, key: Any = None) -> tuple[int, int]:
    """The first and last of the blocks starting at ``starts`` (offsets from ``base``, each taken
    with ``key``) that the edit may have changed: those holding the character before it up to the
    first character after it, so that the boundaries around them, made of unchanged characters on
    both sides, are boundaries in the new text too."""
    first = bisect_right(starts, edit.start - 1 - base, key=key) - 1
    last = bisect_right(starts, edit.old_end - base, key=key) - 1
    return max(first, 0), last


def _reread(previous: _Reading, text: str) -> _Reading:
    edit = diff(previous.text, text)
    tops = previous.tops
    if edit.start == 0 or edit.start <= tops[0].start:
        raise _Fallback  # the file's first line or what precedes it
    starts = [top.start for top in tops]
    first, last = _touched(starts, edit)
    top = tops[first]
    end = tops[last + 1].start + edit.chars if last + 1 < len(tops) else len(text)
    replaced: list[_Top] | None = None
    if first == last and top.section is not None and top.section.children:
        replaced = _reread_section(top, text, end, edit)
    if replaced is None:
        span = text[top.start : end]
        if _risky(span):
            raise _Fallback
        found = [m.start() for m in _TOP_ENTRY.finditer(text, top.start, end)]
        if not found or found[0] != top.start:
            raise _Fallback
        try:
            replaced = _read_tops(text, found, end, previous.sections, top.line)
        except _Broken as broken:
            broken.resume = (None, top.start, top.line, 0, False)
            raise
    moved = [_Top(t.start + edit.chars, t.line + edit.lines, t.block, t.section) for t in tops[last + 1 :]]
    return _Reading(text, previous.sections, [*tops[:first], *replaced, *moved])


def _reread_section(top: _Top, text: str, end: int, edit: Edit) -> list[_Top] | None:
    """The section ``top`` read again with only the children the edit touched composed anew; None
    when the edit reaches its header or its first child's start (the section is then read whole)."""
    section = top.section
    assert section is not None
    children = section.children
    base = top.start
    if edit.start - 1 < base + children[0][0]:
        return None
    first, last = _touched(children, edit, base, _offset)
    span_start = base + children[first][0]
    span_end = base + children[last + 1][0] + edit.chars if last + 1 < len(children) else end
    if _risky(text[span_start:span_end]):
        raise _Fallback
    if _TOP_ENTRY.search(text, span_start, span_end) is not None:
        return None  # a new top-level entry: the file's entries are split again
    new_starts = _split(text, span_start, span_end, section.sequence, section.indent)
    try:
        fresh = _children_of(text, new_starts, span_end, section.sequence, base, children[first][1])
    except _Broken as broken:
        broken.resume = (base, span_start, top.line + children[first][1], section.indent, section.sequence)
        raise
    moved = [(start + edit.chars, line + edit.lines, block) for start, line, block in children[last + 1 :]]
    merged = [*children[:first], *fresh, *moved]
    name = top.block.key
    assert name is not None
    block = _patched(section, first, last, fresh, moved, edit) or _section_block(
        name, 0, merged, section.sequence, section.indent
    )
    return [_Top(top.start, top.line, block, _Section(block, merged, section.sequence, section.indent))]


_offset = itemgetter(0)

#: id of a section's data patched from its last version -> (that data, the last version, the ids or
#: indices whose values are new): readers of the data can then redo just those (see :func:`patch_of`)
_patches: OrderedDict[int, tuple[Any, Any, list[Any]]] = OrderedDict()
_PATCHES_SIZE = 16


def patch_of(data: Any) -> tuple[Any, list[Any]] | None:
    """For a section's data (``components``, ``connections``...) that the last reading of its file
    made by replacing a few values of the previous version (same ids, or as many list items): that
    previous version and the ids (or indices) whose values are new; the values at other ids are
    the very objects of the previous version. None when it was read otherwise."""
    found = _patches.get(id(data))
    if found is None or found[0] is not data:
        return None
    return found[1], found[2]


def _patched(
    section: _Section, first: int, last: int, fresh: list[_Child], moved: list[_Child], edit: Edit
) -> _Block | None:
    """The section's block with the children ``first`` to ``last`` replaced by ``fresh`` (the same ids,
    or as many list items) and those after moved by the edit's lines: the last block changed where it
    changed only. None when the ids or the count changed, or problems were found (it is then built anew)."""
    old = section.block
    replaced = section.children[first : last + 1]
    if len(fresh) != len(replaced) or old.issues or any(block.issues for _, _, block in fresh):
        return None
    sequence = section.sequence
    if not sequence and any(f[2].key != r[2].key for f, r in zip(fresh, replaced, strict=True)):
        return None
    container = old.value.copy()
    changed: dict[tuple[Any, ...], tuple[int, SourceMap]] = {}
    for index, (_, line, block) in enumerate(fresh, first):
        path = (index,) if sequence else (block.key,)
        container[path[0]] = block.value
        changed[path] = (line, block.smap)
    if edit.lines:
        for index, (_, line, block) in enumerate(moved, last + 1):
            changed[(index,) if sequence else (block.key,)] = (line, block.smap)
    smap = old.smap.copy()
    smap.mount_all(changed, 1)
    _remember(
        _patches,
        id(container),
        (container, old.value, [path[0] for path in list(changed)[: len(fresh)]]),
        _PATCHES_SIZE,
    )
    _, last_line, last_block = moved[-1] if moved else fresh[-1]
    end = last_block.value_range.shifted(last_line)
    start = section.children[0][1] if first else fresh[0][1]
    value_range = Range(start, section.indent, end.end_line, end.end_col)
    smap.add((), old.key_range, value_range)
    return _Block(old.key, old.key_range, container, value_range, smap, [])


def _error_after(text: str, resume: tuple[int | None, int, int, int, bool]) -> Finding | None:
    """The syntax error reading the whole text would stop at, found by reading from where the
    blocks the edit touched begin; None when the rest reads without one (the whole text is then
    read: a block invalid on its own may be valid in its place).

    The blocks before are valid YAML (the last reading read them), so the reader of the whole text
    reaches ``start`` in a mapping (or list) it is already inside, between two of its entries: an
    entry of the same indent put before the rest (and the section's header before that) brings a
    reader of the rest alone to that same state."""
    header, start, line, indent, sequence = resume
    entry = " " * indent + ("- 0\n" if sequence else "a: 0\n")
    if header is None:
        rest, offset = entry + text[start:], line - 1
    else:
        rest, offset = text[header : text.index("\n", header) + 1] + entry + text[start:], line - 2
    try:
        yaml.compose(rest, Loader=Loader)
    except yaml.YAMLError as exc:
        return syntax_finding(exc, offset)
    return None


def _remember(cache: OrderedDict[Any, Any], key: Any, value: Any, size: int) -> None:
    """Put ``value`` last in ``cache`` and keep ``size`` entries; safe beside another thread doing the
    same (a loader run outside the audits, as a spec's reference is read)."""
    cache.pop(key, None)
    cache[key] = value
    while len(cache) > size:
        try:
            cache.popitem(last=False)
        except KeyError:
            break


def _shift(issues: list[Finding], lines: int, prefix: tuple[Any, ...]) -> list[Finding]:
    return [Finding(f.code, f.message, f.severity, f.range.shifted(lines), f.category, prefix + f.path) for f in issues]


#: The last block-wise reading of each file, by file and sections read block by block.
_readings: OrderedDict[tuple[str, frozenset[str]], _Reading] = OrderedDict()
_READINGS_SIZE = 16


def compose(
    text: str, *, file: str | None = None, sections: frozenset[str] = frozenset(), reuse: bool = True
) -> YamlDoc:
    """Read one YAML document. ``sections`` names top-level keys whose children are cached block by
    block. With ``reuse`` and a ``file``, the last reading of that file is the starting point: only
    the blocks the edit since touched are read again."""
    smap = SourceMap(file)
    if sections:
        key = (file, sections) if file is not None and reuse else None
        previous = _readings.get(key) if key is not None else None
        reading: _Reading | None = None
        if previous is not None:
            try:
                reading = previous if previous.text == text else _reread(previous, text)
            except _Broken as broken:
                found = _error_after(text, broken.resume) if broken.resume is not None else None
                if found is not None:
                    return YamlDoc(None, smap, [found])
            except _Fallback:
                reading = None
        try:
            if reading is None:
                reading = _compose_blockwise(text, sections)
            doc = _document(reading.tops, smap)
        except _Fallback:
            # the last reading stays the starting point: the next edit likely mends this one
            return _compose_whole(text, SourceMap(file))
        if key is not None:
            _remember(_readings, key, reading, _READINGS_SIZE)
        return doc
    return _compose_whole(text, smap)
