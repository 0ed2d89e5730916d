"""A baseline: the findings a project has accepted, so that only new ones fail a build.

A finding is recognised by its rule, its file (relative to the baseline's folder, so the file works
in any checkout) and what it is about (the model or native path, such as a resource and attribute,
or the text of its line when it has no path), never by its line number or its wording: adding lines
above a finding does not make it new, and neither does a newer archls that words it differently.
Identical findings are counted, so a second copy of an accepted problem is new. The message and
line are kept in the file for the people who read it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from archls.batch.audit import Located

FORMAT = 1


class BaselineError(Exception):
    """The baseline file cannot be used; the message says why in one sentence."""


@dataclass(frozen=True, slots=True)
class Entry:
    rule: str
    file: str
    about: str
    message: str
    line: int  #: for people reading the file; not used to match

    @property
    def fingerprint(self) -> str:
        key = "\0".join((self.rule, self.file, self.about))
        return hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()

    def to_json(self) -> dict[str, object]:
        return {"rule": self.rule, "file": self.file, "about": self.about, "message": self.message, "line": self.line}


def entry(item: Located, folder: Path) -> Entry:
    f = item.finding
    about = "/".join(str(step) for step in f.path) if f.path else f"text:{item.line_text.strip()}"
    file = Path(os.path.relpath(item.file, folder)).as_posix()
    return Entry(f.code, file, about, f.message, f.range.start_line + 1)


def write(path: Path, items: Iterable[Located]) -> int:
    """Write every finding of ``items`` to ``path``; the number written."""
    folder = path.resolve().parent
    entries = sorted((entry(i, folder) for i in items), key=lambda e: (e.file, e.line, e.rule, e.about, e.message))
    document = {
        "archls_baseline": FORMAT,
        "note": "Findings accepted for now: 'archls check --baseline' reports only the findings not listed here.",
        "findings": [e.to_json() for e in entries],
    }
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return len(entries)


@dataclass
class Split:
    new: list[Located]
    #: findings the baseline accepts
    known: int
    #: entries of the baseline no finding matched any more (fixed, or the file is not in this run)
    gone: int


def read(path: Path) -> Counter[str]:
    """The fingerprints a baseline file lists, counted."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"the baseline {path} does not exist; write it first with --write-baseline") from None
    except OSError as exc:
        raise BaselineError(f"cannot read the baseline {path}: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BaselineError(f"the baseline {path} is not valid JSON ({exc})") from None
    rows = document.get("findings") if isinstance(document, dict) else None
    if not isinstance(rows, list) or document.get("archls_baseline") != FORMAT:
        raise BaselineError(f"{path} is not an archls baseline; write one with --write-baseline")
    counts: Counter[str] = Counter()
    for row in rows:
        try:
            fields = (row["rule"], row["file"], row["about"])
        except (KeyError, TypeError):
            raise BaselineError(f"the baseline {path} has an entry without rule, file and about") from None
        if not all(isinstance(value, str) for value in fields):
            raise BaselineError(f"the baseline {path} has an entry whose fields are not text")
        counts[Entry(*fields, message="", line=0).fingerprint] += 1
    return counts


def split(items: Sequence[Located], path: Path, accepted: Counter[str]) -> Split:
    """``items`` that the baseline does not accept, in their order."""
    folder = path.resolve().parent
    left = Counter(accepted)
    new: list[Located] = []
    known = 0
    for item in items:
        key = entry(item, folder).fingerprint
        if left[key] > 0:
            left[key] -= 1
            known += 1
        else:
            new.append(item)
    return Split(new, known, sum(left.values()))
