"""`archls preview FILE`: the architecture as a live page in the browser, redrawn on every save;
`--html OUT.html` writes a self-contained page instead (chaos mode with every single failure).
"""

from __future__ import annotations

import argparse
import errno
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "preview", help="the architecture as an interactive diagram: live in the browser, or a saved page"
    )
    parser.add_argument("file", metavar="FILE", help="an architecture, compose, Terraform or Kubernetes file")
    parser.add_argument("--html", metavar="OUT", help="write a self-contained page to OUT instead of serving it")
    parser.add_argument(
        "--port", type=_port, default=0, help="port on 127.0.0.1 to serve on, 1-65535 (default: a free one)"
    )
    parser.add_argument("--no-browser", action="store_true", help="print the address instead of opening a browser")
    parser.set_defaults(func=run)


#: Why a port cannot be listened on: taken, or reserved for the administrator.
_BIND_ERRORS = frozenset({errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL})


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port: give 1-65535, or 0 for a free one")
    return port


def run(args: argparse.Namespace) -> int:
    from archls.cli import UsageError
    from archls.commands.loadtest import entry_file, load_file, read_paths
    from archls.preview import page, scene

    entry = entry_file(args.file)
    analysis = load_file(args.file)
    if args.html:
        out = Path(args.html)
        if out.resolve() in read_paths(analysis):
            raise UsageError(f"refusing to write the page over {out}, a file of the architecture drawn")
        if out.is_dir():
            raise UsageError(f"{out} is a folder; name the page's file, e.g. {out / 'architecture.html'}")
        html = page.render(analysis, scene.build(analysis), mode="static")
        try:
            out.write_text(html, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {out}: {exc.strerror or exc}") from exc
        print(f"wrote {out}")
        return 0
    from archls.preview.server import serve_file

    try:
        return serve_file(Path(entry), port=args.port, open_browser=not args.no_browser, out=sys.stdout)
    except OSError as exc:
        if exc.errno not in _BIND_ERRORS:
            raise
        raise UsageError(
            f"cannot serve on 127.0.0.1:{args.port}: {exc.strerror or exc}; "
            "name another --port, or leave it out for a free one"
        ) from exc
