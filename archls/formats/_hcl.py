"""HCL2 read with exact positions: blocks, attributes and expressions from python-hcl2's lark tree.

python-hcl2's dict output keeps only block line numbers; its lark tree (LALR, positions
propagated) knows where every attribute and value sits. This module walks that tree into a
small syntax tree of its own, then evaluates expressions against a scope (variables, locals)
where they are literal. Anything it cannot evaluate stays an :class:`Unknown` carrying its
text, so a rule never mistakes an expression for a value.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from archls.findings import Finding, Range, Severity
from archls.recent import Recent

# --- syntax tree -----------------------------------------------------------------------------


@dataclass(slots=True)
class Expr:
    range: Range
    text: str


@dataclass(slots=True)
class Lit(Expr):
    value: Any


@dataclass(slots=True)
class Ref(Expr):
    """A traversal such as ``var.name``, ``aws_s3_bucket.logs.id`` or ``local.tags["env"]``."""

    parts: tuple[str | int, ...]


@dataclass(slots=True)
class Template(Expr):
    parts: list[str | Expr]


@dataclass(slots=True)
class Tuple(Expr):
    items: list[Expr]


@dataclass(slots=True)
class Object(Expr):
    items: list[tuple[str, Range, Expr]]


@dataclass(slots=True)
class Call(Expr):
    name: str
    args: list[Expr]


@dataclass(slots=True)
class Heredoc(Expr):
    body: str
    refs: list[Ref]


@dataclass(slots=True)
class Opaque(Expr):
    """An expression archls does not evaluate (conditionals, operators, for, splats); its references are kept."""

    refs: list[Ref]


@dataclass(slots=True)
class Attribute:
    name: str
    key: Range
    expr: Expr

    @property
    def value_range(self) -> Range:
        return self.expr.range


@dataclass(slots=True)
class Block:
    type: str
    labels: list[str]
    #: The block type and labels: where findings about the block as a whole go.
    head: Range
    range: Range
    body: Body
    file: str = ""

    def attr(self, name: str) -> Attribute | None:
        return self.body.attributes.get(name)

    def blocks(self, kind: str) -> list[Block]:
        return [b for b in self.body.blocks if b.type == kind]


@dataclass(slots=True)
class Body:
    attributes: OrderedDict[str, Attribute] = field(default_factory=OrderedDict)
    blocks: list[Block] = field(default_factory=list)


@dataclass(slots=True)
class HclFile:
    path: str
    text: str
    body: Body
    error: Finding | None = None
    #: 0-based line -> the text of a comment on that line (``#`` or ``//``), for skip markers.
    comments: dict[int, str] = field(default_factory=dict)


class Unknown:
    """A value archls could not work out statically (a reference to another resource, a function...)."""

    __slots__ = ("refs", "text")

    def __init__(self, text: str, refs: list[Ref] | None = None) -> None:
        self.text = text
        self.refs = refs or []

    def __repr__(self) -> str:
        return f"Unknown({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unknown) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


# --- parsing ---------------------------------------------------------------------------------

_COMMENT = re.compile(r"(?:#|//)(.*)$")
_INTERP = re.compile(r"(?<!\$)\$\{([^{}]*)\}")
_TRAVERSAL = re.compile(r"[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[\d+\]|\.\d+)+")


@lru_cache(maxsize=1)
def _lark() -> Any:
    """python-hcl2's grammar, built as its own ``hcl2.parser.parser()`` builds it (same options, same
    cache file), without importing the ``hcl2`` package: that imports its dict transformer and its
    writer, with lark's reconstruction machinery and the ``regex`` module, none of which a read needs."""
    import importlib.util
    from pathlib import Path

    from lark import Lark

    spec = importlib.util.find_spec("hcl2")
    if spec is None or not spec.submodule_search_locations:
        from hcl2.parser import parser

        return parser()
    folder = Path(next(iter(spec.submodule_search_locations))).resolve()
    return Lark.open(
        str(folder / "hcl2.lark"),
        parser="lalr",
        cache=str(folder / ".lark_cache.bin"),
        propagate_positions=True,
    )


