"""The command line. Each subcommand translates arguments into engine calls and prints the result."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from archls import __version__, engine, fixes
from archls import compliance as compliance_status
from archls import config as configuration
from archls.findings import Severity

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
SKIP_DIRS = frozenset({".git", ".hg", ".svn", ".venv", "venv", "node_modules", ".terraform", "__pycache__", ".tox"})
FAIL_LEVELS = {"error": 3, "warning": 2, "info": 1, "hint": 0, "never": 99}


class UsageError(Exception):
    pass


def _error(message: str) -> None:
    print(f"archls: {message}", file=sys.stderr)


def discover(paths: Sequence[str]) -> Iterator[tuple[Path, bool]]:
    """Files archls reads under ``paths``; the flag says whether the path was named explicitly."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
                for name in sorted(files):
                    candidate = Path(root) / name
                    if _claimed(candidate):
                        yield candidate, False
        else:
            yield path, True


def _claimed(path: Path) -> bool:
    if engine.claims(str(path)):
        return True
    if path.suffix.lower() not in {".yaml", ".yml", ".json", ".tf"}:
        return False
    try:
        with path.open("rb") as handle:
            head = handle.read(65536).decode("utf-8", errors="replace")
    except OSError:
        return False
    return engine.claims(str(path), head)


def cmd_check(args: argparse.Namespace) -> int:
    from archls import report

    try:
        base = configuration.build(json.loads(args.config_json)) if args.config_json else None
    except (configuration.ConfigError, json.JSONDecodeError) as exc:
        raise UsageError(str(exc)) from exc
    items: list[report.Located] = []
    unreadable = 0
    files = 0
    summary: list[str] = []  # grades, fixes applied, compliance tables (text output)
    compliance: dict[str, object] = {}
    for path, explicit in discover(args.paths):
        try:
            data = path.read_bytes()
        except OSError as exc:
            _error(f"cannot read {path}: {exc.strerror or exc}")
            unreadable += 1
            continue
        text, bad_bytes = engine.decode(data)
        try:
            cfg = base or configuration.for_path(path)
        except configuration.ConfigError as exc:
            raise UsageError(str(exc)) from exc
        if explicit and not engine.claims(str(path), text):
            _error(f"{path}: not a file archls reads (architecture, compose, Terraform or Kubernetes)")
            unreadable += 1
            continue
        files += 1
        if bad_bytes is not None:
            items.append(report.Located(str(path), bad_bytes))
            continue
        analysis = engine.analyse(text, str(path), cfg)
        if args.fix:
            analysis, note = fixes.fix_file(path, data, analysis)
            summary.extend(note)
        items.extend(report.Located(f.file or str(path), f) for f in analysis.findings)
        summary.extend(_grade_line(path, analysis))
        if args.compliance:
            statuses = compliance_status.status(analysis)
            compliance[report.display_path(str(path))] = compliance_status.as_json(statuses)
            summary.extend(compliance_status.render(report.display_path(str(path)), statuses))
        if args.format == "text":
            from archls.commands.cost import summary_line

            summary.extend(line for line in [summary_line(str(path), analysis)] if line)
    if files == 0 and unreadable == 0:
        _error("no architecture, compose, Terraform or Kubernetes files found in " + ", ".join(args.paths))
        return EXIT_USAGE
    # A Terraform module or a folder of manifests is read whole from each of its files, so a finding
    # about one file can come from the audit of another: keep each once.
    unique = {(i.file, i.finding.code, i.finding.range, i.finding.message): i for i in items}
    items = sorted(unique.values(), key=lambda i: (i.file, i.finding.sort_key()))
    renderers = {
        "text": lambda: report.text(items, files, summary_lines=summary),
        "json": lambda: report.as_json(items) if not args.compliance else _json_with(items, compliance),
        "sarif": lambda: report.sarif(items),
        "github": lambda: report.github(items),
    }
    output = renderers[args.format]()
    if args.output:
        Path(args.output).write_text(output, encoding="utf-8")
    else:
        sys.stdout.write(output)
    if unreadable:
        return EXIT_USAGE
    threshold = FAIL_LEVELS[args.fail_on]
    failing = any(Severity(i.finding.severity).rank >= threshold for i in items)
    return EXIT_FINDINGS if failing else EXIT_OK


def _grade_line(path: Path, analysis: engine.Analysis) -> list[str]:
    from archls import report
    from archls.analysis.grade import grade

    if analysis.model is None:
        return []
    return [f"Grade of {report.display_path(str(path))}: {grade(analysis.findings, analysis.model).summary()}"]


def _json_with(items: list, compliance: dict[str, object]) -> str:
    from archls import report

    rows = [report.as_dict(i) for i in items]
    return json.dumps({"findings": rows, "compliance": compliance}, indent=2) + "\n"


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
    print(f"\n{len(codes)} {'codes' if args.all else 'rules'}")
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="archls",
        description="Architecture-as-code audits: a language server and a CLI for architecture, compose, "
        "Terraform and Kubernetes files.",
    )
    parser.add_argument("--version", action="version", version=f"archls {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", help="audit files and folders")
    check.add_argument("paths", nargs="+", metavar="PATH", help="files, or folders searched recursively")
    check.add_argument("--format", choices=["text", "json", "sarif", "github"], default="text")
    check.add_argument(
        "--fail-on",
        choices=list(FAIL_LEVELS),
        default="error",
        help="exit with 1 when a finding is at or above this severity (default: error)",
    )
    check.add_argument("-o", "--output", help="write the report to this file instead of standard output")
    check.add_argument("--fix", action="store_true", help="apply every safe fix to the files, then report what remains")
    check.add_argument(
        "--compliance", action="store_true", help="print which controls of the listed frameworks pass and fail"
    )
    check.add_argument("--config-json", help=argparse.SUPPRESS)
    check.set_defaults(func=cmd_check)

    serve = sub.add_parser("serve", help="run the language server (stdio by default)")
    serve.add_argument("--stdio", action="store_true", help="speak LSP on standard input and output (default)")
    serve.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP port instead")
    serve.set_defaults(func=cmd_serve)

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


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except UsageError as exc:
        _error(str(exc))
        return EXIT_USAGE
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
