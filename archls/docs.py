"""The rule documentation pages in ``docs/rules/``, generated from the registry."""

from __future__ import annotations

from pathlib import Path

from archls.report import rule_markdown
from archls.rules.registry import CATEGORY_TITLES, all_codes


def pages() -> dict[str, str]:
    """File name -> Markdown for every code, plus an index."""
    codes = all_codes()
    out = {f"{c.id}.md": rule_markdown(c) for c in codes}
    index = ["# archls rules", "", "Every finding code archls reports, by category.", ""]
    for category, title in CATEGORY_TITLES.items():
        members = [c for c in codes if c.category == category]
        if not members:
            continue
        index += [
            f"## {title} ({category.value})",
            "",
            "| code | title | severity | fix |",
            "| --- | --- | --- | --- |",
        ]
        index += [
            f"| [{c.id}]({c.id}.md) | {c.title} | {c.severity.value} | {'yes' if c.fixable else ''} |" for c in members
        ]
        index.append("")
    out["README.md"] = "\n".join(index)
    return out


def write_rule_docs(folder: Path, *, check: bool = False) -> list[str]:
    """Write the pages that differ (or, with ``check``, only list them). Pages of removed codes are deleted."""
    wanted = pages()
    changed = []
    folder.mkdir(parents=True, exist_ok=True) if not check else None
    for name, text in wanted.items():
        target = folder / name
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            changed.append(name)
            if not check:
                target.write_text(text, encoding="utf-8")
    if folder.exists():
        for stale in folder.glob("*.md"):
            if stale.name not in wanted:
                changed.append(stale.name)
                if not check:
                    stale.unlink()
    return changed
