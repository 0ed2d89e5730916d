"""Position-aware YAML reading: ranges, duplicate keys, bounds, and the block-wise cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from archls import yamlsource
from archls.findings import Range
from archls.formats.archyaml import SECTIONS
from archls.sourcemap import SourceMap
from tests.shared import CORPUS

ROOT = Path(__file__).resolve().parents[2]


def whole(text: str) -> yamlsource.YamlDoc:
    return yamlsource.compose(text)


def blockwise(text: str) -> yamlsource.YamlDoc:
    return yamlsource.compose(text, sections=SECTIONS)


def test_key_and_value_ranges() -> None:
    doc = whole("name: shop\ncomponents:\n  api:\n    type: service\n    replicas: 3\n")
    entry = doc.smap.get(("components", "api", "replicas"))
    assert entry is not None
    assert entry.key == Range(4, 4, 4, 12)
    assert entry.value == Range(4, 14, 4, 15)
    # A block mapping ends where its last value ends, not at the next line.
    assert doc.smap.get(("components", "api")).value == Range(3, 4, 4, 15)


def test_list_item_head_is_its_first_line() -> None:
    doc = whole("connections:\n  - from: a\n    to: b\n  - {from: b, to: c}\n")
    assert doc.smap.get(("connections", 0)).head == Range(1, 4, 1, 11)
    assert doc.smap.get(("connections", 1)).head == Range(3, 4, 3, 20)


def test_absent_attribute_is_located_on_closest_key() -> None:
    doc = whole("components:\n  db:\n    type: database\n")
    assert doc.smap.locate(("components", "db", "encryption_at_rest")) == Range(1, 2, 1, 4)


def test_numbers_keep_their_written_form() -> None:
    doc = whole("version: 3.10\nport: 0x1F\n")
    assert doc.data["version"] == 3.1
    assert doc.data["version"].raw == "3.10"
    assert doc.data["port"] == 31


def test_duplicate_key_reported_at_second_occurrence() -> None:
    doc = whole("components:\n  api: {type: service}\n  api: {type: worker}\n")
    [issue] = doc.issues
    assert issue.code == "ARCH006"
    assert issue.range == Range(2, 2, 2, 5)
    assert "first at line 2" in issue.message
    assert doc.data["components"]["api"] == {"type": "worker"}


def test_merge_keys_fill_in_without_overriding() -> None:
    doc = whole("base: &b {type: service, replicas: 2}\napi:\n  <<: *b\n  replicas: 3\n")
    assert doc.data["api"] == {"type": "service", "replicas": 3}


def test_alias_bomb_is_stopped_with_one_finding() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 9):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 10) + "]")
    doc = whole("\n".join(lines) + "\n")
    assert doc.data is None
    [issue] = doc.issues
    assert issue.code == "ARCH008"
    assert "billion laughs" in issue.message


def test_recursive_alias_is_reported() -> None:
    doc = whole("a: &a [*a]\n")
    assert [i.code for i in doc.issues] == ["ARCH008"]


def test_libyaml_nesting_limit_is_a_bound_not_a_crash() -> None:
    doc = whole("a: " + "[" * 10_000 + "]" * 10_000 + "\n")
    [issue] = doc.issues
    assert issue.code == "ARCH008"
    assert issue.range.start_line == 0


def test_deep_nesting_below_libyaml_limit_is_bounded() -> None:
    doc = whole("a: " + "[" * 500 + "]" * 500 + "\n")
    [issue] = doc.issues
    assert issue.code == "ARCH008"
    assert "100 levels" in issue.message


def test_syntax_error_position() -> None:
    doc = whole("name: x\ncomponents:\n  api:\n    type: service\n   replicas: 2\n")
    [issue] = doc.issues
    assert issue.code == "ARCH001"
    assert issue.range.start_line == 4


def test_custom_tags_do_not_crash() -> None:
    doc = whole("ports: !reset []\nenv: !override {A: b}\nx: !!binary aGVsbG8=\n")
    assert doc.data["ports"] == []
    assert doc.data["env"] == {"A": "b"}


def _sources() -> list[Path]:
    files = sorted((ROOT / "examples").glob("*.yaml"))
    if CORPUS is not None:
        files += sorted(p for p in CORPUS.rglob("*.y*ml") if "{{" not in p.read_text(errors="replace"))
    return files


@pytest.mark.parametrize("path", _sources(), ids=lambda p: p.name)
def test_blockwise_reading_equals_whole_reading(path: Path) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    if "\n---" in text or text.startswith("---"):
        pytest.skip("multi-document")
    a, b = blockwise(text), whole(text)
    assert a.data == b.data
    assert [(i.code, i.range) for i in a.issues] == [(i.code, i.range) for i in b.issues]
    assert dict(a.smap.items()) == dict(b.smap.items())


def test_blockwise_reuses_unchanged_blocks_and_tracks_moved_lines() -> None:
    text = (ROOT / "examples" / "ride-sharing.arch.yaml").read_text()
    first = blockwise(text)
    edited = text.replace("  cdn:\n", "  # a new comment line\n  cdn:\n", 1)
    second = blockwise(edited)
    # Blocks after the edit moved down one line; their data objects are the cached ones.
    assert second.data["components"]["trips-db"] is first.data["components"]["trips-db"]
    before = first.smap.get(("components", "trips-db", "encryption_at_rest")).key
    after = second.smap.get(("components", "trips-db", "encryption_at_rest")).key
    assert after == before.shifted(1)
    assert dict(second.smap.items()) == dict(whole(edited).smap.items())


@pytest.mark.parametrize(
    "text",
    [
        "name: x\ncomponents:\n  a: &x {type: service}\n  b: *x\n",  # aliases across blocks
        "name: x\ncomponents: {a: {type: service},\nb: {type: cache}}\n",  # flow spanning lines
        'name: x\ncomponents:\n  a:\n    description: "two\n  b: lines"\n',  # quoted scalar crossing a boundary
        "---\nname: x\ncomponents:\n  a: {type: service}\n",  # document marker
        "name: x\nconnections:\n- {from: a, to: b}\n- {from: b, to: c}\n",  # items at column 0
    ],
)
def test_blockwise_falls_back_where_blocks_interact(text: str) -> None:
    a, b = blockwise(text), whole(text)
    assert a.data == b.data
    assert [(i.code, i.range) for i in a.issues] == [(i.code, i.range) for i in b.issues]


def test_sourcemap_mounts_and_path_at() -> None:
    inner = SourceMap()
    inner.add((), Range(0, 2, 0, 5), Range(1, 4, 2, 10))
    inner.add(("type",), Range(1, 4, 1, 8), Range(1, 10, 1, 17))
    outer = SourceMap()
    outer.mount(("components", "api"), 10, inner)
    assert outer.get(("components", "api", "type")).key == Range(11, 4, 11, 8)
    assert outer.path_at(11, 12) == ("components", "api", "type")
    assert outer.locate(("components", "api", "tls")) == Range(10, 2, 10, 5)


def test_a_stream_is_read_document_by_document_within_its_bounds() -> None:
    text = "a: 1\n---\n---\nb: [2\n"
    stream = yamlsource.compose_documents(text)
    assert [doc.data for doc in stream.docs] == [{"a": 1}, None]
    assert stream.stop is not None and stream.stop.code == "ARCH001" and stream.stop.range.start_line == 4

    many = "".join(f"---\nk{i}: {i}\n" for i in range(10))
    stopped = yamlsource.compose_documents(many, max_documents=3)
    assert [doc.data for doc in stopped.docs] == [{"k0": 0}, {"k1": 1}, {"k2": 2}]
    assert stopped.stop is not None and stopped.stop.code == "ARCH008"
    assert stopped.stop.message.startswith("archls read the first 3 documents")
    assert stopped.stop.range.start_line == 7  # the first document left unread
    assert stopped.docs[2].smap.get(("k2",)).key.start_line == 5  # lines count from the stream's start


def _deepest_by_scan(smap: SourceMap, line: int, col: int) -> tuple | None:
    best = None
    for path, entry in smap.items():
        inside = (entry.key is not None and entry.key.contains(line, col)) or entry.value.contains(line, col)
        if inside and (best is None or len(path) > len(best)):
            best = path
    return best


@pytest.mark.parametrize(
    "path",
    [*sorted((ROOT / "examples").glob("*.arch.yaml"))[:3], ROOT / "tests" / "editors" / "workspace" / "shop.arch.yaml"],
    ids=lambda p: p.name,
)
def test_path_at_finds_what_a_full_scan_finds(path: Path) -> None:
    text = path.read_text()
    smap = blockwise(text).smap
    for line, content in enumerate(text.split("\n")):
        for col in range(0, len(content) + 1, 2):
            assert smap.path_at(line, col) == _deepest_by_scan(smap, line, col), (line, col)


def test_path_at_in_documents_mounted_at_the_same_offset() -> None:
    from archls import engine

    text = (
        "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: b\n"
    )
    smap = engine.analyse(text, "k8s.yaml").loaded.smap
    assert smap.path_at(7, 9) == ("documents", 1, "metadata", "name")
    assert smap.path_at(2, 17) == ("documents", 0, "metadata", "name")
