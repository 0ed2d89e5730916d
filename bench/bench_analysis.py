"""Time of the load, cost and availability analyses and of the COST, LOAD, VULN and REL rules on
synthetic architectures, after an edit (the loader's unchanged parts reused) and from scratch.

Run: .venv/bin/python bench/run.py analysis
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import architecture

from archls import engine
from archls.analysis import results
from archls.config import Config
from archls.rules.registry import RuleContext, all_codes

SIZES = (100, 1000, 5000)
EDITS = 15
CATEGORIES = {"COST", "LOAD", "VULN", "REL"}


def _edits(text: str, count: int) -> list[str]:
    # Each edit changes one description, so every audit sees a text it has not seen before.
    return [text.replace("description: component 1 ", f"description: component 1 edit{n} ", 1) for n in range(count)]


def main() -> None:
    config = Config()
    mine = [c for c in all_codes() if c.check is not None and c.category.value in CATEGORIES]
    print(f"{len(mine)} rules in {', '.join(sorted(CATEGORIES))}")
    print(f"{'components':>10}  {'analyses ms':>11}  {'rules ms':>8}  {'whole audit ms':>14}  {'cold analyses ms':>16}")
    for size in SIZES:
        text = architecture(size)
        engine.analyse(text, "bench.arch.yaml", config)  # warm the loader's caches and the catalog
        analysis_ms, rules_ms, audit_ms = [], [], []
        for edited in _edits(text, EDITS):
            started = time.perf_counter()
            analysis = engine.analyse(edited, "bench.arch.yaml", config)
            audit_ms.append((time.perf_counter() - started) * 1000)
            model = analysis.model
            assert model is not None
            fresh = model.model_copy()  # a new identity: the analyses cannot reuse the audit's result
            started = time.perf_counter()
            results(fresh, config)
            analysis_ms.append((time.perf_counter() - started) * 1000)
            context = RuleContext(fresh, config, "arch")
            started = time.perf_counter()
            for code in mine:
                list(code.check(context))  # type: ignore[misc]
            rules_ms.append((time.perf_counter() - started) * 1000)
        cold = Config(thresholds={"bench": float(size)})  # a configuration no cache has seen
        copy = model.model_validate(model.model_dump(by_alias=True))
        started = time.perf_counter()
        results(copy, cold)
        cold_ms = (time.perf_counter() - started) * 1000
        print(
            f"{size:>10}  {statistics.median(analysis_ms):>11.1f}  {statistics.median(rules_ms):>8.1f}"
            f"  {statistics.median(audit_ms):>14.1f}  {cold_ms:>16.1f}"
        )
