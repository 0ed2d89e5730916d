"""A short soak: one server, documents of every format, a few thousand edits, requests, saves,
closes, reopens and settings changes. The server answers every request, what it shows at the end
equals a fresh `archls check` of the final texts, and its memory stops growing after a warm-up.
The hour-long version is `bench/run.py soak --minutes 60`."""

from __future__ import annotations

import os

import pytest
import pytest_lsp
from pytest_lsp import LanguageClient

from tests.e2e.conftest import server_config, start
from tests.fuzzing.soak import Soak, documents, final_diagnostics, fresh_audit, rss_mb

STEPS = int(os.environ.get("ARCHLS_SOAK_STEPS", "1000"))
DOCUMENTS = 10


@pytest_lsp.fixture(config=server_config(), scope="module")
async def client(lsp_client: LanguageClient, tmp_path_factory: pytest.TempPathFactory):
    await start(lsp_client, "visual-studio-code", tmp_path_factory.mktemp("soak"))
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio(loop_scope="module")
async def test_a_long_editing_session_leaves_the_server_answering_current_and_lean(client: LanguageClient):
    soak = Soak(client, client.workspace_root, documents(DOCUMENTS), seed=1)
    soak.open_all()
    pid = client._server.pid
    warm = 0.0
    for n in range(STEPS):
        await soak.step()
        if n == STEPS // 3:
            warm = rss_mb(pid)
    shown = await final_diagnostics(soak)
    end = rss_mb(pid)
    assert soak.stats.errors == []
    assert not [m.message for m in client.log_messages if m.type == 1]  # no handler or rule failed
    assert sum(soak.stats.operations.values()) == STEPS
    assert set(soak.stats.operations) >= {"edit", "request", "save", "close", "reopen", "configure"}
    fresh = fresh_audit(client.workspace_root, sorted(soak.open))
    assert shown == fresh
    # caches are bounded: after the warm-up, memory may wobble but not keep growing
    assert end < warm * 1.3 + 30, f"RSS {warm:.0f} MB after the warm-up, {end:.0f} MB at the end"
