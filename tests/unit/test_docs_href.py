from pathlib import Path

import pytest

from archls import rule_pages
from archls.config import Config


def test_links_the_checkout_pages() -> None:
    href = rule_pages.docs_href("SEC001", Config())
    assert href.startswith("file://") and href.endswith("/docs/rules/SEC001.md")


def test_without_the_source_tree_the_page_is_written_to_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rule_pages, "DOCS_DIR", tmp_path / "absent")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    rule_pages.local_page.cache_clear()
    try:
        href = rule_pages.docs_href("QUAL001", Config())
        page = Path(href.removeprefix("file://"))
        assert page.is_relative_to(tmp_path / "cache")
        assert page.read_text().startswith("# QUAL001: ")
    finally:
        rule_pages.local_page.cache_clear()


def test_configured_base_url_wins() -> None:
    assert (
        rule_pages.docs_href("SEC001", Config(docs_url="https://docs.example/rules/"))
        == "https://docs.example/rules/SEC001.md"
    )
    assert rule_pages.published_href("SEC001", Config(docs_url="https://docs.example/rules/")) == (
        "https://docs.example/rules/SEC001.md"
    )


def test_a_page_sent_elsewhere_links_the_published_rule_page() -> None:
    href = rule_pages.published_href("SEC001", Config())
    assert href == f"{rule_pages.PROJECT_DOCS}/SEC001.md" and href.startswith("https://")
    # the published pages are the repository's docs/rules/, which hold every rule's page
    assert (rule_pages.DOCS_DIR / "SEC001.md").is_file()
