"""Which files ``archls check`` reads under the paths it is given, in which groups."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from archls import engine
from archls.paths import display_path

SKIP_DIRS = frozenset({".git", ".hg", ".svn", ".venv", "venv", "node_modules", ".terraform", "__pycache__", ".tox"})
_SNIFFED = frozenset({".yaml", ".yml", ".json", ".tf"})
_HEAD_BYTES = 65536


@dataclass
class Group:
    """Files the engine audits together, in the order they were found (absolute paths)."""

    format: str
    name: str
    files: list[str] = field(default_factory=list)


@dataclass
class Found:
    groups: list[Group] = field(default_factory=list)
    #: named paths that are missing or not files archls reads: one sentence each
    problems: list[str] = field(default_factory=list)
    #: paths left out by --exclude, as people read them
    excluded: list[str] = field(default_factory=list)
    #: files found in folders that could not be looked into: one sentence each
    skipped: list[str] = field(default_factory=list)

    @property
    def files(self) -> int:
        return sum(len(g.files) for g in self.groups)


class Excluder:
    """``--exclude`` patterns, written as in a ``.gitignore`` file."""

    def __init__(self, patterns: Sequence[str]) -> None:
        self.spec = None
        if patterns:
            import pathspec

            self.spec = pathspec.GitIgnoreSpec.from_lines(patterns)

    def excludes(self, path: Path, root: Path, is_dir: bool = False) -> bool:
        if self.spec is None:
            return False
        suffix = "/" if is_dir else ""
        candidates = {path.name + suffix, _relative(path, Path.cwd()) + suffix}
        if path != root:
            candidates.add(_relative(path, root) + suffix)
        return any(self.spec.match_file(c) for c in candidates)


def _relative(path: Path, base: Path) -> str:
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def discover(paths: Sequence[str], exclude: Sequence[str] = ()) -> Found:
    """Every file archls reads under ``paths`` (folders searched recursively, hidden and vendored
    folders skipped), each once, grouped as the engine audits them."""
    found = Found()
    excluder = Excluder(exclude)
    groups: dict[tuple[str, str], Group] = {}
    seen: set[str] = set()

    def take(path: Path, head: str | None) -> None:
        absolute = os.path.abspath(path)
        if absolute in seen:
            return
        seen.add(absolute)
        key = engine.group_of(absolute, head)
        if key is None:
            return
        group = groups.get(key)
        if group is None:
            group = groups[key] = Group(key[0], key[1])
            found.groups.append(group)
        group.files.append(absolute)

    for raw in paths:
        root = Path(raw)
        if root.is_dir():
            if excluder.excludes(root, root, is_dir=True) and raw not in {".", "./"}:
                found.excluded.append(display_path(str(root)))
                continue
            for folder, dirs, files in os.walk(root):
                here = Path(folder)
                kept = []
                for name in sorted(dirs):
                    if name in SKIP_DIRS or name.startswith("."):
                        continue
                    if excluder.excludes(here / name, root, is_dir=True):
                        found.excluded.append(display_path(str(here / name)) + "/")
                        continue
                    kept.append(name)
                dirs[:] = kept
                for name in sorted(files):
                    candidate = here / name
                    claimed, head, error = _claimed(candidate)
                    if error is not None:
                        found.skipped.append(f"{display_path(str(candidate))}: cannot be read ({error})")
                        continue
                    if not claimed:
                        continue
                    if excluder.excludes(candidate, root):
                        found.excluded.append(display_path(str(candidate)))
                        continue
                    take(candidate, head)
        elif root.is_file():
            if excluder.excludes(root, root):
                found.excluded.append(display_path(str(root)))
                continue
            claimed, head, error = _claimed(root)
            if error is not None:
                found.problems.append(f"cannot read {raw}: {error}")
                continue
            if not claimed:
                found.problems.append(
                    f"{raw} is not a file archls reads (architecture, compose, Terraform or Kubernetes)"
                )
                continue
            take(root, head)
        elif root.exists():
            found.problems.append(f"{raw} is neither a file nor a folder")
        else:
            found.problems.append(f"cannot read {raw}: no such file or folder")
    return found


def _claimed(path: Path) -> tuple[bool, str | None, str | None]:
    """Whether archls reads ``path``, the head of the file when it had to look inside, and why it
    could not look."""
    if engine.claims(str(path)):
        return True, None, None
    if path.suffix.lower() not in _SNIFFED:
        return False, None, None
    try:
        with path.open("rb") as handle:
            head = handle.read(_HEAD_BYTES).decode("utf-8", errors="replace")
    except OSError as exc:
        return False, None, exc.strerror or str(exc)
    return engine.claims(str(path), head), head, None


class CannotRead(ValueError):
    """What a command was given cannot be analysed; the message says why, in the user's words."""


