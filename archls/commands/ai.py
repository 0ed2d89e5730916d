"""`archls ai status`: which assistant backend is active, and why."""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("ai", help="the assistant's backend: which is active and why")
    sub = parser.add_subparsers(dest="ai_command", metavar="COMMAND")
    status = sub.add_parser("status", help="say which backend is active (offline or Anthropic) and why")
    status.add_argument("--format", choices=["text", "json"], default="text")
    status.set_defaults(func=run_status)
    parser.set_defaults(func=run_status, format="text")


def run_status(args: argparse.Namespace) -> int:
    from archls.assistant.backend import Settings, choose

    settings = Settings.from_env()
    choice = choose(settings)
    info = {
        "backend": choice.backend.name,
        "reason": choice.reason,
        "model": settings.model if choice.backend.name == "anthropic" else None,
        "base_url": settings.base_url,
        "key_set": bool(settings.api_key),
    }
    if args.format == "json":
        sys.stdout.write(json.dumps(info, indent=2) + "\n")
        return 0
    print(f"backend: {choice.backend.name}")
    print(f"why: {choice.reason}")
    if choice.backend.name == "anthropic":
        print(f"model: {settings.model}")
        print(f"endpoint: {settings.base_url or 'https://api.anthropic.com (the SDK default)'}")
        print("sent: descriptions, files and findings you ask about, with secret-looking values redacted")
    else:
        print("sent: nothing; everything runs on this machine")
    return 0
