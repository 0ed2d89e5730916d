"""``archls import`` writes no secret: not in values, commands, URLs, comments or evidence.

Each fixture under ``tests/fixtures/import/secrets`` puts a marker secret (``Sekrit-...``, or a
credential of a known shape) in every place its format can hold one.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from archls import engine, importer
from archls.config import Config

SECRETS = Path(__file__).parent / "fixtures" / "import" / "secrets"
MARKERS = ("Sekrit", base64.b64encode(b"Sekrit").decode()[:7], "AKIASEKRIT", "sk_live_")


@pytest.mark.parametrize("fmt", ["compose", "kubernetes", "terraform"])
def test_no_secret_survives_an_import(fmt: str, tmp_path: Path) -> None:
    folder = SECRETS / fmt
    written = [text for text in folder.rglob("*") if text.is_file()]
    assert any("Sekrit" in path.read_text(encoding="utf-8") for path in written)
    text = importer.render(importer.build([str(folder)]))
    leaked = [line for line in text.splitlines() if any(marker in line for marker in MARKERS)]
    assert not leaked, "\n".join(leaked)
    out = tmp_path / "imported.arch.yaml"
    out.write_text(text, encoding="utf-8")
    analysis = engine.analyse(text, str(out), Config())
    assert not [f for f in analysis.findings if f.code.startswith("ARCH") and f.severity.value == "error"]
    assert "left out: they look like secrets" in text
    if fmt != "terraform":  # what the secrets were part of is kept, with the secret replaced by a reference
        assert "${SECRET}" in text
    assert analysis.model is not None and analysis.model.connections
