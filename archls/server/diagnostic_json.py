"""Pushed diagnostics as the JSON the client receives, made without the protocol library's objects.

A large file has thousands of findings; building lsprotocol's objects and converting them costs
several times the audit. And the first audit after a cold start (``archls.server.early``) is
published before lsprotocol and pygls are even imported, so nothing here imports them but the
conversion of a non-ASCII line to the client's units, which needs pygls' position codec.
"""

from __future__ import annotations

import enum
import json
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from archls.config import Config
from archls.findings import Finding, Severity
from archls.rule_pages import docs_href

if TYPE_CHECKING:
    from archls.engine import Analysis


class Text(Protocol):
    """What is read of a document: pygls' ``TextDocument`` or the early audit's own."""

    @property
    def source(self) -> str: ...

    @property
    def position_codec(self) -> Any: ...


_recent: deque[tuple[str, tuple[str, ...]]] = deque(maxlen=4)


def lines_of(doc: Text) -> tuple[str, ...]:
    """The document's lines, split once per text: ``TextDocument.lines`` splits the whole text on
    every call, which made converting a hundred findings in a large file cost a hundred splits."""
    source = doc.source
    for text, lines in tuple(_recent):  # a snapshot: the audit thread converts its findings too
        if text is source:
            return lines
    lines = tuple(source.splitlines(True))
    _recent.appendleft((source, lines))
    return lines


def client_position(doc: Text, lines: tuple[str, ...], line: int, col: int) -> tuple[int, int]:
    """A position in code points as (line, character) in the client's units (pygls' position codec,
    without its work on ASCII lines, where every unit is one character), kept inside the text: a
    column past a line's end is its end, a line past the last is the end of the text."""
    last = len(lines) - 1
    if line > last:
        if lines and lines[last].endswith(("\n", "\r")):
            return last + 1, 0  # the empty line after the text's last line break
        line, col = max(last, 0), len(lines[last]) if lines else 0
    if not lines:
        return 0, 0
    text = lines[line]
    # never past the line's end: a column beyond it means the end, before the line break
    col = min(col, len(text) - (2 if text.endswith("\r\n") else 1 if text.endswith(("\n", "\r")) else 0))
    if text.isascii():
        return line, col
    from pygls.workspace.position_codec import ServerTextPosition  # the protocol's types: not for ASCII text

    client = doc.position_codec.position_to_client_units(lines, ServerTextPosition(line, col))
    return client.line, client.character


def diagnostic_json(finding: Finding, doc: Text, config: Config) -> dict[str, Any]:
    """:func:`to_diagnostic` as the JSON the client receives, made directly: a large file has thousands
    of findings, and building the protocol objects and then converting them to JSON costs several
    times the audit that found them."""
    data: dict[str, Any] = {"path": list(finding.path), "category": finding.category}
    if finding.fix:
        data["fix"] = finding.fix
    if finding.data:
        data.update(finding.data)
    lines = lines_of(doc)
    r = finding.range
    start = client_position(doc, lines, r.start_line, r.start_col)
    end = client_position(doc, lines, r.end_line, r.end_col)
    return {
        "range": {
            "start": {"line": start[0], "character": start[1]},
            "end": {"line": end[0], "character": end[1]},
        },
        "message": finding.message,
        "severity": SEVERITY_NUMBER[finding.severity],
        "code": finding.code,
        "codeDescription": {"href": docs_href(finding.code, config)},
        "source": "archls",
        "data": data,
    }


#: The protocol's DiagnosticSeverity numbers.
SEVERITY_NUMBER = {Severity.ERROR: 1, Severity.WARNING: 2, Severity.INFO: 3, Severity.HINT: 4}

#: (what the diagnostic says and where, in the client's units) -> (fix, data, its JSON text)
Pieces = dict[tuple[Any, ...], tuple[Any, Any, str]]


def diagnostic_text(finding: Finding, doc: Text, config: Config, earlier: Pieces, now: Pieces) -> str:
    """:func:`diagnostic_json` as JSON text, taken from ``earlier`` (the last publish of the same
    document) when the same finding sits at the same place; ``now`` collects this publish's."""
    return DiagnosticTexts(doc, config, earlier, now)(finding)


