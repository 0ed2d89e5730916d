"""Configuration: project files (``.archls.yaml`` or ``[tool.archls]`` in ``pyproject.toml``)
merged with editor settings, which win.

Selectors in ``select``/``ignore`` are rule ids (``SEC003``), prefixes (``SEC0``) or
categories (``SEC``). ``per_path`` entries apply their own selectors to files matching a glob.
"""

from __future__ import annotations

import datetime
import fnmatch
from functools import lru_cache
from pathlib import Path, PurePath
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, FiniteFloat, ValidationError, field_validator

from archls.findings import Severity

PROJECT_FILES = (".archls.yaml", ".archls.yml", "pyproject.toml")


class PathOverride(BaseModel):
    # built at first use, as archls.model.Strict says why
    model_config = ConfigDict(extra="forbid", defer_build=True)

    path: str = Field(..., description="Glob matched against the file path relative to the project root.")
    select: list[str] = Field(default_factory=list)
    ignore: list[str] = Field(default_factory=list)
    severity: dict[str, Severity] = Field(default_factory=dict)


class FigureOverride(BaseModel):
    """Reference figures of one technology or component type, replacing the catalog's."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    throughput_rps: float | None = Field(
        None, allow_inf_nan=False, gt=0, description="Requests per second one replica (or vCPU) sustains."
    )
    per_vcpu: bool | None = Field(None, description="Whether throughput_rps is per vCPU rather than per replica.")
    service_ms: float | None = Field(
        None, allow_inf_nan=False, gt=0, description="Mean service time of one request in milliseconds."
    )
    availability: float | None = Field(
        None, allow_inf_nan=False, gt=0, le=1, description="Availability of one replica, 0..1."
    )
    sla: float | None = Field(
        None, allow_inf_nan=False, gt=0, le=1, description="Availability of a managed service as a whole, 0..1."
    )


class CatalogOverride(BaseModel):
    """Project-specific reference data, taking precedence over archls' catalog (see docs/analysis.md)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    technologies: dict[str, FigureOverride] = Field(
        default_factory=dict, description="Figures by technology id or alias, e.g. postgresql."
    )
    types: dict[str, FigureOverride] = Field(
        default_factory=dict, description="Figures by component type, for components of unknown technology."
    )
    prices: dict[str, FiniteFloat] = Field(
        default_factory=dict,
        description="USD prices: an instance class per hour (db.r6g.large) or a unit price (fargate.vcpu_hour).",
    )
    eol: dict[str, dict[str, datetime.date | None]] = Field(
        default_factory=dict, description="End-of-life dates by product and release cycle; null: still supported."
    )


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, defer_build=True)

    select: list[str] = Field(default_factory=list, description="Rules or categories to run; empty runs all.")
    ignore: list[str] = Field(default_factory=list, description="Rules or categories never to report.")
    severity: dict[str, Severity] = Field(default_factory=dict, description="Severity per rule or category.")
    per_path: list[PathOverride] = Field(default_factory=list, description="Overrides for files matching a glob.")
    region: str = Field(
        "us-east-1", description="Region whose prices the cost estimate uses for components that name none."
    )
    as_of: datetime.date | None = Field(
        None, description="Date end-of-life checks are made against; default: today. Fix it for repeatable audits."
    )
    trusted_registries: list[str] = Field(
        default_factory=list,
        description="Container registries images may come from (host names, `*` wildcards); empty: well-known "
        "public registries, and any private registry is taken to be yours.",
    )
    trusted_publishers: list[str] = Field(
        default_factory=list,
        description="Docker Hub namespaces (accounts or organisations) you trust beyond the official images and "
        "the publishers archls knows.",
    )
    catalog: CatalogOverride = Field(
        default_factory=CatalogOverride, description="Overrides of archls' reference figures and prices."
    )
    thresholds: dict[str, FiniteFloat] = Field(default_factory=dict, description="Numeric limits rules use, by name.")
    max_file_bytes: int = Field(5_000_000, gt=0, description="Larger files are not read.")
    debounce_ms: int = Field(150, ge=0, description="Wait after the last edit before auditing (server).")
    diagnostic_mode: str = Field(
        "push", pattern="^(push|pull)$", description="push: the server publishes; pull: the client asks."
    )
    docs_url: str | None = Field(None, description="Base URL of the rule documentation; default: the bundled pages.")
    inlay_hints: bool = Field(True, description="Show utilisation and cost hints in the editor.")
    code_lens: bool = Field(True, description="Show cost and latency lenses in the editor.")
    #: The assistant's settings (``archls.ai.*``: enabled, model, backend, apiKey, timeout, maxRetries,
    #: inlineCompletion, inlineDebounceMs, completionSuggestions; see docs/assistant.md). Read by the assistant, never part
    #: of an audit, and left out of every dump so a key set in the editor cannot reach a cache or a log.
    ai: dict[str, Any] = Field(default_factory=dict, exclude=True, repr=False)
    #: Where the project configuration came from, for messages.
    source: str | None = Field(None, exclude=True)
    root: str | None = Field(None, exclude=True)

    @field_validator("thresholds")
    @classmethod
    def _usable_thresholds(cls, value: dict[str, float]) -> dict[str, float]:
        # a negative limit means nothing, and a utilisation of 0 is one no component can reach
        # (sizing divides by it)
        for name, limit in value.items():
            if limit < 0 or (limit == 0 and "utilisation" in name):
                raise ValueError(f"{name} must be {'above' if limit == 0 else 'at least'} 0, not {limit:g}")
        return value

    def for_file(self, path: str) -> Config:
        """This configuration with the ``per_path`` overrides that match ``path`` folded in."""
        if not self.per_path:
            return self
        rel = _relative(path, self.root)
        select, ignore, severity = list(self.select), list(self.ignore), dict(self.severity)
        for override in self.per_path:
            if fnmatch.fnmatch(rel, override.path) or PurePath(rel).match(override.path):
                select += override.select
                ignore += override.ignore
                severity.update(override.severity)
        return self.model_copy(update={"select": select, "ignore": ignore, "severity": severity, "per_path": []})

    def enabled(self, code: str) -> bool:
        if any(_matches(code, s) for s in self.ignore):
            return False
        if not self.select:
            return True
        return code.startswith("ARCH") or any(_matches(code, s) for s in self.select)

    def severity_of(self, code: str, default: Severity) -> Severity:
        best: tuple[int, Severity] | None = None
        for selector, severity in self.severity.items():
            if _matches(code, selector) and (best is None or len(selector) > best[0]):
                best = (len(selector), severity)
        return best[1] if best else default


