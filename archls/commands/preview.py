"""`archls preview FILE`: the architecture as a live page in the browser, redrawn on every save;
`--html OUT.html` writes a self-contained page instead (chaos mode with every single failure).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "preview", help="the architecture as an interactive diagram: live in the browser, or a saved page"
    )
    parser.add_argument("file", metavar="FILE", help="an architecture, compose, Terraform or Kubernetes file")
    parser.add_argument("--html", metavar="OUT", help="write a self-contained page to OUT instead of serving it")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 to serve on (default: a free one)")
    parser.add_argument("--no-browser", action="store_true", help="print the address instead of opening a browser")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from archls.cli import UsageError
    from archls.commands.loadtest import load_file
    from archls.preview import page, scene

    analysis = load_file(args.file)
    if args.html:
        out = Path(args.html)
        if out.resolve() == Path(args.file).resolve():
            raise UsageError(f"refusing to write the page over {args.file}")
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

    return serve_file(Path(args.file), port=args.port, open_browser=not args.no_browser, out=sys.stdout)
