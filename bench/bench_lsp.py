"""Time from didChange to publishDiagnostics through a real LSP client, next to the time PyYAML's C
loader takes to compose the same text; and `archls check examples/` wall time and peak memory.

Run: .venv/bin/python bench/run.py lsp
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import architecture

ROOT = Path(__file__).resolve().parents[1]
SIZES = (100, 1000, 5000)
EDITS = 40


def compose_ms(text: str, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        yaml.compose(text, Loader=yaml.CSafeLoader)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


async def edit_latency(text: str, edits: int) -> tuple[list[float], int]:
    client = LanguageClient("archls-bench", "1")
    arrived: dict[int, float] = {}
    counts: dict[int, int] = {}
    events: dict[int, asyncio.Event] = {}

    @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def published(params: lsp.PublishDiagnosticsParams) -> None:
        if params.version is not None:
            arrived[params.version] = time.perf_counter()
            counts[params.version] = len(params.diagnostics)
            events.setdefault(params.version, asyncio.Event()).set()

    @client.feature(lsp.WORKSPACE_CONFIGURATION)
    def configuration(params: lsp.ConfigurationParams) -> list[dict[str, int]]:
        return [{"debounceMs": 0} for _ in params.items]

    await client.start_io(sys.executable, "-m", "archls", "serve")
    with tempfile.TemporaryDirectory() as folder:
        uri = (Path(folder) / "big.arch.yaml").as_uri()
        await client.initialize_async(
            lsp.InitializeParams(
                capabilities=lsp.ClientCapabilities(workspace=lsp.WorkspaceClientCapabilities(configuration=True)),
                root_uri=Path(folder).as_uri(),
                initialization_options={"debounceMs": 0},
            )
        )
        client.initialized(lsp.InitializedParams())
        events[1] = asyncio.Event()
        client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, "yaml", 1, text)))
        await asyncio.wait_for(events[1].wait(), 120)
        lines = text.split("\n")
        target = next(i for i, line in enumerate(lines) if "description: component" in line and i > len(lines) // 2)
        column = lines[target].index("component")
        latencies = []
        previous = 1
        for n in range(edits):
            version = n + 2
            events[version] = asyncio.Event()
            # Every edit gives a text never seen before, so no cached result can answer it.
            token = f"edit{n}"
            started = time.perf_counter()
            client.text_document_did_change(
                lsp.DidChangeTextDocumentParams(
                    lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    [
                        lsp.TextDocumentContentChangePartial(
                            range=lsp.Range(lsp.Position(target, column), lsp.Position(target, column + previous)),
                            text=token,
                        )
                    ],
                )
            )
            previous = len(token)
            await asyncio.wait_for(events[version].wait(), 120)
            latencies.append((arrived[version] - started) * 1000)
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()
    return latencies, counts.get(edits + 1, 0)


def check_examples() -> tuple[float, float]:
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so a child forked from this
    # (large) process would report this process's peak.
    probe = (
        "import sys, io, contextlib\n"
        "from archls.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['check', 'examples/'])\n"
        "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))\n"
    )
    walls, peaks = [], []
    for _ in range(5):
        started = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
        walls.append(time.perf_counter() - started)
        peaks.append(int(out.stdout.strip().splitlines()[-1]) / 1024)
    return statistics.median(walls) * 1000, max(peaks)


def main() -> None:
    print(
        f"{'components':>10} {'lines':>7} {'compose ms':>11} {'didChange->publish median ms':>29} {'p90 ms':>8} {'ratio':>6}"
    )
    for size in SIZES:
        text = architecture(size)
        base = compose_ms(text)
        latencies, diagnostics = asyncio.run(edit_latency(text, EDITS if size < 5000 else 15))
        latencies.sort()
        median = statistics.median(latencies)
        p90 = latencies[int(len(latencies) * 0.9) - 1]
        print(
            f"{size:>10} {text.count(chr(10)):>7} {base:>11.1f} {median:>29.1f} {p90:>8.1f} {median / base:>6.2f}"
            f" {diagnostics:>12}"
        )
    wall, peak = check_examples()
    print(
        f"\narchls check examples/: {wall:.0f} ms wall (median of 5, interpreter start included), {peak:.0f} MB peak RSS"
    )


if __name__ == "__main__":
    main()
