"""A small architecture the editor-feature tests share, and helpers to talk about places in it."""

from __future__ import annotations

from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

SHOP = """\
archls: 1
name: Shop
requirements:
  peak_rps: 200
  budget_monthly: 2000
groups:
  edge:
    type: trust-boundary
    public: true
    members: [web]
  private:
    type: vpc
    members: [api, db]
    parent: edge
components:
  web:
    type: load-balancer
    technology: nginx
    public: true
    tls: true
  api:
    type: service
    technology: go
    replicas: 2
    cost_monthly: 300
  db:
    type: database
    technology: postgresql
    version: "16"
connections:
  - from: web
    to: api
    protocol: https
    timeout_ms: 500
  - {description: "naïve → sync", from: api, to: db, protocol: postgres, timeout_ms: 200, retries: 2}
flows:
  checkout:
    rps: 50
    latency_budget_ms: 300
    path: [web, api, db]
"""

LINES = SHOP.split("\n")


def where(text: str, n: int = 0, *, offset: int = 0, lines: list[str] = LINES) -> tuple[int, int]:
    """(line, column in code points) of the ``n``-th occurrence of ``text``, plus ``offset``."""
    seen = 0
    for i, line in enumerate(lines):
        start = 0
        while (col := line.find(text, start)) >= 0:
            if seen == n:
                return i, col + offset
            seen += 1
            start = col + 1
    raise AssertionError(f"{text!r} #{n} not in the sample")


def units(client: LanguageClient, line_text: str, col: int) -> int:
    """Column ``col`` (code points) in the encoding the server negotiated with this client."""
    before = line_text[:col]
    if client.profile == "neovim":  # Neovim offers utf-8 first, and pygls takes the client's first choice
        return len(before.encode("utf-8"))
    return len(before.encode("utf-16-le")) // 2


def pos(client: LanguageClient, text: str, n: int = 0, *, offset: int = 0, lines: list[str] = LINES) -> lsp.Position:
    line, col = where(text, n, offset=offset, lines=lines)
    return lsp.Position(line, units(client, lines[line], col))


def rng(
    client: LanguageClient,
    text: str,
    n: int = 0,
    *,
    offset: int = 0,
    length: int | None = None,
    lines: list[str] = LINES,
) -> lsp.Range:
    """The range of ``text`` (or ``length`` code points of it from ``offset``) in the client's encoding."""
    line, col = where(text, n, offset=offset, lines=lines)
    end = col + (length if length is not None else len(text) - offset)
    return lsp.Range(
        lsp.Position(line, units(client, lines[line], col)), lsp.Position(line, units(client, lines[line], end))
    )


def doc_id(uri: str) -> lsp.TextDocumentIdentifier:
    return lsp.TextDocumentIdentifier(uri=uri)