def parse(text: str, path: str = "") -> HclFile:
    """Read HCL text. A syntax error becomes ``error`` (a positioned finding) and an empty body.

    Top-level blocks are parsed one by one and cached by their text, so an edit re-parses only
    the block it touched (lark's LALR parser is the cost of a re-audit). Anything unusual about
    the split, or any error, falls back to parsing the whole text.
    """
    normal = text.replace("\r\n", "\n").replace("\r", "\n")
    comments = _comments(normal)
    chunks = _split(normal)
    if len(chunks) > 1:
        body = Body()
        for start, chunk in chunks:
            part = _chunk(chunk)
            if part is None:
                break
            part_body, part_error = part
            if part_error is not None:
                break
            for name, attribute in part_body.attributes.items():
                if name in body.attributes:
                    break
                body.attributes[name] = _shift_attribute(attribute, start)
            body.blocks.extend(_shift_block(b, start, path) for b in part_body.blocks)
        else:
            return HclFile(path, text, body, None, comments)
    return _parse_whole(text, normal, path, comments)


def _parse_whole(text: str, normal: str, path: str, comments: dict[int, str]) -> HclFile:
    from lark.exceptions import LarkError, UnexpectedInput

    try:
        tree = _lark().parse(normal + "\n")
    except UnexpectedInput as exc:
        error = Finding("ARCH001", _syntax_message(exc, normal), Severity.ERROR, _error_range(exc, normal), file=path)
        return HclFile(path, text, Body(), error, comments)
    except (LarkError, RecursionError) as exc:
        error = Finding("ARCH001", f"HCL syntax error: {exc}", Severity.ERROR, Range(0, 0, 0, 1), file=path)
        return HclFile(path, text, Body(), error, comments)
    walker = _Walker(normal, path)
    try:
        body = walker.body(tree.children[0])
    except (_TooDeep, RecursionError) as exc:
        where = exc.where if isinstance(exc, _TooDeep) else Range(0, 0, 0, 1)
        error = Finding("ARCH008", "the file nests too deeply to read", Severity.ERROR, where, file=path)
        return HclFile(path, text, Body(), error, comments)
    return HclFile(path, text, body, walker.error, comments)


_BLOCK_START = re.compile(
    r"(?:resource|data|module|variable|output|locals|provider|terraform|moved|import|check|removed)\b"
)
_HEREDOC_OPEN = re.compile(r"<<-?\s*([A-Za-z_][\w-]*)\s*$")
_chunks: Recent[str, tuple[Body, Finding | None] | None] = Recent(4096)


def _split(text: str) -> list[tuple[int, str]]:
    """(first line, text) of each top-level block; heredoc bodies never start a block."""
    lines = text.split("\n")
    starts = [0]
    marker: str | None = None
    for number, line in enumerate(lines):
        if marker is not None:
            if line.strip() == marker:
                marker = None
            continue
        if number and _BLOCK_START.match(line):
            starts.append(number)
        opened = _HEREDOC_OPEN.search(line)
        if opened:
            marker = opened.group(1)
    if marker is not None:
        return [(0, text)]
    bounds = [*starts[1:], len(lines)]
    return [(a, "\n".join(lines[a:b])) for a, b in zip(starts, bounds, strict=True)]


def _chunk(text: str) -> tuple[Body, Finding | None] | None:
    """One block's text parsed (lines relative to its start), cached by content; None when it does not parse."""
    known, hit = _chunks.lookup(text)
    if known:
        return hit
    from lark.exceptions import LarkError

    try:
        tree = _lark().parse(text + "\n")
        walker = _Walker(text, "")
        result: tuple[Body, Finding | None] | None = (walker.body(tree.children[0]), walker.error)
    except (LarkError, RecursionError, _TooDeep):
        result = None
    _chunks[text] = result
    return result


