"""`archls check` over many modules: one process against worker processes.

terragoat's AWS module from the shared corpus, once and as 50 copies (aws-00 ... aws-49, each its
own module) in a temporary folder, checked with ``-j 1`` (everything in the calling process) and
with the default (one worker process per core). Each command runs in a fresh process, median of
three runs (wall time), with the findings it reported. Run: .venv/bin/python bench/run.py check
"""

from __future__ import annotations

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
COPIES = 50


def run(args: list[str], cwd: Path) -> tuple[float, int]:
    """Median wall time of ``archls check ARGS --format json`` and its number of findings."""
    walls, found = [], -1
    for _ in range(RUNS):
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "archls", "check", *args, "--format", "json", "--fail-on", "never"],
            capture_output=True,
            text=True,
            cwd=cwd,
        )
        walls.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise RuntimeError(done.stderr[-2000:])
        found = len(json.loads(done.stdout))
    return statistics.median(walls), found


def main() -> None:
    if CORPUS is None:
        print("the shared corpus is not beside this checkout; nothing to measure")
        return
    source = CORPUS / "terragoat" / "aws"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        shutil.copytree(source, folder / "one" / "aws")
        for n in range(COPIES):
            shutil.copytree(source, folder / "many" / f"aws-{n:02d}")
        files = sum(1 for _ in (folder / "many").rglob("*.tf"))
        print(f"{cores} cores; {RUNS} runs each, median wall time of a fresh `python -m archls check`")
        print("| input | -j 1 (one process) | default (processes) | findings |")
        print("| --- | --- | --- | --- |")
        for label, where in (("terragoat/aws (14 files)", "one"), (f"{COPIES} copies ({files} files)", "many")):
            serial, found = run(["-j", "1", "."], folder / where)
            parallel, found_parallel = run(["."], folder / where)
            assert found == found_parallel, "the same report either way"
            print(f"| {label} | {serial:.2f} s | {parallel:.2f} s ({serial / parallel:.1f}x) | {found:,} |")


if __name__ == "__main__":
    main()
