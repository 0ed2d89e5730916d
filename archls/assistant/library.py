"""Retrieval for the offline backend: the library reference nearest to a description.

The spec library (:mod:`archls.specs`) is the knowledge this draws on when it is installed; the
matching is by the words a description shares with a spec's name, tags and description, weighted
by how rare each word is across the library, so "ride" counts for more than "users".
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from typing import Any

_WORD = re.compile(r"[a-z][a-z0-9]+")
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "that",
        "the",
        "this",
        "to",
        "with",
        "we",
        "our",
        "users",
        "user",
        "app",
        "system",
        "service",
        "platform",
        "must",
        "should",
        "can",
        "need",
        "needs",
        "want",
        "like",
        "per",
        "each",
        "under",
        "over",
        "at",
        "most",
        "least",
    ]
)
#: A match must share at least this much weighted vocabulary to be worth adapting.
THRESHOLD = 0.35


@dataclass(frozen=True)
class Match:
    name: str
    score: float
    reference: dict[str, Any]


@dataclass(frozen=True)
class _Entry:
    name: str
    words: frozenset[str]
    load: Any  # () -> dict: the reference architecture as plain data


def words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _STOP]


@cache
def _entries() -> tuple[_Entry, ...]:
    try:
        from archls import specs  # type: ignore[attr-defined]
    except ImportError:
        return ()
    out: list[_Entry] = []
    lister = getattr(specs, "all_specs", None) or getattr(specs, "list_specs", None)
    if lister is None:
        return ()
    for spec in lister():
        text = (
            " ".join(str(getattr(spec, attr, "") or "") for attr in ("name", "title", "summary", "description"))
            + " "
            + " ".join(getattr(spec, "tags", ()) or ())
        )
        out.append(_Entry(str(spec.name), frozenset(words(text)), lambda spec=spec: _reference(spec)))
    return tuple(out)


def _reference(spec: Any) -> dict[str, Any]:
    import yaml

    text = getattr(spec, "reference_text", None)
    if callable(text):
        text = text()
    if isinstance(text, str):
        data = yaml.safe_load(text)
        return data if isinstance(data, dict) else {}
    return {}


def nearest(description: str) -> Match | None:
    """The library reference closest to the description, or None below :data:`THRESHOLD`."""
    entries = _entries()
    if not entries:
        return None
    query = Counter(words(description))
    if not query:
        return None
    df = Counter(w for e in entries for w in e.words)
    n = len(entries)

    def idf(word: str) -> float:
        return math.log((n + 1) / (df.get(word, 0) + 0.5))

    norm = sum(idf(w) for w in query) or 1.0
    scored = sorted(((sum(idf(w) for w in query if w in e.words) / norm, e) for e in entries), key=lambda s: -s[0])
    score, best = scored[0]
    if score < THRESHOLD:
        return None
    reference = best.load()
    return Match(best.name, score, reference) if reference else None
