"""The memos' bound: what recent audits used stays, what they stopped using goes."""

from __future__ import annotations

from archls import recent
from archls.recent import Recent


def test_an_entry_no_audit_used_for_a_window_is_dropped_and_one_in_use_stays() -> None:
    memo: Recent[str, int] = Recent(limit=1_000, window=3)
    memo["old"] = 1
    memo["used"] = 2
    for n in range(5):
        recent.tick()
        assert memo.get("used") == 2  # each audit uses it
        memo[f"new {n}"] = n  # and makes something new, as an edit does
    assert "old" not in memo
    assert "used" in memo
    assert "new 0" not in memo and "new 4" in memo


def test_the_count_bound_drops_the_least_recently_used_first() -> None:
    memo: Recent[int, int] = Recent(limit=3)
    for n in range(3):
        memo[n] = n
    assert memo.get(0) == 0  # 0 is now the most recently used
    memo[3] = 3
    assert 1 not in memo
    assert [n for n in range(4) if n in memo] == [0, 2, 3]
    assert len(memo) == 3
    memo.clear()
    assert len(memo) == 0 and memo.get(0) is None


def test_a_value_of_none_is_told_from_a_missing_key() -> None:
    memo: Recent[str, int | None] = Recent(limit=10)
    memo["unparsable"] = None
    assert memo.lookup("unparsable") == (True, None)
    assert memo.lookup("never seen") == (False, None)
