"""Every request answers within a second whatever is open: a 28 MB architecture file is opened
beside a normal one, then each kind of request is sent (on the big file, on the normal one, and
workspace symbols with an empty query), timed from a real LSP client over stdio. Then a 4 MB file
(under the size limit) is opened and requests about the normal one are timed while it is audited.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import architecture

BIG_MB = 28
#: Under the default size limit (5 MB): audited, for seconds.
BUSY_MB = 4


async def _time(request: Callable[[], Awaitable[object]]) -> tuple[float, object]:
    started = time.perf_counter()
    try:
        answer = await asyncio.wait_for(request(), 60)
    except TimeoutError:
        return 60.0, "no answer in 60 s"
    except Exception as exc:  # an error answer is an answer; its time still counts
        return time.perf_counter() - started, f"error: {exc}"
    return time.perf_counter() - started, answer


def _requests(doc: lsp.TextDocumentIdentifier) -> dict[str, Callable[[LanguageClient], Awaitable[object]]]:
    here = lsp.Position(3, 4)
    whole = lsp.Range(lsp.Position(0, 0), lsp.Position(40, 0))
    return {
        "documentSymbol": lambda c: c.text_document_document_symbol_async(lsp.DocumentSymbolParams(doc)),
        "hover": lambda c: c.text_document_hover_async(lsp.HoverParams(doc, here)),
        "completion": lambda c: c.text_document_completion_async(lsp.CompletionParams(doc, here)),
        "definition": lambda c: c.text_document_definition_async(lsp.DefinitionParams(doc, here)),
        "references": lambda c: c.text_document_references_async(
            lsp.ReferenceParams(
                context=lsp.ReferenceContext(include_declaration=True), text_document=doc, position=here
            )
        ),
        "foldingRange": lambda c: c.text_document_folding_range_async(lsp.FoldingRangeParams(doc)),
        "codeLens": lambda c: c.text_document_code_lens_async(lsp.CodeLensParams(doc)),
        "inlayHint": lambda c: c.text_document_inlay_hint_async(lsp.InlayHintParams(doc, whole)),
        "codeAction": lambda c: c.text_document_code_action_async(
            lsp.CodeActionParams(doc, whole, lsp.CodeActionContext(diagnostics=[]))
        ),
    }


async def run() -> list[str]:
    out = []
    with tempfile.TemporaryDirectory() as folder:
        small = architecture(30)
        per = len(architecture(1000).encode())
        big = architecture(max(1000, int(BIG_MB * 1e6 / per * 1000)))
        big_path, small_path = Path(folder) / "huge.arch.yaml", Path(folder) / "shop.arch.yaml"
        big_path.write_text(big, encoding="utf-8")
        small_path.write_text(small, encoding="utf-8")
        client = LanguageClient("archls-bench", "1")

        published: dict[str, float] = {}

        @client.feature(lsp.WORKSPACE_CONFIGURATION)
        def configuration(params: lsp.ConfigurationParams) -> list[dict[str, object]]:
            return [{} for _ in params.items]

        @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def diagnostics(params: lsp.PublishDiagnosticsParams) -> None:
            published.setdefault(params.uri, time.perf_counter())

        await client.start_io(sys.executable, "-m", "archls", "serve")
        await client.initialize_async(
            lsp.InitializeParams(
                capabilities=lsp.ClientCapabilities(
                    workspace=lsp.WorkspaceClientCapabilities(configuration=True, workspace_folders=True)
                ),
                root_uri=Path(folder).as_uri(),
                workspace_folders=[lsp.WorkspaceFolder(Path(folder).as_uri(), "bench")],
            )
        )
        client.initialized(lsp.InitializedParams())
        out.append(f"open: {big_path.name} ({len(big.encode()) / 1e6:.1f} MB) and {small_path.name}")
        for path, text in ((big_path, big), (small_path, small)):
            client.text_document_did_open(
                lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(path.as_uri(), "yaml", 1, text))
            )
        worst = 0.0
        for path in (big_path, small_path):
            doc = lsp.TextDocumentIdentifier(path.as_uri())
            for name, request in _requests(doc).items():
                took, _ = await _time(lambda r=request: r(client))
                worst = max(worst, took)
                out.append(f"  {path.name:<16} {name:<20} {took * 1000:8.1f} ms")
        took, answer = await _time(lambda: client.workspace_symbol_async(lsp.WorkspaceSymbolParams(query="")))
        worst = max(worst, took)
        count = len(answer) if isinstance(answer, list) else answer
        out.append(f"  {'workspace':<16} {'symbol (empty query)':<20} {took * 1000:8.1f} ms  ({count} symbols)")
        took, answer = await _time(lambda: client.workspace_symbol_async(lsp.WorkspaceSymbolParams(query="api-9")))
        worst = max(worst, took)
        count = len(answer) if isinstance(answer, list) else answer
        out.append(f"  {'workspace':<16} {'symbol (api-9)':<20} {took * 1000:8.1f} ms  ({count} symbols)")
        out.append(f"slowest answer: {worst * 1000:.0f} ms (target < 1000 ms)")
        # A large file under the size limit: its first audit takes seconds, on the audit thread, while
        # requests about the small file are answered.
        busy = architecture(max(1000, int(BUSY_MB * 1e6 / per * 1000)))
        busy_path = Path(folder) / "busy.arch.yaml"
        busy_path.write_text(busy, encoding="utf-8")
        started = time.perf_counter()
        client.text_document_did_open(
            lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(busy_path.as_uri(), "yaml", 1, busy))
        )
        answers = []
        small_requests = _requests(lsp.TextDocumentIdentifier(small_path.as_uri()))
        for name in ("hover", "completion", "documentSymbol", "definition"):
            took, _ = await _time(lambda r=small_requests[name]: r(client))
            answers.append(f"{name} {took * 1000:.0f} ms")
        answered = time.perf_counter() - started
        # An edit of the small file (no line added): its requests now need an audit that waits behind
        # the large one, so they answer from its last finished audit (code actions, which are edits,
        # answer none until the current text is audited).
        at = small.index("replicas: ")
        edited = small[:at] + "replicas: 9" + small[small.index("\n", at) :]
        client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                lsp.VersionedTextDocumentIdentifier(version=2, uri=small_path.as_uri()),
                [lsp.TextDocumentContentChangeWholeDocument(text=edited)],
            )
        )
        after_edit = []
        for name in ("hover", "documentSymbol", "codeLens", "codeAction"):
            took, _ = await _time(lambda r=small_requests[name]: r(client))
            after_edit.append(f"{name} {took * 1000:.0f} ms")
        while busy_path.as_uri() not in published:
            await asyncio.sleep(0.01)
        audited = published[busy_path.as_uri()] - started
        out.append(
            f"while {busy_path.name} ({len(busy.encode()) / 1e6:.1f} MB) has its first audit ({audited * 1000:.0f} ms to "
            f"its diagnostics), on {small_path.name}: {', '.join(answers)} (all answered after {answered * 1000:.0f} ms); "
            f"after an edit of {small_path.name}: {', '.join(after_edit)}"
        )
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()
    return out


def main() -> None:
    for line in asyncio.run(run()):
        print(line, flush=True)


if __name__ == "__main__":
    main()
