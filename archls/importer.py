"""Files a team already has -> one architecture file, with the evidence for every part as comments.

Compose files, Terraform modules and Kubernetes manifests are each read by their format (the same
loaders the audit uses) and merged by component id: the voting app's ``db`` from its compose
file and from its manifests is one component. Package manifests and Dockerfiles (package.json,
requirements.txt, pyproject.toml, go.mod, Dockerfile...) name the technology of the component
they build. The result is plain architecture YAML that loads and audits like a hand-written file.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from archls import engine
from archls.config import Config
from archls.evidence import Evidence
from archls.formats import detect
from archls.formats._tech import dockerfile_images, from_image
from archls.formats.archyaml import ID_PATTERN
from archls.formats.compose import ComposeNative
from archls.model import Architecture, Component, Connection, Group
from archls.rules._secrets import literal_secret, redact

SKIP_DIRS = frozenset({".git", ".hg", ".svn", ".venv", "venv", "node_modules", ".terraform", "__pycache__", ".tox"})
MAX_FILES = 2000
_HEAD = 65536


@dataclass
class Source:
    kind: str  # compose, terraform, kubernetes
    path: Path
    #: The project it belongs to ("" when the import holds one project): see :func:`_projects`.
    project: str = ""


@dataclass
class Imported:
    """The merged architecture, and where each part came from."""

    name: str
    root: Path
    components: dict[str, Component] = field(default_factory=dict)
    origins: dict[str, list[Evidence]] = field(default_factory=dict)
    connections: dict[tuple[str, str], Connection] = field(default_factory=dict)
    evidence: dict[tuple[str, str], list[Evidence]] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    technologies: dict[str, str] = field(default_factory=dict)  # component -> evidence of its technology
    sources: list[Source] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    #: What was read but not followed (remote modules, templates), as the loaders said it.
    notes: list[str] = field(default_factory=list)
    #: The separate projects found, whose ids are prefixed with their name (empty: one project).
    projects: list[str] = field(default_factory=list)


def collect(paths: list[str]) -> tuple[list[Source], list[Path]]:
    """Sources to read (one per compose file, Terraform folder and manifest folder) and package folders."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
                files.extend(Path(root) / n for n in sorted(names))
                if len(files) > MAX_FILES:
                    break
        elif path.is_file():
            files.append(path)
    sources: list[Source] = []
    #: Terraform and Kubernetes read a whole folder from any one of its files: one source a folder
    folders: dict[str, set[Path]] = {"terraform": set(), "kubernetes": set()}
    packages: list[Path] = []
    for file in files[:MAX_FILES]:
        name = file.name.lower()
        if name in _PACKAGE_FILES or name.startswith("dockerfile") or name.endswith(".csproj"):
            packages.append(file)
            continue
        if not name.endswith((".yaml", ".yml", ".tf")):
            continue
        try:
            head = file.read_bytes()[:_HEAD].decode("utf-8", errors="replace")
        except OSError:
            continue
        fmt = detect(str(file), head)
        if fmt is None:
            continue
        if fmt.name in folders:
            if file.parent not in folders[fmt.name]:
                folders[fmt.name].add(file.parent)
                sources.append(Source(fmt.name, file))
        elif fmt.name == "compose":
            if ".override." in name:
                continue  # merged into its base file
            sources.append(Source("compose", file))
    return sources, packages