class NotOneArchitecture(CannotRead):
    """A folder given where one architecture is expected holds none, or several."""


def entry(path: str) -> str:
    """``path`` itself, or for a folder the file its one architecture is analysed from."""
    return one_architecture(path) if os.path.isdir(path) else path


def read_entry(path: str) -> tuple[str, str]:
    """The file that ``path`` (a file, or a folder holding one architecture) is analysed from, and its
    text: read, decoded strictly and claimed by a format, or :class:`CannotRead` saying which failed."""
    file = entry(path)
    shown = path if file == path else file
    try:
        data = Path(file).read_bytes()
    except OSError as exc:
        raise CannotRead(f"cannot read {path}: {exc.strerror or exc}") from exc
    text, bad_bytes = engine.decode(data)
    if bad_bytes is not None:
        raise CannotRead(f"{shown}: {bad_bytes.message}")
    if not engine.claims(file, text):
        raise CannotRead(f"{path}: not a file archls reads (architecture, compose, Terraform or Kubernetes)")
    return file, text


#: What a group of files is called when a folder holds several, by format.
_KINDS = {"terraform": "Terraform module", "kubernetes": "Kubernetes manifests", "compose": "compose project"}


def one_architecture(folder: str) -> str:
    """The file to analyse for the one architecture a folder holds (a Terraform module, a folder of
    Kubernetes manifests, a compose project, one architecture file): the engine reads the rest of its
    group from it. The files directly in the folder decide when they make one group; a folder with
    nothing archls reads at its top is searched below. Raises :class:`NotOneArchitecture` with a
    sentence saying what to pass instead."""
    absolute = os.path.abspath(folder)
    found = discover([folder])
    top = [g for g in found.groups if any(os.path.dirname(f) == absolute for f in g.files)]
    candidates = top or found.groups
    if len(candidates) == 1:
        return _entry(candidates[0])
    if not candidates:
        raise NotOneArchitecture(
            f"{folder} holds no file archls reads (an architecture, compose, Terraform or Kubernetes file); "
            "name a folder or file that does"
        )
    shown = [_described(g, folder) for g in candidates[:4]]
    more = f" and {len(candidates) - 4} more" if len(candidates) > 4 else ""
    raise NotOneArchitecture(
        f"{folder} holds {len(candidates)} separate architectures ({'; '.join(shown)}{more}); name one of them"
    )


def _entry(group: Group) -> str:
    if group.format == "compose":
        # the base file, not its override: the shortest name of the project
        return min(group.files, key=lambda f: (len(os.path.basename(f)), f))
    if group.format == "terraform":
        main = [f for f in group.files if os.path.basename(f) == "main.tf"]
        if main:
            return main[0]
    return group.files[0]


def _described(group: Group, folder: str) -> str:
    def named(path: str) -> str:
        # as the user would type it: under the folder as they gave it
        return os.path.normpath(os.path.join(folder, os.path.relpath(path, os.path.abspath(folder))))

    if group.format in {"terraform", "kubernetes"}:
        return f"{named(os.path.dirname(group.files[0]))}/ ({_KINDS[group.format]})"
    if group.format == "compose":
        return f"{named(_entry(group))} ({_KINDS['compose']})"
    return named(group.files[0])
