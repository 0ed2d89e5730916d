"""Architecture files across workspace folders, for workspace symbols.

Folders are walked on demand, bounded in files and depth, skipping dependency and VCS folders;
open buffers are read before the disk. Each file's symbols are cached by its modification time
(or, for an open buffer, its text), and only its format's loader runs: no audit.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from archls.findings import Range

SKIP_DIRS = frozenset(
    {".git", ".hg", ".svn", ".venv", "venv", "node_modules", ".terraform", "__pycache__", ".tox", "dist", "build"}
)
MAX_FILES = 2_000
MAX_DEPTH = 12
MAX_FILE_BYTES = 2_000_000
#: A walk is reused this long, so typing a query does not walk the folders on every keystroke.
WALK_TTL_S = 5.0


@dataclass(frozen=True, slots=True)
class WorkspaceSymbol:
    name: str
    kind: str  #: component, flow, group
    container: str  #: the architecture's name, else the file name
    path: str
    range: Range
    detail: str | None = None
    line_text: str = ""  #: the text of the range's line, to count columns in the client's encoding


def walk(folders: Iterable[str]) -> list[str]:
    """Files archls reads by their name under ``folders`` (bounded)."""
    from archls import engine

    found: list[str] = []
    for folder in folders:
        root_depth = len(Path(folder).parts)
        for root, dirs, files in os.walk(folder):
            depth = len(Path(root).parts) - root_depth
            dirs[:] = (
                sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith(".")) if depth < MAX_DEPTH else []
            )
            for name in sorted(files):
                path = os.path.join(root, name)
                if engine.claims(path):
                    found.append(path)
                    if len(found) >= MAX_FILES:
                        return found
    return found


class Index:
    """Symbols of every file archls reads in the workspace folders."""

    def __init__(self) -> None:
        self._walked: tuple[float, tuple[str, ...], list[str]] | None = None
        self._symbols: dict[str, tuple[object, list[WorkspaceSymbol]]] = {}

    def files(self, folders: list[str]) -> list[str]:
        now = time.monotonic()
        key = tuple(folders)
        if self._walked is not None and self._walked[1] == key and now - self._walked[0] < WALK_TTL_S:
            return self._walked[2]
        files = walk(folders)
        self._walked = (now, key, files)
        return files

    def symbols(self, folders: list[str], open_texts: Mapping[str, str]) -> list[WorkspaceSymbol]:
        return [symbol for found in self.each(folders, open_texts) for symbol in found]

    def each(
        self, folders: list[str], open_texts: Mapping[str, str], skip: frozenset[str] = frozenset()
    ) -> Iterator[list[WorkspaceSymbol]]:
        """The symbols file by file (open buffers first), so a caller can stop or pause between files;
        ``skip`` names files not to read (open buffers over the editor's size limit)."""
        for path in dict.fromkeys([*open_texts, *self.files(folders)]):
            if path not in skip:
                yield self._of(path, open_texts.get(path))

    def _of(self, path: str, text: str | None) -> list[WorkspaceSymbol]:
        if text is not None and too_large(text):
            return []
        if text is None:
            try:
                stat = os.stat(path)
            except OSError:
                return []
            if stat.st_size > MAX_FILE_BYTES:
                return []
            stamp: object = (stat.st_mtime_ns, stat.st_size)
        else:
            stamp = hash(text)
        cached = self._symbols.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        if text is None:
            try:
                text = Path(path).read_text(encoding="utf-8", errors="replace")
            except OSError:
                return []
        symbols = file_symbols(path, text)
        self._symbols[path] = (stamp, symbols)
        return symbols


def too_large(text: str) -> bool:
    """Whether a buffer is over the index's size limit (files on disk are judged by their size)."""
    return len(text) * 4 > MAX_FILE_BYTES and len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES


def file_symbols(path: str, text: str) -> list[WorkspaceSymbol]:
    """Components, flows and groups of one file, read by its format's loader alone."""
    from archls.config import Config
    from archls.engine import Analysis
    from archls.formats import LoadContext, detect
    from archls.intel.outline import read_symbols

    fmt = detect(path, text)
    if fmt is None:
        return []
    from archls import engine

    try:
        # the loaders' caches are shared with the audits, which may be running on the audit thread
        with engine.audits_held():
            loaded = fmt.load(text, path, LoadContext(max_bytes=MAX_FILE_BYTES, reuse=False))
    except Exception:  # one unreadable file must not hide the others
        return []
    analysis = Analysis(path, text, Config(), fmt.name, loaded)
    container = loaded.model.name if loaded.model is not None else Path(path).name
    lines = analysis.lines
    out = []
    for top in read_symbols(analysis):
        for symbol in [top, *top.children] if top.kind != "section" else top.children:
            if symbol.kind in ("component", "flow", "group"):
                r = symbol.selection
                line_text = lines[r.start_line] if r.start_line < len(lines) else ""
                out.append(WorkspaceSymbol(symbol.name, symbol.kind, container, path, r, symbol.detail, line_text))
    return out


def matches(query: str, name: str) -> bool:
    """Case-insensitive: the query's characters appear in the name in order."""
    if not query:
        return True
    name = name.lower()
    at = 0
    for ch in query.lower():
        at = name.find(ch, at)
        if at < 0:
            return False
        at += 1
    return True