def _shift_expr(expr: Expr, n: int) -> Expr:
    if not n:
        return expr
    r = expr.range.shifted(n)
    if isinstance(expr, Lit):
        return Lit(r, expr.text, expr.value)
    if isinstance(expr, Ref):
        return Ref(r, expr.text, expr.parts)
    if isinstance(expr, Template):
        return Template(r, expr.text, [p if isinstance(p, str) else _shift_expr(p, n) for p in expr.parts])
    if isinstance(expr, Tuple):
        return Tuple(r, expr.text, [_shift_expr(i, n) for i in expr.items])
    if isinstance(expr, Object):
        return Object(r, expr.text, [(k, kr.shifted(n), _shift_expr(v, n)) for k, kr, v in expr.items])
    if isinstance(expr, Call):
        return Call(r, expr.text, expr.name, [_shift_expr(a, n) for a in expr.args])
    if isinstance(expr, Heredoc):
        return Heredoc(r, expr.text, expr.body, [_shift_expr(x, n) for x in expr.refs])  # type: ignore[misc]
    if isinstance(expr, Opaque):
        return Opaque(r, expr.text, [_shift_expr(x, n) for x in expr.refs])  # type: ignore[misc]
    return Expr(r, expr.text)


def _shift_attribute(attribute: Attribute, n: int) -> Attribute:
    return Attribute(attribute.name, attribute.key.shifted(n), _shift_expr(attribute.expr, n))


def _shift_block(block: Block, n: int, path: str) -> Block:
    body = Body(
        OrderedDict((k, _shift_attribute(a, n)) for k, a in block.body.attributes.items()),
        [_shift_block(b, n, path) for b in block.body.blocks],
    )
    return Block(block.type, list(block.labels), block.head.shifted(n), block.range.shifted(n), body, path)


_TOKEN_NAMES = {
    "RBRACE": "'}'",
    "LBRACE": "'{'",
    "RSQB": "']'",
    "LSQB": "'['",
    "RPAR": "')'",
    "COMMA": "','",
    "EQ": "'='",
    "COLON": "':'",
    "DBLQUOTE": "'\"'",
    "NL_OR_COMMENT": "a line break",
}
_VALUE_START = {"DBLQUOTE", "DECIMAL", "LSQB", "LBRACE", "NAME"}


def _syntax_message(exc: Any, text: str) -> str:
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

    if isinstance(exc, UnexpectedCharacters):
        found = text[exc.pos_in_stream] if exc.pos_in_stream < len(text) else ""
        return f"HCL syntax error: unexpected character {found!r}" if found else "HCL syntax error"
    if isinstance(exc, UnexpectedEOF):
        return "HCL syntax error: unexpected end of file; a block, list or string is not closed"
    if isinstance(exc, UnexpectedToken):
        token = exc.token
        raw = str(token)
        if token.type == "$END":
            shown = "end of file"
        elif "\n" in raw or not raw.strip():
            shown = "line break"
        else:
            shown = repr(raw.strip()[:20])
        expected = set(getattr(exc, "expected", None) or ())
        if expected >= _VALUE_START:
            want = "a value"
        else:
            names = sorted({_TOKEN_NAMES[e] for e in expected if e in _TOKEN_NAMES})
            want = " or ".join(names[:4])
        suffix = f"; expected {want}" if want else ""
        if token.type == "$END":
            suffix += " (a block or string is not closed)"
        return f"HCL syntax error: unexpected {shown}{suffix}"
    return "HCL syntax error"


def _error_range(exc: Any, text: str) -> Range:
    lines = text.split("\n")
    line = max(getattr(exc, "line", 1) or 1, 1) - 1
    col = max(getattr(exc, "column", 1) or 1, 1) - 1
    if line >= len(lines) or (line == len(lines) - 1 and not lines[line].strip()):
        # past the end: point at the end of the last line with content
        line = len(lines) - 1
        while line > 0 and not lines[line].strip():
            line -= 1
        col = max(len(lines[line]) - 1, 0)
    return Range(line, col, line, col + 1)


_HEREDOC = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_]*)\s*$")


