"""The assistant through the real server process, with a stand-in for Anthropic's API on 127.0.0.1
(ANTHROPIC_BASE_URL): generate with progress, cancellation, inline completion, explain, fix with AI.
One server for the module keeps this lean."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient
from pytest_lsp.client import register_lsp_features

from tests.assistant.standin import SUGGESTION, StandIn
from tests.e2e.conftest import open_doc, server_config, start

pytestmark = pytest.mark.asyncio(loop_scope="module")

KEY = "sk-ant-api03-e2e-stand-in-key-000111"

PAYMENTS = """name: shop
components:
  web:
    type: service
    public: true
    tls: true
    rate_limit: true
    data: [pii]
  payments:
    type: service
    technology: java
    version: "21"
  payments-db:
    type: database
    technology: postgresql
    version: "17"
    encryption_at_rest: true
    data: [financial]
connections:
  - {from: web, to: payments, protocol: grpc, tls: true, timeout_ms: 500}
  - {from: payments, to: payments-db, protocol: postgres, tls: true, timeout_ms: 200}
"""


@pytest.fixture(scope="module")
def standin() -> Any:
    with StandIn() as server:
        yield server


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(standin: StandIn, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LanguageClient]:
    root = tmp_path_factory.mktemp("assistant")
    env = {**os.environ, "ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": standin.url, "ARCHLS_AI_CACHE": "0"}
    env.pop("ANTHROPIC_AUTH_TOKEN", None)
    lsp_client = await server_config(env).start()

    def apply(client: LanguageClient, params: lsp.ApplyWorkspaceEditParams) -> lsp.ApplyWorkspaceEditResult:
        client.applied_edits.append(params)
        return lsp.ApplyWorkspaceEditResult(applied=True)

    register_lsp_features(lsp_client, {lsp.WORKSPACE_APPLY_EDIT: apply})
    await start(lsp_client, "visual-studio-code", root, settings={"ai": {"inlineDebounceMs": 0}})
    yield lsp_client
    await lsp_client.shutdown_session()
    await lsp_client.stop()


async def execute(client: LanguageClient, command: str, *arguments: Any) -> Any:
    return await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command=command, arguments=list(arguments))
    )


async def test_generate_writes_the_file_with_progress(client: LanguageClient, standin: StandIn) -> None:
    out = client.workspace_root / "rides.arch.yaml"
    result = await execute(
        client, "archls.generate", {"description": "a ride-hailing app, 20k rps, 99.95%", "output": out.as_uri()}
    )
    assert result["backend"] == "anthropic" and result["outputUri"] == out.as_uri()
    text = out.read_text()
    assert "answered by the stand-in model" in text and "peak_rps: 20000" in text
    headers, body = standin.requests[-1]
    assert KEY in (headers.get("x-api-key") or headers.get("authorization", ""))
    assert body["tools"][0]["name"] == "write_architecture"
    # The editor's archls.ai settings are the assistant's, not an invalid audit configuration.
    assert not [m for m in client.messages if "invalid configuration" in m.message]
    kinds = [[type(v).__name__ for v in values] for values in client.progress_reports.values()]
    assert any(k[0] == "WorkDoneProgressBegin" and k[-1] == "WorkDoneProgressEnd" and len(k) > 3 for k in kinds)
    # Never outside the workspace, never over a file without asking.
    for output in ("/tmp/elsewhere.arch.yaml", out.as_uri()):
        with pytest.raises(Exception, match=r"outside the workspace|exists"):
            await execute(client, "archls.generate", {"description": "a chat app", "output": output})


async def test_cancelling_generate_stops_it_and_the_server_goes_on(client: LanguageClient) -> None:
    out = client.workspace_root / "slow.arch.yaml"
    params = lsp.ExecuteCommandParams(
        command="archls.generate", arguments=[{"description": "SLOW chat app", "output": out.as_uri()}]
    )
    msg_id = "cancel-me"
    future = asyncio.ensure_future(client.protocol.send_request_async(lsp.WORKSPACE_EXECUTE_COMMAND, params, msg_id))
    await asyncio.sleep(0.5)
    client.protocol.notify("$/cancelRequest", lsp.CancelParams(id=msg_id))
    with pytest.raises(Exception, match="cancel"):
        await asyncio.wait_for(future, 10)
    await asyncio.sleep(2.5)  # past the stand-in's delay: the cancelled run must not write
    assert not out.exists()
    status = await execute(client, "archls.aiStatus")
    assert status["backend"] == "anthropic"


async def test_inline_completion_offers_the_models_and_the_patterns_suggestions(client: LanguageClient) -> None:
    await open_doc(client, "shop.arch.yaml", PAYMENTS)
    uri = (client.workspace_root / "shop.arch.yaml").as_uri()
    # A blank line typed after the payments database, indented like the components.
    text = PAYMENTS.replace("connections:", "  \nconnections:")
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(uri=uri, version=2),
            [lsp.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )
    line = text.split("\n").index("  ")
    result = await client.text_document_inline_completion_async(
        lsp.InlineCompletionParams(
            text_document=lsp.TextDocumentIdentifier(uri),
            position=lsp.Position(line, 2),
            context=lsp.InlineCompletionContext(trigger_kind=lsp.InlineCompletionTriggerKind.Automatic),
        )
    )
    assert result is not None
    texts = [item.insert_text for item in result.items]
    assert texts[0] == SUGGESTION.rstrip("\n")  # the model's first
    assert any(t.startswith("  idempotency-keys:") for t in texts)  # then the patterns'
    assert any(t.startswith("  payment-provider:") and "technology: stripe" in t for t in texts)
    assert all(item.range == lsp.Range(lsp.Position(line, 0), lsp.Position(line, 2)) for item in result.items)


async def _complete(
    client: LanguageClient, uri: str, line: int, col: int, context: lsp.CompletionContext | None = None
) -> tuple[lsp.CompletionList | None, list[lsp.CompletionItem]]:
    """The completion answer at a place, and its items labelled as the assistant's suggestions."""
    result = await client.text_document_completion_async(
        lsp.CompletionParams(lsp.TextDocumentIdentifier(uri), lsp.Position(line, col), context=context)
    )
    items = result.items if result is not None else []
    return result, [i for i in items if i.label_details and i.label_details.description == "suggested"]


