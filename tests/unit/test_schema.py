import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from archls import schema

ROOT = Path(__file__).resolve().parents[2]


def test_committed_schema_is_in_sync_with_the_model() -> None:
    assert schema.SCHEMA_FILE.read_text(encoding="utf-8") == schema.render_schema(), (
        "schemas/architecture.schema.json is stale: run 'archls schema --write'"
    )


@pytest.mark.parametrize("path", sorted((ROOT / "examples").glob("*.arch.yaml")), ids=lambda p: p.stem)
def test_examples_validate_against_the_schema(path: Path) -> None:
    data = yaml.safe_load(path.read_text())
    jsonschema.validate(data, json.loads(schema.SCHEMA_FILE.read_text()))


def test_schema_rejects_what_the_loader_rejects() -> None:
    validator = jsonschema.Draft7Validator(json.loads(schema.SCHEMA_FILE.read_text()))
    bad = {"name": "x", "components": {"api": {"type": "servise", "replicaz": 2}}}
    messages = [e.message for e in validator.iter_errors(bad)]
    assert any("servise" in m for m in messages)
    assert any("replicaz" in m for m in messages)


def test_examples_carry_the_yaml_language_server_modeline() -> None:
    for path in (ROOT / "examples").glob("*.arch.yaml"):
        first = path.read_text().splitlines()[0]
        # The published address, not a relative path: the modeline survives copying the file elsewhere.
        assert first == f"# yaml-language-server: $schema={schema.SCHEMA_ID}"


def test_the_package_carries_the_schema_and_the_catalog_names_it() -> None:
    from importlib import resources

    packaged = resources.files("archls").joinpath("schemas/architecture.schema.json").read_text(encoding="utf-8")
    assert packaged == schema.render_schema()
    catalog = json.loads((ROOT / "schemas" / "catalog.json").read_text(encoding="utf-8"))
    (entry,) = catalog["schemas"]
    assert entry["url"] == json.loads(packaged)["$id"] == schema.SCHEMA_ID
    from fnmatch import fnmatch

    for path in (ROOT / "examples").glob("*.arch.yaml"):
        assert any(fnmatch(path.name, pattern) for pattern in entry["fileMatch"]), path.name
