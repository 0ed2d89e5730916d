"""A real Chromium (Debian's, driven by Playwright) shared by the preview's browser tests.

Every request a page makes is recorded, so a test can assert that nothing leaves the machine.
Screenshots go to test-artifacts/preview/.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.editors import support

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


def artifacts() -> Path:
    return support.artifacts("preview")


# Module scope: Playwright's synchronous API runs an event loop of its own for as long as it is open,
# which the asyncio tests of other modules (pytest-lsp) cannot share.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (scripts/system-deps.sh installs it as root)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


class Watched:
    """A page with its console errors, uncaught exceptions, dialogs and requests recorded."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: self.requests.append(r.url))

        def dialog(d: Any) -> None:
            self.dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", dialog)

    def remote(self) -> list[str]:
        """Requests that would leave the machine (anything but the file, data and loopback)."""
        local = ("file://", "data:", "http://127.0.0.1:", "about:")
        return [url for url in self.requests if not url.startswith(local)]

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(artifacts() / f"{name}.png"))


@pytest.fixture
def watched(browser: Any) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1400, "height": 860})
    page = context.new_page()
    yield Watched(page)
    context.close()


def keep_env() -> dict[str, str]:
    return dict(os.environ)
