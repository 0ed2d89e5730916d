"""Recognising secrets written in plain text, shared by the native rules of every format, and taking
them out of text archls writes (``archls import``)."""

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
    r"(?:_FILE|_PATH|_DIR|_ID|_NAME|_ARN|_ENABLED|_REF|_LENGTH|_POLICY|_TYPE|_VERSION|_HOST|_URL|_PORT)$"
    # an idempotency token (EFS creation_token, a CloudFormation client request token) is an id
    r"|^(?:creation|idempotency|client[_-]?request)[_-]?token$",
    re.I,
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


#: What a secret is replaced with in text archls writes: a reference, which no secret rule reports.
REDACTED = "${SECRET}"

#: Places inside free text where a secret sits: a URL's password, a password or token query parameter,
#: a password flag on a command line, a NAME_PASSWORD=value assignment, and the password flags of
#: sqlcmd/bcp (-P) and the MySQL clients (-pVALUE). The ``secret`` group is replaced.
_IN_TEXT = [
    re.compile(r"(?P<head>\b[a-z][a-z0-9+.-]*://[^\s:/@?#]*:)(?P<secret>[^\s@/]+)(?=@)", re.I),
    re.compile(
        r"(?P<head>[?&;]\s*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|sslpassword)\s*=\s*)"
        r"(?P<secret>[^&;\s]+)",
        re.I,
    ),
    re.compile(
        r"(?P<head>(?:^|[\s\[,\"'])--?(?:[a-z0-9]+[-_])*(?:password|passwd|pass|pwd|secret|token|api[-_]?key|"
        r"access[-_]?key)(?:=|[\s\"',]+))(?P<secret>[^\s\"',\]-][^\s\"',\]]*)",
        re.I,
    ),
    re.compile(
        r"(?P<head>\b[A-Za-z][A-Za-z0-9_]*(?:PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY)"
        r"[A-Za-z0-9_]*=)(?P<secret>[^\s\"']+)",
        re.I,
    ),
    re.compile(r"(?P<head>\b(?:sqlcmd|bcp)\b[^\n]*?\s-P[\s\"',]+)(?P<secret>[^\s\"',\]]+)"),
    re.compile(
        r"(?P<head>\b(?:mysql|mysqladmin|mysqldump|mariadb|mariadb-admin)\b[^\n]*?\s-p)(?P<secret>[^\s\"',\]]+)"
    ),
]
_SHAPED_ANYWHERE = [
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)", re.S),
    *(pattern for _, pattern in SHAPED if "PRIVATE" not in pattern.pattern),
    re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{40,}\b"),
]


def redact(text: str, known: frozenset[str] | set[str] = frozenset()) -> str:
    """``text`` with every secret in it replaced by :data:`REDACTED`: secrets in their usual places
    (URL passwords, password parameters and flags, NAME_PASSWORD=value), credentials by their shape,
    and the ``known`` secret values (read from the same files) wherever they stand as a word."""

    def keep_references(match: re.Match[str]) -> str:
        secret = match.group("secret")
        if secret.startswith("${") or secret.startswith("$(") or _PLACEHOLDER.match(secret):
            return match.group(0)
        return match.group("head") + REDACTED

    for pattern in _IN_TEXT:
        text = pattern.sub(keep_references, text)
    for pattern in _SHAPED_ANYWHERE:
        text = pattern.sub(REDACTED, text)
    for value in sorted(known, key=len, reverse=True):
        if len(value) >= 4 and value in text:
            text = re.sub(rf"(?<![\w$]){re.escape(value)}(?![\w}}])", REDACTED, text)
    return text
