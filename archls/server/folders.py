"""Which editor settings apply to a document, and its path: read without the protocol library, so
that the early first audit (``archls.server.early``) reads them exactly as the server does."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote, urlparse

from pygls.uris import to_fs_path


def editor_settings(init_options: Any, folder_settings: dict[str, dict[str, Any]], uri: str) -> dict[str, Any]:
    """The ``archls`` settings for ``uri``: the initializationOptions, overridden by those of the
    innermost workspace folder holding it (or of "", the fallback)."""
    best = ""
    for folder in folder_settings:
        if folder and uri.startswith(folder.rstrip("/") + "/") and len(folder) > len(best):
            best = folder
    given = init_options.get("settings", init_options) if isinstance(init_options, dict) else {}
    merged = dict(given) if isinstance(given, dict) else {}
    merged.pop("settings", None)
    merged.pop("folderSettings", None)  # options without "settings" are the settings, beside these
    # A client that sends one object both as initializationOptions and as what answers
    # workspace/configuration (Helix's `config`) has the settings under the section's name.
    section = merged.pop("archls", None)
    if isinstance(section, dict):
        merged.update(section)
    merged.update(folder_settings.get(best) or folder_settings.get("") or {})
    return merged


def seeded(given: Any) -> dict[str, dict[str, Any]]:
    """The ``archls`` section of each folder from ``initializationOptions.folderSettings`` (folder URI,
    or "" without folders -> settings), as a client that knows them at start-up sends them."""
    if not isinstance(given, dict):
        return {}
    return {
        scope: settings for scope, settings in given.items() if isinstance(scope, str) and isinstance(settings, dict)
    }


def pulls(init_options: Any, folder_settings: dict[str, dict[str, Any]]) -> bool:
    """Whether the client asked, at initialize, to pull diagnostics rather than have them pushed."""
    settings = editor_settings(init_options, folder_settings, "")
    return settings.get("diagnosticMode", settings.get("diagnostic_mode")) == "pull"


def scope_of(folders: Iterable[str], uri: str) -> str:
    """The folder URI among ``folders`` whose settings apply to ``uri``; "" outside every one."""
    best = ""
    for folder in folders:
        if folder and uri.startswith(folder.rstrip("/") + "/") and len(folder) > len(best):
            best = folder
    return best


def path_of(uri: str) -> str | None:
    if not uri.startswith("file:"):
        parsed = urlparse(uri)
        return unquote(parsed.path) if parsed.scheme in ("untitled", "") and parsed.path else None
    return to_fs_path(uri)
