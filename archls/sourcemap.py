"""Model path -> text range, shared by every format.

A path is a tuple of keys and list indices, e.g. ``("components", "db", "tls")`` or
``("connections", 3, "timeout_ms")``. Each entry keeps the range of the key (for a mapping
entry; a sequence item has none) and of the value. Maps can be mounted inside one another
with a line offset, which lets the YAML loader reuse the map of a block that did not change
when lines were added above it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from archls.findings import FILE_START, ModelPath, Range


@dataclass(frozen=True, slots=True)
class Entry:
    key: Range | None
    value: Range

    @property
    def head(self) -> Range:
        """Where a finding about this entry goes: its key, or the value of a list item."""
        return self.key if self.key is not None else self.value

    def shifted(self, lines: int) -> Entry:
        if not lines:
            return self
        return Entry(self.key.shifted(lines) if self.key else None, self.value.shifted(lines))


class SourceMap:
    __slots__ = ("_entries", "_mount_depths", "_mounts", "_starts", "_unrooted", "file")

    def __init__(self, file: str | None = None) -> None:
        self._entries: dict[ModelPath, Entry] = {}
        self._mounts: dict[ModelPath, tuple[int, SourceMap]] = {}
        self._mount_depths: set[int] = set()
        #: Mounts ordered by line, for finding the one under a position; built when first needed.
        self._starts: list[tuple[int, ModelPath]] | None = None
        self._unrooted: list[ModelPath] = []
        self.file = file

    def add(self, path: ModelPath, key: Range | None, value: Range) -> None:
        self._entries[path] = Entry(key, value)

    def mount(self, prefix: ModelPath, line_offset: int, child: SourceMap) -> None:
        """Make ``child``'s paths (relative to ``prefix``, lines relative to ``line_offset``) part of this map."""
        self._mounts[prefix] = (line_offset, child)
        self._mount_depths.add(len(prefix))
        self._starts = None

    def copy(self) -> SourceMap:
        """A map with the same entries and mounts, which can be changed without changing this one."""
        other = SourceMap(self.file)
        other._entries = dict(self._entries)
        other._mounts = dict(self._mounts)
        other._mount_depths = set(self._mount_depths)
        return other

    def mount_all(self, children: dict[ModelPath, tuple[int, SourceMap]], depth: int) -> None:
        """:meth:`mount` each of ``children`` (prefix -> (line offset, map)), all prefixes ``depth`` long."""
        self._mounts.update(children)
        self._mount_depths.add(depth)
        self._starts = None

    def get(self, path: ModelPath) -> Entry | None:
        found = self._find(path)
        return found[0].shifted(found[1]) if found is not None else None

    def _find(self, path: ModelPath) -> tuple[Entry, int] | None:
        """The entry at ``path`` with lines relative to its own map, and that map's line offset."""
        # Walk down through mounted maps adding up their offsets: callers shift only what they use.
        smap, offset = self, 0
        while True:
            entry = smap._entries.get(path)
            if entry is not None:
                return entry, offset
            for depth in smap._mount_depths:
                if len(path) >= depth:
                    mounted = smap._mounts.get(path[:depth])
                    if mounted is not None:
                        offset += mounted[0]
                        smap = mounted[1]
                        path = path[depth:]
                        break
            else:
                return None

    def mounted_children(self, prefix: ModelPath) -> dict[Any, tuple[int, Entry]] | None:
        """For a map whose ``prefix`` holds a mounted map of mounted children (how the YAML reader
        assembles a large section from its cached blocks): each child key -> (line offset, the
        child's own entry, not shifted), which is what :meth:`get` gives for ``prefix + (key,)``
        shifted by the offset. A caller can so tell the children that did not move without making
        a range for each. None when the map is laid out otherwise (then use :meth:`get`)."""
        if self._mount_depths != {len(prefix)} or any(path[: len(prefix)] == prefix for path in self._entries):
            return None
        section = self._mounts.get(prefix)
        if section is None:
            return None
        offset, inner = section
        if inner._mount_depths - {1} or any(path for path in inner._entries):
            return None
        out: dict[Any, tuple[int, Entry]] = {}
        for (key,), (line, child) in inner._mounts.items():
            root = child._entries.get(())
            if root is not None:
                out[key] = (offset + line, root)
        return out

    def __contains__(self, path: ModelPath) -> bool:
        return self.get(path) is not None

    def nearest(self, path: ModelPath) -> tuple[ModelPath, Entry] | None:
        """The entry for ``path`` or, when it is absent, for its closest ancestor."""
        for n in range(len(path), 0, -1):
            entry = self.get(path[:n])
            if entry is not None:
                return path[:n], entry
        return None

    def locate(self, path: ModelPath) -> Range:
        """Where a finding about ``path`` belongs: the key that sets it, else the closest key above it."""
        found = self.nearest_head(path)
        return found if found is not None else FILE_START

    def nearest_head(self, path: ModelPath) -> Range | None:
        """The head of the entry for ``path`` or, when it is absent, of its closest ancestor; None
        when neither is in the map."""
        for n in range(len(path), 0, -1):
            found = self._find(path[:n] if n < len(path) else path)
            if found is not None:
                return found[0].head.shifted(found[1])
        return None

    def first_key(self) -> Range:
        """The first top-level key: where findings about the file as a whole go."""
        heads = [entry.head for path, entry in self._entries.items() if len(path) == 1]
        for prefix, (offset, child) in self._mounts.items():
            root = child._entries.get(())
            if len(prefix) == 1 and root is not None:
                heads.append(root.shifted(offset).head)
        return min(heads) if heads else FILE_START

    def value_range(self, path: ModelPath) -> Range | None:
        found = self._find(path)
        return found[0].value.shifted(found[1]) if found is not None else None

    def items(self, _offset: int = 0, _prefix: ModelPath = ()) -> Iterator[tuple[ModelPath, Entry]]:
        """Every entry with absolute lines, mounted maps included."""
        for path, entry in self._entries.items():
            yield _prefix + path, entry.shifted(_offset)
        for prefix, (offset, child) in self._mounts.items():
            yield from child.items(_offset + offset, _prefix + prefix)

    def path_at(self, line: int, col: int) -> ModelPath | None:
        """The deepest path whose key or value contains the position."""
        for prefix in self._mounts_near(line):
            offset, child = self._mounts[prefix]
            root = child._entries.get(())
            if root is None or _within(root.shifted(offset), line, col):
                inner = child.path_at(line - offset, col)
                if root is not None or inner is not None:
                    return prefix + (inner or ())
        best: ModelPath | None = None
        for path, entry in self._entries.items():
            if _within(entry, line, col) and (best is None or len(path) > len(best)):
                best = path
        return best

    def _mounts_near(self, line: int) -> list[ModelPath]:
        """Mounted maps that may hold ``line``: the two starting last at or above it (mounted blocks
        do not overlap), then any without a root entry to place them."""
        if not self._mounts:
            return []
        if self._starts is None:
            rooted, self._unrooted = [], []
            for prefix, (offset, child) in self._mounts.items():
                root = child._entries.get(())
                if root is None:
                    self._unrooted.append(prefix)
                else:
                    start = root.shifted(offset)
                    rooted.append((min(start.key or start.value, start.value).start_line, prefix))
            self._starts = sorted(rooted, key=lambda item: item[0])
        index = bisect_right(self._starts, line, key=lambda item: item[0])
        return [prefix for _, prefix in self._starts[max(index - 2, 0) : index][::-1]] + self._unrooted


def _within(entry: Entry, line: int, col: int) -> bool:
    if entry.key is not None and entry.key.contains(line, col):
        return True
    return entry.value.contains(line, col)