def _comments(text: str) -> dict[int, str]:
    """Comment text by line. Lines inside a heredoc are the string's content (a shell script's
    ``# checkov:skip=...`` in user_data is not a Terraform comment), so they are skipped."""
    out: dict[int, str] = {}
    closing: str | None = None
    for number, line in enumerate(text.split("\n")):
        if closing is not None:
            if line.strip() == closing:
                closing = None
            continue
        opened = _HEREDOC.search(line.split("#", 1)[0].split("//", 1)[0]) if "<<" in line else None
        if opened is not None:
            closing = opened.group(1)
        if "#" not in line and "//" not in line:
            continue
        stripped = line.lstrip()
        if stripped.startswith(("#", "//")):
            out[number] = stripped.lstrip("#/").strip()
            continue
        # a trailing comment: only when the marker is outside quotes
        quoted = False
        for i, ch in enumerate(line):
            if ch == '"' and (i == 0 or line[i - 1] != "\\"):
                quoted = not quoted
            elif not quoted and (ch == "#" or line.startswith("//", i)):
                out[number] = line[i:].lstrip("#/").strip()
                break
    return out


def _span(node: Any) -> tuple[Range, int, int]:
    """Range plus start/end offsets of a lark Tree or Token."""
    from lark import Token

    if isinstance(node, Token):
        return (
            Range(node.line - 1, node.column - 1, node.end_line - 1, node.end_column - 1),
            node.start_pos,
            node.end_pos,
        )
    meta = node.meta
    return Range(meta.line - 1, meta.column - 1, meta.end_line - 1, meta.end_column - 1), meta.start_pos, meta.end_pos


_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


def _unescape(raw: str) -> str:
    if "\\" not in raw and "$${" not in raw and "%%{" not in raw:
        return raw
    out = re.sub(r"\\([nrt\"\\])", lambda m: _ESCAPES[m.group(1)], raw)
    return out.replace("$${", "${").replace("%%{", "%{")


#: Blocks and expressions nested deeper than this are refused (the walk, and every later pass over
#: the tree, recurses once per level).
MAX_DEPTH = 100


class _TooDeep(Exception):
    def __init__(self, where: Range) -> None:
        self.where = where


