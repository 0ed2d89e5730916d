"""`archls export png`: the SVG diagram rasterised by a headless Chromium, at twice its size; a clear
refusal when no browser is installed; never part of `export all`."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from archls import export
from archls.cli import main
from archls.engine import analyse
from archls.preview import png

ROOT = Path(__file__).resolve().parents[2]
SHOP = ROOT / "examples" / "ecommerce.arch.yaml"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_export_png_draws_the_svg_at_twice_its_size(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if png.chromium() is None:
        pytest.skip("no Chromium on PATH (scripts/system-deps.sh installs Debian's as root)")
    assert main(["export", "png", str(SHOP), "-o", str(tmp_path)]) == 0
    data = (tmp_path / "architecture.png").read_bytes()
    model = analyse(SHOP.read_text("utf-8"), str(SHOP)).model
    assert model is not None
    svg = export.render(model, "svg")["architecture.svg"]
    width, height = png.size_of(svg)
    assert png_size(data) == (2 * width, 2 * height)
    assert len(data) > 20_000  # a drawing, not a blank page


def test_without_a_browser_the_export_is_refused_with_the_way_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARCHLS_CHROMIUM", str(tmp_path / "no-such-browser"))
    assert main(["export", "png", str(SHOP), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "needs Chromium" in err and "svg target" in err
    assert not (tmp_path / "out" / "architecture.png").exists()


def test_export_all_leaves_the_png_out() -> None:
    model = analyse(SHOP.read_text("utf-8"), str(SHOP)).model
    assert model is not None
    assert not any(name.endswith(".png") for name in export.render(model, "all"))
