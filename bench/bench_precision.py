"""Precision on the well-kept corpus: the reviewed verdicts of every finding, per rule."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import wellkept


def main() -> None:
    review = wellkept.reviewed()
    found = wellkept.reported()
    unreviewed = set(found) - set(review)
    by_rule: dict[str, Counter[str]] = {}
    for (_, _, rule), verdict in review.items():
        by_rule.setdefault(rule, Counter())[verdict.verdict] += 1
    total = Counter(v.verdict for v in review.values())
    print(f"{'rule':<9}{'findings':>9}{'true':>7}{'debatable':>11}{'false':>7}")
    for rule in sorted(by_rule, key=lambda r: -sum(by_rule[r].values())):
        c = by_rule[rule]
        print(f"{rule:<9}{sum(c.values()):>9}{c['true']:>7}{c['debatable']:>11}{c['false']:>7}")
    n = sum(total.values())
    print(f"{'all':<9}{n:>9}{total['true']:>7}{total['debatable']:>11}{total['false']:>7}")
    print(f"false alarms: {total['false'] / n:.1%} of {n} reviewed findings; unreviewed now: {len(unreviewed)}")


if __name__ == "__main__":
    main()