async def test_ordinary_completion_carries_the_offline_suggestions(client: LanguageClient) -> None:
    # A line started after the payments database, as an editor leaves it after Enter (deeper
    # indentation than a component's id): the schema's snippet first, then the suggestions, each
    # replacing the whole line with its block in the file's own indentation.
    text = PAYMENTS.replace("connections:", "    \nconnections:")
    await open_doc(client, "suggest.arch.yaml", text)
    uri = (client.workspace_root / "suggest.arch.yaml").as_uri()
    line = text.split("\n").index("    ")
    result, suggested = await _complete(client, uri, line, 4)
    assert [i.label for i in suggested][:2] == ["idempotency-keys", "payment-provider"]
    provider = suggested[1]
    assert provider.text_edit.range == lsp.Range(lsp.Position(line, 0), lsp.Position(line, 4))
    assert provider.text_edit.new_text.startswith("  payment-provider:\n    type: external\n")
    assert "technology: stripe" in provider.text_edit.new_text
    assert provider.insert_text_mode == lsp.InsertTextMode.AsIs
    assert min(i.sort_text for i in suggested) > max(i.sort_text or i.label for i in result.items if i not in suggested)
    # Typing the indentation (a space trigger) opens no list, so the ghost text stays the model's.
    typing = lsp.CompletionContext(lsp.CompletionTriggerKind.TriggerCharacter, " ")
    assert (await _complete(client, uri, line, 4, typing))[0] is None
    # In the connections, the calls the components lack; nothing in the middle of a written line.
    text = PAYMENTS.replace("  - {from: payments, to: payments-db", "  - \n  - {from: web, to: payments-db")
    await open_doc(client, "links.arch.yaml", text)
    uri = (client.workspace_root / "links.arch.yaml").as_uri()
    _, links = await _complete(client, uri, text.split("\n").index("  - "), 4)
    assert [i.label for i in links] == ["payments -> payments-db"]
    written = PAYMENTS.split("\n").index("  - {from: web, to: payments, protocol: grpc, tls: true, timeout_ms: 500}")
    assert (await _complete(client, uri, written, 4))[1] == []


async def test_explain_and_fix_with_ai(client: LanguageClient, standin: StandIn) -> None:
    published = await open_doc(client, "fixme.arch.yaml", PAYMENTS.replace("name: shop", "name: fixme"))
    uri = (client.workspace_root / "fixme.arch.yaml").as_uri()
    sec002 = next(d for d in published.diagnostics if d.code == "SEC002")
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri),
            range=sec002.range,
            context=lsp.CodeActionContext(diagnostics=[sec002]),
        )
    )
    titles = [a.title for a in actions]
    assert "Explain SEC002" in titles and "Fix with AI (SEC002)" in titles
    # (The test client's converter reads a code action that carries a command as a bare Command,
    # so the commands are run with the arguments the actions carry.)
    line = sec002.range.start.line
    explained = await execute(client, "archls.explain", uri, "SEC002", line)
    assert explained["markdown"].startswith("The stand-in model explains SEC002.")
    assert "Why it matters" in explained["markdown"]  # the rule's page follows

    result = await execute(client, "archls.fixWithAI", uri, "SEC002", line, 1)
    assert result["applied"] is True
    (applied,) = client.applied_edits
    (change,) = applied.edit.document_changes
    assert [e.new_text for e in change.edits] == ["    auth: oidc\n"]
    _, sent = standin.requests[-1]
    assert "Fix this archls finding" in sent["messages"][-1]["content"]
