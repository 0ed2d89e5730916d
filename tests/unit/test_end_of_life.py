"""End-of-life findings sit on the text the version was read from: `version`, or the image's tag."""

from __future__ import annotations

import datetime

from archls import engine
from archls.config import Config
from archls.rules.load import analysed

TEXT = """name: shop
components:
  db:
    type: database
    image: postgres:{cycle}
  legacy:
    type: database
    technology: postgresql
    version: "{cycle}"
"""


def lines(text: str, as_of: datetime.date, code: str) -> dict[str, int]:
    analysis = engine.analyse(text, "shop.arch.yaml", Config(as_of=as_of))
    return {f.path[1]: f.range.start_line for f in analysis.findings if f.code == code}


def test_versions_near_or_past_their_end_are_reported_where_they_are_written() -> None:
    probe = engine.analyse(TEXT.format(cycle="16"), "shop.arch.yaml", Config())
    assert probe.rule_context is not None
    postgres = analysed(probe.rule_context).catalog.product("postgresql")
    assert postgres is not None
    # The newest release with an end date: near its end there may be no release to move to yet.
    newest = next(c for c in postgres.cycles if c.eol is not None)
    assert newest.eol is not None
    text = TEXT.format(cycle=newest.cycle)
    assert lines(text, newest.eol - datetime.timedelta(days=30), "VULN013") == {"db": 4, "legacy": 8}
    assert lines(text, newest.eol + datetime.timedelta(days=30), "VULN002") == {"db": 4, "legacy": 8}
