"""A starting repository from an architecture: README, compose for local development, a folder per
service (Dockerfile, dependencies for what it connects to, a runnable entry point with a health
endpoint, a test), CI, Terraform, Kubernetes manifests, Prisma schemas and the nginx config.

Services are written in Python or Node: Node for JavaScript-family technologies, Python for the
rest (the README says which technology the architecture names, so a team can port the skeleton).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from archls.export import layout, service_code
from archls.export.context import FIRST_VERSION, Comp, ExportContext, build
from archls.export.emit import json_doc, yaml_docs
from archls.export.quoting import Safe
from archls.export.registry import get
from archls.export.targets import ci, compose, docs, vercel
from archls.export.templating import render
from archls.export.writer import write_tree
from archls.formats.archyaml import is_arch_file

if TYPE_CHECKING:
    from archls.graph import ArchGraph
    from archls.model import Architecture

#: Author and date of the scaffold's commit, so the same architecture gives the same commit on any machine.
AUTHOR = ("archls", "archls@users.noreply.invalid")
COMMIT_DATE = "2000-01-01T00:00:00+00:00"
#: gRPC for Python: grpcio-tools loads the .proto files at start (grpc.protos_and_services).
PYTHON_GRPC = ("grpcio>=1.62,<2", "grpcio-tools>=1.62,<2")
NODE_GRPC = (("@grpc/grpc-js", "^1.10.6"), ("@grpc/proto-loader", "^0.7.13"))


class ScaffoldError(Exception):
    pass


def python_deps(code: service_code.ServiceCode) -> list[str]:
    deps: set[str] = set()
    for peer in code.peers:
        if peer.kind == "store" and peer.comp.tech:
            deps.update(peer.comp.tech.python_deps)
    if code.uses_grpc:
        deps.update(PYTHON_GRPC)
    return sorted(deps)


def node_deps(code: service_code.ServiceCode) -> dict[str, str]:
    deps: dict[str, str] = {}
    for peer in code.peers:
        if peer.kind == "store" and peer.comp.tech:
            deps.update(dict(peer.comp.tech.node_deps))
    if code.uses_grpc:
        deps.update(dict(NODE_GRPC))
    return dict(sorted(deps.items()))


def protos(ctx: ExportContext, code: service_code.ServiceCode) -> dict[str, str]:
    """The .proto files a service needs: its own when it serves gRPC, and each gRPC peer's."""
    files = {}
    served = [code] if code.grpc_served else []
    served += [service_code.plan(ctx, p.comp) for p in code.grpc_peers]
    for one in served:
        files[f"proto/{service_code.proto_file(one.comp)}"] = service_code.proto(one, str(one.comp.snake))
    return files


def service_files(ctx: ExportContext, comp: Comp) -> dict[str, str]:
    runtime = ci.runtime(comp)
    version = Safe(ci.runtime_version(comp))
    code = service_code.plan(ctx, comp)
    common = {"ctx": ctx, "c": comp, "version": version, "code": code}
    files = protos(ctx, code)
    if runtime == "node":
        package = {
            "name": str(comp.dns),
            "version": FIRST_VERSION,
            "private": True,
            "description": f"{comp.id} of {ctx.name}"[:200],
            "type": "module",
            "main": "server.js",
            "scripts": {"start": "node server.js", "test": "node --test"},
            "engines": {"node": f">={version}"},
            "dependencies": node_deps(code),
        }
        files.update(
            {
                "package.json": json_doc(package),
                "server.js": render("scaffold/node/server.js.j2", **common),
                "clients.js": render("scaffold/node/clients.js.j2", **common),
                "test/service.test.js": render("scaffold/node/service.test.js.j2", **common),
                "Dockerfile": render("scaffold/node/Dockerfile.j2", **common),
                ".dockerignore": "node_modules\nnpm-debug.log\n",
            }
        )
        return files
    files.update(
        {
            "pyproject.toml": render("scaffold/python/pyproject.toml.j2", deps=python_deps(code), **common),
            "app.py": render("scaffold/python/app.py.j2", **common),
            "clients.py": render("scaffold/python/clients.py.j2", **common),
            "tests/__init__.py": "",
            "tests/test_service.py": render("scaffold/python/test_service.py.j2", **common),
            "Dockerfile": render("scaffold/python/Dockerfile.j2", **common),
            ".dockerignore": "__pycache__\n*.pyc\n.venv\n",
        }
    )
    return files


def frontend_files(ctx: ExportContext, comp: Comp) -> dict[str, str]:
    """A static web frontend for Vercel: its page, a module calling its APIs through the /api
    rewrites of its vercel.json, and a test of that module."""
    common = {"ctx": ctx, "c": comp, "apis": vercel.apis(comp)}
    package = {
        "name": str(comp.dns),
        "version": FIRST_VERSION,
        "private": True,
        "type": "module",
        "scripts": {"test": "node --test"},
    }
    return {
        "package.json": json_doc(package),
        "vercel.json": json_doc(vercel.vercel_json(ctx, comp)),
        "index.html": render("scaffold/web/index.html.j2", **common),
        "src/api.js": render("scaffold/web/api.js.j2", **common),
        "src/main.js": render("scaffold/web/main.js.j2", **common),
        "test/api.test.js": render("scaffold/web/api.test.js.j2", **common),
    }


