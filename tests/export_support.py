"""Shared pieces of the export tests: the architectures exported, the validators found on this
machine, and a renderer for the small part of Helm's template language the chart uses."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
FIXTURES = ROOT / "tests" / "fixtures" / "export"
PRISMA = ROOT / ".tools" / "prisma" / "node_modules" / ".bin" / "prisma"
ENGINE_STUB = ROOT / "scripts" / "prisma-engine-stub.sh"


def architectures() -> list[Path]:
    """Every example (more arrive on main) and the export fixtures."""
    return sorted(ROOT.glob("examples/*.arch.yaml")) + sorted(FIXTURES.glob("*.arch.yaml"))


def ids(paths: list[Path]) -> list[str]:
    return [p.name.removesuffix(".arch.yaml") for p in paths]


@cache
def exported(path: Path) -> dict[str, str]:
    """All targets of one architecture, rendered once per test session."""
    from archls import export

    model, graph = export.load(path)
    return export.render(model, "all", graph)


def write(files: dict[str, str], root: Path, prefix: str = "") -> Path:
    for rel, text in files.items():
        if rel.startswith(prefix):
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    return root / prefix if prefix else root


def tool(name: str) -> str | None:
    """A validator's executable: the venv's first (test extras), then PATH."""
    local = BIN / name
    if local.exists():
        return str(local)
    return shutil.which(name)


def run(command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None, timeout: int = 180):
    merged = {**os.environ, **(env or {})}
    return subprocess.run(command, cwd=cwd, env=merged, capture_output=True, text=True, timeout=timeout, check=False)


def prisma_env(schema_text: str) -> dict[str, str]:
    urls = {"postgresql": "postgresql://u:p@localhost:5432/db", "mysql": "mysql://u:p@localhost:3306/db",
            "sqlserver": "sqlserver://localhost:1433;database=db;user=u;password=p;encrypt=true",
            "mongodb": "mongodb://u:p@localhost:27017/db", "cockroachdb": "postgresql://u:p@localhost:26257/db"}  # fmt: skip
    provider = re.search(r'provider = "(\w+)"\n  url', schema_text)
    env = {"CHECKPOINT_DISABLE": "1", "PRISMA_HIDE_UPDATE_MESSAGE": "1",
           "PRISMA_SCHEMA_ENGINE_BINARY": str(ENGINE_STUB), "PRISMA_QUERY_ENGINE_LIBRARY": str(ENGINE_STUB)}  # fmt: skip
    for name in re.findall(r'env\("([A-Z0-9_]+)"\)', schema_text):
        env[name] = urls[provider.group(1) if provider else "postgresql"]
    return env


# --- Helm ----------------------------------------------------------------------------------------

_ACTION = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}")


def render_helm(chart: dict[str, str], namespace: str = "demo") -> dict[str, str]:
    """Render the chart's templates, accepting only the actions archls writes.

    Any other action (as user text would be, were it not escaped) fails the test.
    """
    values = yaml.safe_load(chart["values.yaml"])
    out = {}
    for name, text in chart.items():
        if not name.startswith("templates/") or not name.endswith(".yaml"):
            continue
        if text.startswith("{{- if .Values.ingress.enabled }}\n"):
            if not values["ingress"]["enabled"]:
                continue
            text = text.removeprefix("{{- if .Values.ingress.enabled }}\n").removesuffix("{{- end }}\n")

        def action(match: re.Match[str], name: str = name) -> str:
            body = match.group(1)
            if body == '"{{"':
                return "{{"
            if body == ".Release.Namespace":
                return namespace
            found = re.fullmatch(r"\.Values\.components\.([a-z][a-z0-9_]*)\.(image|replicas)( \| quote)?", body)
            if found:
                value = values["components"][found.group(1)][found.group(2)]
                return json.dumps(str(value)) if found.group(3) else str(value)
            found = re.fullmatch(r'printf "([a-z0-9-]+)\.%s" \.Values\.ingress\.domain \| quote', body)
            if found:
                return json.dumps(f"{found.group(1)}.{values['ingress']['domain']}")
            raise AssertionError(f"unexpected Helm action in {name}: {{{{ {body} }}}}")

        out[name] = _ACTION.sub(action, text)
    return out


# --- Tools installed by scripts/export-validators.sh ---------------------------------------------

TOOLS = ROOT / ".tools"
INSTALL_HINT = "run scripts/export-validators.sh (make test runs it)"


def local_tool(*parts: str) -> Path | None:
    path = TOOLS.joinpath(*parts)
    return path if path.exists() else None


# --- Terraform ---------------------------------------------------------------------------------

TERRAFORM_HINT = (
    "terraform is not on PATH: install Terraform >= 1.5 and put the hashicorp/aws provider in a "
    "filesystem mirror (terraform providers mirror DIR), then set ARCHLS_TF_PLUGIN_MIRROR=DIR"
)
_SKIP_DIRS = frozenset({"proc", "sys", "dev", "run", "tmp", "work", "var"})


@cache
def terraform_mirror() -> Path | None:
    """A provider filesystem mirror holding hashicorp/aws: ARCHLS_TF_PLUGIN_MIRROR, else the first
    ``registry.terraform.io`` folder within four levels of / (where machine images put one)."""
    given = os.environ.get("ARCHLS_TF_PLUGIN_MIRROR")
    if given:
        return Path(given) if (Path(given) / "registry.terraform.io" / "hashicorp" / "aws").is_dir() else None
    for top in sorted(Path("/").iterdir()):
        if top.name in _SKIP_DIRS or not top.is_dir() or top.is_symlink():
            continue
        for depth in ("*", "*/*", "*/*/*"):
            for found in sorted(top.glob(f"{depth}/registry.terraform.io")):
                if (found / "hashicorp" / "aws").is_dir():
                    return found.parent
    return None


def terraform_env(work: Path) -> dict[str, str]:
    """Environment for terraform: the mirror as the only provider source, a shared plugin cache."""
    mirror = terraform_mirror()
    assert mirror is not None
    cache_dir = work / "plugin-cache"
    cache_dir.mkdir(parents=True, exist_ok=True)
    config = work / "terraform.rc"
    config.write_text(
        "provider_installation {\n"
        f"  filesystem_mirror {{\n    path    = {json.dumps(str(mirror))}\n"
        '    include = ["registry.terraform.io/*/*"]\n  }\n}\n'
        f"plugin_cache_dir = {json.dumps(str(cache_dir))}\n"
    )
    return {"TF_CLI_CONFIG_FILE": str(config), "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
