"""Cost of the audit rules on a large architecture: the whole audit of an edited 1,000-component file
(parse, validation, every rule, suppression) and the rules that take longest; then the time to
compute every safe fix of each example.

Run: .venv/bin/python bench/run.py rules
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import architecture

from archls import engine, fixes, tracking
from archls.config import Config
from archls.rules.registry import RuleContext, all_codes

ROOT = Path(__file__).resolve().parents[1]
REPEAT = 15


def audit_ms(text: str, size: int) -> tuple[float, float]:
    """Median wall time and CPU time of one audit (CPU time is steadier on a shared machine)."""
    engine.analyse(text, "bench.arch.yaml", Config())
    times = []
    cpu = []
    marker = f"component {size // 2} of"
    assert marker in text
    for n in range(REPEAT):
        # A text never audited before, edited in one block, as a keystroke would.
        edited = text.replace(marker, f"component {size // 2} (edit {n}) of", 1)
        started, started_cpu = time.perf_counter(), time.process_time()
        engine.analyse(edited, "bench.arch.yaml", Config())
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return statistics.median(times) * 1000, statistics.median(cpu) * 1000


def replicas_ms(text: str) -> tuple[float, float, float, float]:
    """A mid-file ``replicas`` edit (each a value not seen before): CPU and wall time, median and p90."""
    lines = text.split("\n")
    at = next(i for i, line in enumerate(lines) if "replicas:" in line and i > len(lines) // 2)
    indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
    engine.analyse(text, "replicas.arch.yaml", Config())
    cpu, wall = [], []
    for n in range(REPEAT * 2):
        edited = list(lines)
        edited[at] = f"{indent}replicas: {n + 2}"
        started, started_cpu = time.perf_counter(), time.process_time()
        engine.analyse("\n".join(edited), "replicas.arch.yaml", Config())
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)

    def p90(values: list[float]) -> float:
        return sorted(values)[int(len(values) * 0.9)] * 1000

    return statistics.median(cpu) * 1000, p90(cpu), statistics.median(wall) * 1000, p90(wall)


def rule_ms(text: str) -> list[tuple[float, str]]:
    analysis = engine.analyse(text, "bench.arch.yaml", Config())
    assert analysis.model is not None
    samples: dict[str, list[float]] = {}
    for _ in range(5):
        context = RuleContext(analysis.model, Config(), "arch")
        for code in all_codes():
            if code.check is None:
                continue
            started = time.perf_counter()
            # recording what it reads, as the engine runs it (outside a record every model attribute
            # read goes through the recording probes, several times slower)
            with tracking.recording():
                list(code.check(context))
            samples.setdefault(code.id, []).append(time.perf_counter() - started)
    return sorted(((statistics.median(v) * 1000, k) for k, v in samples.items()), reverse=True)


def server_steps_ms(text: str) -> tuple[float, float, float]:
    """The same mid-file ``replicas`` edit through the steps the server takes, in this process: pygls
    applying the client's change to its document, the audit, the diagnostics' JSON. CPU medians."""
    from lsprotocol import types as lsp
    from pygls.workspace import TextDocument

    from archls.server.diagnostic_json import DiagnosticTexts

    uri, path = "file:///bench/steps.arch.yaml", "/bench/steps.arch.yaml"
    lines = text.split("\n")
    at = next(i for i, line in enumerate(lines) if "replicas:" in line and i > len(lines) // 2)
    column = lines[at].index("replicas: ") + len("replicas: ")
    doc = TextDocument(uri, text, version=1)
    pieces: dict = {}
    steps: list[tuple[float, float, float]] = []
    width = len(lines[at]) - column
    for n in range(REPEAT * 2 + 3):
        value = str(n + 2)
        started = time.process_time()
        span = lsp.Range(lsp.Position(at, column), lsp.Position(at, column + width))
        doc.apply_change(lsp.TextDocumentContentChangePartial(range=span, text=value))
        width = len(value)
        applied = time.process_time()
        analysis = engine.analyse(doc.source, path, Config())
        audited = time.process_time()
        texts = DiagnosticTexts(doc, analysis.config, pieces, split=analysis.split_lines())
        for finding in analysis.findings:
            texts(finding)
        pieces = texts.now
        done = time.process_time()
        if n >= 3:  # the first audits read the file whole
            steps.append((applied - started, audited - applied, done - audited))
    return tuple(statistics.median(step[i] for step in steps) * 1000 for i in range(3))  # type: ignore[return-value]


def main() -> None:
    rules = sum(1 for c in all_codes() if c.check)
    for size in (100, 1000):
        text = architecture(size)
        wall, cpu = audit_ms(text, size)
        print(
            f"audit of an edited {size}-component file, {rules} rules on: {wall:.1f} ms wall, {cpu:.1f} ms CPU (medians)"
        )
    cpu, cpu90, wall, wall90 = replicas_ms(architecture(1000))
    print(
        f"a mid-file replicas edit in 1000 components: {cpu:.1f} ms CPU (p90 {cpu90:.1f}), "
        f"{wall:.1f} ms wall (p90 {wall90:.1f}); target < 20 ms"
    )
    apply, audit, convert = server_steps_ms(architecture(1000))
    print(
        f"the same edit through the server's steps: {apply + audit + convert:.1f} ms CPU "
        f"(pygls applying the change {apply:.1f}, the audit {audit:.1f}, the diagnostics' JSON {convert:.1f})"
    )
    timings = rule_ms(architecture(1000))
    print(f"all rules together on 1000 components: {sum(t for t, _ in timings):.1f} ms; slowest:")
    for ms, code in timings[:6]:
        print(f"  {code:<8} {ms:.2f} ms")
    for path in sorted((ROOT / "examples").glob("*.arch.yaml")):
        analysis = engine.analyse(path.read_text(encoding="utf-8"), str(path), Config())
        started = time.perf_counter()
        result = fixes.fix_all(analysis)
        took = (time.perf_counter() - started) * 1000
        print(f"fix all in {path.name}: {len(result.applied)} fixes in {took:.0f} ms")


if __name__ == "__main__":
    main()
