"""``archls scaffold --github OWNER/NAME`` against a stand-in of GitHub's REST API on 127.0.0.1
that records every request. The stand-in answers with a local bare repository as the clone URL,
so the push is real and nothing reaches the network."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from archls.cli import main
from tests.export_support import FIXTURES, run

SHOP = FIXTURES / "shop.arch.yaml"
TOKEN = "ghp_standintoken0123456789"

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


class StandIn:
    """GitHub's API as far as creating a repository goes, with switches for its refusals."""

    def __init__(self, bare: Path) -> None:
        self.bare = bare
        self.requests: list[dict] = []
        self.existing: set[str] = set()
        self.scopes = "repo, read:org"
        self.org_forbidden = False

    def answer(self, method: str, path: str, body: dict | None) -> tuple[int, dict, dict[str, str]]:
        if path == "/user" and method == "GET":
            return 200, {"login": "octo"}, {"X-OAuth-Scopes": self.scopes}
        if path.startswith("/repos/") and method == "GET":
            name = path.removeprefix("/repos/")
            return (200, {"full_name": name}, {}) if name in self.existing else (404, {"message": "Not Found"}, {})
        if method == "POST" and (path == "/user/repos" or path.startswith("/orgs/")):
            owner = "octo" if path == "/user/repos" else path.split("/")[2]
            if self.org_forbidden and owner != "octo":
                return 403, {"message": "You need admin access to the organization to create repositories"}, {}
            full = f"{owner}/{body['name']}"
            self.existing.add(full)
            return 201, {"full_name": full, "html_url": f"https://github.invalid/{full}",
                         "clone_url": str(self.bare)}, {}  # fmt: skip
        return 404, {"message": "Not Found"}, {}


@pytest.fixture
def github(tmp_path: Path, monkeypatch) -> Iterator[StandIn]:
    bare = tmp_path / "remote.git"
    assert run(["git", "init", "--quiet", "--bare", str(bare)]).returncode == 0
    stand_in = StandIn(bare)

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            stand_in.requests.append({"method": self.command, "path": self.path, "body": body,
                                      "authorization": self.headers.get("Authorization")})  # fmt: skip
            status, payload, headers = stand_in.answer(self.command, self.path, body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            for key, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _serve

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    monkeypatch.setenv("GITHUB_API_URL", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    try:
        yield stand_in
    finally:
        server.shutdown()
        server.server_close()


def test_creates_the_repository_pushes_and_prints_its_url(github: StandIn, tmp_path: Path, capsys):
    out = tmp_path / "shop"
    assert main(["scaffold", str(SHOP), "-o", str(out), "--github", "octo/shop"]) == 0
    printed = capsys.readouterr()
    assert "https://github.invalid/octo/shop" in printed.out
    assert TOKEN not in printed.out + printed.err
    made = [r for r in github.requests if r["method"] == "POST"]
    assert [r["path"] for r in made] == ["/user/repos"]
    assert made[0]["body"]["name"] == "shop" and made[0]["body"]["private"] is True
    assert all(r["authorization"] == f"Bearer {TOKEN}" for r in github.requests)
    head = run(["git", "-C", str(out), "rev-parse", "HEAD"]).stdout.strip()
    assert run(["git", "-C", str(github.bare), "rev-parse", "main"]).stdout.strip() == head
    assert run(["git", "-C", str(out), "remote", "get-url", "origin"]).stdout.strip() == str(github.bare)
    assert TOKEN not in (out / ".git" / "config").read_text()


def test_an_organisation_gets_the_repository_through_its_endpoint(github: StandIn, tmp_path: Path):
    assert main(["scaffold", str(SHOP), "-o", str(tmp_path / "r"), "--github", "acme-inc/shop"]) == 0
    assert [r["path"] for r in github.requests if r["method"] == "POST"] == ["/orgs/acme-inc/repos"]


@pytest.mark.parametrize(
    ("setup", "name", "message"),
    [
        (lambda g: g.existing.add("octo/shop"), "octo/shop", "already exists"),
        (lambda g: setattr(g, "scopes", "read:user"), "octo/shop", "'repo' scope"),
        (lambda g: setattr(g, "org_forbidden", True), "acme/shop", "may not create repositories in 'acme'"),
    ],
    ids=["exists", "token-without-repo-scope", "no-rights-in-the-organisation"],
)
def test_refusals_are_clear_and_create_nothing(github: StandIn, tmp_path: Path, capsys, setup, name, message):
    setup(github)
    assert main(["scaffold", str(SHOP), "-o", str(tmp_path / "r"), "--github", name]) == 2
    err = capsys.readouterr().err
    assert message in err and TOKEN not in err
    assert run(["git", "-C", str(github.bare), "rev-parse", "--verify", "main"]).returncode != 0


@pytest.mark.parametrize(
    "name", ["octo", "octo/", "-octo/shop", "octo/sh op", "octo/..", "o/" + "x" * 101, "octo/shop.git"]
)
def test_an_invalid_name_is_refused_before_anything_is_written(github: StandIn, tmp_path: Path, capsys, name):
    out = tmp_path / "r"
    assert main(["scaffold", str(SHOP), "-o", str(out), f"--github={name}"]) == 2
    assert "repository name" in capsys.readouterr().err or ".git" in name
    assert not out.exists() and not github.requests


def test_no_token_is_refused_before_anything_is_written(github: StandIn, tmp_path: Path, capsys, monkeypatch):
    monkeypatch.delenv("GITHUB_TOKEN")
    out = tmp_path / "r"
    assert main(["scaffold", str(SHOP), "-o", str(out), "--github", "octo/shop"]) == 2
    assert "GITHUB_TOKEN or GH_TOKEN" in capsys.readouterr().err
    assert not out.exists() and not github.requests