def build(paths: list[str], name: str | None = None) -> Imported:
    sources, packages = collect(paths)
    roots = [Path(p).resolve() for p in paths]
    root = Path(os.path.commonpath([str(r if r.is_dir() else r.parent) for r in roots])) if roots else Path.cwd()
    imported = Imported(name or root.name or "imported", root)
    read: list[tuple[Source, Any]] = []
    for source in sources:
        try:
            text = source.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            imported.skipped.append(f"{source.path}: not readable as UTF-8")
            continue
        analysis = engine.analyse(text, str(source.path), Config(), read=engine.read_disk)
        if analysis.model is None:
            problems = "; ".join(f.message for f in analysis.findings[:1])
            imported.skipped.append(f"{source.path}: {problems or 'not read'}")
            continue
        read.append((source, analysis))
        for finding in analysis.findings:
            if finding.code in {"ARCH020", "ARCH021", "ARCH022"}:
                note = (
                    f"{_relative(root, finding.file or source.path)}:{finding.range.start_line + 1}: {finding.message}"
                )
                if note not in imported.notes:
                    imported.notes.append(note)
    imported.projects = _projects([source for source, _ in read], root)
    build_dirs: dict[str, Path] = {}
    for source, analysis in read:
        imported.sources.append(source)
        prefix = f"{source.project}." if source.project else ""
        _merge(imported, _prefixed(analysis.model, prefix) if prefix else analysis.model)
        if isinstance(analysis.loaded.native if analysis.loaded else None, ComposeNative):
            dirs = _build_dirs(source.path, analysis.loaded.native)
            build_dirs.update({prefix + cid: folder for cid, folder in dirs.items()})
    _technologies(imported, packages, build_dirs)
    return imported


def _projects(sources: list[Source], root: Path) -> list[str]:
    """Tell apart the unrelated projects of one import, and name each source's project.

    A compose project is its folder (as compose itself names projects); a Terraform module or a
    folder of manifests belongs to the nearest compose project above it, else to the project at the
    root. When that gives one project, ids stay as the files write them and the sources merge by id
    (the voting app's ``db`` from compose and from its manifests is one component). When it gives
    several (a folder of samples), each id is prefixed with its project's folder, so that two
    projects' ``db`` never become one component.
    """
    compose_folders = {s.path.parent.resolve() for s in sources if s.kind == "compose"}
    owners: dict[int, Path] = {}
    for index, source in enumerate(sources):
        folder = source.path.parent.resolve()
        owner = next((f for f in (folder, *folder.parents) if f in compose_folders), root)
        owners[index] = owner
    distinct = sorted(set(owners.values()))
    if len(distinct) < 2:
        return []
    names: dict[Path, str] = {}
    for folder in distinct:
        relative = _relative(root, folder)
        label = re.sub(r"[^A-Za-z0-9_-]+", "-", relative if relative not in {"", "."} else root.name).strip("-")
        names[folder] = label or "root"
    for index, source in enumerate(sources):
        source.project = names[owners[index]]
    return sorted(set(names.values()))


def _prefixed(model: Architecture, prefix: str) -> Architecture:
    """``model`` with every component and group id prefixed, and the references to them."""
    from archls.evidence import evidence_of

    components = {}
    for cid, component in model.components.items():
        copy = component.model_copy()
        copy._origin = component._origin
        components[prefix + cid] = copy
    connections = []
    for connection in model.connections:
        copy = connection.model_copy(
            update={"source": prefix + connection.source, "target": prefix + connection.target}
        )
        copy._evidence = evidence_of(connection)
        connections.append(copy)
    groups = {
        prefix + gid: group.model_copy(
            update={
                "members": [prefix + m for m in group.members],
                "parent": prefix + group.parent if group.parent else None,
            }
        )
        for gid, group in model.groups.items()
    }
    return model.model_copy(update={"components": components, "connections": connections, "groups": groups})


def _merge(imported: Imported, model: Architecture) -> None:
    from archls.evidence import evidence_of

    for cid, component in model.components.items():
        origin = evidence_of(component)
        if cid in imported.components:
            current = imported.components[cid]
            missing = {
                key: getattr(component, key)
                for key in component.model_dump(exclude_defaults=True)
                if getattr(current, key) in (None, [], {}, False) and key != "type"
            }
            if missing:
                merged = current.model_copy(update=missing)
                merged._origin = current._origin
                imported.components[cid] = merged
        else:
            imported.components[cid] = component
        imported.origins.setdefault(cid, []).extend(origin)
    for connection in model.connections:
        key = (connection.source, connection.target)
        if key not in imported.connections:
            imported.connections[key] = connection
        imported.evidence.setdefault(key, []).extend(evidence_of(connection))
    for gid, group in model.groups.items():
        if gid in imported.groups:
            members = list(dict.fromkeys([*imported.groups[gid].members, *group.members]))
            imported.groups[gid] = imported.groups[gid].model_copy(update={"members": members})
        elif gid not in imported.components:
            imported.groups[gid] = group


