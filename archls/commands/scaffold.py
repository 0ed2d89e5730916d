"""``archls scaffold``: a starting repository from an architecture, optionally committed and pushed."""

from __future__ import annotations

import argparse
from pathlib import Path

from archls.cli import EXIT_OK, UsageError


def cmd_scaffold(args: argparse.Namespace) -> int:
    from archls import export
    from archls.analysis.text import plural
    from archls.export import github, scaffold

    file = Path(args.file)
    url = None
    try:
        token = None
        if args.github:  # checked before anything is written
            github.parse_name(args.github)
            token = github.token_from()
        text = export.read(file)
        model, graph = export.parse(file, text)
        written = scaffold.scaffold(
            model,
            Path(args.output),
            source_text=scaffold.architecture_text(file, text, model.name),
            graph=graph,
            git=args.git or bool(args.github),
            push=args.push,
            force=args.force,
        )
        if args.github and token:
            url = scaffold.publish(Path(args.output).absolute(), model, args.github, token)
    except github.GitHubError as exc:
        raise UsageError(str(exc)) from exc
    except (export.ExportError, export.UnsafePath, scaffold.ScaffoldError) as exc:
        raise UsageError(str(exc)) from exc
    except OSError as exc:
        raise UsageError(f"cannot write to {args.output}: {exc.strerror or exc}") from exc
    print(f"wrote {plural(len(written), 'file')} to {args.output}")
    if args.git or args.push or url:
        print("committed" + (f" and pushed to {args.push}" if args.push else ""))
    if url:
        print(f"created and pushed {url}")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "scaffold",
        help="write a starting repository for an architecture",
        description="Write one repository: README, compose, a folder per service with a Dockerfile and the "
        "clients it needs, CI, Terraform, Kubernetes, Prisma and nginx.",
    )
    parser.add_argument("file", metavar="FILE", help="the architecture file")
    parser.add_argument("-o", "--output", metavar="DIR", required=True, help="an empty or new folder")
    parser.add_argument("--git", action="store_true", help="initialise a git repository with one commit")
    parser.add_argument("--push", metavar="REMOTE", help="push the commit to this remote (URL or path); implies --git")
    parser.add_argument(
        "--github",
        metavar="OWNER/NAME",
        help="create this private repository on GitHub (token from GITHUB_TOKEN or GH_TOKEN) and push to it; "
        "implies --git",
    )
    parser.add_argument("--force", action="store_true", help="write into a folder that is not empty")
    parser.set_defaults(func=cmd_scaffold)
