"""Inline suppression comments, for every format with ``#`` (or ``//``) comments.

- ``# archls: ignore[SEC003] reason`` on a line drops the listed codes' findings on that line.
  Written on the line of a key (a component's id, a connection's first line, a section), it
  drops those findings for everything under that key.
- ``# archls: ignore-file[SEC003]`` anywhere drops them in the whole file; a bare
  ``# archls: ignore-file`` drops every finding.
- Codes are comma-separated; a category (``SEC``) or a prefix (``SEC0``) stands for the codes
  starting with it. A bare ``# archls: ignore`` drops every finding on its line.

A suppression that drops nothing is reported as ARCH011, with a fix that removes it, so stale
comments do not hide the next real finding. Loader errors that stop the audit cannot be
suppressed: there would be nothing left to audit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from archls.findings import Edit, Finding, Range, Severity

if TYPE_CHECKING:
    from archls.config import Config
    from archls.formats import Loaded

UNUSED = "ARCH011"
#: Findings no comment can hide: the file could not be read.
UNSUPPRESSIBLE = frozenset({"ARCH000", "ARCH001", "ARCH002", "ARCH008", "ARCH009"})

_COMMENT = re.compile(
    r"(?:(?<=\s)|^)(?:#|//)[ \t]*archls:[ \t]*(?P<kind>ignore-file|ignore)(?![\w-])(?:\[(?P<codes>[^\]\n]*)\])?",
    re.MULTILINE,
)
_TOKEN = re.compile(r"[A-Za-z]+[0-9]*")


@dataclass
class Token:
    code: str
    start: int  #: column of the code in its line
    end: int
    used: bool = False


@dataclass
class Suppression:
    line: int
    start: int  #: column where the comment starts
    end: int  #: column where the ``ignore[...]`` part ends
    file_level: bool
    tokens: list[Token] = field(default_factory=list)
    used: bool = False  #: for a bare comment (no codes)

    @property
    def bare(self) -> bool:
        return not self.tokens

    def matches(self, code: str) -> Token | bool | None:
        """The token that covers ``code``, True for a bare comment, None when it does not apply."""
        if self.bare:
            return True
        for token in self.tokens:
            if code.startswith(token.code):
                return token
        return None


def parse(text: str) -> list[Suppression]:
    """Every ``archls: ignore`` comment in ``text``."""
    out: list[Suppression] = []
    # Look only at the lines that mention "archls:" (str.find is fast even on large files).
    at = text.find("archls:")
    counted, number = 0, 0
    while at != -1:
        start = text.rfind("\n", 0, at) + 1
        end = text.find("\n", at)
        end = len(text) if end == -1 else end
        line_text = text[start:end].removesuffix("\r")
        if "ignore" in line_text:
            number += text.count("\n", counted, start)
            counted = start
            out.extend(_parse_line(line_text, number))
        at = text.find("archls:", end)
    return out


def _parse_line(line_text: str, number: int) -> list[Suppression]:
    out = []
    for match in _COMMENT.finditer(line_text):
        suppression = Suppression(
            line=number,
            start=match.start(),
            end=match.end(),
            file_level=match.group("kind") == "ignore-file",
        )
        codes = match.group("codes")
        if codes is not None:
            base = match.start("codes")
            for token in _TOKEN.finditer(codes):
                suppression.tokens.append(Token(token.group().upper(), base + token.start(), base + token.end()))
            if not suppression.tokens:
                continue  # "ignore[]" names nothing; leave it alone rather than treat it as "everything"
        out.append(suppression)
    return out


def apply(
    findings: list[Finding],
    text: str,
    loaded: Loaded | None,
    config: Config,
    *,
    rules_ran: bool,
    path: str | None = None,
) -> list[Finding]:
    """``findings`` without the suppressed ones, plus ARCH011 for each suppression that drops nothing."""
    suppressions = parse(text)
    if not suppressions:
        return findings
    file_level = [s for s in suppressions if s.file_level]
    by_line: dict[int, list[Suppression]] = {}
    for s in suppressions:
        if not s.file_level:
            by_line.setdefault(s.line, []).append(s)
    kept: list[Finding] = []
    for finding in findings:
        if finding.code in UNSUPPRESSIBLE or finding.file not in (None, path):
            kept.append(finding)
            continue
        if _drop(finding, file_level, by_line, loaded):
            continue
        kept.append(finding)
    if rules_ran:
        unused = [f for s in suppressions if (f := _unused(s, config)) is not None]
        kept.extend(f for f in unused if not _drop(f, file_level, {}, None, mark=False))
    return kept


def _drop(
    finding: Finding,
    file_level: list[Suppression],
    by_line: dict[int, list[Suppression]],
    loaded: Loaded | None,
    *,
    mark: bool = True,
) -> bool:
    hit = False
    for s in file_level:
        hit = _use(s, finding.code, mark) or hit
    if by_line:
        for line in _lines_of(finding, loaded, by_line):
            for s in by_line.get(line, ()):
                hit = _use(s, finding.code, mark) or hit
    return hit


def _use(s: Suppression, code: str, mark: bool) -> bool:
    token = s.matches(code)
    if token is None:
        return False
    if mark:
        if isinstance(token, Token):
            token.used = True
        else:
            s.used = True
    return True


def _lines_of(finding: Finding, loaded: Loaded | None, by_line: dict[int, list[Suppression]]) -> set[int]:
    """The finding's own line and the key lines of everything it sits under."""
    lines = {finding.range.start_line}
    if loaded is None or not finding.path:
        return lines
    for n in range(1, len(finding.path) + 1):
        entry = loaded.smap.get(loaded.file_path(finding.path[:n]))
        if entry is not None:
            head = entry.head.start_line
            if head in by_line:
                lines.add(head)
    return lines


