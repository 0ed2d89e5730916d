"""archls and checkov side by side on the shared corpus: terragoat's AWS Terraform and kubernetes-goat's
manifests. Wall time, CPU time (user + system, the command's child processes included), peak memory
(max RSS of the process) and findings, median of three runs each;
then the server's re-audit of one Terraform file after an edit (didChange -> publishDiagnostics through
a real LSP client, the rest of the module read from disk), next to the engine's own time for it.

checkov runs from its own virtual environment (scripts/checkov-venv.sh creates it on first use; it pins
an older networkx than archls). archls's own modules are compiled to bytecode first, as installing a
package does (pip compiles it), so that neither tool compiles its source in the runs measured; in
a checkout whose environment says PYTHONDONTWRITEBYTECODE, archls would otherwise recompile every
changed module on each run. Run: .venv/bin/python bench/run.py corpus
"""

from __future__ import annotations

import asyncio
import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = next(
    (p for p in (ROOT.parent / "shared" / "corpus", ROOT.parents[1] / "shared" / "corpus") if p.is_dir()), None
)
RUNS = 3
EDITS = 30
COPIES = 50

#: Measure one command in a fresh wrapper process, so its children's max RSS is the command's own.
_MEASURE = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
peak, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
print(json.dumps({"wall": wall, "cpu": cpu, "peak_kb": peak, "rc": done.returncode, "stdout": done.stdout, "stderr": done.stderr[-2000:]}))
"""


def measure(argv: list[str], cwd: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", _MEASURE, *argv], capture_output=True, text=True, cwd=cwd)
    return json.loads(done.stdout)


def checkov_binary() -> Path | None:
    script = ROOT / "scripts" / "checkov-venv.sh"
    try:
        done = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.TimeoutExpired):
        return None
    printed = Path(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 and done.stdout.strip() else None
    if printed is None:
        return None
    binary = printed if printed.name == "checkov" else printed / "bin" / "checkov"
    return binary if binary.exists() else None


def archls_findings(stdout: str) -> int:
    try:
        return len(json.loads(stdout))
    except ValueError:
        return -1


def checkov_findings(stdout: str) -> tuple[int, dict[str, int]]:
    try:
        data = json.loads(stdout)
    except ValueError:
        return -1, {}
    reports = data if isinstance(data, list) else [data]
    by_type = {}
    for report in reports:
        if isinstance(report, dict) and "summary" in report:
            by_type[report.get("check_type", "?")] = report["summary"].get("failed", 0)
    return sum(by_type.values()), by_type


def side_by_side(label: str, target: Path, checkov: Path | None, runs_each: int = RUNS) -> None:
    archls_cmd = [
        str(ROOT / ".venv" / "bin" / "archls"),
        "check",
        str(target),
        "--format",
        "json",
        "--fail-on",
        "never",
    ]
    runs = [measure(archls_cmd, ROOT) for _ in range(runs_each)]
    a_wall = statistics.median(r["wall"] for r in runs)
    a_cpu = statistics.median(r["cpu"] for r in runs)
    a_peak = max(r["peak_kb"] for r in runs) / 1024
    a_found = archls_findings(runs[0]["stdout"])
    print(f"{label}")
    print(
        f"  archls : {a_wall * 1000:7.0f} ms wall  {a_cpu * 1000:7.0f} ms CPU  {a_peak:6.1f} MB peak  {a_found:4d} findings"
    )
    if checkov is None:
        print("  checkov: not available (scripts/checkov-venv.sh could not install it)")
        return
    checkov_cmd = [str(checkov), "-d", str(target), "--skip-download", "--quiet", "--compact", "-o", "json"]
    runs = [measure(checkov_cmd, ROOT) for _ in range(runs_each)]
    c_wall = statistics.median(r["wall"] for r in runs)
    c_cpu = statistics.median(r["cpu"] for r in runs)
    c_peak = max(r["peak_kb"] for r in runs) / 1024
    c_found, by_type = checkov_findings(runs[0]["stdout"])
    detail = ", ".join(f"{k} {v}" for k, v in sorted(by_type.items()))
    print(
        f"  checkov: {c_wall * 1000:7.0f} ms wall  {c_cpu * 1000:7.0f} ms CPU  {c_peak:6.1f} MB peak  "
        f"{c_found:4d} failed checks ({detail})"
    )
    print(
        f"  archls is {c_wall / a_wall:.1f}x faster (wall; {c_cpu / a_cpu:.1f}x in CPU time) and uses "
        f"{a_peak / c_peak:.2f} of checkov's peak memory"
    )


async def reaudit(folder: Path, name: str) -> list[float]:
    from lsprotocol import types as lsp
    from pygls.lsp.client import LanguageClient

    client = LanguageClient("archls-bench", "1")
    arrived: dict[int, float] = {}
    events: dict[int, asyncio.Event] = {}

    @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def published(params: lsp.PublishDiagnosticsParams) -> None:
        if params.version is not None:
            arrived[params.version] = time.perf_counter()
            events.setdefault(params.version, asyncio.Event()).set()

    @client.feature(lsp.WORKSPACE_CONFIGURATION)
    def configuration(params: lsp.ConfigurationParams) -> list[dict[str, int]]:
        return [{"debounceMs": 0} for _ in params.items]

    await client.start_io(sys.executable, "-m", "archls", "serve")
    path = folder / name
    uri = path.as_uri()
    text = path.read_text()
    await client.initialize_async(
        lsp.InitializeParams(
            capabilities=lsp.ClientCapabilities(workspace=lsp.WorkspaceClientCapabilities(configuration=True)),
            root_uri=folder.as_uri(),
            initialization_options={"debounceMs": 0},
        )
    )
    client.initialized(lsp.InitializedParams())
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, "terraform", 1, text)))
    await asyncio.wait_for(events.setdefault(1, asyncio.Event()).wait(), 60)
    times = []
    for version in range(2, EDITS + 2):
        # change a value so every audit is new work, not a cache hit
        edited = text.replace('engine_version          = "8.0"', f'engine_version          = "8.0.{version}"')
        sent = time.perf_counter()
        client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
                [lsp.TextDocumentContentChangeWholeDocument(text=edited)],
            )
        )
        await asyncio.wait_for(events.setdefault(version, asyncio.Event()).wait(), 60)
        times.append(arrived[version] - sent)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return times


def engine_reaudit(folder: Path, name: str) -> list[float]:
    sys.path.insert(0, str(ROOT))
    from archls import engine
    from archls.config import Config

    path = folder / name
    text = path.read_text()
    engine.analyse(text, str(path), Config(), read=engine.read_disk)
    times = []
    for version in range(EDITS):
        edited = text.replace('engine_version          = "8.0"', f'engine_version          = "8.0.{version}"')
        started = time.perf_counter()
        engine.analyse(edited, str(path), Config(), read=engine.read_disk)
        times.append(time.perf_counter() - started)
    return times


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> None:
    if CORPUS is None:
        print("shared corpus not found; nothing to compare")
        return
    checkov = checkov_binary()
    compileall.compile_dir(ROOT / "archls", quiet=1)
    print(f"load average {os.getloadavg()[0]:.1f} before the runs")
    side_by_side("terragoat/aws (14 .tf files, 64 resources)", CORPUS / "terragoat" / "aws", checkov)
    side_by_side("kubernetes-goat/scenarios (15 manifests)", CORPUS / "kubernetes-goat" / "scenarios", checkov)
    with tempfile.TemporaryDirectory() as tmp:
        # many modules: 50 copies of terragoat's aws folder, each its own module (one run each: checkov
        # takes tens of seconds here)
        for n in range(COPIES):
            shutil.copytree(CORPUS / "terragoat" / "aws", Path(tmp) / f"aws-{n:02d}")
        files = sum(1 for _ in Path(tmp).rglob("*.tf"))
        side_by_side(f"{COPIES} copies of terragoat/aws ({files} .tf files)", Path(tmp), checkov, runs_each=1)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "aws"
        shutil.copytree(CORPUS / "terragoat" / "aws", folder)
        engine_times = engine_reaudit(folder, "db-app.tf")
        server_times = asyncio.run(reaudit(folder, "db-app.tf"))
    print("re-audit of terragoat/aws/db-app.tf after an edit (module of 14 files, siblings from disk)")
    print(
        f"  engine            : median {statistics.median(engine_times) * 1000:5.1f} ms  p90 {pct(engine_times, 0.9):5.1f} ms"
    )
    print(
        f"  server (LSP round): median {statistics.median(server_times) * 1000:5.1f} ms  p90 {pct(server_times, 0.9):5.1f} ms"
    )


if __name__ == "__main__":
    main()
