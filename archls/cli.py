"""The command line. Each subcommand translates arguments into engine calls and prints the result."""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import json
import os
import pkgutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from archls import __version__

if TYPE_CHECKING:
    from archls.batch.prefetch import Prefetch

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
FAIL_LEVELS = {"error": 3, "warning": 2, "info": 1, "hint": 0, "never": 99}


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    """Usage errors as one line that says what is wrong and where the help is, exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message}; see '{self.prog} --help'\n")


def _error(message: str) -> None:
    from archls.terminal import printable

    print(f"archls: {printable(message, keep='')}", file=sys.stderr)


def cmd_check(args: argparse.Namespace) -> int:
    prefetch = None
    if _starting and not args.jobs:
        # the program itself, on a run that may stay in one process: Terraform parsed on another core
        from archls.batch import prefetch as prefetching

        prefetch = prefetching.start(args.paths)
    try:
        from archls import codecache

        # The program itself keeps the code it compiles for the next run (archls/codecache.py).
        with codecache.kept() if _starting else contextlib.nullcontext():
            return _check(args, prefetch)
    finally:
        if prefetch is not None:
            prefetch.close()


def _check(args: argparse.Namespace, prefetch: Prefetch | None) -> int:
    from archls import config as configuration
    from archls import report
    from archls.analysis.text import plural
    from archls.batch.baseline import BaselineError
    from archls.batch.check import Options, check
    from archls.findings import Severity
    from archls.paths import display_path

    if args.statistics and args.format in {"sarif", "github"}:
        raise UsageError(
            f"--statistics counts findings as text or JSON; it does not combine with --format {args.format}"
        )
    if args.write_baseline and not args.baseline:
        raise UsageError("--write-baseline needs --baseline FILE to say where the baseline goes")
    for option, target in (("--output", args.output), ("--summary", args.summary)):
        if target:
            writable(target, option)
    if args.baseline and args.write_baseline:
        writable(args.baseline, "--baseline")
    select, ignore = codes(args.select, "--select"), codes(args.ignore, "--ignore")
    try:
        base = configuration.build(json.loads(args.config_json)) if args.config_json else None
    except (configuration.ConfigError, json.JSONDecodeError) as exc:
        raise UsageError(str(exc)) from exc

    def config_for(path: str) -> configuration.Config:
        try:
            return base or configuration.for_path(path)
        except configuration.ConfigError as exc:
            raise UsageError(str(exc)) from exc

    options = Options(
        exclude=[p for raw in args.exclude for p in raw.split(",") if p.strip()],
        select=select,
        ignore=ignore,
        fix=args.fix,
        compliance=args.compliance,
        baseline=Path(args.baseline) if args.baseline else None,
        write_baseline=args.write_baseline,
        workers=args.jobs or None,
        progress=True,  # shown only when standard error is a terminal and the run lasts over a second
        config_for=config_for,
    )
    if prefetch is not None:
        prefetch.collect()
    _started()
    try:
        checked = check(args.paths, options)
    except BaselineError as exc:
        raise UsageError(str(exc)) from exc
    except OSError as exc:
        raise UsageError(f"cannot write {exc.filename or 'the output'}: {exc.strerror or exc}") from exc
    for problem in checked.errors:
        _error(problem)
    if checked.files == 0 and not checked.errors:
        where = ", ".join(args.paths)
        left_out = f" ({plural(len(checked.excluded), 'path')} left out by --exclude)" if checked.excluded else ""
        _error(f"no architecture, compose, Terraform or Kubernetes files found in {where}{left_out}")
        return EXIT_USAGE

    items = checked.findings
    if args.format == "text":
        output = report.text(checked, statistics=args.statistics)
    elif args.format == "json" and args.statistics:
        output = json.dumps(report.statistics(items), indent=2) + "\n"
    elif args.format == "json":
        # notes on what was not audited keep their place among the findings, as their rule codes say
        listed = sorted([*items, *checked.not_audited], key=report.sort_key)
        if args.compliance:
            models = {display_path(m.name): m.compliance for m in checked.models if m.compliance is not None}
            output = json.dumps({"findings": [report.as_dict(i) for i in listed], "compliance": models}, indent=2)
            output += "\n"
        else:
            output = report.as_json(listed)
    elif args.format == "sarif":
        output = report.sarif(items, checked.not_audited)
    else:
        output = report.github(items, checked.not_audited)

    if checked.errors:
        code = EXIT_USAGE
    else:
        threshold = FAIL_LEVELS[args.fail_on]
        code = EXIT_FINDINGS if any(Severity(i.finding.severity).rank >= threshold for i in items) else EXIT_OK
        if args.write_baseline:
            code = EXIT_OK
    try:
        if args.output:
            Path(args.output).write_text(output, encoding="utf-8")
        else:
            sys.stdout.write(output)
        if args.summary:
            text = json.dumps(report.summary(checked, code), indent=2) + "\n"
            Path(args.summary).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {exc.filename or 'the report'}: {exc.strerror or exc}") from exc
    return code


def writable(target: str, option: str) -> None:
    """Fail before any work when ``target`` cannot be written as a file."""
    path = Path(target)
    if path.is_dir():
        raise UsageError(f"{option} {target} is a folder; name a file in it")
    parent = path.parent
    if not parent.is_dir():
        raise UsageError(f"{option} {target}: the folder {parent} does not exist")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise UsageError(f"{option} {target}: permission denied")


def codes(values: Sequence[str] | None, option: str) -> list[str]:
    """Rule codes, categories or code prefixes from ``--select SEC,QUAL001``; an unknown one is a usage error."""
    from archls.rules.registry import REGISTRY, Category, load_rules

    load_rules()
    out = []
    for raw in values or ():
        for token in raw.split(","):
            token = token.strip().upper()
            if not token:
                continue
            if token not in Category.__members__ and not any(code.startswith(token) for code in REGISTRY):
                raise UsageError(f"{option}: no rule or category '{token}'; 'archls rules --all' lists them")
            out.append(token)
    return out


def _count(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{number} is not a number of processes (1 or more)")
    return number


def cmd_serve(args: argparse.Namespace) -> int:
    from archls.server import run

    run(tcp=args.tcp)
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    from archls import schema

    files = schema.generated(catalog=args.catalog)
    if args.check:
        for path, text in files.items():
            current = path.read_text(encoding="utf-8") if path.exists() else ""
            if current != text:
                _error(f"{path} is stale; run 'archls schema --write'")
                return EXIT_FINDINGS
        return EXIT_OK
    if args.write:
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
        return EXIT_OK
    text = schema.render_catalog() if args.catalog else schema.render_schema()
    sys.stdout.write(text)
    return EXIT_OK


def cmd_rules(args: argparse.Namespace) -> int:
    from archls.rules.registry import all_codes

    codes = [c for c in all_codes() if args.all or c.is_rule]
    if args.category:
        known = sorted({c.category.value for c in all_codes()})
        if args.category.upper() not in known:
            raise UsageError(f"--category: no category '{args.category}'; the categories are {', '.join(known)}")
        codes = [c for c in codes if c.category.value == args.category.upper()]
    if args.format == "json":
        rows = [
            {
                "id": c.id,
                "title": c.title,
                "category": c.category.value,
                "severity": c.severity.value,
                "has_fix": c.fixable,
            }
            for c in codes
        ]
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return EXIT_OK
    for c in codes:
        print(f"{c.id:<8} {c.severity.value:<8} {'fix' if c.fixable else '   '}  {c.title}")
    print(f"\n{len(codes)} {('code' if args.all else 'rule') + ('' if len(codes) == 1 else 's')}")
    return EXIT_OK


def cmd_rule(args: argparse.Namespace) -> int:
    from archls import report
    from archls.rules.registry import get

    code = get(args.id)
    if code is None:
        raise UsageError(f"no rule '{args.id}'; 'archls rules --all' lists them")
    sys.stdout.write(report.rule_text(code))
    return EXIT_OK


def cmd_docs(args: argparse.Namespace) -> int:
    from archls import docs

    changed = docs.write_rule_docs(Path(args.out), check=args.check)
    if args.check and changed:
        _error(f"{len(changed)} rule pages in {args.out} are stale; run 'archls docs'")
        return EXIT_FINDINGS
    if not args.check:
        print(f"wrote {len(changed)} changed pages to {args.out}")
    return EXIT_OK


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser; with ``command`` "check" or "serve", only as much as that command
    needs (importing every command module to add its options is part of a check's start, and of the
    language server's, which an editor waits for)."""
    parser = Parser(
        prog="archls",
        description="Architecture-as-code audits: a language server and a CLI for architecture, compose, "
        "Terraform and Kubernetes files.",
    )
    parser.add_argument("--version", action="version", version=f"archls {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser(
        "check",
        help="audit files and folders",
        description="Audit files and folders. A Terraform module, a folder of Kubernetes manifests and a compose "
        "file with its override are each audited once, as one architecture; the findings of the files asked for "
        "are reported, once each, sorted by file, line and column. Exit codes: 0 nothing at or above --fail-on, "
        "1 findings at or above it, 2 bad usage or files that cannot be read.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("paths", nargs="+", metavar="PATH", help="files, or folders searched recursively")
    check.add_argument("--format", choices=["text", "json", "sarif", "github"], default="text")
    check.add_argument(
        "--fail-on",
        choices=list(FAIL_LEVELS),
        default="error",
        help="exit with 1 when a finding is at or above this severity (default: error)",
    )
    check.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE instead of standard output")
    check.add_argument(
        "--select",
        action="append",
        metavar="CODES",
        help="report only these rules, categories or code prefixes (comma-separated, e.g. SEC,QUAL001), "
        "instead of the configured selection",
    )
    check.add_argument(
        "--ignore", action="append", metavar="CODES", help="leave out these rules, categories or code prefixes too"
    )
    check.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="PATTERNS",
        help="leave out files and folders matching these .gitignore-style patterns (comma-separated; e.g. "
        "'examples/,*.generated.yaml'), even when named; modules and manifests around them are still read",
    )
    check.add_argument("--statistics", action="store_true", help="count the findings per rule instead of listing them")
    check.add_argument(
        "--baseline",
        metavar="FILE",
        help="report only findings FILE does not list, so that a build fails on new ones alone; findings are "
        "recognised by rule, file, resource or key and message, not by line",
    )
    check.add_argument(
        "--write-baseline", action="store_true", help="write every current finding to the --baseline FILE and exit 0"
    )
    check.add_argument(
        "--summary",
        metavar="FILE",
        help="also write a JSON summary to FILE: counts per severity and rule, grade and cost per model, "
        "what was not audited, the exit code",
    )
    check.add_argument("--fix", action="store_true", help="apply every safe fix to the files, then report what remains")
    check.add_argument(
        "--compliance", action="store_true", help="print which controls of the listed frameworks pass and fail"
    )
    check.add_argument(
        "-j",
        "--jobs",
        type=_count,
        default=0,
        metavar="N",
        help="worker processes (default: one per core; 1 audits in this process)",
    )
    check.add_argument("--config-json", help=argparse.SUPPRESS)
    check.set_defaults(func=cmd_check)
    if command == "check":
        return parser

    serve = sub.add_parser("serve", help="run the language server (stdio by default)")
    serve.add_argument("--stdio", action="store_true", help="speak LSP on standard input and output (default)")
    serve.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP port instead")
    serve.set_defaults(func=cmd_serve)
    if command == "serve":
        return parser

    schema = sub.add_parser("schema", help="print or regenerate the JSON Schema of the architecture format")
    group = schema.add_mutually_exclusive_group()
    group.add_argument(
        "--write", action="store_true", help="write schemas/architecture.schema.json and the package's copy"
    )
    group.add_argument("--check", action="store_true", help="exit 1 when the committed schema is stale")
    schema.add_argument(
        "--catalog",
        action="store_true",
        help="the SchemaStore-style catalog entry (with --write: schemas/catalog.json)",
    )
    schema.set_defaults(func=cmd_schema)

    rules = sub.add_parser("rules", help="list the audit rules")
    rules.add_argument("--format", choices=["text", "json"], default="text")
    rules.add_argument("--category", help="only this category (SEC, CMP, PERF, COST, VULN, QUAL, LOAD, REL, ARCH)")
    rules.add_argument("--all", action="store_true", help="include loader codes (ARCH)")
    rules.set_defaults(func=cmd_rules)

    rule = sub.add_parser("rule", help="print the documentation of one rule")
    rule.add_argument("id", metavar="ID")
    rule.set_defaults(func=cmd_rule)

    docs = sub.add_parser("docs", help="generate the rule documentation pages")
    docs.add_argument("--out", default="docs/rules", help="folder for the pages (default docs/rules)")
    docs.add_argument("--check", action="store_true", help="exit 1 when the pages are stale")
    docs.set_defaults(func=cmd_docs)

    # Further commands live in archls/commands/, one module each with register(subparsers).
    from archls import commands

    for module in sorted(m.name for m in pkgutil.iter_modules(commands.__path__)):
        importlib.import_module(f"archls.commands.{module}").register(sub)
    return parser


