"""Text bound for a terminal: control characters that come from the files read are shown, never obeyed.

A component named ``"a\\x1b[2Jb"`` would otherwise clear the screen of whoever runs ``archls check`` on
the file, recolour the rest of the report or move the cursor to hide a finding. The text reports pass
what they print through :func:`printable`, which writes such characters as Python escapes (``\\x1b``),
keeping the line feeds (and tabs) the report's own layout uses.
"""

from __future__ import annotations

#: C0 controls, DEL and C1 controls (ECMA-48), and the Unicode controls that reorder or hide text
#: (bidirectional overrides and isolates, as in "Trojan Source").
_CONTROLS = [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_ESCAPES = {code: (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}") for code in _CONTROLS}
_TABLES: dict[str, dict[int, str]] = {}


def printable(text: str, keep: str = "\n\t") -> str:
    """``text`` with every control character but those in ``keep`` written as an escape."""
    table = _TABLES.get(keep)
    if table is None:
        table = _TABLES[keep] = {code: escape for code, escape in _ESCAPES.items() if chr(code) not in keep}
    return text.translate(table)
