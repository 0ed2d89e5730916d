"""Identifiers for every target, made from ids and names the user typed.

A component id may hold anything YAML allows: ``../``, slashes, shell and YAML metacharacters,
template syntax, HTML, 300 characters. Each target needs names from a narrow alphabet (DNS-1123
labels for Kubernetes, HCL identifiers for Terraform, ...). The functions here map any text into
that alphabet; :class:`Namer` keeps the mapping one-to-one over a whole architecture by giving
every member of a collision, and every truncated name, a short suffix derived from the original
text, so the result never depends on iteration order.
"""

from __future__ import annotations

import hashlib
import keyword
import re
import unicodedata
from collections.abc import Callable, Iterable

from archls.export.quoting import Safe


def digest(text: str, size: int = 6) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()[:size]


def _ascii(text: str) -> str:
    # "Zürich" -> "Zurich": keep what a reader would recognise before dropping the rest.
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _words(text: str) -> list[str]:
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", _ascii(text))
    return [w for w in re.split(r"[^A-Za-z0-9]+", text) if w]


def _fit(base: str, original: str, max_len: int, sep: str, force_suffix: bool) -> str:
    if len(base) <= max_len and not force_suffix:
        return base
    suffix = digest(original)
    room = max_len - len(suffix) - len(sep)
    head = base[:room].rstrip("-_")
    return f"{head}{sep}{suffix}" if head else suffix


def _identifier(text: str, base: str, sep: str, max_len: int, force_suffix: bool, fallback: str) -> str:
    """``base`` (``text``'s words joined by a scheme) made to start with a letter and fit ``max_len``."""
    if not base:
        base = fallback
        force_suffix = True
    if not base[0].isalpha():
        base = f"{fallback}{sep}{base}"
    name = _fit(base, text, max_len, sep, force_suffix)
    if not name[0].isalpha():  # a bare digest may start with a digit
        name = f"{fallback}{name}"[:max_len]
    return name


def dns_label(text: str, max_len: int = 63, *, force_suffix: bool = False, fallback: str = "c") -> str:
    """A DNS-1035 label (also a valid DNS-1123 label): ``[a-z]([-a-z0-9]*[a-z0-9])?``."""
    base = "-".join(w.lower() for w in _words(text))
    return _identifier(text, base, "-", max_len, force_suffix, fallback)


def snake(text: str, max_len: int = 64, *, force_suffix: bool = False, fallback: str = "c") -> str:
    """An identifier valid in HCL, Python, Prisma fields, DOT and most languages: ``[a-z_][a-z0-9_]*``."""
    base = "_".join(w.lower() for w in _words(text))
    name = _identifier(text, base, "_", max_len, force_suffix, fallback)
    if keyword.iskeyword(name) or name in _RESERVED:
        name = f"{name}_"
    return name


def pascal(text: str, max_len: int = 64, *, force_suffix: bool = False, fallback: str = "C") -> str:
    """``PascalCase`` for type names (Prisma models, Structurizr and C4 identifiers)."""
    base = "".join(w[:1].upper() + w[1:] for w in _words(text))
    return _identifier(text, base, "", max_len, force_suffix, fallback)


#: Words several targets give a meaning to; a name equal to one gets a trailing underscore.
_RESERVED = frozenset({"locals", "module", "terraform", "var", "data", "count", "for_each", "self", "each", "node"})


class Namer:
    """One-to-one names for a set of ids, per naming scheme and length limit.

    Each scheme is computed for all ids at once, so a name does not depend on which id asked
    first; ids that would map to the same name all get a suffix derived from their own text.
    """

    def __init__(self, ids: Iterable[str]) -> None:
        self.ids = sorted(set(ids))
        self._tables: dict[tuple[str, int], dict[str, Safe]] = {}

    def _table(self, scheme: str, max_len: int) -> dict[str, Safe]:
        key = (scheme, max_len)
        table = self._tables.get(key)
        if table is not None:
            return table
        make: Callable[..., str] = SCHEMES[scheme]
        first = {i: make(i, max_len) for i in self.ids}
        seen: dict[str, int] = {}
        for name in first.values():
            folded = name.lower()
            seen[folded] = seen.get(folded, 0) + 1
        table = {}
        for i, name in first.items():
            if seen[name.lower()] > 1:
                name = make(i, max_len, force_suffix=True)
            table[i] = Safe(name)
        self._tables[key] = table
        return table

    def name(self, scheme: str, cid: str, max_len: int | None = None) -> Safe:
        limit = max_len or DEFAULT_LENGTH[scheme]
        table = self._table(scheme, limit)
        if cid in table:
            return table[cid]
        return Safe(SCHEMES[scheme](cid, limit))


SCHEMES: dict[str, Callable[..., str]] = {"dns": dns_label, "snake": snake, "pascal": pascal}
DEFAULT_LENGTH = {"dns": 63, "snake": 64, "pascal": 64}
