"""Editor latency on a 1,000-component architecture: completion, hover and definition, measured as
round trips from a real LSP client (pygls) to the real server process over stdio.

Completion is measured while typing: each request follows an edit, so the text has changed and
its audit has not run (the server must answer from the text and the last analysis). Hover and
definition are measured on the text the server has audited (the usual case: the audit runs when
typing pauses), and once right after an edit, where the request pays for the audit itself.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import architecture

COMPONENTS = 1000
ROUNDS = 200


def _client() -> tuple[LanguageClient, asyncio.Event]:
    client = LanguageClient("archls-bench", "1")
    published = asyncio.Event()

    @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def diagnostics(params: lsp.PublishDiagnosticsParams) -> None:
        published.set()

    @client.feature(lsp.WORKSPACE_CONFIGURATION)
    def configuration(params: lsp.ConfigurationParams) -> list[dict[str, object]]:
        return [{} for _ in params.items]

    return client, published


CAPABILITIES = lsp.ClientCapabilities(
    text_document=lsp.TextDocumentClientCapabilities(
        completion=lsp.CompletionClientCapabilities(
            completion_item=lsp.ClientCompletionItemOptions(snippet_support=True, documentation_format=["markdown"])
        ),
        hover=lsp.HoverClientCapabilities(content_format=[lsp.MarkupKind.Markdown]),
    ),
    workspace=lsp.WorkspaceClientCapabilities(configuration=True, workspace_folders=True),
)


def _figures(name: str, samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p99 = statistics.quantiles(ms, n=100, method="inclusive")[98] if len(ms) >= 2 else ms[0]
    return (
        f"{name:<34} median {statistics.median(ms):7.2f} ms   p99 {p99:7.2f} ms   max {ms[-1]:7.2f} ms   (n={len(ms)})"
    )


async def _time(request: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await request()
    return time.perf_counter() - started


async def run() -> list[str]:
    text = architecture(COMPONENTS)
    lines = text.split("\n")
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.arch.yaml"
        path.write_text(text, encoding="utf-8")
        uri = path.as_uri()
        client, published = _client()
        await client.start_io(sys.executable, "-m", "archls", "serve")
        await client.initialize_async(
            lsp.InitializeParams(
                capabilities=CAPABILITIES,
                root_uri=Path(folder).as_uri(),
                workspace_folders=[lsp.WorkspaceFolder(Path(folder).as_uri(), "bench")],
            )
        )
        client.initialized(lsp.InitializedParams())
        started = time.perf_counter()
        client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, "yaml", 1, text)))
        await asyncio.wait_for(published.wait(), 120)
        out = [
            f"{COMPONENTS} components, {len(lines):,} lines; open and first audit {time.perf_counter() - started:.2f} s"
        ]
        doc = lsp.TextDocumentIdentifier(uri)

        # --- completion while typing ---------------------------------------------------------
        targets = [i for i, line in enumerate(lines) if line.startswith("    to: ")]
        types = [i for i, line in enumerate(lines) if line.startswith("    type: ")]
        technology = [i for i, line in enumerate(lines) if line.startswith("    technology: ")]
        keys = [i for i, line in enumerate(lines) if line.startswith("    replicas: ")]
        version = 1
        samples: dict[str, list[float]] = {"ids": [], "values": [], "technologies": [], "keys": []}
        for n in range(ROUNDS):
            kind, pool, typed = [
                ("ids", targets, "    to: cache-1"),
                ("values", types, "    type: se"),
                ("technologies", technology, "    technology: po"),
                ("keys", keys, "    re"),
            ][n % 4]
            line = rng.choice(pool)
            version += 1
            end = len(lines[line])
            client.text_document_did_change(
                lsp.DidChangeTextDocumentParams(
                    lsp.VersionedTextDocumentIdentifier(version=version, uri=uri),
                    [
                        lsp.TextDocumentContentChangePartial(
                            range=lsp.Range(lsp.Position(line, 0), lsp.Position(line, end)), text=typed
                        )
                    ],
                )
            )
            lines[line] = typed
            position = lsp.Position(line, len(typed))
            samples[kind].append(
                await _time(lambda p=position: client.text_document_completion_async(lsp.CompletionParams(doc, p)))
            )
        everything = [s for values in samples.values() for s in values]
        out.append(_figures("completion (after each keystroke)", everything))
        for kind, values in samples.items():
            out.append(_figures(f"  {kind}", values))

        # --- hover and definition on audited text --------------------------------------------
        # Back to the whole, valid architecture (typing left half-written lines), audited.
        published.clear()
        version += 1
        lines = text.split("\n")
        client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                lsp.VersionedTextDocumentIdentifier(version=version, uri=uri),
                [lsp.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
        client.text_document_did_save(lsp.DidSaveTextDocumentParams(doc))
        await asyncio.wait_for(published.wait(), 120)
        probe = await client.text_document_hover_async(lsp.HoverParams(doc, lsp.Position(lines.index("  edge:"), 3)))
        assert probe is not None, "the hover phase needs an audited, valid document"
        references = [i for i, line in enumerate(lines) if line.startswith("  - from: ")]
        heads = [i for i, line in enumerate(lines) if line.startswith("  ") and line.endswith(":") and line[2] != " "]
        hover_samples, definition_samples = [], []
        for _ in range(ROUNDS):
            head = rng.choice(heads)
            hover_samples.append(
                await _time(lambda h=head: client.text_document_hover_async(lsp.HoverParams(doc, lsp.Position(h, 3))))
            )
            ref = rng.choice(references)
            definition_samples.append(
                await _time(
                    lambda r=ref: client.text_document_definition_async(lsp.DefinitionParams(doc, lsp.Position(r, 11)))
                )
            )
        out.append(_figures("hover (audited text)", hover_samples))
        out.append(_figures("definition (audited text)", definition_samples))

        # --- the first request after an edit pays for the audit --------------------------------
        # A real change (a replica count), so the hover that follows pays for a full audit.
        first_after_edit = []
        replica_lines = [i for i, line in enumerate(lines) if line.startswith("    replicas: ")]
        for n in range(10):
            version += 1
            line = rng.choice(replica_lines)
            old = lines[line]
            lines[line] = f"    replicas: {5 + n}"
            client.text_document_did_change(
                lsp.DidChangeTextDocumentParams(
                    lsp.VersionedTextDocumentIdentifier(version=version, uri=uri),
                    [
                        lsp.TextDocumentContentChangePartial(
                            range=lsp.Range(lsp.Position(line, 0), lsp.Position(line, len(old))), text=lines[line]
                        )
                    ],
                )
            )
            head = max(h for h in heads if h < line)
            first_after_edit.append(
                await _time(lambda h=head: client.text_document_hover_async(lsp.HoverParams(doc, lsp.Position(h, 3))))
            )
        out.append(_figures("hover right after an edit", first_after_edit))
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()
    return out


def in_process() -> list[str]:
    """The same completions computed in this process: the server's own work, without IPC."""
    from archls import engine
    from archls.intel.complete import complete

    text = architecture(COMPONENTS)
    lines = text.split("\n")
    analysis = engine.analyse(text, "/bench/big.arch.yaml")
    rng = random.Random(11)
    pools = [
        ([i for i, line in enumerate(lines) if line.startswith("    to: ")], "    to: cache-1"),
        ([i for i, line in enumerate(lines) if line.startswith("    type: ")], "    type: se"),
        ([i for i, line in enumerate(lines) if line.startswith("    technology: ")], "    technology: po"),
        ([i for i, line in enumerate(lines) if line.startswith("    replicas: ")], "    re"),
    ]
    samples = []
    for n in range(ROUNDS):
        pool, typed = pools[n % 4]
        line = rng.choice(pool)
        lines[line] = typed
        edited = "\n".join(lines)
        started = time.perf_counter()
        complete(edited, line, len(typed), analysis)
        samples.append(time.perf_counter() - started)
    return [_figures("completion, in process (no IPC)", samples)]


def main() -> None:
    for line in asyncio.run(run()) + in_process():
        print(line, flush=True)


if __name__ == "__main__":
    main()
