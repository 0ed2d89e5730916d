"""The real server process, driven over stdio by pytest-lsp under the VS Code and Neovim profiles.

Every publishDiagnostics the server sends is recorded in ``client.published`` so tests can wait
for the one they mean (by URI and version) without racing the server.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features
from pytest_lsp.client import LanguageClient as _Client

ROOT = Path(__file__).resolve().parents[2]
PROFILES = ["visual-studio-code", "neovim"]
TIMEOUT = 20.0


def _record(client: LanguageClient, params: lsp.PublishDiagnosticsParams) -> None:
    client.diagnostics[params.uri] = params.diagnostics
    client.published.append(params)


def _answer_registration(client: LanguageClient, params: lsp.RegistrationParams) -> None:
    client.registrations.extend(params.registrations)


def _answer_refresh(method: str):  # type: ignore[no-untyped-def]
    # The profiles claim refresh support (VS Code for code lenses, Neovim for inlay hints), so the
    # server may ask; a real client redraws, this one records the request.
    def answer(client: LanguageClient, params: None) -> None:
        client.refreshes.append(method)

    return answer


def make_client(overrides: dict[str, Any] | None = None) -> LanguageClient:
    """The recording client; ``overrides`` replace some of its answers (method -> handler)."""
    from pytest_lsp.client import default_converter

    client = _Client(converter_factory=default_converter)
    client.published = []
    client.registrations = []
    client.applied_edits = []
    client.refreshes = []
    features = dict(DEFAULT_CLIENT_FEATURES)
    for method in (lsp.WORKSPACE_CODE_LENS_REFRESH, lsp.WORKSPACE_INLAY_HINT_REFRESH):
        features[method] = _answer_refresh(method)
    features[lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = _record
    features[lsp.CLIENT_REGISTER_CAPABILITY] = _answer_registration
    features.update(overrides or {})
    register_lsp_features(client, features)
    return client


def server_config(env: dict[str, str] | None = None) -> ClientServerConfig:
    return ClientServerConfig(
        server_command=[sys.executable, "-m", "archls", "serve"], client_factory=make_client, server_env=env
    )


async def start(
    client: LanguageClient,
    profile: str,
    root: Path,
    settings: dict[str, Any] | None = None,
    init_options: dict[str, Any] | None = None,
) -> None:
    client.set_configuration({"archls": {"debounceMs": 0, **(settings or {})}})
    params = lsp.InitializeParams(
        capabilities=pytest_lsp.client_capabilities(profile),
        root_uri=root.as_uri(),
        workspace_folders=[lsp.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
        initialization_options={"debounceMs": 0, **(init_options or {})},
    )
    client.init_result = await client.initialize_session(params)
    client.workspace_root = root
    client.profile = profile


@pytest_lsp.fixture(config=server_config(), params=PROFILES)
async def client(request, lsp_client: LanguageClient, tmp_path: Path):
    await start(lsp_client, request.param, tmp_path)
    yield
    await lsp_client.shutdown_session()


async def wait_diagnostics(
    client: LanguageClient, uri: str, *, version: int | None = None, since: int = 0
) -> lsp.PublishDiagnosticsParams:
    """The first publish for ``uri`` (and ``version``) at or after index ``since`` of ``client.published``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while loop.time() < deadline:
        for params in client.published[since:]:
            if params.uri == uri and (version is None or params.version == version):
                return params
        await asyncio.sleep(0.01)
    seen = [(p.uri, p.version) for p in client.published[since:]]
    raise AssertionError(f"no diagnostics for {uri} version {version}; seen {seen}")


def write(client: LanguageClient, name: str, text: str) -> str:
    path = client.workspace_root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path.as_uri()


async def open_doc(
    client: LanguageClient, name: str, text: str, language: str = "yaml"
) -> lsp.PublishDiagnosticsParams:
    """Write ``name`` in the workspace, open it, and return its first diagnostics."""
    uri = write(client, name, text)
    since = len(client.published)
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, language, 1, text)))
    return await wait_diagnostics(client, uri, version=1, since=since)


def change(client: LanguageClient, uri: str, version: int, text: str) -> None:
    """Replace the whole text (a full-content change event)."""
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
            [lsp.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


def edit(
    client: LanguageClient, uri: str, version: int, line: int, col: int, end_line: int, end_col: int, text: str
) -> None:
    """An incremental change replacing a range."""
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
            [
                lsp.TextDocumentContentChangePartial(
                    range=lsp.Range(lsp.Position(line, col), lsp.Position(end_line, end_col)), text=text
                )
            ],
        )
    )