class _Walker:
    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self.error: Finding | None = None
        self.depth = 0

    @contextmanager
    def _nested(self, node: Any) -> Iterator[None]:
        """One level deeper into blocks or expressions; past MAX_DEPTH the file is refused where it gets there."""
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                where = _span(node)[0]
                raise _TooDeep(Range(where.start_line, where.start_col, where.start_line, where.start_col + 1))
            yield
        finally:
            self.depth -= 1

    def _src(self, node: Any) -> tuple[Range, str]:
        where, start, end = _span(node)
        return where, self.text[start:end]

    def body(self, tree: Any) -> Body:
        from lark import Tree

        body = Body()
        for child in tree.children:
            if not isinstance(child, Tree):
                continue
            if child.data == "attribute":
                attribute = self.attribute(child)
                if attribute.name in body.attributes and self.error is None:
                    first = body.attributes[attribute.name].key.start_line + 1
                    self.error = Finding(
                        "ARCH006",
                        f"'{attribute.name}' is set twice (first at line {first}); Terraform rejects this",
                        Severity.ERROR,
                        attribute.key,
                        file=self.path,
                    )
                body.attributes[attribute.name] = attribute
            elif child.data == "block":
                body.blocks.append(self.block(child))
        return body

    def attribute(self, tree: Any) -> Attribute:
        ident, _eq, value = tree.children[0], tree.children[1], tree.children[2]
        key, name = self._src(ident)
        name = name.strip('"')
        return Attribute(name, key, self.expr(value))

    def block(self, tree: Any) -> Block:
        with self._nested(tree):
            return self._block(tree)

    def _block(self, tree: Any) -> Block:
        from lark import Tree

        kind = ""
        labels: list[str] = []
        head_end: Range | None = None
        body_tree = None
        for child in tree.children:
            if not isinstance(child, Tree):
                continue
            if child.data == "body":
                body_tree = child
            elif child.data == "identifier":
                where, text = self._src(child)
                if not kind:
                    kind = text
                else:
                    labels.append(text)
                head_end = where
            elif child.data == "string":
                where, text = self._src(child)
                labels.append(_unescape(text[1:-1]))
                head_end = where
        whole, _ = self._src(tree)
        end = head_end or whole
        head = Range(whole.start_line, whole.start_col, end.end_line, end.end_col)
        body = self.body(body_tree) if body_tree is not None else Body()
        return Block(kind, labels, head, whole, body, self.path)

    # expressions

    def expr(self, node: Any) -> Expr:
        with self._nested(node):
            return self._expr(node)

    def _expr(self, node: Any) -> Expr:
        from lark import Token, Tree

        if isinstance(node, Token):
            where, text = self._src(node)
            return Opaque(where, text, [])
        kind = node.data
        if kind == "expr_term":
            children = [c for c in node.children if not (isinstance(c, Tree) and c.data == "new_line_or_comment")]
            children = [c for c in children if c is not None]
            if len(children) == 1 and isinstance(children[0], Tree):
                inner = self.expr(children[0])
                return inner
            if len(children) == 3 and isinstance(children[1], Tree):
                # parenthesised
                inner = self.expr(children[1])
                where, text = self._src(node)
                return Opaque(where, text, _refs(inner))
            where, text = self._src(node)
            return Opaque(where, text, [])
        where, text = self._src(node)
        if kind == "int_lit":
            try:
                return Lit(where, text, int(text.replace(" ", "")))
            except ValueError:
                return Opaque(where, text, [])
        if kind == "float_lit":
            try:
                return Lit(where, text, float(text))
            except ValueError:
                return Opaque(where, text, [])
        if kind == "identifier":
            word = text.strip()
            if word == "true":
                return Lit(where, text, True)
            if word == "false":
                return Lit(where, text, False)
            if word == "null":
                return Lit(where, text, None)
            return Ref(where, text, (word,))
        if kind == "string":
            return self.string(node, where, text)
        if kind == "tuple":
            items = [self.expr(c) for c in node.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]
            return Tuple(where, text, items)
        if kind == "object":
            return self.object(node, where, text)
        if kind == "function_call":
            return self.call(node, where, text)
        if kind in {"get_attr_expr_term", "index_expr_term"}:
            parts = self.traversal(node)
            if parts is not None:
                return Ref(where, text, parts)
            return Opaque(where, text, self.collect_refs(node))
        if kind in {"heredoc_template", "heredoc_template_trim"}:
            return self.heredoc(node, where, text, trim=kind.endswith("trim"))
        return Opaque(where, text, self.collect_refs(node))

    def string(self, node: Any, where: Range, text: str) -> Expr:
        from lark import Token, Tree

        parts: list[str | Expr] = []
        for part in node.children:
            if not isinstance(part, Tree):
                continue
            inner = part.children[0] if part.children else ""
            if isinstance(inner, Token):
                chunk = _unescape(str(inner))
                if parts and isinstance(parts[-1], str):
                    parts[-1] += chunk
                else:
                    parts.append(chunk)
            elif isinstance(inner, Tree) and inner.data == "interpolation":
                exprs = [c for c in inner.children if isinstance(c, Tree)]
                if exprs:
                    parts.append(self.expr(exprs[0]))
        if not parts:
            return Lit(where, text, "")
        if len(parts) == 1 and isinstance(parts[0], str):
            return Lit(where, text, parts[0])
        return Template(where, text, parts)

    def object(self, node: Any, where: Range, text: str) -> Object:
        from lark import Tree

        items: list[tuple[str, Range, Expr]] = []
        for elem in node.children:
            if not (isinstance(elem, Tree) and elem.data == "object_elem"):
                continue
            key_tree = elem.children[0]
            value = elem.children[-1]
            key_where, key_text = self._src(key_tree)
            key = key_text.strip()
            if len(key) >= 2 and key[0] == '"' and key[-1] == '"':
                key = _unescape(key[1:-1])
            items.append((key, key_where, self.expr(value)))
        return Object(where, text, items)

    def call(self, node: Any, where: Range, text: str) -> Call:
        from lark import Tree

        name = ""
        args: list[Expr] = []
        for child in node.children:
            if not isinstance(child, Tree):
                continue
            if child.data == "identifier" and not name:
                name = self._src(child)[1]
            elif child.data == "arguments":
                args = [self.expr(a) for a in child.children if isinstance(a, Tree) and a.data != "new_line_or_comment"]
        return Call(where, text, name, args)

    def heredoc(self, node: Any, where: Range, text: str, trim: bool) -> Heredoc:
        raw = str(node.children[0])
        first_newline = raw.find("\n")
        body = raw[first_newline + 1 :] if first_newline >= 0 else ""
        lines = body.rstrip("\n").split("\n")
        if lines:
            lines = lines[:-1]  # the closing marker
        if trim:
            indents = [len(line) - len(line.lstrip(" ")) for line in lines if line.strip()]
            cut = min(indents) if indents else 0
            lines = [line[cut:] for line in lines]
        content = "\n".join(lines)
        refs: list[Ref] = []
        start_line = where.start_line + 1
        for offset, line in enumerate(body.split("\n")):
            for match in _INTERP.finditer(line):
                for trav in _TRAVERSAL.finditer(match.group(1)):
                    col = match.start(1) + trav.start()
                    r = Range(start_line + offset, col, start_line + offset, col + len(trav.group(0)))
                    refs.append(Ref(r, trav.group(0), _split_traversal(trav.group(0))))
        return Heredoc(where, text, content, refs)

    def traversal(self, node: Any) -> tuple[str | int, ...] | None:
        """``a.b[0].c`` -> ("a", "b", 0, "c"); None when a step is not a name or a literal index."""
        from lark import Tree

        if not isinstance(node, Tree):
            return None
        if node.data == "expr_term":
            children = [c for c in node.children if isinstance(c, Tree)]
            if len(children) != 1:
                return None
            return self.traversal(children[0])
        if node.data == "identifier":
            return (self._src(node)[1],)
        if node.data == "get_attr_expr_term":
            base = self.traversal(node.children[0])
            attr = node.children[1]
            if base is None or not isinstance(attr, Tree):
                return None
            ident = [c for c in attr.children if isinstance(c, Tree)]
            if not ident:
                return None
            return (*base, self._src(ident[0])[1])
        if node.data == "index_expr_term":
            base = self.traversal(node.children[0])
            index = node.children[1]
            if base is None or not isinstance(index, Tree):
                return None
            inner = self.expr(index.children[0]) if index.children and isinstance(index.children[0], Tree) else None
            if inner is None:
                digits = "".join(str(c) for c in index.children)
                return (*base, int(digits)) if digits.isdecimal() else None
            if isinstance(inner, Lit) and isinstance(inner.value, int | str):
                return (*base, inner.value)
            return None
        return None

    def collect_refs(self, node: Any) -> list[Ref]:
        from lark import Tree

        out: list[Ref] = []
        stack = [node]
        while stack:
            current = stack.pop()
            if not isinstance(current, Tree):
                continue
            if current.data in {"get_attr_expr_term", "index_expr_term"}:
                parts = self.traversal(current)
                if parts is not None:
                    where, text = self._src(current)
                    out.append(Ref(where, text, parts))
                    continue
            if current.data == "heredoc_template":
                out.extend(self.heredoc(current, *self._src(current), trim=False).refs)
                continue
            stack.extend(reversed(current.children))
        return out


