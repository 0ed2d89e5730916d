from pathlib import Path

import pytest

from archls.config import Config
from archls.server import convert


def test_links_the_checkout_pages() -> None:
    href = convert.docs_href("SEC001", Config())
    assert href.startswith("file://") and href.endswith("/docs/rules/SEC001.md")


def test_without_the_source_tree_the_page_is_written_to_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(convert, "DOCS_DIR", tmp_path / "absent")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    convert._local_page.cache_clear()
    try:
        href = convert.docs_href("QUAL001", Config())
        page = Path(href.removeprefix("file://"))
        assert page.is_relative_to(tmp_path / "cache")
        assert page.read_text().startswith("# QUAL001: ")
    finally:
        convert._local_page.cache_clear()


def test_configured_base_url_wins() -> None:
    assert (
        convert.docs_href("SEC001", Config(docs_url="https://docs.example/rules/"))
        == "https://docs.example/rules/SEC001.md"
    )