#: True while the program's start-up runs with the cyclic garbage collector paused (see main).
_starting = False


def _started() -> None:
    """Start-up is over: what it made is frozen out of the collector's way and collection resumes."""
    global _starting
    if _starting:
        _starting = False
        gc.freeze()
        gc.enable()


def main(argv: Sequence[str] | None = None) -> int:
    global _starting
    if argv is None:
        # The program itself (not a caller in its own process). pydantic looks for plugins in every
        # installed distribution's entry points when the first model class is made (some 25 ms of a
        # start): archls's models are its own, and nothing the program runs is meant to be observed
        # by a plugin.
        os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    if argv is None and gc.isenabled():
        # Importing what a command needs makes some 150,000 objects that live as long as the process
        # and next to no garbage, and the cyclic collector would walk them again and again (as in the
        # server's start). It stays off until the command has imported what it needs (`check`: see
        # cmd_check), then they are frozen.
        gc.disable()
        _starting = True
    try:
        words = sys.argv[1:] if argv is None else list(argv)
        if words == ["serve"]:
            # What every editor runs, on the way to its first squiggle: the parser's answer, without
            # building a parser (its help formatter alone imports shutil, bz2 and lzma).
            args = argparse.Namespace(func=cmd_serve, tcp=None)
        else:
            parser = build_parser(words[0] if words[:1] in (["check"], ["serve"]) else None)
            args = parser.parse_args(argv)
            if not getattr(args, "func", None):
                parser.print_help()
                return EXIT_USAGE
        if args.func is not cmd_check:
            _started()
        try:
            return int(args.func(args))
        except UsageError as exc:
            _error(str(exc))
            return EXIT_USAGE
        except BrokenPipeError:
            return EXIT_OK
        except KeyboardInterrupt:
            return 130
    finally:
        _started()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
