"""Generation quality: the evaluation set (bench/assistant/evaluation.yaml) through each backend.

For each description: the generated file loads with no error, meets its expectations and reaches
grade B or better. The offline backend always runs; the Anthropic backend only when
ANTHROPIC_API_KEY is set (it then makes one or more real API calls per description).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from archls.assistant.evaluate import load_cases, run

CASES = Path(__file__).resolve().parent / "assistant" / "evaluation.yaml"


def _report(name: str, backend: object) -> None:
    cases = load_cases(CASES)
    started = time.perf_counter()
    outcomes = run(cases, backend)
    took = time.perf_counter() - started
    for o in outcomes:
        mark = "pass" if o.passed else "FAIL"
        print(f"  {mark}  {o.case.id:<14} {o.backend:<9} {o.grade}")
        for problem in o.problems:
            print(f"        - {problem}")
    passed = sum(o.passed for o in outcomes)
    print(f"{name}: {passed}/{len(outcomes)} passed ({passed / len(outcomes):.0%}), {took / len(outcomes):.2f} s each")


def main() -> None:
    from archls.assistant.backend import Settings, choose
    from archls.assistant.offline import OfflineBackend

    _report("offline", OfflineBackend())
    if os.environ.get("ANTHROPIC_API_KEY"):
        settings = Settings.from_env()
        settings.backend = "anthropic"
        _report(f"anthropic ({settings.model})", choose(settings).backend)
    else:
        print("anthropic: not run (set ANTHROPIC_API_KEY to measure it)")


if __name__ == "__main__":
    main()