def _unused(s: Suppression, config: Config) -> Finding | None:
    from archls.rules.registry import REGISTRY, Category

    if s.bare:
        if s.used:
            return None
        what = "file" if s.file_level else "line"
        return _finding(s, f"unused suppression: no finding on this {what} to ignore", [], remove_all=True)
    problems: list[str] = []
    dead: list[Token] = []
    for token in s.tokens:
        if token.used:
            continue
        known = (
            token.code in REGISTRY
            or token.code in Category.__members__
            or any(code.startswith(token.code) for code in REGISTRY)
        )
        if not known:
            problems.append(f"'{token.code}' is not an archls code")
            dead.append(token)
        elif config.enabled(token.code) or token.code not in REGISTRY:
            where = "in this file" if s.file_level else "here"
            problems.append(f"no {token.code} finding {where}")
            dead.append(token)
        # A code the configuration turns off is left alone: the comment may matter elsewhere.
    if not dead:
        return None
    return _finding(s, "unused suppression: " + "; ".join(problems), dead, remove_all=len(dead) == len(s.tokens))


def _finding(s: Suppression, message: str, dead: list[Token], *, remove_all: bool) -> Finding:
    from archls.rules.registry import Fix

    where = Range(s.line, s.start, s.line, s.end)
    if remove_all:
        title = "Remove the unused suppression"
        edits = [[s.line, s.start, s.line, s.end, ""]]
    else:
        title = "Remove " + ", ".join(t.code for t in dead) + " from the suppression"
        edits = [_token_removal(s, t, dead) for t in dead]
    fix = Fix(title, "text", (), value=edits)
    return Finding(UNUSED, message, Severity.WARNING, where, fix=fix.to_json())


def _token_removal(s: Suppression, token: Token, dead: list[Token]) -> list[int | str]:
    """Remove one of the ``dead`` codes (not all of the comment's) and the comma that joins it to a neighbour.

    A code with a kept one after it takes the separator after it; the others take the separator
    before them, so the removals of neighbouring dead codes meet but never overlap.
    """
    index = s.tokens.index(token)
    if any(t not in dead for t in s.tokens[index + 1 :]):
        return [s.line, token.start, s.line, s.tokens[index + 1].start, ""]
    return [s.line, s.tokens[index - 1].end, s.line, token.end, ""]


def suppress_edit(text: str, line: int, code: str) -> Edit:
    """The edit that suppresses ``code`` on ``line``: extend an ignore comment already there, or add one."""
    lines = text.split("\n")
    current = lines[line].removesuffix("\r") if line < len(lines) else ""
    for match in _COMMENT.finditer(current):
        if match.group("kind") != "ignore":
            continue
        codes = match.group("codes")
        if codes is None:
            return Edit(Range(line, match.end(), line, match.end()), f"[{code}]")
        end = match.end("codes")
        joiner = ", " if codes.strip() else ""
        return Edit(Range(line, end, line, end), f"{joiner}{code}")
    stripped = current.rstrip()
    pad = "" if not stripped else "  "
    return Edit(Range(line, len(stripped), line, len(current)), f"{pad}# archls: ignore[{code}]")
