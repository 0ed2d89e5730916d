"""Where archls keeps files of its own: a per-user cache, never the user's project."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from archls import __version__


def cache_dir(kind: str) -> Path | None:
    """``$XDG_CACHE_HOME/archls/<kind>-<version>`` (``~/.cache`` by default), created private; None if unwritable."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = Path(base) / "archls" / f"{kind}-{__version__}"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = folder.stat()
    except OSError:
        return None
    # Compiled templates are loaded from here and run: a folder that was already there, owned or
    # writable by someone else, is not one to load code from (Jinja's own default cache checks the same).
    if hasattr(os, "getuid") and (info.st_uid != os.getuid() or info.st_mode & 0o022):
        return None
    return folder if os.access(folder, os.W_OK) else None


def display_path(path: str) -> str:
    """``path`` as people read it in reports: relative to the working folder when it lies inside it,
    with forward slashes."""
    return _display(path, os.getcwd())


@lru_cache(maxsize=4096)
def _display(path: str, cwd: str) -> str:
    # the path as named first (a link keeps its own name), then with links resolved (a working
    # folder reached through a link)
    try:
        return Path(os.path.abspath(path)).relative_to(os.path.abspath(cwd)).as_posix()
    except ValueError:
        pass
    try:
        return Path(path).resolve().relative_to(Path(cwd).resolve()).as_posix()
    except (ValueError, OSError):
        return Path(path).as_posix()
