"""The model seen as a schema: the JSON Schema file, and which keys are valid at a path.

``schemas/architecture.schema.json`` is generated from the pydantic model by ``archls schema``;
a test fails when the committed file is stale. The same file ships inside the package
(``archls/schemas/``) so an installed wheel and the VS Code extension carry it, and
``schemas/catalog.json`` is the SchemaStore-style catalog entry that maps architecture file names to
the published address.
"""

from __future__ import annotations

import json
import types
import typing
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from archls.findings import ModelPath
from archls.model import Architecture

SCHEMA_ID = "https://archls.dev/schemas/architecture.schema.json"
SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schemas" / "architecture.schema.json"
#: The copy inside the package, which wheels and the editor extensions carry.
PACKAGED_SCHEMA = Path(__file__).resolve().parent / "schemas" / "architecture.schema.json"
CATALOG_FILE = SCHEMA_FILE.parent / "catalog.json"
#: File names the architecture format is read from (the same as archls.formats.archyaml's).
FILE_MATCH = ["*.arch.yaml", "*.arch.yml", "architecture.yaml", "architecture.yml"]


def json_schema() -> dict[str, Any]:
    schema = Architecture.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": SCHEMA_ID,
        "title": "archls architecture",
        **schema,
    }


def render_schema() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=False) + "\n"


def catalog_entry() -> dict[str, Any]:
    """The entry SchemaStore's catalog (and any catalog-aware YAML editor) needs to find the schema by
    file name, pointing at the published address so it works wherever the file is copied."""
    return {
        "name": "archls architecture",
        "description": "Architecture as code for archls: components, connections, flows and requirements",
        "fileMatch": FILE_MATCH,
        "url": SCHEMA_ID,
    }


def render_catalog() -> str:
    catalog = {
        "$schema": "https://json.schemastore.org/schema-catalog.json",
        "version": 1,
        "schemas": [catalog_entry()],
    }
    return json.dumps(catalog, indent=2) + "\n"


def generated(catalog: bool = False) -> dict[Path, str]:
    """The files ``archls schema --write`` keeps in sync with the model, and their content."""
    schema_text = render_schema()
    files = {SCHEMA_FILE: schema_text, PACKAGED_SCHEMA: schema_text}
    if catalog or CATALOG_FILE.exists():
        files[CATALOG_FILE] = render_catalog()
    return files


def options(annotation: Any) -> list[Any]:
    """The concrete types an annotation can hold: Optional, unions and Annotated peeled off."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return options(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        out: list[Any] = []
        for arg in typing.get_args(annotation):
            if arg is not type(None):
                out.extend(options(arg))
        return out
    return [annotation]


def _step(annotation: Any, key: str | int) -> Any | None:
    """The annotation reached from ``annotation`` by one path step, if any."""
    for option in options(annotation):
        origin = typing.get_origin(option)
        if origin is dict and isinstance(key, str):
            return typing.get_args(option)[1]
        if origin is list and isinstance(key, int):
            return typing.get_args(option)[0]
        if isinstance(option, type) and issubclass(option, BaseModel) and isinstance(key, str):
            info = field_by_key(option).get(key)
            if info is not None:
                return info.annotation
    return None


@cache
def field_by_key(model: type[BaseModel]) -> dict[str, FieldInfo]:
    """The fields of a model by the key written in a file (the alias when there is one)."""
    return {(info.alias or name): info for name, info in model.model_fields.items()}


def annotation_at(path: ModelPath, root: type[BaseModel] = Architecture) -> Any | None:
    annotation: Any = root
    for key in path:
        annotation = _step(annotation, key)
        if annotation is None:
            return None
    return annotation


def model_at(path: ModelPath, root: type[BaseModel] = Architecture) -> type[BaseModel] | None:
    """The model class whose keys are valid at ``path`` (a mapping in the file), if any."""
    annotation = annotation_at(path, root)
    if annotation is None:
        return None
    for option in options(annotation):
        if isinstance(option, type) and issubclass(option, BaseModel):
            return option
    return None


def enum_values(annotation: Any) -> list[str]:
    """Allowed values of an enum or literal annotation (inside lists and optionals too)."""
    values: list[str] = []
    for option in options(annotation):
        origin = typing.get_origin(option)
        if origin is list:
            values.extend(enum_values(typing.get_args(option)[0]))
        elif origin is typing.Literal:
            values.extend(str(v) for v in typing.get_args(option))
        elif isinstance(option, type) and issubclass(option, Enum):
            values.extend(str(member.value) for member in option)
        elif option is bool:
            values.extend(["true", "false"])
    return values
