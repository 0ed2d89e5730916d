"""Writing generated files, never outside the folder the user chose.

Every relative path is checked part by part (no empty, ``.``, ``..``, absolute or separator-
bearing parts), no existing symlink is followed on the way (directories are checked, files are
opened with ``O_NOFOLLOW``), and the final path is resolved and checked to be inside the root.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path, PurePosixPath


class UnsafePath(ValueError):
    """A generated path that would leave the output folder or pass through a symlink."""


def check_relative(name: str) -> tuple[str, ...]:
    if not name or "\x00" in name or "\\" in name:
        raise UnsafePath(f"refusing to write {name!r}: not a plain relative path")
    pure = PurePosixPath(name)
    if pure.is_absolute():
        raise UnsafePath(f"refusing to write {name!r}: absolute path")
    parts = tuple(name.split("/"))
    for part in parts:
        if part in ("", ".", "..") or len(part.encode("utf-8")) > 255:
            raise UnsafePath(f"refusing to write {name!r}: the part {part[:40]!r} is not a plain name")
    return parts


def prepare_root(root: Path) -> Path:
    """Create the output folder and return its resolved path; a symlink as the folder is refused."""
    root = Path(os.path.abspath(root))
    if root.is_symlink():
        raise UnsafePath(f"refusing to write into {root}: it is a symbolic link")
    if root.exists() and not root.is_dir():
        raise UnsafePath(f"refusing to write into {root}: it is not a folder")
    root.mkdir(parents=True, exist_ok=True)
    return root.resolve()


def _refuse_replacing(root: Path, checked: Mapping[str, tuple[str, ...]], keep: Path) -> None:
    try:
        kept = os.stat(keep)
    except OSError:
        return
    for name, parts in checked.items():
        try:
            found = os.stat(root.joinpath(*parts))
        except OSError:
            continue
        if (found.st_dev, found.st_ino) == (kept.st_dev, kept.st_ino):
            raise UnsafePath(f"refusing to write {name!r}: it is {keep}, the file being exported")


def write_tree(root: Path, files: Mapping[str, str | bytes], *, keep: Path | None = None) -> list[Path]:
    """Write ``files`` (relative POSIX paths -> content) under ``root``; return the paths written, sorted.

    ``keep`` (the file being exported) is never written over: nothing is written when one of the
    files would replace it.
    """
    root = prepare_root(root)
    checked = {name: check_relative(name) for name in files}
    if keep is not None:
        _refuse_replacing(root, checked, keep)
    written: list[Path] = []
    folders: set[Path] = {root}  # checked to be real folders (not links) inside root
    for name in sorted(files):
        parts = checked[name]
        folder = root
        for part in parts[:-1]:
            folder = folder / part
            if folder in folders:
                continue
            try:
                mode = os.lstat(folder).st_mode
            except FileNotFoundError:
                folder.mkdir()
                folders.add(folder)
                continue
            if stat.S_ISLNK(mode) or not stat.S_ISDIR(mode):
                raise UnsafePath(f"refusing to write {name!r}: {folder} is a link or not a folder")
            folders.add(folder)
        target = folder / parts[-1]
        # Every part is a plain name and every folder on the way a real folder, so the target is
        # inside root; the file itself is opened without following a link.
        content = files[name]
        data = content.encode("utf-8") if isinstance(content, str) else content
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(target, flags, 0o644)
        except OSError as exc:
            if target.is_symlink():
                raise UnsafePath(f"refusing to write {name!r}: {target} is a symbolic link") from exc
            raise
        os.fchmod(fd, 0o644)  # O_CREAT's mode is masked by the umask; the bits should not depend on it
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        written.append(target)
    return written
