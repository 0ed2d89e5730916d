"""Diagnostics over LSP against the real server: ranges, versions, debounce, save, close, pull, bad input."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from tests.e2e.conftest import PROFILES, ROOT, change, edit, open_doc, server_config, start, wait_diagnostics, write

FLAWED = """name: shop
components:
  web: {type: client}
  api:
    type: servise
  db:
    type: database
connections:
  - {from: web, to: api}
  - {from: api, to: dbb}
"""


def codes(params: lsp.PublishDiagnosticsParams) -> list[tuple[str, int]]:
    """The loader's findings: audits come and go as rules are added, these are what the tests pin."""
    return sorted((str(d.code), d.range.start.line) for d in params.diagnostics if str(d.code).startswith("ARCH"))


async def test_diagnostics_carry_code_source_href_and_data(client: LanguageClient) -> None:
    published = await open_doc(client, "shop.arch.yaml", FLAWED)
    assert published.version == 1
    assert codes(published) == [("ARCH004", 4), ("ARCH007", 9)]
    enum, ref = sorted(
        (d for d in published.diagnostics if d.code.startswith("ARCH")), key=lambda d: d.range.start.line
    )
    assert enum.range == lsp.Range(lsp.Position(4, 10), lsp.Position(4, 17))
    assert enum.severity == lsp.DiagnosticSeverity.Error
    assert enum.source == "archls"
    assert enum.code_description is not None and enum.code_description.href.endswith("ARCH004.md")
    assert "did you mean 'service'" in enum.message
    assert ref.range == lsp.Range(lsp.Position(9, 20), lsp.Position(9, 23))
    assert ref.data["path"] == ["connections", 1, "to"]


async def test_incremental_change_updates_diagnostics(client: LanguageClient) -> None:
    first = await open_doc(client, "shop.arch.yaml", FLAWED)
    uri = first.uri
    since = len(client.published)
    edit(client, uri, 2, 4, 10, 4, 17, "service")  # servise -> service
    second = await wait_diagnostics(client, uri, version=2, since=since)
    assert codes(second) == [("ARCH007", 9)]
    since = len(client.published)
    edit(client, uri, 3, 9, 20, 9, 23, "db")
    third = await wait_diagnostics(client, uri, version=3, since=since)
    assert codes(third) == []


async def test_rapid_edits_end_with_the_last_version(client: LanguageClient) -> None:
    first = await open_doc(client, "shop.arch.yaml", FLAWED)
    uri = first.uri
    since = len(client.published)
    versions = range(2, 22)
    for version in versions:
        # Alternate between a broken and a fixed reference; the last text (v21) is broken.
        target = "dbb" if version % 2 else "db"
        change(client, uri, version, FLAWED.replace("to: dbb", f"to: {target}"))
    last = await wait_diagnostics(client, uri, version=21, since=since)
    assert codes(last) == [("ARCH004", 4), ("ARCH007", 9)]
    await asyncio.sleep(0.3)
    seen = [p.version for p in client.published[since:] if p.uri == uri]
    assert seen == sorted(seen), f"an older version was published after a newer one: {seen}"
    assert seen[-1] == 21


async def test_debounce_coalesces_edits_and_save_publishes_at_once(client: LanguageClient) -> None:
    client.set_configuration({"archls": {"debounceMs": 400}})
    client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))
    first = await open_doc(client, "shop.arch.yaml", FLAWED)
    uri = first.uri
    await asyncio.sleep(0.2)
    since = len(client.published)
    for version in range(2, 8):
        change(client, uri, version, FLAWED.replace("dbb", "db" if version % 2 else "dbb"))
    final = await wait_diagnostics(client, uri, version=7, since=since)
    assert [p.version for p in client.published[since:] if p.uri == uri] == [7]
    assert codes(final) == [("ARCH004", 4)]

    client.set_configuration({"archls": {"debounceMs": 60_000}})
    client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))
    await asyncio.sleep(0.2)
    since = len(client.published)
    change(client, uri, 8, FLAWED)
    client.text_document_did_save(lsp.DidSaveTextDocumentParams(lsp.TextDocumentIdentifier(uri)))
    saved = await wait_diagnostics(client, uri, version=8, since=since)
    assert codes(saved) == [("ARCH004", 4), ("ARCH007", 9)]


async def test_close_clears(client: LanguageClient) -> None:
    first = await open_doc(client, "shop.arch.yaml", FLAWED)
    since = len(client.published)
    client.text_document_did_close(lsp.DidCloseTextDocumentParams(lsp.TextDocumentIdentifier(first.uri)))
    cleared = await wait_diagnostics(client, first.uri, since=since)
    assert list(cleared.diagnostics) == []


