"""The diagram as a PNG, rendered by a headless Chromium when one is installed.

The SVG is drawn by archls itself; Chromium only rasterises it, from a temporary folder, with a
throw-away profile and no network, so nothing of the user's browser is read or written.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

#: Names a Chromium-family browser goes by, tried in order (ARCHLS_CHROMIUM overrides).
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
#: Above this many pixels at 2x, the picture is rendered at 1x.
MAX_PIXELS = 12_000_000


class PngError(Exception):
    """No browser to render with, or it failed; the message says what to do."""


def chromium() -> str | None:
    given = os.environ.get("ARCHLS_CHROMIUM")
    if given:
        return given if Path(given).is_file() else shutil.which(given)
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def size_of(svg: str) -> tuple[int, int]:
    found = re.search(r'<svg[^>]*\bwidth="(\d+)"[^>]*\bheight="(\d+)"', svg)
    if not found:
        raise PngError("the drawing has no size")
    return int(found.group(1)), int(found.group(2))


def render(svg: str, *, timeout: float = 120.0) -> bytes:
    """The SVG document rasterised at twice its size (once for very large drawings)."""
    browser = chromium()
    if browser is None:
        raise PngError(
            "a PNG needs Chromium or Chrome (not found on PATH; set ARCHLS_CHROMIUM to its path); "
            "the svg target draws the same picture without it"
        )
    width, height = size_of(svg)
    scale = 2 if width * height * 4 <= MAX_PIXELS else 1
    with tempfile.TemporaryDirectory(prefix="archls-png-") as tmp:
        folder = Path(tmp)
        page = folder / "diagram.svg"
        page.write_text(svg, encoding="utf-8")
        out = folder / "diagram.png"
        command = [
            browser,
            "--headless",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-extensions",
            "--disable-sync",
            "--mute-audio",
            f"--user-data-dir={folder / 'profile'}",
            f"--force-device-scale-factor={scale}",
            f"--window-size={width},{height}",
            "--default-background-color=ffffffff",
            f"--screenshot={out}",
            page.as_uri(),
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.insert(1, "--no-sandbox")  # Chromium refuses to start its sandbox as root
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, cwd=folder
            )
        except subprocess.TimeoutExpired as exc:
            raise PngError(f"{browser} did not finish the PNG within {timeout:.0f} s") from exc
        except OSError as exc:
            raise PngError(f"cannot run {browser}: {exc.strerror or exc}") from exc
        if not out.is_file():
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise PngError(f"{browser} wrote no PNG (exit {done.returncode}): {' '.join(tail)}")
        return out.read_bytes()
