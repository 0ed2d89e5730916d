"""Settings before the first audit: a client that sends its settings only through
workspace/configuration (eglot, Helix, Zed, Sublime) and no initializationOptions never sees a finding
its settings hide, not even before the answer arrives. The client here answers late on purpose."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.e2e.conftest import make_client, wait_diagnostics, write

FLAWED = """name: shop
components:
  web: {type: client}
  api:
    type: servise
connections:
  - {from: web, to: api}
"""
#: How long the client takes to answer workspace/configuration: longer than any audit.
LATE = 0.6


async def _late_configuration(client: LanguageClient, params: lsp.ConfigurationParams) -> list[object]:
    client.asked.append([item.scope_uri for item in params.items])
    await asyncio.sleep(LATE)
    return [client.get_configuration(section=item.section, scope_uri=item.scope_uri) for item in params.items]


def slow_client() -> LanguageClient:
    client = make_client({lsp.WORKSPACE_CONFIGURATION: _late_configuration})
    client.asked = []
    return client


CONFIG = ClientServerConfig(server_command=[sys.executable, "-m", "archls", "serve"], client_factory=slow_client)


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: LanguageClient, tmp_path: Path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    lsp_client.set_configuration({"archls": {"ignore": ["ARCH004"]}}, scope_uri=first.as_uri())
    lsp_client.set_configuration({"archls": {}}, scope_uri=second.as_uri())
    params = lsp.InitializeParams(
        capabilities=pytest_lsp.client_capabilities("neovim"),
        root_uri=tmp_path.as_uri(),
        workspace_folders=[
            lsp.WorkspaceFolder(uri=first.as_uri(), name="first"),
            lsp.WorkspaceFolder(uri=second.as_uri(), name="second"),
        ],
        # No initializationOptions: the settings come only through workspace/configuration.
    )
    lsp_client.workspace_root = tmp_path
    await lsp_client.initialize_session(params)
    yield
    await asyncio.sleep(LATE)  # let a late answer go out before the server stops
    await lsp_client.shutdown_session()


def codes(params: lsp.PublishDiagnosticsParams) -> set[str]:
    return {str(d.code) for d in params.diagnostics}


async def open_in_both_folders(
    client: LanguageClient,
) -> tuple[str, lsp.PublishDiagnosticsParams, lsp.PublishDiagnosticsParams]:
    """The same flawed file opened in folders first/ and second/ at once; the first's URI and both
    files' first diagnostics."""
    first = write(client, "first/shop.arch.yaml", FLAWED)
    second = write(client, "second/shop.arch.yaml", FLAWED)
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(first, "yaml", 1, FLAWED)))
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(second, "yaml", 1, FLAWED)))
    return first, await wait_diagnostics(client, first, version=1), await wait_diagnostics(client, second, version=1)


async def test_the_first_audit_of_each_folder_uses_its_settings(client: LanguageClient) -> None:
    # didOpen right after initialized, as eglot does: the configuration answer is still on its way.
    first, published_first, published_second = await open_in_both_folders(client)
    everything = [p for p in client.published if p.uri == first]
    assert all("ARCH004" not in codes(p) for p in everything), [codes(p) for p in everything]
    assert "ARCH004" not in codes(published_first)
    assert "ARCH004" in codes(published_second)  # the other folder hides nothing


async def test_settings_are_asked_once_then_again_after_a_change(client: LanguageClient) -> None:
    uri = write(client, "first/shop.arch.yaml", FLAWED)
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, "yaml", 1, FLAWED)))
    await wait_diagnostics(client, uri, version=1)
    other = write(client, "first/other.arch.yaml", FLAWED)
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(other, "yaml", 1, FLAWED)))
    await wait_diagnostics(client, other, version=1)
    assert len(client.asked) == 1, client.asked  # cached: the second file's folder was answered already

    client.set_configuration({"archls": {}}, scope_uri=(client.workspace_root / "first").as_uri())
    since = len(client.published)
    client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))
    again = await wait_diagnostics(client, uri, since=since)
    assert "ARCH004" in codes(again)
    assert len(client.asked) == 2, client.asked


async def test_a_yaml_file_archls_does_not_read_has_no_summary(client: LanguageClient) -> None:
    text = "key: value\nlist: [1, 2]\n"
    uri = write(client, "first/values.yaml", text)
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, "yaml", 1, text)))
    result = await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="archls.summary", arguments=[uri])
    )
    assert result is None
    assert not [m for m in client.log_messages if m.type == lsp.MessageType.Error]


@pytest_lsp.fixture(config=CONFIG)
async def seeded(lsp_client: LanguageClient, tmp_path: Path):
    """A client that sends each folder's settings with initializationOptions (as the VS Code extension
    does) and would answer workspace/configuration late, and differently."""
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    lsp_client.set_configuration({"archls": {"ignore": ["SEC"]}}, scope_uri=first.as_uri())
    lsp_client.set_configuration({"archls": {"ignore": ["SEC"]}}, scope_uri=second.as_uri())
    params = lsp.InitializeParams(
        capabilities=pytest_lsp.client_capabilities("visual-studio-code"),
        root_uri=tmp_path.as_uri(),
        workspace_folders=[
            lsp.WorkspaceFolder(uri=first.as_uri(), name="first"),
            lsp.WorkspaceFolder(uri=second.as_uri(), name="second"),
        ],
        initialization_options={
            "settings": {},
            "folderSettings": {first.as_uri(): {"ignore": ["ARCH004"]}, second.as_uri(): {}},
        },
    )
    lsp_client.workspace_root = tmp_path
    await lsp_client.initialize_session(params)
    yield
    await asyncio.sleep(LATE)
    await lsp_client.shutdown_session()


async def test_settings_given_at_start_up_need_no_round_trip(seeded: LanguageClient) -> None:
    first, published_first, published_second = await open_in_both_folders(seeded)
    assert seeded.asked == []  # neither audit waited for workspace/configuration
    assert "ARCH004" not in codes(published_first)
    assert "ARCH004" in codes(published_second)

    # A change is asked for as usual, and its answer wins over what came at start-up.
    since = len(seeded.published)
    seeded.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))
    again = await wait_diagnostics(seeded, first, since=since)
    assert len(seeded.asked) == 1, seeded.asked
    assert "ARCH004" in codes(again)
