"""What may leave the machine: the text sent to a model with secret-looking values taken out.

The recogniser is the audits' own (:mod:`archls.rules._secrets`): credentials by their shape, URL
passwords, password flags and parameters, and ``key: value`` lines whose key names a secret.
"""

from __future__ import annotations

import logging
import re

from archls.rules._secrets import REDACTED, literal_secret, redact

_KEY_VALUE = re.compile(
    r"(?P<head>^[ \t-]*[\"']?(?P<key>[A-Za-z_][\w.-]*)[\"']?[ \t]*[:=][ \t]*)(?P<value>[^\n#]+?)[ \t]*$", re.M
)
#: ``password=hunter2`` or ``api key: abc123`` inside a sentence.
_INLINE = re.compile(
    r"(?P<head>\b(?P<key>(?:api|access|secret|private|auth|client|signing)[ _-](?:key|token|secret)|[A-Za-z_][\w.-]*)[ \t]*(?:=|:|[ \t]is\b)[ \t]*)(?P<value>[^\s,;\"'`)=]+)(?=[\s,;\"'`)]|$)",
    re.I,
)


def redact_text(text: str) -> str:
    """``text`` with every secret-looking value replaced by ``${SECRET}``."""

    def line(match: re.Match[str]) -> str:
        raw = match.group("value")
        tail = "." if raw.endswith(".") and not raw.endswith("..") else ""
        value = raw[: len(raw) - len(tail)].strip().strip("\"'")
        if literal_secret(match.group("key").replace(" ", "_"), value):
            return match.group("head") + REDACTED + tail
        return match.group(0)

    text = _KEY_VALUE.sub(line, text)
    text = _INLINE.sub(line, text)
    return redact(text)


class KeyFilter(logging.Filter):
    """Takes an API key out of every log record that passes through the SDK's and httpx's loggers."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.key:
            return True
        message = record.getMessage()
        if self.key in message:
            record.msg = message.replace(self.key, "[api key]")
            record.args = ()
        return True


_installed: set[str] = set()


def guard_logs(key: str | None) -> None:
    """Make sure ``key`` never reaches a log handler, whatever level the SDK logs at."""
    if not key or key in _installed:
        return
    _installed.add(key)
    for name in ("anthropic", "anthropic._base_client", "httpx", "httpx2", "httpcore", "httpcore2"):
        logging.getLogger(name).addFilter(KeyFilter(key))


def scrub(message: str, key: str | None) -> str:
    """An error message safe to show: the key, if it appears, replaced."""
    return message.replace(key, "[api key]") if key else message
