"""Quoting user text for each output language, so no text can become code.

Every function returns :class:`Safe`: a ``str`` the text templates accept as is. Templates refuse
plain strings (see :mod:`archls.export.templating`), so a value reaches a file only through one of
these functions or as an identifier from :mod:`archls.export.naming`.
"""

from __future__ import annotations

import json
import re
import shlex
from typing import Any

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u0085\u2028\u2029\ud800-\udfff\ufffe\uffff]")
_SPACE = re.compile(r"\s+")


class Safe(str):
    """Text already quoted or made of a safe alphabet for the output it goes into."""

    __slots__ = ()


def one_line(value: Any, max_len: int = 400) -> Safe:
    """Free text on one line: newlines, tabs and control characters become single spaces.

    Used for comments and labels, where a newline would end the comment and start code.
    """
    text = "" if value is None else str(value)
    text = _SPACE.sub(" ", _CONTROL.sub(" ", text)).strip()
    if len(text) > max_len:
        text = text[: max_len - 1].rstrip() + "…"
    return Safe(text)


def comment(value: Any, max_len: int = 400) -> Safe:
    """Text for a line comment (any of ``#``, ``//``, ``--``, ``'``): one line, no comment closers."""
    text = one_line(value, max_len).replace("*/", "* /").replace("-->", "- ->")
    return Safe(text)


def json_str(value: Any) -> Safe:
    """A JSON (and JavaScript) literal; ``<``, ``>``, ``&`` and line separators escaped so it can sit in HTML."""
    text = json.dumps(value, ensure_ascii=True, sort_keys=True)
    return Safe(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def hcl_str(value: Any) -> Safe:
    """An HCL quoted string; ``${`` and ``%{`` doubled so Terraform does not interpolate them."""
    text = "" if value is None else str(value)
    out = json.dumps(text, ensure_ascii=True)[1:-1]
    out = out.replace("${", "$${").replace("%{", "%%{")
    return Safe(f'"{out}"')


def hcl_value(value: Any) -> Safe:
    """Any plain value (bool, number, string, list, dict) as an HCL expression."""
    if value is None:
        return Safe("null")
    if isinstance(value, bool):
        return Safe("true" if value else "false")
    if isinstance(value, int | float):
        return Safe(_number(value))
    if isinstance(value, Safe):
        return value
    if isinstance(value, str):
        return hcl_str(value)
    if isinstance(value, list | tuple):
        return Safe("[" + ", ".join(hcl_value(v) for v in value) + "]")
    if isinstance(value, dict):
        items = ", ".join(f"{hcl_str(k)} = {hcl_value(v)}" for k, v in sorted(value.items()))
        return Safe("{ " + items + " }" if items else "{}")
    raise TypeError(f"no HCL form for {type(value).__name__}")


def _number(value: float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value)


def py_str(value: Any) -> Safe:
    """A Python string literal."""
    return Safe(repr("" if value is None else str(value)))


def sh(value: Any) -> Safe:
    """One shell word."""
    return Safe(shlex.quote("" if value is None else str(value)))


def toml_str(value: Any) -> Safe:
    """A TOML basic string (JSON's escapes are a subset of TOML's)."""
    return Safe(json.dumps("" if value is None else str(value), ensure_ascii=True))


def dq(value: Any, max_len: int = 400) -> Safe:
    """A double-quoted label on one line with ``\\`` and ``"`` escaped (DOT, D2, Structurizr, nginx)."""
    text = one_line(value, max_len).replace("\\", "\\\\").replace('"', '\\"')
    # Structurizr and D2 substitute ${NAME}; a space keeps the text as written to a reader.
    text = text.replace("${", "$ {")
    return Safe(f'"{text}"')


def d2_str(value: Any, max_len: int = 400) -> Safe:
    """A D2 double-quoted string on one line: ``\\``, ``"`` and ``$`` (which starts a substitution) escaped."""
    text = one_line(value, max_len).replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return Safe(f'"{text}"')


_MERMAID_QUOTED = re.compile(r"[#\"<>&`]")
_MERMAID_BARE = re.compile(r"[#\"<>&`|{}\[\]();:,%]")


def mermaid_label(value: Any, max_len: int = 200) -> Safe:
    """A Mermaid label in quotes; quotes and markup as Mermaid's ``#code;`` entities."""
    text = _MERMAID_QUOTED.sub(lambda m: f"#{ord(m.group())};", one_line(value, max_len))
    return Safe(f'"{text}"')


def mermaid_text(value: Any, max_len: int = 200) -> Safe:
    """Unquoted Mermaid text (sequence messages, titles): every statement character as an entity."""
    return Safe(_MERMAID_BARE.sub(lambda m: f"#{ord(m.group())};", one_line(value, max_len)))


def plantuml_str(value: Any, max_len: int = 200) -> Safe:
    """A PlantUML macro argument: one line, no double quotes, no preprocessor or creole markup."""
    text = one_line(value, max_len).replace('"', "'")
    text = text.replace("!", "\u01c3").replace("$", "\uff04").replace("<", "\u2039").replace(">", "\u203a")
    return Safe(f'"{text}"')


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#|~])")


def md(value: Any, max_len: int = 600) -> Safe:
    """Markdown inline text: HTML escaped and markup characters backslash-escaped."""
    text = one_line(value, max_len)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return Safe(text)


def md_code(value: Any, max_len: int = 200) -> Safe:
    """Inline code span holding any text (markup inside a code span is shown, never rendered).

    ``|`` is escaped so the span can sit in a table cell.
    """
    text = one_line(value, max_len).replace("`", "'").replace("|", "\\|")
    return Safe(f"`{text}`")


def go_template_literal(value: Any) -> str:
    """Text that a Go text/template (Helm, Prometheus annotations) prints as written."""
    text = "" if value is None else str(value)
    return text.replace("{{", '{{ "{{" }}')


def compose_literal(value: Any) -> str:
    """Text compose prints as written: ``$`` starts an interpolation there."""
    text = "" if value is None else str(value)
    return text.replace("$", "$$")


def gha_literal(value: Any) -> str:
    """Text GitHub Actions does not evaluate: ``${{`` starts an expression anywhere in a workflow."""
    text = "" if value is None else str(value)
    return text.replace("${{", "$ {{")


_WORD = re.compile(r"[A-Za-z0-9_.:/+-]*")


def word(value: Any) -> Safe:
    """A template's own constant (a shape name, a keyword): only a plain word passes."""
    text = str(value)
    if not _WORD.fullmatch(text):
        raise ValueError(f"{text[:40]!r} is not a plain word")
    return Safe(text)


FILTERS = {
    "word": word,
    "one_line": one_line,
    "comment": comment,
    "json": json_str,
    "hcl": hcl_value,
    "hcl_str": hcl_str,
    "py": py_str,
    "sh": sh,
    "toml": toml_str,
    "dq": dq,
    "d2": d2_str,
    "mermaid": mermaid_label,
    "plantuml": plantuml_str,
    "md": md,
    "md_code": md_code,
}
