"""Subcommands beyond the core ones, one module each exposing ``register(subparsers)``.

A module adds its parser and sets ``func`` to a function taking the parsed arguments and
returning the exit code; raise ``archls.cli.UsageError`` for bad usage (exit 2).
"""