class DiagnosticTexts:
    """Findings of one text as the JSON text of their diagnostics (see :func:`diagnostic_json`), each
    taken from ``earlier`` (the last publish of the same document) when the same finding sits at the
    same place: after an edit nearly every finding of a large file is the same as before it.
    ``now`` collects this publish's, for the next."""

    def __init__(
        self,
        doc: Text,
        config: Config,
        earlier: Pieces,
        now: Pieces | None = None,
        split: list[str] | None = None,
    ) -> None:
        self.doc, self.config, self.earlier = doc, config, earlier
        self.now: Pieces = {} if now is None else now
        self.position = _positions(doc, split)

    def __call__(self, finding: Finding) -> str:
        r = finding.range
        key = (
            finding.code,
            finding.message,
            finding.severity,
            self.position(r.start_line, r.start_col),
            self.position(r.end_line, r.end_col),
            finding.category,
            finding.path,
            self.config.docs_url,
        )
        found = self.earlier.get(key)
        if found is None or found[0] != finding.fix or found[1] != finding.data:
            text = json.dumps(diagnostic_json(finding, self.doc, self.config), default=_jsonable)
            found = (finding.fix, finding.data, text)
        self.now[key] = found
        return found[2]


#: Characters other than a line feed that end a line for ``str.splitlines`` (and so for pygls) in ASCII.
_OTHER_BREAKS = ("\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e")


def _positions(doc: Text, split: list[str] | None = None) -> Callable[[int, int], tuple[int, int]]:
    """:func:`_client_position` for one text, with the work done once: in an ASCII text whose lines
    all end with a line feed (nearly every file), a position is its line and column kept inside it.
    ``split`` is ``doc.source.split("\n")`` when the audit made it already: the lines' lengths are
    then read from it, without splitting the text again."""
    source = doc.source
    if not source or not source.isascii() or any(c in source for c in _OTHER_BREAKS):
        return lambda line, col: client_position(doc, lines_of(doc), line, col)
    if split is not None:
        # the lines of str.splitlines without their line feeds, and after a final line feed an empty one
        lengths: list[str] | tuple[str, ...] = split
        final_break = split[-1] == ""
        last = len(split) - 1 - final_break
        cut = 0
    else:
        lengths = lines_of(doc)
        last = len(lengths) - 1
        final_break = lengths[last].endswith("\n")
        cut = 1
    if last < 0:
        return lambda line, col: client_position(doc, lines_of(doc), line, col)

    def position(line: int, col: int) -> tuple[int, int]:
        if 0 <= line < last:
            end = len(lengths[line]) - cut
        elif line == last:
            end = len(lengths[last]) - (cut if final_break else 0)
        elif line > last:
            return (last + 1, 0) if final_break else (last, len(lengths[last]))
        else:
            return client_position(doc, lines_of(doc), line, col)
        return line, col if col < end else end

    return position


def _jsonable(value: Any) -> Any:
    """What json cannot write by itself, as pygls would write it."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    return getattr(value, "__dict__", str(value))


def texts_of(
    analysis: Analysis, doc: Text, earlier: Pieces, tell: Callable[[str, str], None]
) -> tuple[list[str], Pieces]:
    """The JSON texts of the diagnostics ``analysis`` gives ``doc`` (its findings in that file), and
    the pieces to pass as ``earlier`` next time. ``tell(what, trace)`` hears of a finding that could
    not be converted; the others still are."""
    import traceback

    split = analysis.split_lines() if analysis.text == doc.source else None
    texts = DiagnosticTexts(doc, analysis.config, earlier, split=split)
    out = []
    for finding in analysis.findings:
        if finding.file not in (None, analysis.path):
            continue
        try:
            out.append(texts(finding))
        except Exception:
            tell(f"diagnostic {finding.code}", traceback.format_exc())
    return out, texts.now


def publish_body(uri: str, diagnostics: list[str], version: int | None) -> str:
    """The publishDiagnostics notification, from each diagnostic's JSON text. Its JSON is ASCII (json
    escapes the rest), so its length in characters is its length in bytes."""
    return (
        f'{{"jsonrpc":"2.0","method":"textDocument/publishDiagnostics","params":{{"uri":{json.dumps(uri)},'
        f'"diagnostics":[{",".join(diagnostics)}],"version":{json.dumps(version)}}}}}'
    )