def _split_traversal(text: str) -> tuple[str | int, ...]:
    parts: list[str | int] = []
    for piece in re.finditer(r"\[(\d+)\]|([^.\[\]]+)", text):
        if piece.group(1) is not None:
            parts.append(int(piece.group(1)))
        else:
            token = piece.group(2)
            parts.append(int(token) if token.isdecimal() else token)
    return tuple(parts)


def _refs(expr: Expr) -> list[Ref]:
    return list(walk_refs(expr))


def walk_refs(expr: Expr) -> Iterator[Ref]:
    """Every traversal inside an expression."""
    if isinstance(expr, Ref):
        yield expr
    elif isinstance(expr, Template):
        for part in expr.parts:
            if isinstance(part, Expr):
                yield from walk_refs(part)
    elif isinstance(expr, Tuple):
        for item in expr.items:
            yield from walk_refs(item)
    elif isinstance(expr, Object):
        for _, _, value in expr.items:
            yield from walk_refs(value)
    elif isinstance(expr, Call):
        for arg in expr.args:
            yield from walk_refs(arg)
    elif isinstance(expr, Heredoc | Opaque):
        yield from expr.refs


# --- evaluation ------------------------------------------------------------------------------

Resolver = Callable[[tuple[str | int, ...]], Any]


def evaluate(expr: Expr, resolve: Resolver, depth: int = 0) -> Any:
    """The value of ``expr`` where it is literal (after resolving variables and locals), else Unknown."""
    if depth > 40:
        return Unknown(expr.text)
    if isinstance(expr, Lit):
        return expr.value
    if isinstance(expr, Ref):
        return resolve(expr.parts)
    if isinstance(expr, Template):
        pieces: list[str] = []
        for part in expr.parts:
            if isinstance(part, str):
                pieces.append(part)
                continue
            value = evaluate(part, resolve, depth + 1)
            if isinstance(value, Unknown | dict | list):
                return Unknown(expr.text, _refs(expr))
            pieces.append(_to_text(value))
        return "".join(pieces)
    if isinstance(expr, Tuple):
        return [evaluate(item, resolve, depth + 1) for item in expr.items]
    if isinstance(expr, Object):
        return {key: evaluate(value, resolve, depth + 1) for key, _, value in expr.items}
    if isinstance(expr, Heredoc):
        return expr.body
    if isinstance(expr, Call):
        return _call(expr, resolve, depth)
    if isinstance(expr, Opaque):
        return Unknown(expr.text, expr.refs)
    return Unknown(expr.text)


