"""HCL read with exact positions and evaluated where literal."""

from __future__ import annotations

from archls.findings import Range
from archls.formats import _hcl


def test_attributes_and_blocks_have_exact_ranges() -> None:
    text = 'resource "aws_s3_bucket" "logs" {\n  bucket = "acme-logs"\n  versioning {\n    enabled = true\n  }\n}\n'
    parsed = _hcl.parse(text, "main.tf")
    assert parsed.error is None
    block = parsed.body.blocks[0]
    assert (block.type, block.labels) == ("resource", ["aws_s3_bucket", "logs"])
    assert block.head == Range(0, 0, 0, 31)
    bucket = block.attr("bucket")
    assert bucket is not None
    assert bucket.key == Range(1, 2, 1, 8)
    assert bucket.value_range == Range(1, 11, 1, 22)
    enabled = block.blocks("versioning")[0].attr("enabled")
    assert enabled is not None and enabled.key == Range(3, 4, 3, 11)


def test_syntax_errors_are_positioned() -> None:
    parsed = _hcl.parse('resource "a" "b" {\n  x = \n}\n', "main.tf")
    assert parsed.error is not None
    assert parsed.error.code == "ARCH001"
    assert parsed.error.range.start_line == 1
    assert "expected a value" in parsed.error.message

    unclosed = _hcl.parse('resource "a" "b" {\n  x = [1, 2\n}\n', "main.tf")
    assert unclosed.error is not None
    assert unclosed.error.range.start_line == 2


def test_windows_line_endings_read_the_same() -> None:
    parsed = _hcl.parse('variable "a" {\r\n  default = 1\r\n}\r\n')
    assert parsed.error is None
    assert parsed.body.blocks[0].attr("default").key == Range(1, 2, 1, 9)  # type: ignore[union-attr]


def test_values_resolve_where_literal() -> None:
    text = (
        'locals {\n  prefix = "${var.env}-app"\n  tags = merge({a = 1}, {b = var.n})\n}\n'
        'x = local.prefix\ny = aws_s3_bucket.logs.arn\nz = jsonencode({k = "v"})\n'
    )
    parsed = _hcl.parse(text)
    scope = {"var": {"env": "prod", "n": 2}}
    locals_ = parsed.body.blocks[0].body.attributes

    def resolve(parts: tuple[str | int, ...]) -> object:
        if parts[0] == "var":
            return scope["var"].get(str(parts[1]), _hcl.Unknown(".".join(map(str, parts))))
        if parts[0] == "local":
            return _hcl.evaluate(locals_[str(parts[1])].expr, resolve)
        return _hcl.Unknown(".".join(map(str, parts)))

    attrs = parsed.body.attributes
    assert _hcl.evaluate(attrs["x"].expr, resolve) == "prod-app"
    assert isinstance(_hcl.evaluate(attrs["y"].expr, resolve), _hcl.Unknown)
    assert _hcl.evaluate(attrs["z"].expr, resolve) == '{"k": "v"}'
    assert _hcl.evaluate(locals_["tags"].expr, resolve) == {"a": 1, "b": 2}


def test_heredoc_references_keep_their_lines() -> None:
    text = "user_data = <<EOF\n#!/bin/sh\nexport DB=${aws_db_instance.main.endpoint}\nEOF\n"
    parsed = _hcl.parse(text)
    refs = list(_hcl.walk_refs(parsed.body.attributes["user_data"].expr))
    assert [r.parts for r in refs] == [("aws_db_instance", "main", "endpoint")]
    assert refs[0].range.start_line == 2


def test_literal_writes_hcl() -> None:
    assert _hcl.literal(True) == "true"
    assert _hcl.literal('a"b') == '"a\\"b"'
    assert _hcl.literal(["x", 1]) == '["x", 1]'
    assert _hcl.literal("${not}") == '"$${not}"'


def _shape(body: _hcl.Body) -> list[object]:
    out: list[object] = []
    for name, attribute in body.attributes.items():
        out.append((name, attribute.key, attribute.expr.range, type(attribute.expr).__name__, attribute.expr.text))
    for block in body.blocks:
        out.append((block.type, tuple(block.labels), block.head, block.range, _shape(block.body)))
    return out


def test_block_by_block_reading_equals_reading_the_whole_file() -> None:
    from tests.shared import CORPUS

    folder = CORPUS / "terragoat" / "aws" if CORPUS else None
    texts = [p.read_text() for p in sorted(folder.glob("*.tf"))] if folder is not None else []
    texts.append(
        'variable "a" {\n  default = 1\n}\n\nresource "aws_instance" "x" {\n  user_data = <<EOF\n'
        "resource at column zero inside a heredoc\nEOF\n}\n"
    )
    for text in texts:
        whole = _hcl._parse_whole(text, text, "f.tf", {})
        split = _hcl.parse(text, "f.tf")
        assert whole.error is None and split.error is None
        assert _shape(split.body) == _shape(whole.body)


def test_an_edit_reparses_only_its_block() -> None:
    text = 'resource "a" "one" {\n  x = 1\n}\n\nresource "a" "two" {\n  y = 2\n}\n'
    _hcl.parse(text)
    before = len(_hcl._chunks)
    edited = text.replace("y = 2", "y = 3")
    parsed = _hcl.parse(edited)
    assert len(_hcl._chunks) == before + 1  # the first block came from the cache
    assert parsed.body.blocks[1].attr("y").key == Range(5, 2, 5, 3)  # type: ignore[union-attr]


def test_nesting_past_the_bound_is_refused_where_it_gets_too_deep() -> None:
    lists = 'resource "aws_s3_bucket" "b" {\n  tags = ' + "[" * 3000 + "]" * 3000 + "\n}\n"
    parsed = _hcl.parse(lists, "main.tf")
    assert parsed.error is not None and parsed.error.code == "ARCH008"
    assert parsed.error.range.start_line == 1 and parsed.error.range.end_col - parsed.error.range.start_col == 1
    blocks = 'resource "aws_s3_bucket" "b" {\n' + 'dynamic "x" {\n' * 3000 + "}\n" * 3001
    parsed = _hcl.parse(blocks, "main.tf")
    assert parsed.error is not None and parsed.error.code == "ARCH008"
    assert parsed.error.range.start_line == _hcl.MAX_DEPTH  # the block one level past the bound
    # real files nest far less (13 levels at most across the corpus): they read as before
    shallow = "locals {\n  x = " + "[" * 20 + "1" + "]" * 20 + "\n}\n"
    assert _hcl.parse(shallow, "main.tf").error is None
