"""The architecture format: every schema problem on the key or value at fault, partial models."""

from __future__ import annotations

from pathlib import Path

import pytest

from archls import engine
from archls.config import Config
from archls.findings import Range
from archls.model import ComponentType

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.arch.yaml"))


def audit(text: str) -> engine.Analysis:
    # Only the loader's codes: these tests are about reading the format, not about the audit rules.
    return engine.analyse(text, "t.arch.yaml", Config(select=["ARCH"]))


def codes(text: str) -> list[tuple[str, int, int]]:
    return [(f.code, f.range.start_line, f.range.start_col) for f in audit(text).findings if f.code.startswith("ARCH")]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_examples_load_clean(path: Path) -> None:
    analysis = audit(path.read_text())
    loader = [f for f in analysis.findings if f.code.startswith("ARCH")]
    assert not loader, [(f.code, f.range.start_line + 1, f.message) for f in loader]
    assert analysis.model is not None
    assert 8 <= len(analysis.model.components) <= 30


def test_unknown_key_with_suggestion_on_the_key() -> None:
    [finding] = audit("name: x\ncomponents:\n  db:\n    type: database\n    encryption_at_reset: true\n").findings
    assert finding.code == "ARCH003"
    assert finding.range == Range(4, 4, 4, 23)
    assert "did you mean 'encryption_at_rest'" in finding.message


def test_unknown_key_without_close_match_lists_allowed() -> None:
    [finding] = audit("name: x\ncomponents:\n  db:\n    type: database\n    zzz: 1\n").findings
    assert "allowed: " in finding.message and "encryption_at_rest" in finding.message


def test_unknown_top_level_key() -> None:
    [finding] = audit("name: x\ncomponent:\n  db: {type: database}\n").findings
    assert finding.code == "ARCH003"
    assert "did you mean 'components'" in finding.message


def test_enum_value_lists_allowed_values_and_suggests() -> None:
    [finding] = audit("name: x\ncomponents:\n  api:\n    type: servise\n").findings
    assert finding.code == "ARCH004"
    assert finding.range == Range(3, 10, 3, 17)
    assert "did you mean 'service'" in finding.message
    assert "load-balancer" in finding.message


def test_enum_inside_list() -> None:
    [finding] = audit("name: x\ncomponents:\n  api:\n    type: service\n    data: [pii, cardd]\n").findings
    assert finding.range == Range(4, 16, 4, 21)
    assert "did you mean 'card'" in finding.message


def test_union_errors_read_as_one() -> None:
    findings = audit("name: x\ncomponents:\n  db:\n    type: database\n    backups: yes please\n").findings
    assert [f.message for f in findings] == ["expected a mapping or true or false, not text"]


def test_nested_unknown_key_inside_union() -> None:
    [finding] = audit("name: x\ncomponents:\n  api:\n    type: service\n    health_check: {pth: /x}\n").findings
    assert finding.code == "ARCH003"
    assert finding.range == Range(4, 19, 4, 22)


def test_numbers_out_of_range_and_wrong_type() -> None:
    text = "name: x\ncomponents:\n  api:\n    type: service\n    replicas: -1\n    resources: {cpu: lots}\n"
    found = codes(text)
    assert ("ARCH004", 4, 14) in found
    assert ("ARCH004", 5, 21) in found


def test_missing_type_on_component_key() -> None:
    assert codes("name: x\ncomponents:\n  api:\n    technology: go\n") == [("ARCH005", 2, 2)]


def test_missing_name_at_first_key() -> None:
    assert codes("components:\n  api: {type: service}\n") == [("ARCH005", 0, 0)]


def test_bad_part_is_dropped_and_the_rest_kept() -> None:
    analysis = audit(
        "name: x\ncomponents:\n  web: {type: client}\n  api: {type: servise}\n  db: {type: database}\n"
        "connections:\n  - {from: web, to: db}\n  - {from: web}\n  - {from: web, to: api}\n"
    )
    assert set(analysis.model.components) == {"web", "db"}
    assert analysis.model.components["db"].type is ComponentType.DATABASE
    assert len(analysis.model.connections) == 2
    # Model indices skip the invalid connection; findings about them still land on the right item.
    assert analysis.loaded.file_path(("connections", 1)) == ("connections", 2)
    # A reference to a component whose definition was invalid is not reported as dangling.
    assert [f.code for f in analysis.findings if f.code == "ARCH007"] == []


def test_dangling_references_with_suggestions() -> None:
    text = (
        "name: x\ncomponents:\n  web: {type: client}\n  postgres: {type: database}\n"
        "connections:\n  - {from: web, to: postgress}\n"
        "flows:\n  f: {path: [web, postgrs]}\n"
        "groups:\n  g: {members: [webb], parent: nowhere}\n"
    )
    found = [(f.code, f.range.start_line, f.message) for f in audit(text).findings if f.code == "ARCH007"]
    assert [(line, message) for _, line, message in found] == [
        (5, "component 'postgress' does not exist; did you mean 'postgres'?"),
        (7, "component 'postgrs' does not exist; did you mean 'postgres'?"),
        (9, "component 'webb' does not exist; did you mean 'web'?"),
        (9, "group 'nowhere' does not exist"),
    ]


def test_flow_step_without_connection() -> None:
    text = "name: x\ncomponents:\n  a: {type: client}\n  b: {type: service}\nflows:\n  f: {path: [a, b]}\n"
    [finding] = [f for f in audit(text).findings if f.code == "ARCH012"]
    assert finding.range == Range(5, 16, 5, 17)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "ARCH002"),
        ("# only a comment\n", "ARCH002"),
        ("- a\n- b\n", "ARCH002"),
        ("just a sentence\n", "ARCH002"),
        ("name: [unclosed\n", "ARCH001"),
    ],
)
def test_not_an_architecture_gives_one_finding(text: str, code: str) -> None:
    assert [f.code for f in audit(text).findings] == [code]


def test_component_ids_with_hostile_characters_are_warned_not_fatal() -> None:
    analysis = audit('name: x\ncomponents:\n  "../etc": {type: service}\n  "<script>": {type: cache}\n')
    warned = [f for f in analysis.findings if f.code == "ARCH004"]
    assert len(warned) == 2 and all(f.severity == "warning" for f in warned)
    assert set(analysis.model.components) == {"../etc", "<script>"}


def test_version_number_keeps_written_text() -> None:
    model = audit("name: x\ncomponents:\n  db: {type: database, version: 3.10}\n").model
    assert model.components["db"].version == "3.10"