def _matches(code: str, selector: str) -> bool:
    return code.upper().startswith(selector.upper())


def _relative(path: str, root: str | None) -> str:
    if root:
        try:
            return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
        except ValueError:
            pass
    return PurePath(path).as_posix()


class ConfigError(Exception):
    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source


def find_project_file(start: str | Path) -> Path | None:
    """The nearest ``.archls.yaml`` or ``pyproject.toml`` with ``[tool.archls]``, from ``start`` upwards."""
    here = Path(start).resolve()
    if here.is_file() or not here.exists():
        here = here.parent
    for folder in (here, *here.parents):
        for name in PROJECT_FILES:
            candidate = folder / name
            if candidate.is_file() and (name != "pyproject.toml" or _pyproject_section(candidate) is not None):
                return candidate
    return None


def _pyproject_section(path: Path) -> dict[str, Any] | None:
    import tomllib  # only for a pyproject.toml, which most folders of a first audit do not have

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    section = data.get("tool", {}).get("archls")
    return section if isinstance(section, dict) else None


def read_project_file(path: Path) -> dict[str, Any]:
    if path.name == "pyproject.toml":
        return _pyproject_section(path) or {}
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(str(path), f"cannot read: {exc}") from exc
    except (ValueError, RecursionError) as exc:
        # the YAML parses but a value cannot be built: an integer of more than 4,300 digits,
        # nesting deeper than the interpreter's stack
        raise ConfigError(str(path), f"cannot read a value: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(str(path), "the configuration must be a mapping")
    return data


def normalise_keys(data: dict[str, Any]) -> dict[str, Any]:
    """Editor settings arrive in camelCase (``maxFileBytes``); the file uses snake_case."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        snake = "".join(f"_{ch.lower()}" if ch.isupper() else ch for ch in key)
        out[snake] = value
    return out


def build(
    project: dict[str, Any] | None = None,
    editor: dict[str, Any] | None = None,
    *,
    source: str | None = None,
    root: str | None = None,
) -> Config:
    """Project settings, then editor settings on top. Unknown keys raise :class:`ConfigError`."""
    merged: dict[str, Any] = {}
    for layer in (project or {}, normalise_keys(editor or {})):
        for key, value in layer.items():
            if value is None:
                continue
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = {**merged[key], **value}
            else:
                merged[key] = value
    try:
        config = Config.model_validate(merged)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(source or "settings", problems) from exc
    config.source = source
    config.root = root
    return config


@lru_cache(maxsize=64)
def _load_cached(path: str, mtime: float) -> dict[str, Any]:
    return read_project_file(Path(path))


def for_path(path: str | Path, editor: dict[str, Any] | None = None) -> Config:
    """The configuration that applies to ``path``: its project file, then ``editor`` settings."""
    found = find_project_file(path)
    if found is None:
        return build(None, editor)
    project = _load_cached(str(found), found.stat().st_mtime)
    return build(project, editor, source=str(found), root=str(found.parent))
