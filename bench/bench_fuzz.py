"""The long fuzz run: every loader and the engine on generated and mutated inputs of each format.

``python bench/run.py fuzz [--inputs N] [--formats arch,compose,...] [--seed S] [--atheris RUNS]``

Half of the inputs come from the grammar-aware generators of :mod:`tests.fuzzing.documents`, half
from mutations of the examples and the shared corpus (:mod:`tests.fuzzing.mutations`); each goes
through :func:`tests.fuzzing.harness.check`. Prints, per format, the inputs run, crashes (an
exception, an ARCH000 finding or a range outside the document), hangs (over 2 s of CPU time) and
the slowest input. Failing inputs are written to ``.fuzz-failures/<format>/`` (ignored by git), to be
kept as regression fixtures under ``tests/fixtures/fuzz/`` once fixed.

``--atheris RUNS`` then runs atheris (libFuzzer's coverage-guided mutations, ``pip install atheris``)
for RUNS inputs per format, seeded with the same examples and corpus files.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FAILURES = ROOT / ".fuzz-failures"
FORMATS = ("arch", "compose", "terraform", "kubernetes", "config")
EXTENSIONS = {"arch": "arch.yaml", "compose": "yml", "terraform": "tf", "kubernetes": "yaml", "config": "yaml"}
# archls is imported inside the functions: the atheris child must import it under instrumentation.


@dataclass
class Tally:
    inputs: int = 0
    generated: int = 0
    crashes: int = 0
    hangs: int = 0
    with_model: int = 0
    findings: int = 0
    cpu: float = 0.0
    slowest: tuple[float, float, str] = (0.0, 0.0, "")
    failures: list[str] = field(default_factory=list)


def _save(name: str, data: str | bytes, what: str) -> str:
    raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
    folder = FAILURES / name
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{hashlib.sha1(raw).hexdigest()[:12]}.{EXTENSIONS[name]}"
    target.write_bytes(raw)
    (target.parent / (target.name + ".txt")).write_text(what, encoding="utf-8")
    return str(target.relative_to(ROOT))


def run_format(name: str, inputs: int, random_seed: int) -> Tally:
    from hypothesis import given, seed, settings
    from hypothesis import strategies as st

    from archls import engine
    from tests.fuzzing import harness
    from tests.fuzzing.documents import generated
    from tests.fuzzing.mutations import mutated
    from tests.fuzzing.sample import GENERATE_ONLY

    tally = Tally()

    @seed(random_seed)
    @settings(GENERATE_ONLY, max_examples=inputs)
    @given(data=st.one_of(generated(name), mutated(name)))
    def one(data: str | bytes) -> None:
        tally.inputs += 1
        raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
        try:
            outcome = harness.check(name, data)
        except harness.Hang:
            tally.hangs += 1
            tally.failures.append(f"hang: {_save(name, data, 'hang')}")
            return
        except Exception as exc:
            tally.crashes += 1
            what = "".join(traceback.format_exception(exc))
            tally.failures.append(f"{type(exc).__name__}: {str(exc)[:160]} -> {_save(name, data, what)}")
            return
        tally.with_model += outcome.has_model
        tally.findings += outcome.findings
        tally.cpu += outcome.cpu
        if outcome.cpu > tally.slowest[0]:
            tally.slowest = (outcome.cpu, outcome.wall, f"{len(raw)} bytes, sha1 {hashlib.sha1(raw).hexdigest()[:12]}")
        if tally.inputs % 50 == 0:
            engine.forget()  # bounded memory over a long run

    one()
    return tally


def _atheris(name: str, runs: int) -> str:
    """Run atheris on one format in a child process (libFuzzer exits the process when done)."""
    try:
        import atheris  # noqa: F401
    except ImportError:
        return "atheris is not installed (pip install atheris)"
    from tests.fuzzing.mutations import seeds

    corpus = Path(tempfile.mkdtemp(prefix=f"archls-atheris-{name}-"))
    for n, data in enumerate(seeds(name)):
        (corpus / f"seed{n}").write_bytes(data)
    crashes = FAILURES / name / "atheris"
    crashes.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, str(Path(__file__)), "--atheris-child", name, f"-runs={runs}"]
    command += [f"-artifact_prefix={crashes}/", "-timeout=10", "-rss_limit_mb=4096", str(corpus)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    summary = [line for line in done.stderr.splitlines() if line.startswith(("#", "==", "Done", "stat::"))]
    found = sorted(p.name for p in crashes.iterdir())
    status = "ok" if done.returncode == 0 else f"exit {done.returncode}"
    return f"{status} in {time.perf_counter() - started:.0f} s; {summary[-1] if summary else ''}; artifacts: {found}"


def _atheris_child(name: str, argv: list[str]) -> None:
    import atheris

    # coverage of archls' own code guides the mutations; the first check loads the formats and
    # rules that are imported on first use, under the same instrumentation
    with atheris.instrument_imports(include=["archls"]):
        from tests.fuzzing import harness
        from tests.fuzzing.mutations import seeds

        harness.check(name, seeds(name)[0])

    def one_input(data: bytes) -> None:
        try:
            harness.check(name, data)
        except harness.Hang as exc:
            raise RuntimeError(f"hang: {exc}") from None

    atheris.Setup([sys.argv[0], *argv], one_input)
    atheris.Fuzz()


def main(argv: list[str] | None = None) -> None:
    argv = list(argv or [])
    if argv[:1] == ["--atheris-child"]:
        _atheris_child(argv[1], argv[2:])
        return
    parser = argparse.ArgumentParser(prog="bench/run.py fuzz")
    parser.add_argument("--inputs", type=int, default=int(os.environ.get("ARCHLS_FUZZ_INPUTS", "10000")))
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--atheris", type=int, default=0, metavar="RUNS")
    options = parser.parse_args(argv)
    print(
        f"{options.inputs} inputs per format (half generated, half mutated), seed {options.seed}, "
        "CPU limit 2 s per input (tests/fuzzing/harness.py)"
    )
    print("| format | inputs | crashes | hangs | with a model | findings | CPU mean | slowest (CPU / wall) |")
    print("|---|---|---|---|---|---|---|---|")
    failures: list[str] = []
    for name in options.formats.split(",") if options.inputs > 0 else []:
        tally = run_format(name, options.inputs, options.seed)
        mean = tally.cpu / max(tally.inputs - tally.crashes - tally.hangs, 1)
        slow_cpu, slow_wall, what = tally.slowest
        print(
            f"| {name} | {tally.inputs} | {tally.crashes} | {tally.hangs} | {tally.with_model} | {tally.findings} | "
            f"{mean * 1000:.1f} ms | {slow_cpu:.2f} s / {slow_wall:.2f} s ({what}) |",
            flush=True,
        )
        failures += [f"{name}: {line}" for line in tally.failures]
    for line in failures[:50]:
        print("  " + line)
    if len(failures) > 50:
        print(f"  ... and {len(failures) - 50} more")
    if options.atheris:
        for name in options.formats.split(","):
            print(f"atheris {name}: {_atheris(name, options.atheris)}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
