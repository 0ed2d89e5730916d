"""A library of product specs: what a product does, its non-functional requirements, its
acceptance criteria and a reference architecture written for it.

Each spec is a folder ``archls/specs/library/<name>/`` holding ``spec.yaml`` (the description)
and ``reference.arch.yaml`` (the reference architecture; its ``requirements:`` are the measurable
NFRs and its ``acceptance:`` the criteria, so a copy of it carries both). The library is read-only
package data: the CLI (``archls specs``, ``archls new --from-spec``), the editor and the assistant
all read it through this API, and none of them needs the network.

The API (stable; other packages build on it):

``names() -> list[str]``
    Every spec name, sorted.
``all_specs() -> list[Spec]``
    Every spec, sorted by name.
``get(name) -> Spec``
    One spec; raises :class:`SpecNotFound` (a ``KeyError``) with the closest names.
``search(query="", tags=()) -> list[Spec]``
    Specs carrying every tag in ``tags`` whose text matches the words of ``query``, best first
    (words in the name and title weigh most, then tags and technologies, then the description).
``tags() -> dict[str, int]``
    Every tag and how many specs carry it.

A :class:`Spec` has ``name``, ``title``, ``summary``, ``tags``, ``users`` (what users do), ``scale``,
``hard_part``, ``nfrs`` (requirements in words), ``technologies`` (what the description implies and
the reference uses), ``reference_text`` (the YAML, ready to copy), ``reference()`` (the parsed
:class:`archls.model.Architecture`), ``criteria()`` (its acceptance criteria), ``keywords``
and ``describe()`` (the text ``archls specs show`` prints).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from archls.model import Architecture, Criterion

REFERENCE = "reference.arch.yaml"
SPEC = "spec.yaml"
_WORD = re.compile(r"[a-z0-9]+")


class SpecNotFound(KeyError):
    """No spec of that name; the message names the closest ones."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "no such spec"


@dataclass(frozen=True)
class Spec:
    name: str
    title: str
    summary: str
    tags: tuple[str, ...]
    users: str
    scale: str
    hard_part: str
    nfrs: tuple[str, ...]
    technologies: tuple[str, ...]
    reference_text: str = field(repr=False)

    def reference(self) -> Architecture:
        """The reference architecture, parsed (shared: do not modify it)."""
        return _parse(self.name)

    def criteria(self) -> list[Criterion]:
        return list(self.reference().acceptance)

    @property
    def description(self) -> str:
        return f"{self.summary}\n\n{self.users}\n\n{self.scale}\n\n{self.hard_part}"

    @property
    def keywords(self) -> frozenset[str]:
        return frozenset(_words(" ".join((self.name, self.title, *self.tags, *self.technologies, self.description))))

    def to_json(self, *, full: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "title": self.title,
            "summary": self.summary,
            "tags": list(self.tags),
            "technologies": list(self.technologies),
        }
        if full:
            model = self.reference()
            out |= {
                "users": self.users,
                "scale": self.scale,
                "hard_part": self.hard_part,
                "nfrs": list(self.nfrs),
                "requirements": model.requirements.model_dump(exclude_none=True, exclude_defaults=True, mode="json"),
                "acceptance": [
                    c.model_dump(exclude_none=True, exclude_defaults=True, mode="json") for c in model.acceptance
                ],
                "reference": self.reference_text,
            }
        return out

    def describe(self) -> str:
        """The spec for people: description, requirements, criteria and a summary of the reference."""
        from archls.specs.summary import describe

        return describe(self)


def _library() -> Any:
    return resources.files(__name__) / "library"


@cache
def _load_all() -> dict[str, Spec]:
    out: dict[str, Spec] = {}
    for folder in _library().iterdir():
        if not folder.is_dir() or folder.name.startswith(("_", ".")):
            continue
        meta = yaml.safe_load((folder / SPEC).read_text(encoding="utf-8")) or {}
        out[folder.name] = Spec(
            name=folder.name,
            title=str(meta["title"]),
            summary=str(meta["summary"]).strip(),
            tags=tuple(str(t) for t in meta.get("tags", ())),
            users=str(meta.get("users", "")).strip(),
            scale=str(meta.get("scale", "")).strip(),
            hard_part=str(meta.get("hard_part", "")).strip(),
            nfrs=tuple(str(n).strip() for n in meta.get("nfrs", ())),
            technologies=tuple(str(t) for t in meta.get("technologies", ())),
            reference_text=(folder / REFERENCE).read_text(encoding="utf-8"),
        )
    return dict(sorted(out.items()))


@cache
def _parse(name: str) -> Architecture:
    from archls.formats import LoadContext
    from archls.formats.archyaml import ArchFormat

    loaded = ArchFormat().load(get(name).reference_text, f"{name}.arch.yaml", LoadContext())
    if loaded.model is None:
        raise ValueError(f"the reference of spec {name!r} does not load")
    return loaded.model


def names() -> list[str]:
    return list(_load_all())


def all_specs() -> list[Spec]:
    return list(_load_all().values())


def get(name: str) -> Spec:
    specs = _load_all()
    if name in specs:
        return specs[name]
    close = difflib.get_close_matches(name, list(specs), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else "; 'archls specs list' shows them"
    raise SpecNotFound(f"no spec named {name!r}{hint}")


def tags() -> dict[str, int]:
    counts: dict[str, int] = {}
    for spec in all_specs():
        for tag in spec.tags:
            counts[tag] = counts.get(tag, 0) + 1
    return dict(sorted(counts.items()))


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def search(query: str = "", tags: tuple[str, ...] | list[str] = ()) -> list[Spec]:
    """Specs with every tag in ``tags`` matching ``query``'s words, best first (all when both are empty)."""
    wanted = [t.lower() for t in tags]
    pool = [s for s in all_specs() if all(t in s.tags for t in wanted)]
    words = _words(query)
    if not words:
        return pool
    scored = []
    for spec in pool:
        head = set(_words(f"{spec.name} {spec.title}"))
        labels = set(_words(" ".join((*spec.tags, *spec.technologies))))
        body = spec.keywords
        score = sum(3 * (w in head) + 2 * (w in labels) + (w in body) for w in words)
        if score:
            scored.append((-score, spec.name, spec))
    return [spec for _, _, spec in sorted(scored)]
