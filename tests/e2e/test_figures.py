"""Code lenses, inlay hints, the details and summary commands, and the settings that turn lenses and
hints off: per workspace folder through workspace/configuration, and from initializationOptions."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from archls import engine
from archls.intel import lenses
from tests.e2e.conftest import PROFILES, make_client, open_doc, write
from tests.e2e.shop import SHOP, doc_id, rng, units


async def code_lenses(client: LanguageClient, uri: str) -> list[lsp.CodeLens]:
    return list(await client.text_document_code_lens_async(lsp.CodeLensParams(doc_id(uri))) or [])


async def test_a_lens_per_component_and_flow_that_shows_details(client: LanguageClient):
    uri = (await open_doc(client, "shop.arch.yaml", SHOP)).uri
    found = await code_lenses(client, uri)
    assert [(lens.range, lens.command.command, list(lens.command.arguments)) for lens in found] == [
        (rng(client, "  web:", offset=2, length=3), "archls.showDetails", [uri, "component", "web"]),
        (rng(client, "  api:", offset=2, length=3), "archls.showDetails", [uri, "component", "api"]),
        (rng(client, "  db:", offset=2, length=2), "archls.showDetails", [uri, "component", "db"]),
        (rng(client, "  checkout:", offset=2, length=8), "archls.showDetails", [uri, "flow", "checkout"]),
    ]
    web, api, db, checkout = (lens.command.title for lens in found)
    assert web.endswith("0 dependents")
    assert api.endswith("1 dependent")
    assert db.endswith("2 dependents")
    if "$" in api:  # the cost estimate honours the file's cost_monthly
        assert api.startswith("≈ $300/mo · ")
    assert "of 300 ms budget" in checkout or checkout == "budget 300 ms (p99 not estimated)"

    result = await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="archls.showDetails", arguments=[uri, "component", "api"])
    )
    assert result["kind"] == "component" and result["id"] == "api"
    assert result["markdown"].startswith("### api\n\n`service` · go · 2 replicas")
    assert client.messages[-1].type == lsp.MessageType.Info
    assert client.messages[-1].message.startswith("api\n\nservice · go · 2 replicas")


async def test_summary_for_the_status_bar(client: LanguageClient):
    published = await open_doc(client, "shop.arch.yaml", SHOP)
    result = await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="archls.summary", arguments=[published.uri])
    )
    assert set(result) == {"grade", "costMonthly", "budgetMonthly", "findings"}
    assert result["budgetMonthly"] == 2000
    severities = {1: "error", 2: "warning", 3: "info", 4: "hint"}
    expected = {"error": 0, "warning": 0, "info": 0, "hint": 0}
    for diagnostic in published.diagnostics:
        expected[severities[diagnostic.severity]] += 1
    assert result["findings"] == expected
    assert result["grade"] is None or result["grade"] in {"A", "B", "C", "D", "E", "F"}


async def test_summary_of_a_document_that_is_not_open(client: LanguageClient):
    # An empty answer, not an error: a status bar asks for every file it shows.
    result = await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="archls.summary", arguments=["file:///nowhere.arch.yaml"])
    )
    assert result is None


async def test_inlay_hints_match_the_figures(client: LanguageClient):
    published = await open_doc(client, "shop.arch.yaml", SHOP)
    found = await client.text_document_inlay_hint_async(
        lsp.InlayHintParams(doc_id(published.uri), lsp.Range(lsp.Position(0, 0), lsp.Position(40, 0)))
    )
    path = str(client.workspace_root / "shop.arch.yaml")
    expected = lenses.hints(engine.analyse(SHOP, path))
    lines = SHOP.split("\n")
    assert [(h.position, h.label, h.padding_left) for h in found or []] == [
        (lsp.Position(h.line, units(client, lines[h.line], h.col)), h.label, True) for h in expected
    ]
    for hint in expected:  # utilisation sits after a replicas value, cost after a technology
        written = lines[hint.line][: hint.col]
        assert written.endswith("replicas: 2") if hint.kind == "utilisation" else "technology: " in written


# --- settings --------------------------------------------------------------------------------


def _config() -> ClientServerConfig:
    return ClientServerConfig(server_command=[sys.executable, "-m", "archls", "serve"], client_factory=make_client)


@pytest_lsp.fixture(config=_config(), params=PROFILES)
async def two_roots(request, lsp_client: LanguageClient, tmp_path: Path):
    """A multi-root workspace: ``quiet`` turns lenses and hints off, ``loud`` keeps the defaults."""
    quiet, loud = tmp_path / "quiet", tmp_path / "loud"
    quiet.mkdir()
    loud.mkdir()
    lsp_client.set_configuration({"archls": {"debounceMs": 0}})
    lsp_client.set_configuration(
        {"archls": {"debounceMs": 0, "codeLens": False, "inlayHints": False}}, scope_uri=quiet.as_uri()
    )
    await lsp_client.initialize_session(
        lsp.InitializeParams(
            capabilities=pytest_lsp.client_capabilities(request.param),
            root_uri=tmp_path.as_uri(),
            workspace_folders=[
                lsp.WorkspaceFolder(uri=quiet.as_uri(), name="quiet"),
                lsp.WorkspaceFolder(uri=loud.as_uri(), name="loud"),
            ],
        )
    )
    lsp_client.workspace_root = tmp_path
    lsp_client.profile = request.param
    yield
    await lsp_client.shutdown_session()


async def test_settings_are_read_per_workspace_folder(two_roots: LanguageClient):
    client = two_roots
    quiet = (await open_doc(client, "quiet/shop.arch.yaml", SHOP)).uri
    loud = (await open_doc(client, "loud/shop.arch.yaml", SHOP)).uri
    assert await code_lenses(client, quiet) == []
    assert len(await code_lenses(client, loud)) == 4
    everything = lsp.Range(lsp.Position(0, 0), lsp.Position(40, 0))
    assert list(await client.text_document_inlay_hint_async(lsp.InlayHintParams(doc_id(quiet), everything)) or []) == []
    # Workspace symbols come from every folder, open buffers and files on disk alike.
    billing = write(
        client, "loud/billing/billing.arch.yaml", "name: Billing\ncomponents:\n  billing-api: {type: service}\n"
    )
    found = await client.workspace_symbol_async(lsp.WorkspaceSymbolParams(query="api"))
    assert sorted((s.name, s.location.uri) for s in found) == sorted(
        [("api", quiet), ("api", loud), ("billing-api", billing)]
    )


@pytest_lsp.fixture(config=_config(), params=PROFILES)
async def no_configuration(request, lsp_client: LanguageClient, tmp_path: Path):
    """A client that cannot answer workspace/configuration: initializationOptions are the settings."""
    capabilities = pytest_lsp.client_capabilities(request.param)
    capabilities.workspace.configuration = False
    await lsp_client.initialize_session(
        lsp.InitializeParams(
            capabilities=capabilities,
            root_uri=tmp_path.as_uri(),
            workspace_folders=[lsp.WorkspaceFolder(uri=tmp_path.as_uri(), name="ws")],
            initialization_options={"debounceMs": 0, "codeLens": False},
        )
    )
    lsp_client.workspace_root = tmp_path
    lsp_client.profile = request.param
    yield
    await lsp_client.shutdown_session()


async def test_initialization_options_are_the_fallback(no_configuration: LanguageClient):
    uri = (await open_doc(no_configuration, "shop.arch.yaml", SHOP)).uri
    assert await code_lenses(no_configuration, uri) == []


@pytest_lsp.fixture(config=_config())
async def section_options(lsp_client: LanguageClient, tmp_path: Path):
    """A client that sends one settings object both as initializationOptions and as what answers
    workspace/configuration (Helix's `config`): the settings sit under the section's name."""
    settings = {"archls": {"debounceMs": 0, "codeLens": False}}
    lsp_client.set_configuration(settings)
    await lsp_client.initialize_session(
        lsp.InitializeParams(
            capabilities=pytest_lsp.client_capabilities(PROFILES[0]),
            root_uri=tmp_path.as_uri(),
            workspace_folders=[lsp.WorkspaceFolder(uri=tmp_path.as_uri(), name="ws")],
            initialization_options=settings,
        )
    )
    lsp_client.workspace_root = tmp_path
    lsp_client.profile = PROFILES[0]
    yield
    await lsp_client.shutdown_session()


async def test_settings_under_the_section_name_in_initialization_options(section_options: LanguageClient):
    uri = (await open_doc(section_options, "shop.arch.yaml", SHOP)).uri
    assert await code_lenses(section_options, uri) == []
    assert not [m.message for m in section_options.messages if m.type == lsp.MessageType.Error]


async def test_a_settings_change_asks_the_client_to_redraw(client: LanguageClient):
    refreshed = client.refreshes
    uri = (await open_doc(client, "shop.arch.yaml", SHOP)).uri
    assert len(await code_lenses(client, uri)) == 4
    client.set_configuration({"archls": {"debounceMs": 0, "codeLens": False}})
    client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    expected = [
        lsp.WORKSPACE_CODE_LENS_REFRESH if client.profile == "visual-studio-code" else lsp.WORKSPACE_INLAY_HINT_REFRESH
    ]
    while refreshed != expected and loop.time() < deadline:
        await asyncio.sleep(0.02)
    assert refreshed == expected
    assert await code_lenses(client, uri) == []
