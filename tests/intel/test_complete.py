"""Completion as a pure function of the text, the position and the last analysis."""

from __future__ import annotations

from archls import engine
from archls.intel.complete import complete
from tests.e2e.shop import SHOP


def labels(text: str, line_text: str, **kwargs) -> list[str] | None:
    lines = text.split("\n")
    line = lines.index(line_text)
    result = complete(text, line, len(line_text), **kwargs)
    return None if result is None else [i.label for i in result.items]


def test_keys_inside_a_flow_mapping_stay_on_one_line():
    text = "name: x\ncomponents:\n  api: {type: service, aut"
    result = complete(text, 2, len("  api: {type: service, aut"))
    by_label = {i.label: i for i in result.items}
    assert "type" not in by_label
    assert (by_label["autoscaling"].insert, by_label["autoscaling"].snippet) == ("autoscaling: ", "autoscaling: $0")
    assert (result.start, result.end) == (len("  api: {type: service, "), len("  api: {type: service, aut"))


def test_a_key_that_has_its_colon_is_completed_by_name_only():
    text = "name: x\ncomponents:\n  api:\n    tec: go\n"
    result = complete(text, 3, 6)
    item = next(i for i in result.items if i.label == "technology")
    assert (item.insert, item.snippet) == ("technology", None)
    assert (result.start, result.end) == (4, 7)


def test_trigger_characters_open_completion_only_where_it_helps():
    text = SHOP.replace("    type: service\n", "    type: \n")
    assert labels(text, "    type: ", trigger=" ")[:2] == ["client", "cdn"]
    text = SHOP.replace("  budget_monthly: 2000\n", "  budget_monthly: 2000 \n")
    assert labels(text, "  budget_monthly: 2000 ", trigger=" ") is None
    text = SHOP.replace("    image", "").replace("    tls: true\n", "    tls: true\n    image: registry.example.com:\n")
    assert labels(text, "    image: registry.example.com:", trigger=":") is None
    text = SHOP.replace("    technology: go\n", "    technology: load-\n")
    assert labels(text, "    technology: load-", trigger="-") is None


def test_ids_come_from_the_text_and_details_from_the_last_good_analysis():
    good = engine.analyse(SHOP, "/tmp/shop.arch.yaml")
    text = SHOP.replace("  db:\n", "  cache:\n    type: cache\n  db:\n").replace("    to: api\n", "    to: \n")
    result = complete(text, text.split("\n").index("    to: "), 8, good)
    assert [(i.label, i.detail) for i in result.items] == [
        ("api", "service · go"),
        ("cache", None),
        ("db", "database · postgresql"),
    ]


def test_nothing_for_free_text_and_closed_lists():
    assert labels(SHOP, "name: Shop") is None
    assert labels(SHOP, "    path: [web, api, db]") is None
