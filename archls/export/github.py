"""Creating the scaffolded repository on GitHub through its REST API, then pushing to it.

The token comes from GITHUB_TOKEN or GH_TOKEN and is only ever sent: it is not printed, not put
in an error message and not written to the repository's configuration (git gets it as an HTTP
header through its environment, so it is not on any command line either). GITHUB_API_URL, which
GitHub Actions and GitHub Enterprise set, points at another API server.
"""

from __future__ import annotations

import base64
import json
import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

DEFAULT_API = "https://api.github.com"
TOKEN_VARIABLES = ("GITHUB_TOKEN", "GH_TOKEN")
_OWNER = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}")
_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")
TIMEOUT_S = 30


class GitHubError(Exception):
    """The repository cannot be created; the message says why, without the token."""


@dataclass(frozen=True)
class Repository:
    full_name: str
    html_url: str
    clone_url: str


def parse_name(text: str) -> tuple[str, str]:
    """``OWNER/NAME`` as GitHub accepts it, or :class:`GitHubError`."""
    owner, slash, name = text.partition("/")
    if not slash or not _OWNER.fullmatch(owner) or not _NAME.fullmatch(name) or name in {".", ".."}:
        raise GitHubError(
            f"{text!r} is not a GitHub repository name: OWNER/NAME, the owner made of letters, digits and "
            "single hyphens (at most 39), the name of letters, digits, '.', '-' and '_' (at most 100)"
        )
    if name.lower().endswith(".git"):
        raise GitHubError(f"{text!r}: leave '.git' off the repository name")
    return owner, name


def token_from(environ: dict[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    for variable in TOKEN_VARIABLES:
        if env.get(variable):
            return env[variable]
    raise GitHubError("set GITHUB_TOKEN or GH_TOKEN to a token that may create repositories")


class Client:
    def __init__(self, token: str, api: str | None = None) -> None:
        self.token = token
        self.api = (api or os.environ.get("GITHUB_API_URL") or DEFAULT_API).rstrip("/")

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any, dict[str, str]]:
        request = urllib.request.Request(
            self.api + path,
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers={
                "Accept": "application/vnd.github+json",
                "Authorization": f"Bearer {self.token}",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "archls",
                **({"Content-Type": "application/json"} if body is not None else {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                return response.status, _json(response.read()), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, _json(error.read()), dict(error.headers or {})
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise GitHubError(f"cannot reach {self.api}: {reason}") from None

    def message(self, payload: Any) -> str:
        if isinstance(payload, dict):
            text = str(payload.get("message") or "")
            details = "; ".join(str(e.get("message") or e.get("code") or "") for e in payload.get("errors") or []
                                if isinstance(e, dict))  # fmt: skip
            return scrub(f"{text}: {details}" if details else text, self.token)
        return ""


def _json(data: bytes) -> Any:
    try:
        return json.loads(data or b"null")
    except ValueError:
        return None


def scrub(text: str, token: str) -> str:
    return text.replace(token, "***") if token else text


def create(full_name: str, token: str, *, description: str = "", api: str | None = None) -> Repository:
    """Create ``OWNER/NAME`` (private) as the token's user or in the organisation ``OWNER``."""
    owner, name = parse_name(full_name)
    client = Client(token, api)
    status, user, headers = client.request("GET", "/user")
    if status == 401:
        raise GitHubError("GitHub refused the token (401): it is wrong or expired")
    if status != 200 or not isinstance(user, dict):
        raise GitHubError(f"GitHub answered {status} when asked who the token belongs to: {client.message(user)}")
    scopes = headers.get("X-OAuth-Scopes") or headers.get("x-oauth-scopes")
    if scopes is not None and not {"repo", "public_repo"} & {s.strip() for s in scopes.split(",")}:
        raise GitHubError("the token cannot create repositories: a classic token needs the 'repo' scope")
    status, _, _ = client.request("GET", f"/repos/{owner}/{name}")
    if status == 200:
        raise GitHubError(f"{owner}/{name} already exists on GitHub; choose another name or push to it with --push")
    personal = str(user.get("login", "")).lower() == owner.lower()
    path = "/user/repos" if personal else f"/orgs/{owner}/repos"
    body = {"name": name, "private": True, "description": description[:350], "auto_init": False}
    status, made, _ = client.request("POST", path, body)
    if status == 201 and isinstance(made, dict):
        return Repository(
            str(made.get("full_name") or f"{owner}/{name}"), str(made["html_url"]), str(made["clone_url"])
        )
    reason = client.message(made)
    if status == 422 and "already exists" in reason:
        raise GitHubError(f"{owner}/{name} already exists on GitHub ({reason})")
    if status in (403, 404) and not personal:
        raise GitHubError(f"the token may not create repositories in {owner!r} ({status}: {reason or 'no access'})")
    if status == 403:
        raise GitHubError(f"the token may not create repositories ({reason or 'forbidden'})")
    raise GitHubError(f"GitHub refused to create {owner}/{name} ({status}: {reason or 'no reason given'})")


def push_environment(token: str) -> dict[str, str]:
    """Variables that give git the token as an HTTP header for one command, written nowhere."""
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    return {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "http.extraHeader",
        "GIT_CONFIG_VALUE_0": f"Authorization: Basic {basic}",
    }