# --- technologies from package files ------------------------------------------------------------

_PACKAGE_FILES = frozenset(
    {
        "package.json",
        "requirements.txt",
        "pyproject.toml",
        "setup.py",
        "pipfile",
        "go.mod",
        "pom.xml",
        "build.gradle",
        "build.gradle.kts",
        "gemfile",
        "composer.json",
        "cargo.toml",
    }
)


def package_technology(file: Path) -> tuple[str, str | None] | None:
    """(technology, version) a package manifest or Dockerfile names."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    name = file.name.lower()
    if name.startswith("dockerfile"):
        images = [i for i in dockerfile_images(text) if "$" not in i]
        if not images:
            return None
        tech, version = from_image(images[-1])
        if tech is not None:
            return tech.name, version
        return None
    if name == "package.json":
        try:
            data = json.loads(text)
        except ValueError:
            return "node", None
        engines = data.get("engines") if isinstance(data, dict) else None
        node = engines.get("node") if isinstance(engines, dict) else None
        match = re.search(r"\d+(?:\.\d+)?", node) if isinstance(node, str) else None
        return "node", match.group(0) if match else None
    if name in {"requirements.txt", "setup.py", "pipfile"}:
        return "python", None
    if name == "pyproject.toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            return "python", None
        requires = data.get("project", {}).get("requires-python") if isinstance(data.get("project"), dict) else None
        match = re.search(r"\d+\.\d+", requires) if isinstance(requires, str) else None
        return "python", match.group(0) if match else None
    if name == "go.mod":
        match = re.search(r"^go\s+(\d+\.\d+)", text, re.M)
        return "go", match.group(1) if match else None
    if name in {"pom.xml", "build.gradle", "build.gradle.kts"}:
        return "java", None
    if name == "gemfile":
        return "ruby", None
    if name == "composer.json":
        return "php", None
    if name == "cargo.toml":
        return "rust", None
    if name.endswith(".csproj"):
        return "dotnet", None
    return None


def _technologies(imported: Imported, packages: list[Path], build_dirs: dict[str, Path]) -> None:
    """Give components without a technology the one their build folder's package files name."""
    by_folder: dict[Path, list[Path]] = {}
    for file in packages:
        by_folder.setdefault(file.parent.resolve(), []).append(file)
    for cid, component in list(imported.components.items()):
        if component.technology:
            continue
        candidates = [build_dirs[cid]] if cid in build_dirs else []
        candidates += [folder for folder in by_folder if folder.name == cid]
        for folder in candidates:
            files = sorted(by_folder.get(folder, []), key=lambda f: not f.name.lower().startswith("dockerfile"))
            for file in files:
                found = package_technology(file)
                if found is None:
                    continue
                technology, version = found
                update: dict[str, Any] = {"technology": technology}
                if version and not component.version:
                    update["version"] = version
                merged = component.model_copy(update=update)
                merged._origin = component._origin
                imported.components[cid] = merged
                imported.technologies[cid] = _relative(imported.root, file)
                break
            if cid in imported.technologies:
                break


def _build_dirs(compose_file: Path, native: ComposeNative) -> dict[str, Path]:
    """compose service -> the folder it is built from, as the compose loader read the services."""
    out: dict[str, Path] = {}
    for name, service in native.services.items():
        build = service.data.get("build")
        context = build if isinstance(build, str) else build.get("context", ".") if isinstance(build, dict) else None
        if isinstance(context, str) and "://" not in context:
            out[name] = (compose_file.parent / context).resolve()
    return out


# --- writing -----------------------------------------------------------------------------------


def _relative(root: Path, path: Path | str) -> str:
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        return Path(path).as_posix()


def _describe(root: Path, source: Source) -> str:
    """A compose file by name; a Terraform module or a folder of manifests by its folder."""
    if source.kind in {"terraform", "kubernetes"}:
        folder = _relative(root, source.path.parent)
        what = "Terraform module" if source.kind == "terraform" else "Kubernetes manifests"
        return f"{'.' if folder in {'', '.'} else folder}/ ({what})"
    return _relative(root, source.path)


