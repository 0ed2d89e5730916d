"""The offline backend on the evaluation set: every description in users' words gives a file that
loads, meets what was asked and reaches grade B or better (``bench/run.py generate`` prints the
same with figures)."""

from __future__ import annotations

from pathlib import Path

from archls.assistant.evaluate import load_cases, run
from archls.assistant.offline import OfflineBackend

CASES = Path(__file__).resolve().parents[2] / "bench" / "assistant" / "evaluation.yaml"


def test_every_description_passes_offline() -> None:
    cases = load_cases(CASES)
    assert len(cases) >= 20 and len({c.id for c in cases}) == len(cases)
    outcomes = run(cases, OfflineBackend())
    failed = {o.case.id: o.problems for o in outcomes if not o.passed}
    assert not failed


def test_generation_is_deterministic() -> None:
    from archls.assistant.generate import generate

    case = load_cases(CASES)[0]
    assert generate(case.text, backend=OfflineBackend()).text == generate(case.text, backend=OfflineBackend()).text
