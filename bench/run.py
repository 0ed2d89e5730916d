"""Run every benchmark in this folder (modules named ``bench_*.py``) and print their figures.

Benchmarks print; they never fail a build. ``python bench/run.py NAME`` runs one;
options after the names go to benchmarks whose ``main`` takes them (``run.py soak --minutes 60``).
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    # names first, then options for the benchmarks that take some: `run.py soak --minutes 60`
    first_option = next((n for n, arg in enumerate(argv) if arg.startswith("-")), len(argv))
    wanted, options = set(argv[:first_option]), argv[first_option:]
    for path in sorted(HERE.glob("bench_*.py")):
        name = path.stem.removeprefix("bench_")
        if wanted and name not in wanted:
            continue
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses and pickling look modules up by name
        spec.loader.exec_module(module)
        print(f"\n=== {name} ===", flush=True)
        started = time.perf_counter()
        if options and inspect.signature(module.main).parameters:
            module.main(options)
        else:
            module.main()
        print(f"({time.perf_counter() - started:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
