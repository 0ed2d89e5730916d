"""Recognising secrets written in plain text, shared by the native rules of every format."""

from __future__ import annotations

import re

#: Credentials with a recognisable shape, whatever the key they sit under.
SHAPED = [
    ("AWS access key id", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b")),
    ("private key", re.compile(r"-----BEGIN (?:RSA |EC |OPENSSH |DSA |PGP )?PRIVATE KEY")),
    ("GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b")),
    ("Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("Stripe secret key", re.compile(r"\b[rs]k_live_[A-Za-z0-9]{20,}\b")),
    ("Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
]

#: Key names that say their value is a secret.
SECRET_KEY = re.compile(
    r"(?:^|[_.-])(?:pass(?:word|wd)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|"
    r"credentials?|auth[_-]?key|client[_-]?secret|encryption[_-]?key|signing[_-]?key)(?:$|[_.-])",
    re.I,
)
#: Names that contain a secret word but hold something else (a file path, a key id, a flag...).
NOT_SECRET_KEY = re.compile(
    r"(?:_FILE|_PATH|_DIR|_ID|_NAME|_ARN|_ENABLED|_REF|_LENGTH|_POLICY|_TYPE|_VERSION|_HOST|_URL|_PORT)$", re.I
)

_PLACEHOLDER = re.compile(
    r"^(?:\$\{?[\w.:-]+\}?|<[^>]*>|\{\{.*\}\}|changeme|change-me|xxx+|\*+|example|dummy|placeholder|none|null|"
    r"true|false|yes|no|redacted|todo)$",
    re.I,
)


def shaped_secret(text: str) -> str | None:
    """The kind of credential found in ``text`` by its shape, or None."""
    for label, pattern in SHAPED:
        if pattern.search(text):
            return label
    return None


def is_secret_key(key: str) -> bool:
    return bool(SECRET_KEY.search(key)) and not NOT_SECRET_KEY.search(key)


def literal_secret(key: str, value: object) -> str | None:
    """Why ``key = value`` looks like a secret written in plain text, or None."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    shaped = shaped_secret(text)
    if shaped is not None:
        return shaped
    if not is_secret_key(key) or len(text) < 4 or _PLACEHOLDER.match(text) or "${" in text or "{{" in text:
        return None
    if points_elsewhere(text):
        return None
    return f"a literal value for '{key}'"


def points_elsewhere(text: str) -> bool:
    """Whether a value names where the secret is kept rather than being it: a file path (Docker and
    Kubernetes mount secrets under /run/secrets), or a secrets-manager reference."""
    return text.startswith(("/", "./", "file:", "vault:", "arn:", "secretsmanager:", "ssm:", "projects/"))
