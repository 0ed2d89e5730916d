"""Inline suppression comments, through the engine with the real rules."""

from __future__ import annotations

from archls import engine, fixes
from archls.config import Config
from archls.rules.registry import Fix
from archls.suppress import parse, suppress_edit

BASE = """name: shop
components:
  api: {{type: service}}
  users-db:{db_comment}
    type: database
    data: [pii]{data_comment}
  orders-db: {{type: database, data: [pii]}}{orders_comment}
connections:
  - {{from: api, to: users-db, protocol: postgres, tls: true, timeout_ms: 100}}
  - {{from: api, to: orders-db, protocol: postgres, tls: true, timeout_ms: 100}}
"""


def audit(db_comment: str = "", data_comment: str = "", orders_comment: str = "", extra: str = "", config=None):
    text = extra + BASE.format(db_comment=db_comment, data_comment=data_comment, orders_comment=orders_comment)
    return engine.analyse(text, "shop.arch.yaml", config or Config())


def codes_at(analysis: engine.Analysis, component: str) -> set[str]:
    return {f.code for f in analysis.findings if f.path[:2] == ("components", component)}


def test_without_comments_both_stores_are_reported() -> None:
    analysis = audit()
    assert "SEC014" in codes_at(analysis, "users-db")
    assert "SEC014" in codes_at(analysis, "orders-db")


def test_comment_on_a_component_key_suppresses_its_findings() -> None:
    analysis = audit(db_comment="  # archls: ignore[SEC014] encrypted by the volume")
    assert "SEC014" not in codes_at(analysis, "users-db")
    assert "SEC014" in codes_at(analysis, "orders-db")
    assert not [f for f in analysis.findings if f.code == "ARCH011"]


def test_comment_on_the_finding_line() -> None:
    analysis = audit(orders_comment="  # archls: ignore[SEC014]")
    assert "SEC014" not in codes_at(analysis, "orders-db")
    assert "SEC014" in codes_at(analysis, "users-db")


def test_several_codes_and_categories() -> None:
    analysis = audit(db_comment="  # archls: ignore[SEC014, REL] both known")
    assert not {"SEC014", "REL015", "REL010"} & codes_at(analysis, "users-db")
    assert "REL015" in codes_at(analysis, "orders-db")


def test_file_level_suppression() -> None:
    analysis = audit(extra="# archls: ignore-file[SEC014]\n")
    assert not [f for f in analysis.findings if f.code == "SEC014"]
    assert [f for f in analysis.findings if f.code == "REL015"]


def test_bare_file_level_suppression_hides_everything_suppressible() -> None:
    analysis = audit(extra="# archls: ignore-file\n")
    assert analysis.findings == []


def test_unused_code_is_reported_on_the_comment() -> None:
    analysis = audit(db_comment="  # archls: ignore[SEC014, PERF001]")
    unused = [f for f in analysis.findings if f.code == "ARCH011"]
    assert len(unused) == 1
    assert "no PERF001 finding here" in unused[0].message
    line = analysis.text.split("\n")[unused[0].range.start_line]
    assert line[unused[0].range.start_col :].startswith("# archls: ignore[")
    # Its fix removes only the unused code.
    edits = fixes.edits_for(analysis, Fix.from_json(unused[0].fix))
    fixed = fixes.apply(analysis.text, edits)
    assert "# archls: ignore[SEC014]" in fixed
    assert not [f for f in engine.analyse(fixed, "shop.arch.yaml", Config()).findings if f.code == "ARCH011"]


def test_unknown_code_and_wholly_unused_comment() -> None:
    analysis = audit(orders_comment="  # archls: ignore[NOPE42]")
    unused = [f for f in analysis.findings if f.code == "ARCH011"]
    assert [u.message for u in unused] == ["unused suppression: 'NOPE42' is not an archls code"]
    fixed = fixes.apply(analysis.text, fixes.edits_for(analysis, Fix.from_json(unused[0].fix)))
    assert "archls:" not in fixed.split("\n")[unused[0].range.start_line]


def test_code_turned_off_in_configuration_is_not_called_unused() -> None:
    analysis = audit(db_comment="  # archls: ignore[PERF001]", config=Config(ignore=["PERF"]))
    assert not [f for f in analysis.findings if f.code == "ARCH011"]


def test_unused_suppressions_can_be_turned_off() -> None:
    analysis = audit(db_comment="  # archls: ignore[PERF001]", config=Config(ignore=["ARCH011"]))
    assert not [f for f in analysis.findings if f.code == "ARCH011"]


def test_comment_inside_a_string_does_not_count() -> None:
    analysis = audit(extra='description: "see#archls: ignore-file"\n')
    assert [f for f in analysis.findings if f.code == "SEC014"]


def test_syntax_errors_cannot_be_suppressed() -> None:
    analysis = engine.analyse("# archls: ignore-file\nname: [\n", "x.arch.yaml", Config())
    assert [f.code for f in analysis.findings] == ["ARCH001"]


def test_parse_slash_comments_for_hcl() -> None:
    found = parse('resource "aws_db_instance" "db" { // archls: ignore[SEC014] managed\n  # archls: ignore-file\n}\n')
    assert [(s.line, s.file_level, [t.code for t in s.tokens]) for s in found] == [
        (0, False, ["SEC014"]),
        (1, True, []),
    ]
    assert not parse("url: https://example.com//archls: ignore[SEC001]\n")


def test_suppress_edit_adds_or_extends_a_comment() -> None:
    text = "a: 1\nb: 2  # archls: ignore[SEC001]\nc: 3   \r\nd: 4  # archls: ignore\n"
    assert fixes.apply(text, [suppress_edit(text, 0, "SEC002")]).split("\n")[0] == "a: 1  # archls: ignore[SEC002]"
    assert (
        fixes.apply(text, [suppress_edit(text, 1, "SEC002")]).split("\n")[1] == "b: 2  # archls: ignore[SEC001, SEC002]"
    )
    assert fixes.apply(text, [suppress_edit(text, 2, "SEC002")]).split("\n")[2] == "c: 3  # archls: ignore[SEC002]\r"


def test_removing_several_unused_codes_keeps_the_rest_of_the_line() -> None:
    # The last two codes are unused: their removals meet at the comma between them.
    analysis = audit(db_comment="  # archls: ignore[SEC014, NOPE1, NOPE2]")
    [unused] = [f for f in analysis.findings if f.code == "ARCH011"]
    fixed = fixes.apply(analysis.text, fixes.edits_for(analysis, Fix.from_json(unused.fix)))
    assert fixed == audit(db_comment="  # archls: ignore[SEC014]").text
    # Unused codes on both sides of a used one.
    analysis = audit(db_comment="  # archls: ignore[NOPE1, SEC014, NOPE2, NOPE3]")
    [unused] = [f for f in analysis.findings if f.code == "ARCH011"]
    fixed = fixes.apply(analysis.text, fixes.edits_for(analysis, Fix.from_json(unused.fix)))
    assert fixed == audit(db_comment="  # archls: ignore[SEC014]").text
