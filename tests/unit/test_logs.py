"""What the language server writes to the editor's output channel: faults, not the normal races of
the protocol."""

from __future__ import annotations

import io
import logging

import pytest

from archls.server import logs


@pytest.fixture
def stderr(monkeypatch: pytest.MonkeyPatch):
    out = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    monkeypatch.setattr("sys.stderr", out)
    logs.configure()
    yield out
    root.handlers[:], level = saved
    root.setLevel(level)


def test_a_cancel_that_comes_after_the_answer_is_not_shown(stderr: io.StringIO) -> None:
    logging.getLogger("pygls.protocol.json_rpc").warning('Cancel notification for unknown message id "%s"', 16)
    assert stderr.getvalue() == ""


def test_other_warnings_are_shown(stderr: io.StringIO) -> None:
    logging.getLogger("pygls.protocol.json_rpc").warning("Unknown method %s", "x/y")
    assert stderr.getvalue() == "WARNING pygls.protocol.json_rpc: Unknown method x/y\n"
