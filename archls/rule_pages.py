"""Where a rule's page is, for the link a diagnostic, a hover or the preview gives beside a finding.

Kept apart from the language server's conversions so that the preview and the reports link rules
without loading the protocol's types.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from archls.config import Config

DOCS_DIR = Path(__file__).resolve().parents[1] / "docs" / "rules"
#: The rule pages as the project publishes them (its repository's docs/rules/).
PROJECT_DOCS = "https://github.com/archls/archls/blob/main/docs/rules"


def docs_href(code: str, config: Config) -> str:
    """The page an editor opens: the configured ``docsUrl``, else the page on this machine."""
    if config.docs_url:
        return f"{config.docs_url.rstrip('/')}/{code}.md"
    return local_page(code) or f"{PROJECT_DOCS}/{code}.md"


def published_href(code: str, config: Config) -> str:
    """The page a file sent to someone else links: the configured ``docsUrl``, else the project's
    published page (a ``file:`` link would name a folder of this machine)."""
    base = config.docs_url.rstrip("/") if config.docs_url else PROJECT_DOCS
    return f"{base}/{code}.md"


@cache
def local_page(code: str) -> str | None:
    """A file: link to the rule's page, readable offline: the checkout's docs/rules/, or (for an
    installed archls without its source tree, such as the VS Code bundle) the page written once
    into the user's cache from the same registry the docs are generated from."""
    page = DOCS_DIR / f"{code}.md"
    if page.is_file():
        return page.as_uri()
    from archls.paths import cache_dir
    from archls.report import rule_markdown
    from archls.rules.registry import get

    rule, folder = get(code), cache_dir("rules")
    if rule is None or folder is None:
        return None
    target = folder / f"{code}.md"
    try:
        if not target.is_file():
            target.write_text(rule_markdown(rule), encoding="utf-8")
    except OSError:
        return None
    return target.as_uri()