def _where(root: Path, evidence: list[Evidence]) -> str:
    seen: list[str] = []
    for item in evidence:
        text = f"{item.detail} ({_relative(root, item.file)}:{item.line})"
        if text not in seen:
            seen.append(text)
    if len(seen) > 3:
        seen = [*seen[:3], f"and {len(seen) - 3} more"]
    return "; ".join(seen)


def _dump(data: Any, indent: int) -> list[str]:
    text = yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True, width=100)
    pad = " " * indent
    return [pad + line for line in text.rstrip("\n").split("\n")]


def _secrets_of(imported: Imported) -> set[str]:
    """The secret values the sources write in plain text, so that no copy of them survives anywhere in
    the output (a password repeated in a healthcheck command, a URL or a comment)."""
    known: set[str] = set()
    for component in imported.components.values():
        for key, value in component.env.items():
            if value and literal_secret(key, value):
                known.add(value.strip())
    return known


def _scrubbed(value: Any, known: set[str]) -> Any:
    if isinstance(value, str):
        return redact(value, known)
    if isinstance(value, dict):
        return {k: _scrubbed(v, known) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrubbed(v, known) for v in value]
    return value


def render(imported: Imported) -> str:
    known = _secrets_of(imported)
    lines = [
        f"# Imported by 'archls import' from {len(imported.sources)} source{'' if len(imported.sources) == 1 else 's'} "
        f"under {imported.root.name}/:",
        *[f"#   {_describe(imported.root, s)}" for s in imported.sources],
        *(
            [
                f"# {len(imported.projects)} separate projects (one per compose project folder): each id starts",
                "# with its project's folder, so that components of different projects never merge.",
            ]
            if imported.projects
            else []
        ),
        "# Each component and connection says where archls found it. Review them: add flows,",
        "# requirements and what no file says (timeouts, data kinds, replicas in production).",
        "archls: 1",
        f"name: {json.dumps(imported.name)}",
        "components:" if imported.components else "components: {}",
    ]
    for cid, component in imported.components.items():
        origin = _where(imported.root, imported.origins.get(cid, []))
        technology = imported.technologies.get(cid)
        if origin:
            lines.append(f"  # {redact(origin, known)}")
        if technology:
            lines.append(f"  # technology from {technology}")
        body = component.model_dump(mode="json", exclude_defaults=True, exclude_none=True)
        hidden = []
        env = body.get("env")
        if isinstance(env, dict):
            for key, value in list(env.items()):
                if literal_secret(key, value):
                    env[key] = None
                    hidden.append(key)
        body = _scrubbed(body, known)
        if hidden:
            lines.append(f"  # values of {', '.join(hidden)} left out: they look like secrets")
        key = cid if ID_PATTERN.match(cid) else json.dumps(cid)
        lines.append(f"  {key}:")
        lines.extend(_dump(body, 4))
    if imported.connections:
        lines.append("connections:")
        for pair, connection in imported.connections.items():
            evidence = _where(imported.root, imported.evidence.get(pair, []))
            if evidence:
                lines.append(f"  # {redact(evidence, known)}")
            body = connection.model_dump(mode="json", by_alias=True, exclude_defaults=True, exclude_none=True)
            body = {
                "from": connection.source,
                "to": connection.target,
                **{k: v for k, v in body.items() if k not in {"from", "to"}},
            }
            dumped = _dump(body, 4)
            dumped[0] = "  - " + dumped[0].lstrip()
            lines.extend(dumped)
    if imported.groups:
        lines.append("groups:")
        for gid, group in imported.groups.items():
            body = group.model_dump(mode="json", exclude_defaults=True, exclude_none=True)
            body["members"] = [m for m in group.members if m in imported.components]
            if group.parent and group.parent not in imported.groups:
                body.pop("parent", None)
            lines.append(f"  {gid if ID_PATTERN.match(gid) else json.dumps(gid)}:")
            lines.extend(_dump(body, 4))
    return "\n".join(lines) + "\n"