async def test_malformed_yaml_is_one_positioned_error(client: LanguageClient) -> None:
    published = await open_doc(
        client, "broken.arch.yaml", "name: x\ncomponents:\n  api:\n    type: service\n   replicas: 2\n"
    )
    [diag] = published.diagnostics
    assert diag.code == "ARCH001"
    assert diag.range.start.line == 4


def _alias_bomb() -> str:
    lines = ["name: bomb", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 9):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


HOSTILE = {
    "alias-bomb": (_alias_bomb(), "ARCH008"),
    "deep-nesting": ("name: x\ncomponents: " + "[" * 10_000 + "]" * 10_000 + "\n", "ARCH008"),
    "twenty-megabytes": (
        "name: x\ncomponents:\n" + "  c: {type: service, description: " + "x" * 20_000_000 + "}\n",
        "ARCH008",
    ),
    "empty": ("", "ARCH002"),
    "a-list": ("- api\n- db\n", "ARCH002"),
    "a-scalar": ("hello\n", "ARCH002"),
    "replacement-characters": ("name: caf\ufffd\ncomponents:\n  a: {type: \ufffd}\n", "ARCH004"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
async def test_hostile_input_gives_one_diagnostic_and_a_live_server(client: LanguageClient, case: str) -> None:
    text, code = HOSTILE[case]
    published = await open_doc(client, f"{case}.arch.yaml", text)
    assert [d.code for d in published.diagnostics] == [code]
    assert published.diagnostics[0].range.start.line <= 2
    # The server still answers.
    follow = await open_doc(client, "after.arch.yaml", FLAWED)
    assert codes(follow) == [("ARCH004", 4), ("ARCH007", 9)]


async def test_other_yaml_files_are_left_alone(client: LanguageClient) -> None:
    uri = write(client, "config.yaml", "foo: [\n")
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, "yaml", 1, "foo: [\n")))
    await open_doc(client, "shop.arch.yaml", FLAWED)
    assert all(p.uri != uri for p in client.published)


async def test_columns_use_the_negotiated_position_encoding(client: LanguageClient) -> None:
    published = await open_doc(client, "emoji.arch.yaml", "name: x\ncomponents:\n  api:\n    type: \U0001f600servise\n")
    [diag] = published.diagnostics
    encoding = client.init_result.capabilities.position_encoding or lsp.PositionEncodingKind.Utf16
    width = {lsp.PositionEncodingKind.Utf8: 4, lsp.PositionEncodingKind.Utf16: 2, lsp.PositionEncodingKind.Utf32: 1}[
        encoding
    ]
    assert diag.range.start.character == 10
    assert diag.range.end.character == 10 + width + 7


@pytest_lsp.fixture(config=server_config(), params=PROFILES)
async def pull_client(request, lsp_client: LanguageClient, tmp_path: Path):
    await start(lsp_client, request.param, tmp_path, init_options={"diagnosticMode": "pull"})
    yield
    await lsp_client.shutdown_session()


async def test_pull_diagnostics(pull_client: LanguageClient) -> None:
    client = pull_client
    assert client.init_result.capabilities.diagnostic_provider is not None
    uri = write(client, "shop.arch.yaml", FLAWED)
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, "yaml", 1, FLAWED)))
    report = await client.text_document_diagnostic_async(
        lsp.DocumentDiagnosticParams(text_document=lsp.TextDocumentIdentifier(uri))
    )
    assert sorted((d.code, d.range.start.line) for d in report.items if d.code.startswith("ARCH")) == [
        ("ARCH004", 4),
        ("ARCH007", 9),
    ]
    await asyncio.sleep(0.2)
    assert not [p for p in client.published if p.uri == uri], "pull mode must not also push"


FAILING_ENV = {"ARCHLS_RULE_MODULES": "tests.e2e.plugins.failing_rule", "PYTHONPATH": str(ROOT)}


@pytest_lsp.fixture(config=server_config(FAILING_ENV), params=PROFILES)
async def failing_client(request, lsp_client: LanguageClient, tmp_path: Path):
    await start(lsp_client, request.param, tmp_path)
    yield
    await lsp_client.shutdown_session()


async def test_a_failing_rule_is_logged_and_the_rest_still_publish(failing_client: LanguageClient) -> None:
    client = failing_client
    text = (
        FLAWED.replace("servise", "service").replace("dbb", "db") + "  - {from: db, to: api}\n  - {from: api, to: db}\n"
    )
    published = await open_doc(client, "loop.arch.yaml", text)
    got = [d.code for d in published.diagnostics]
    assert "QUAL001" in got
    [internal] = [d for d in published.diagnostics if d.code == "ARCH000"]
    assert "QUAL099" in internal.message
    assert any("QUAL099" in m.message and "ZeroDivisionError" in m.message for m in client.log_messages)