def _to_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def _call(expr: Call, resolve: Resolver, depth: int) -> Any:
    import json

    name = expr.name
    args = [evaluate(a, resolve, depth + 1) for a in expr.args]
    unknown = any(contains_unknown(a) for a in args)
    try:
        if name == "merge" and all(isinstance(a, dict) for a in args):
            merged: dict[str, Any] = {}
            for a in args:
                merged.update(a)
            return merged
        if unknown:
            return Unknown(expr.text, _refs(expr))
        if name == "jsonencode" and len(args) == 1:
            return json.dumps(args[0], default=str)
        if name in {"tolist", "toset", "tomap", "tostring", "tonumber", "tobool"} and len(args) == 1:
            return args[0]
        if name == "lower" and isinstance(args[0], str):
            return args[0].lower()
        if name == "upper" and isinstance(args[0], str):
            return args[0].upper()
        if name == "concat" and all(isinstance(a, list) for a in args):
            return [x for a in args for x in a]
    except (TypeError, ValueError, IndexError):
        pass
    return Unknown(expr.text, _refs(expr))


def contains_unknown(value: Any) -> bool:
    if isinstance(value, Unknown):
        return True
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_unknown(v) for v in value)
    return False


# --- writing values back ---------------------------------------------------------------------


def literal(value: Any, indent: str = "") -> str:
    """A Python value as HCL source."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("${", "$${")
        return f'"{escaped}"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(literal(v, indent) for v in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        inner = indent + "  "
        lines = [f"{inner}{_key(k)} = {literal(v, inner)}" for k, v in value.items()]
        return "{\n" + "\n".join(lines) + f"\n{indent}}}"
    return literal(str(value))


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z_][\w-]*", key) else literal(key)
