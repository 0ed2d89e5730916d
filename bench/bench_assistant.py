"""Ordinary completion with the assistant on: does ghost text slow it down?

A real LSP client (pygls) types into a 200-component architecture through the real server. Each
keystroke (half of them a new line, where ghost text is offered and ordinary completion carries
the offline suggestions) sends the change, an inline completion request (cancelled by the next
keystroke, as VS Code does) and an ordinary completion request, whose round trip is measured.
Three runs: the assistant off (`archls.ai.inlineCompletion` and `completionSuggestions` false), on
with the offline backend, and on with the Anthropic backend against a stand-in API on 127.0.0.1
answering after 300 ms.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from generate import architecture  # noqa: E402

COMPONENTS = 200
ROUNDS = 150


def _p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[98]


async def _run(label: str, env: dict[str, str], ai: dict[str, Any]) -> str:
    text = architecture(COMPONENTS)
    lines = text.split("\n")
    rng = random.Random(5)
    client = LanguageClient("archls-bench", "1")
    published = asyncio.Event()

    @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def diagnostics(params: lsp.PublishDiagnosticsParams) -> None:
        published.set()

    @client.feature(lsp.WORKSPACE_CONFIGURATION)
    def configuration(params: lsp.ConfigurationParams) -> list[dict[str, Any]]:
        return [{"ai": ai} for _ in params.items]

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "typing.arch.yaml"
        path.write_text(text, encoding="utf-8")
        uri = path.as_uri()
        await client.start_io(sys.executable, "-m", "archls", "serve", env={**os.environ, **env})
        caps = lsp.ClientCapabilities(workspace=lsp.WorkspaceClientCapabilities(configuration=True))
        await client.initialize_async(lsp.InitializeParams(capabilities=caps, root_uri=Path(folder).as_uri()))
        client.initialized(lsp.InitializedParams())
        client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, "yaml", 1, text)))
        await asyncio.wait_for(published.wait(), 120)
        doc = lsp.TextDocumentIdentifier(uri)
        types = [i for i, line in enumerate(lines) if line.startswith("    type: ")]
        completion: list[float] = []
        inline: list[float] = []
        pending: tuple[str, Any] | None = None
        version = 1
        for n in range(ROUNDS):
            line = rng.choice(types)
            version += 1
            if n % 2:
                # Enter at the end of a component's line: a new, indented line where ghost text appears.
                change = lsp.TextDocumentContentChangePartial(
                    range=lsp.Range(lsp.Position(line, len(lines[line])), lsp.Position(line, len(lines[line]))),
                    text="\n  ",
                )
                lines.insert(line + 1, "  ")
                types = [i + 1 if i > line else i for i in types]
                line, typed = line + 1, "  "
            else:
                typed = "    type: se"
                change = lsp.TextDocumentContentChangePartial(
                    range=lsp.Range(lsp.Position(line, 0), lsp.Position(line, len(lines[line]))), text=typed
                )
                lines[line] = typed
            client.text_document_did_change(
                lsp.DidChangeTextDocumentParams(lsp.VersionedTextDocumentIdentifier(version=version, uri=uri), [change])
            )
            if pending is not None and not pending[1].done():
                # The next keystroke: the editor cancels the ghost text request it no longer needs.
                client.protocol.notify("$/cancelRequest", lsp.CancelParams(id=pending[0]))
            msg_id = f"inline-{n}"
            sent = time.perf_counter()
            params = lsp.InlineCompletionParams(
                text_document=doc,
                position=lsp.Position(line, len(typed)),
                context=lsp.InlineCompletionContext(trigger_kind=lsp.InlineCompletionTriggerKind.Automatic),
            )
            future = client.protocol.send_request(lsp.TEXT_DOCUMENT_INLINE_COMPLETION, params, msg_id=msg_id)
            future.add_done_callback(lambda f, s=sent: f.exception() is None and inline.append(time.perf_counter() - s))
            pending = (msg_id, future)
            started = time.perf_counter()
            await client.text_document_completion_async(lsp.CompletionParams(doc, lsp.Position(line, len(typed))))
            completion.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(0.05)  # a fast typist: 20 keystrokes a second
        await asyncio.sleep(0.5)
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()
    return (
        f"{label:<38} completion median {statistics.median(completion):6.2f} ms   p99 {_p99(completion):6.2f} ms"
        f"   (n={len(completion)}; inline requests answered: {len(inline)})"
    )


async def _all() -> list[str]:
    from tests.assistant.standin import StandIn

    out = [f"{COMPONENTS} components, {ROUNDS} keystrokes at 20/s"]
    offline = {"ANTHROPIC_API_KEY": "", "ARCHLS_AI_BACKEND": "offline"}
    out.append(await _run("assistant off", offline, {"inlineCompletion": False, "completionSuggestions": False}))
    out.append(await _run("assistant on, offline backend", offline, {}))
    with StandIn(delay=0.3) as standin:
        remote = {"ANTHROPIC_API_KEY": "sk-bench", "ANTHROPIC_BASE_URL": standin.url, "ARCHLS_AI_CACHE": "0"}
        out.append(await _run("assistant on, Anthropic (300 ms stand-in)", remote, {}))
    return out


def main() -> None:
    for line in asyncio.run(_all()):
        print(line)


if __name__ == "__main__":
    main()
