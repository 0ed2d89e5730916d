"""Every editor feature answers (or declines) at every place of real files and of files cut
off mid-edit; none raises."""

from __future__ import annotations

from pathlib import Path

import pytest

from archls import engine
from archls.intel import complete, hover, lenses, outline, refs

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.arch.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_position_of_an_example(path: Path):
    text = path.read_text(encoding="utf-8")
    analysis = engine.analyse(text, str(path))
    lines = text.split("\n")
    outline.symbols(analysis)
    outline.folding(analysis)
    lenses.lenses(analysis)
    lenses.hints(analysis)
    for line, line_text in enumerate(lines):
        for col in range(0, len(line_text) + 1, 3):
            complete.complete(text, line, col, analysis, lines=lines)
            hover.hover(analysis, line, col)
            outline.selection(analysis, line, col)
            found = refs.index(analysis).at(line, col)
            if found is not None:
                refs.rename(analysis, found, "renamed-id")


@pytest.mark.parametrize("path", EXAMPLES[:2], ids=lambda p: p.name)
def test_files_cut_off_while_typing(path: Path):
    text = path.read_text(encoding="utf-8")
    good = engine.analyse(text, str(path))
    for cut in range(0, len(text), 89):
        partial = text[:cut]
        lines = partial.split("\n")
        line, col = len(lines) - 1, len(lines[-1])
        complete.complete(partial, line, col, good, lines=lines)
        for trigger in complete.TRIGGERS:
            complete.complete(partial, line, col, good, trigger=trigger, lines=lines)
        broken = engine.analyse(partial, str(path))
        hover.hover(broken, line, col)
        outline.symbols(broken)
        outline.selection(broken, line, col)


def test_every_position_of_the_corpus():
    """compose, Terraform and Kubernetes files from public projects: hover, references, ranges, outline."""
    from archls.intel import native
    from tests.shared import CORPUS

    if CORPUS is None:
        pytest.skip("the shared corpus is not beside the repository (ARCHLS_SHARED)")
    read = 0
    for path in sorted(CORPUS.rglob("*")):
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if not engine.claims(str(path), text[:65536]):
            continue
        read += 1
        analysis = engine.analyse(text, str(path))
        outline.symbols(analysis)
        outline.folding(analysis)
        lenses.lenses(analysis)
        for line, line_text in enumerate(text.split("\n")):
            for col in range(0, len(line_text) + 1, 7):
                hover.hover(analysis, line, col)
                outline.selection(analysis, line, col)
                native.reference_at(analysis, line, col)
    assert read > 20