def architecture_text(path: Path, text: str, name: str | None = None) -> str | None:
    """What the repository keeps as ``architecture.arch.yaml``, the file it is exported again from.

    An architecture file is kept as written. Compose, Terraform and Kubernetes files are not
    architecture files, so the repository gets what ``archls import`` makes of the file on disk
    instead (None when that reads nothing).
    """
    if is_arch_file(str(path)):
        return text
    from archls import importer

    imported = importer.build([str(path)], name)
    return importer.render(imported) if imported.sources else None


def files_for(model: Architecture, source_text: str | None = None, graph: ArchGraph | None = None) -> dict[str, str]:
    ctx = build(model, graph)
    files: dict[str, str] = {"README.md": docs.readme_text(ctx, scaffold=True)}
    files[layout.COMPOSE] = yaml_docs(
        [compose.compose_doc(ctx, build_root=f"./{layout.SERVICES}")], compose.header(ctx)
    )
    for comp in ctx.services:
        if comp.team_code:
            for rel, content in service_files(ctx, comp).items():
                files[f"{layout.SERVICES}/{comp.dns}/{rel}"] = content
    for comp in vercel.frontends(ctx):
        for rel, content in frontend_files(ctx, comp).items():
            files[f"{layout.WEB}/{comp.dns}/{rel}"] = content
    placed = {
        "github-actions": "",
        "terraform-aws": layout.TERRAFORM,
        "kubernetes": layout.KUBERNETES,
        "prisma": layout.PRISMA,
        "nginx": layout.NGINX,
    }
    for name, folder in placed.items():
        target = get(name)
        assert target is not None
        for rel, content in target.render(ctx).items():
            files[f"{folder}/{rel}" if folder else rel] = content
    files[".gitignore"] = ".env\n.terraform/\n*.tfstate\n*.tfstate.*\nnode_modules/\n__pycache__/\n.venv/\n"
    if source_text is not None:
        files["architecture.arch.yaml"] = source_text
    return files


def scaffold(
    model: Architecture,
    out: Path,
    *,
    source_text: str | None = None,
    graph: ArchGraph | None = None,
    git: bool = False,
    push: str | None = None,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
) -> list[Path]:
    """Write the repository under ``out``; optionally commit it and push it to ``push``
    (:func:`publish` then creates a GitHub repository for it)."""
    root = Path(os.path.abspath(out))
    if root.exists() and any(root.iterdir()) and not force:
        raise ScaffoldError(f"{root} is not empty; choose an empty folder (or --force to write over it)")
    if (git or push) and (root / ".git").exists():
        raise ScaffoldError(f"{root} already holds a git repository")
    if progress:
        progress("rendering")
    files = files_for(model, source_text, graph)
    if progress:
        progress("writing")
    written = write_tree(root, files)
    if git or push:
        if progress:
            progress("committing")
        commit(root, f"Scaffold {model.name} from its architecture"[:200])
    if push:
        if progress:
            progress("pushing")
        _git(root, "push", "--quiet", push, "HEAD:refs/heads/main")
    return written


def publish(
    root: Path, model: Architecture, full_name: str, token: str, progress: Callable[[str], None] | None = None
) -> str:
    """Create ``full_name`` on GitHub, push the commit to it and make it the ``origin`` remote."""
    from archls.export import github as hub

    if progress:
        progress("creating the GitHub repository")
    try:
        repo = hub.create(full_name, token, description=f"{model.name}, scaffolded by archls")
    except hub.GitHubError as exc:
        raise ScaffoldError(f"{exc} (the commit is in {root})") from exc
    if progress:
        progress("pushing")
    try:
        _git(root, "push", "--quiet", repo.clone_url, "HEAD:refs/heads/main", extra=hub.push_environment(token))
    except ScaffoldError as exc:
        raise ScaffoldError(hub.scrub(f"{exc} ({repo.html_url} was created)", token)) from None
    _git(root, "remote", "add", "origin", repo.clone_url)
    return repo.html_url


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        {
            "GIT_AUTHOR_NAME": AUTHOR[0],
            "GIT_AUTHOR_EMAIL": AUTHOR[1],
            "GIT_COMMITTER_NAME": AUTHOR[0],
            "GIT_COMMITTER_EMAIL": AUTHOR[1],
            "GIT_AUTHOR_DATE": COMMIT_DATE,
            "GIT_COMMITTER_DATE": COMMIT_DATE,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_TERMINAL_PROMPT": "0",
        }
    )
    return env


def _git(root: Path, *args: str, extra: dict[str, str] | None = None) -> str:
    command = ["git", "-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null", *args]
    env = {**_env(), **(extra or {})}
    try:
        done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=120, check=False)
    except FileNotFoundError as exc:
        raise ScaffoldError("git is not installed") from exc
    except subprocess.TimeoutExpired as exc:
        raise ScaffoldError(f"git {args[0]} took too long") from exc
    if done.returncode != 0:
        raise ScaffoldError(f"git {args[0]} failed: {(done.stderr or done.stdout).strip()[:500]}")
    return done.stdout


def commit(root: Path, message: str) -> str:
    _git(root, "init", "--quiet", "--initial-branch=main")
    _git(root, "add", "--all")
    _git(root, "commit", "--quiet", "--no-verify", "-m", message)
    return _git(root, "rev-parse", "HEAD").strip()
