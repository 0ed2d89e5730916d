"""`archls generate "DESCRIPTION" -o FILE` / `archls generate --from spec.md`: an architecture from
a description, by the offline backend or (with a key) Anthropic's models.

The file is written only at the path given with ``-o`` (never over an existing file without
``--force``); without ``-o`` the architecture goes to standard output. ``--show-request`` prints
exactly what would be sent to the model and sends nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

#: A description longer than this is not a description (a whole repository pasted by mistake).
MAX_DESCRIPTION = 200_000


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "generate", help="describe a system in words and get an architecture file (offline, or Anthropic with a key)"
    )
    parser.add_argument(
        "description", nargs="?", metavar="DESCRIPTION", help="what the system does, its scale and needs"
    )
    parser.add_argument(
        "--from", dest="source", metavar="FILE", help="read the description from a Markdown or text file ('-': stdin)"
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write the architecture here (default: standard output)")
    parser.add_argument("--force", action="store_true", help="overwrite the output file if it exists")
    parser.add_argument(
        "--backend", choices=["auto", "offline", "anthropic"], help="which backend drafts (default: auto, from the key)"
    )
    parser.add_argument("--model", help="the Claude model (default: archls.ai.model / ARCHLS_AI_MODEL)")
    parser.add_argument(
        "--show-request", action="store_true", help="print exactly what would be sent to the model, and send nothing"
    )
    parser.set_defaults(func=run)


def _description(args: argparse.Namespace) -> str:
    from archls.cli import UsageError

    if args.source and args.description:
        raise UsageError("give a description or --from FILE, not both")
    if args.source:
        try:
            data = sys.stdin.buffer.read() if args.source == "-" else Path(args.source).read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read {args.source}: {exc.strerror or exc}") from exc
        text = data.decode("utf-8", errors="replace")
    elif args.description:
        text = args.description
    else:
        raise UsageError('describe the system: archls generate "a chat app for 1M users..." or --from spec.md')
    if not text.strip():
        raise UsageError("the description is empty")
    if len(text) > MAX_DESCRIPTION:
        raise UsageError(f"the description has {len(text):,} characters; at most {MAX_DESCRIPTION:,} are read")
    return text


def run(args: argparse.Namespace) -> int:
    from archls.assistant.anthropic_backend import draft_request
    from archls.assistant.backend import Settings, choose
    from archls.assistant.brief import parse
    from archls.assistant.generate import generate
    from archls.assistant.privacy import redact_text
    from archls.cli import EXIT_OK, UsageError

    text = _description(args)
    settings = Settings.from_env()
    if args.backend:
        settings.backend = args.backend
    if args.model:
        settings.model = args.model
    if args.backend == "anthropic" and not settings.api_key:
        raise UsageError("--backend anthropic needs ANTHROPIC_API_KEY")
    if args.show_request:
        request = draft_request(settings.model, parse(redact_text(text)))
        sys.stdout.write(json.dumps(request, indent=2) + "\n")
        choice = choose(settings)
        if choice.backend.name == "offline":
            print(f"archls: nothing is sent: {choice.reason}", file=sys.stderr)
        return EXIT_OK
    out = Path(args.output) if args.output else None
    if out is not None:
        if out.exists() and not args.force:
            raise UsageError(f"{out} exists; use --force to overwrite it")
        if out.is_dir():
            raise UsageError(f"{out} is a folder; give a file name")
        if not out.parent.is_dir():
            raise UsageError(f"{out.parent} does not exist")
    choice = choose(settings)
    print(f"archls: generating with the {choice.backend.name} backend ({choice.reason})", file=sys.stderr)
    result = generate(text, backend=choice.backend)
    for note in result.notes:
        print(f"archls: {note}", file=sys.stderr)
    if out is None:
        sys.stdout.write(result.text)
    else:
        out.write_text(result.text, encoding="utf-8")
        print(f"wrote {out}", file=sys.stderr)
    errors = result.errors
    summary = f"grade {result.grade}; {len(errors)} error finding{'s' if len(errors) != 1 else ''}"
    print(f"archls: {summary} (archls check {out or 'FILE'} lists them)", file=sys.stderr)
    return EXIT_OK
