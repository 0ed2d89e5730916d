"""One interface, two backends: what the assistant asks of a model, and which backend answers.

The offline backend is the default and needs nothing. The Anthropic backend is used only when a
key is given (``ANTHROPIC_API_KEY`` or the editor setting ``archls.ai.apiKey``) and the assistant
is not switched off; nothing leaves the machine otherwise.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from archls.assistant.brief import Brief
    from archls.engine import Analysis

#: The model used unless ``archls.ai.model`` or ``ARCHLS_AI_MODEL`` names another.
DEFAULT_MODEL = "claude-sonnet-5-5"


@dataclass
class Draft:
    """An architecture as a backend proposes it: plain data, never trusted until it loads."""

    architecture: dict[str, Any]
    assumptions: list[str] = field(default_factory=list)
    backend: str = "offline"


@dataclass(frozen=True)
class Suggestion:
    """A block of YAML to insert after a line, and what it adds in a few words."""

    text: str
    label: str


class BackendUnavailable(Exception):
    """The backend could not answer (network, rate limits after retries, timeout); the message is
    safe to show: it never contains the key."""


class Backend(Protocol):
    name: str

    def draft(self, brief: Brief) -> Draft: ...

    def repair(self, draft: Draft, brief: Brief, errors: list[str]) -> Draft: ...

    def improve(self, draft: Draft, brief: Brief, analysis: Analysis) -> Draft | None: ...

    def suggest(self, text: str, line: int) -> list[Suggestion]: ...

    def explain(self, context: dict[str, Any]) -> str | None: ...

    def fix(self, context: dict[str, Any]) -> str | None: ...


@dataclass
class Settings:
    """The assistant's settings, from the editor (``archls.ai.*``) or the environment."""

    enabled: bool = True
    api_key: str | None = field(default=None, repr=False)
    model: str = DEFAULT_MODEL
    #: Seconds before one request is abandoned; the SDK retries 429, 529 and 5xx with backoff.
    timeout_s: float = 60.0
    max_retries: int = 2
    base_url: str | None = None
    #: "auto" (Anthropic when a key is given), "offline" or "anthropic".
    backend: str = "auto"

    @classmethod
    def from_env(cls, overrides: dict[str, Any] | None = None) -> Settings:
        """Environment first (``ANTHROPIC_API_KEY``, ``ANTHROPIC_BASE_URL``, ``ARCHLS_AI_*``), then
        the editor's ``archls.ai`` settings on top."""
        env = os.environ
        settings = cls(
            api_key=env.get("ANTHROPIC_API_KEY") or None,
            model=env.get("ARCHLS_AI_MODEL") or DEFAULT_MODEL,
            base_url=env.get("ANTHROPIC_BASE_URL") or None,
            backend=(env.get("ARCHLS_AI_BACKEND") or "auto").lower(),
        )
        if env.get("ARCHLS_AI_TIMEOUT"):
            settings.timeout_s = float(env["ARCHLS_AI_TIMEOUT"])
        if env.get("ARCHLS_AI_MAX_RETRIES"):
            settings.max_retries = int(env["ARCHLS_AI_MAX_RETRIES"])
        for key, value in (overrides or {}).items():
            name = {
                "apiKey": "api_key",
                "timeout": "timeout_s",
                "maxRetries": "max_retries",
                "baseUrl": "base_url",
            }.get(key, key)
            if value is None or value == "" or not hasattr(settings, name):
                continue
            setattr(settings, name, value)
        return settings


@dataclass(frozen=True)
class Choice:
    backend: Backend
    reason: str


def choose(settings: Settings, *, http_client: Any = None) -> Choice:
    """The backend these settings select, and why, in words for ``archls ai status``."""
    from archls.assistant.offline import OfflineBackend

    if not settings.enabled:
        return Choice(OfflineBackend(), "the assistant's model access is switched off (archls.ai.enabled: false)")
    if settings.backend == "offline":
        return Choice(OfflineBackend(), "the offline backend was chosen (ARCHLS_AI_BACKEND=offline)")
    if not settings.api_key:
        why = "no Anthropic API key is set (ANTHROPIC_API_KEY or the editor setting archls.ai.apiKey)"
        return Choice(OfflineBackend(), f"{why}; nothing is sent anywhere")
    from archls.assistant.anthropic_backend import AnthropicBackend

    where = f" through {settings.base_url}" if settings.base_url else ""
    return Choice(
        AnthropicBackend(settings, http_client=http_client),
        f"an Anthropic API key is set; model {settings.model}{where}",
    )
