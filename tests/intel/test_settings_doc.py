"""docs/settings.md documents every setting with its editor name, project key and default."""

from __future__ import annotations

import json
import re
from pathlib import Path

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from archls.config import Config

PAGE = Path(__file__).resolve().parents[2] / "docs" / "settings.md"


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def rows() -> dict[str, list[str]]:
    out = {}
    for line in PAGE.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[1].startswith("`"):
            out[cells[1].strip("`")] = cells
    return out


def test_every_setting_is_documented_with_its_default():
    table = rows()
    settings = {name: info for name, info in Config.model_fields.items() if not info.exclude}
    missing = sorted(set(settings) - set(table))
    assert not missing, f"document these settings in docs/settings.md: {missing}"
    for name, info in settings.items():
        editor, key, _type, default, _what = table[name]
        assert editor == f"`{camel(name)}`", name
        assert key == f"`{name}`", name
        value = info.default_factory() if info.default is PydanticUndefined else info.default
        if isinstance(value, BaseModel):
            value = {k: v for k, v in value.model_dump(mode="json").items() if v not in ({}, [], None)}
        assert default == f"`{json.dumps(value)}`", (name, default)


def test_the_commands_are_documented():
    assert re.search(r"`archls\.summary`", PAGE.read_text(encoding="utf-8"))
    assert re.search(r"`archls\.showDetails`", PAGE.read_text(encoding="utf-8"))
