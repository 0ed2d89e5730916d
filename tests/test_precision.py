"""Precision on well-kept files: every finding archls reports there has been reviewed by a person,
fewer than 1 in 20 is a false alarm, and a new or vanished finding fails until it is reviewed."""

from __future__ import annotations

import pytest

from tests import wellkept
from tests.shared import need_shared


@pytest.fixture(scope="module")
def found() -> dict[wellkept.Key, str]:
    need_shared()
    return wellkept.reported()


@pytest.fixture(scope="module")
def review() -> dict[wellkept.Key, wellkept.Verdict]:
    need_shared()
    return wellkept.reviewed()


def test_every_finding_on_the_well_kept_corpus_has_been_reviewed(found, review) -> None:
    unreviewed = sorted(set(found) - set(review))
    assert not unreviewed, "review these findings and add them to tests/fixtures/wellkept/REVIEW.tsv:\n" + "\n".join(
        f"{path}\t{line}\t{rule}\t?\t{found[(path, line, rule)]}" for path, line, rule in unreviewed
    )


def test_reviewed_findings_still_exist(found, review) -> None:
    gone = sorted(set(review) - set(found))
    assert not gone, "these reviewed findings are no longer reported; remove them from REVIEW.tsv:\n" + "\n".join(
        "\t".join(map(str, key)) for key in gone
    )


def test_fewer_than_one_in_twenty_findings_is_a_false_alarm(review) -> None:
    false_alarms = [key for key, verdict in review.items() if verdict.verdict == "false"]
    assert len(review) >= 200, "the corpus should give enough findings to measure precision"
    assert len(false_alarms) / len(review) < 0.05, false_alarms
