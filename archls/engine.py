"""The one seam: (text, path, config) -> model, source map, findings.

The server, the CLI and every later feature call :func:`analyse` and nothing beneath it.
Results are cached by content, so the hover, code lens and code action requests that follow
an edit reuse the audit the diagnostics already paid for.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import traceback
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from archls import suppress, tracking
from archls.config import Config
from archls.findings import FILE_START, UNREADABLE, Finding, Range, Severity
from archls.formats import FileReader, Format, LoadContext, Loaded, detect
from archls.rules.registry import Code, Hit, RuleContext, all_codes

if TYPE_CHECKING:
    from archls.graph import ArchGraph
    from archls.model import Architecture

log = logging.getLogger(__name__)

#: Called with (rule id, exception text) when a rule raises; the server logs it to the client.
ErrorSink = Callable[[str, str], None]


@dataclass(slots=True)
class RuleRun:
    hits: list[Hit]
    #: None when the rule failed: it runs again next time.
    reads: frozenset[tracking.Read] | None


@dataclass
class Analysis:
    path: str
    text: str
    config: Config
    format: str | None
    loaded: Loaded | None
    findings: list[Finding] = field(default_factory=list)
    rule_context: RuleContext | None = None
    #: Other files the format read (a Terraform module's siblings, a compose override), path -> digest
    #: of the text read, so a cached result is reused only while they are unchanged.
    inputs: dict[str, str | None] = field(default_factory=dict)
    #: Each rule's hits and what it read, so the next audit of this path re-runs only the rules
    #: whose inputs an edit changed (see :mod:`archls.tracking`).
    runs: dict[str, RuleRun] = field(default_factory=dict, repr=False)

    @property
    def model(self) -> Architecture | None:
        return self.loaded.model if self.loaded else None

    @cached_property
    def lines(self) -> list[str]:
        """The text split at line feeds, once for all the editor requests on it (read, never modify)."""
        return self.text.split("\n")

    @cached_property
    def graph(self) -> ArchGraph | None:
        if self.rule_context is not None:
            return self.rule_context.graph
        if self.model is None:
            return None
        from archls.graph import ArchGraph

        return ArchGraph(self.model)

    def locate(self, path: tuple[Any, ...]) -> Range:
        return self.loaded.locate(path) if self.loaded else FILE_START


def claims(path: str, text: str | None = None) -> bool:
    """Whether archls reads this file at all."""
    return detect(path, text) is not None


def decode(data: bytes) -> tuple[str, Finding | None]:
    """Bytes -> text; invalid UTF-8 becomes a finding at the first bad byte (the rest is replaced)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n")
        col = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", errors="replace"))
        finding = Finding(
            "ARCH009",
            f"byte 0x{data[exc.start]:02x} at offset {exc.start} is not valid UTF-8; save the file as UTF-8",
            Severity.ERROR,
            Range(line, col, line, col + 1),
        )
        return data.decode("utf-8", errors="replace"), finding
    if text.startswith("\ufeff"):
        text = text[1:]
    return text, None


_cache: OrderedDict[tuple[str, str, str], Analysis] = OrderedDict()
_CACHE_SIZE = 32


def analyse(
    text: str,
    path: str,
    config: Config | None = None,
    *,
    read: FileReader | None = None,
    on_rule_error: ErrorSink | None = None,
    incremental: bool = True,
) -> Analysis:
    """Audit one file's text. Never raises for bad input; problems become findings.

    With ``incremental``, the rules whose inputs did not change since the last audit of ``path``
    (under the same configuration) keep their hits instead of running again."""
    config = (config or Config()).for_file(path)
    key = (
        path,
        hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest(),
        config.model_dump_json(),
    )
    fmt = detect(path, text)
    # Formats that read sibling files (a Terraform module) depend on more than this text: what they
    # read is recorded, and a cached result is reused only while all of it is unchanged.
    reads_others = bool(getattr(fmt, "reads_other_files", False))
    if reads_others and read is None:
        read = read_disk
    cached = _cache.get(key)
    if cached is not None and (not reads_others or (read is not None and _inputs_unchanged(cached, read))):
        _cache.move_to_end(key)
        return cached
    inputs: dict[str, str | None] = {}
    recording = _recording(read, inputs) if read is not None else None
    previous = _previous(path, key[2]) if incremental else None
    with collector_paused():
        result = _analyse(fmt, text, path, config, recording, on_rule_error, previous)
    result.inputs = inputs
    _cache[key] = result
    if len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
    return result


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the enclosed work with Python's cyclic garbage collector off.

    An audit allocates hundreds of thousands of objects (YAML nodes, model objects, findings) and
    keeps most of them in caches: with collection on, each young-generation pass walks what the
    audit built so far, and a full pass walks every cached model, 2-3x the audit itself on a
    1,000-service compose file. Reference counting still frees what the audit drops; cycles wait
    for the next collection after it, which runs at the usual thresholds.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _previous(path: str, config_key: str) -> Analysis | None:
    for key in reversed(_cache):
        if key[0] == path:
            found = _cache[key]
            return found if key[2] == config_key and found.runs else None
    return None


def forget() -> None:
    """Drop every cached audit (the next audit of each file starts from scratch)."""
    _cache.clear()


def latest(path: str) -> Analysis | None:
    """The most recent cached analysis of ``path``, whatever text it read. Editor features that
    must answer at once (completion) use it instead of auditing the text being typed."""
    for key in reversed(_cache):
        if key[0] == path:
            return _cache[key]
    return None


def read_disk(path: str) -> str | None:
    """Another file from disk (when no editor supplies buffers); None when unreadable or too large."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(_READ_LIMIT + 1)
    except OSError:
        return None
    if len(data) > _READ_LIMIT:
        return None
    return decode(data)[0]


_READ_LIMIT = 5_000_000


def _digest(text: str | None) -> str | None:
    if text is None:
        return None
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _recording(read: FileReader, inputs: dict[str, str | None]) -> FileReader:
    def recorded(path: str) -> str | None:
        text = read(path)
        inputs[path] = _digest(text)
        return text

    return recorded


def _inputs_unchanged(cached: Analysis, read: FileReader) -> bool:
    return all(_digest(read(path)) == digest for path, digest in cached.inputs.items())


def _analyse(
    fmt: Format | None,
    text: str,
    path: str,
    config: Config,
    read: FileReader | None,
    on_rule_error: ErrorSink | None,
    previous: Analysis | None = None,
) -> Analysis:
    if fmt is None:
        return Analysis(path, text, config, None, None)
    size = len(text.encode("utf-8", "surrogatepass")) if len(text) * 4 > config.max_file_bytes else len(text)
    if size > config.max_file_bytes:
        finding = Finding(
            "ARCH008",
            f"the file is {size / 1e6:.1f} MB; archls reads files up to {config.max_file_bytes / 1e6:.1f} MB "
            "(setting max_file_bytes)",
            Severity.ERROR,
            FILE_START,
        )
        return Analysis(path, text, config, fmt.name, None, [finding])
    try:
        loaded = fmt.load(text, path, LoadContext(read=read, max_bytes=config.max_file_bytes))
    except Exception as exc:  # a loader bug must not take the editor down with it
        log.exception("loader %s failed on %s", fmt.name, path)
        finding = Finding(
            "ARCH000", f"archls could not read this file ({type(exc).__name__}: {exc})", Severity.ERROR, FILE_START
        )
        return Analysis(path, text, config, fmt.name, None, [finding])
    findings = list(loaded.findings)
    context = None
    runs: dict[str, RuleRun] = {}
    fatal = any(f.code in UNREADABLE for f in findings)
    if loaded.model is not None and not fatal:
        context = RuleContext(loaded.model, config, fmt.name, loaded.native)
        earlier = None
        if previous is not None and previous.format == fmt.name and previous.rule_context is not None:
            changed = tracking.changes(previous.rule_context.model, loaded.model)
            changed |= tracking.native_changes(previous.loaded.native if previous.loaded else None, loaded.native)
            earlier = previous.runs, changed
        findings.extend(run_rules(context, loaded, on_rule_error, earlier, runs))
        if loaded.model.acceptance:
            # Criteria about the audit itself (no errors, a grade) judge what the user would see;
            # they read findings, not the model, so they always run again.
            seen = suppress.apply(list(findings), text, loaded, config, rules_ran=False, path=path)
            context.findings = [_configured(f, config) for f in seen if config.enabled(f.code)]
            findings.extend(run_rules(context, loaded, on_rule_error, after_audit=True))
    findings = suppress.apply(findings, text, loaded, config, rules_ran=context is not None, path=path)
    findings = [_configured(f, config) for f in findings if config.enabled(f.code) or f.code in {"ARCH000", "ARCH001"}]
    findings.sort(key=Finding.sort_key)
    return Analysis(path, text, config, fmt.name, loaded, findings, context, runs=runs)


def _configured(finding: Finding, config: Config) -> Finding:
    severity = config.severity_of(finding.code, finding.severity)
    if severity is not finding.severity:
        finding.severity = severity
    return finding


def run_rules(
    context: RuleContext,
    loaded: Loaded,
    on_rule_error: ErrorSink | None = None,
    earlier: tuple[dict[str, RuleRun], set[tracking.Read]] | None = None,
    runs: dict[str, RuleRun] | None = None,
    *,
    after_audit: bool = False,
) -> list[Finding]:
    """Every enabled rule's findings. With ``earlier`` (the last audit's runs and what changed in
    the model since), a rule that read nothing that changed keeps its hits; ``runs`` receives this
    audit's runs for the next one. ``after_audit`` runs the rules that judge the other findings."""
    out: list[Finding] = []
    if runs is None:
        runs = {}
    for code in all_codes():
        if code.check is None or not context.config.enabled(code.id) or code.after_audit != after_audit:
            continue
        if code.formats is not None and context.format not in code.formats:
            continue
        before = earlier[0].get(code.id) if earlier is not None else None
        try:
            if before is not None and before.reads is not None and not tracking.stale(before.reads, earlier[1]):
                hits = before.hits
                runs[code.id] = before
            else:
                with tracking.recording() as reads:
                    hits = list(code.check(context))
                runs[code.id] = RuleRun(hits, frozenset(reads))
        except Exception as exc:
            runs[code.id] = RuleRun([], None)
            detail = "".join(traceback.format_exception_only(exc)).strip()
            log.exception("rule %s failed", code.id)
            if on_rule_error is not None:
                on_rule_error(code.id, traceback.format_exc())
            out.append(
                Finding(
                    "ARCH000",
                    f"rule {code.id} ({code.title}) failed and was skipped: {detail}",
                    Severity.WARNING,
                    loaded.smap.first_key(),
                    data={"rule": code.id},
                )
            )
            continue
        skips = loaded.checkov_skips
        for hit in hits:
            if skips and code.checkov_ids and _skipped(code.checkov_ids, hit.path, skips):
                continue
            if loaded.unknown and _unknown(hit.path, loaded.unknown):
                continue
            out.append(_finding(code, hit, loaded))
    return out


def _skipped(checkov_ids: tuple[str, ...], path: tuple[Any, ...], skips: dict[str, set[str]]) -> bool:
    # Formats key skips by component id, and native rules report on their own objects
    # (Terraform resources, Kubernetes objects, compose services) under the same second part.
    if len(path) < 2 or path[0] not in _SKIPPABLE:
        return False
    skipped = skips.get(str(path[1]))
    return bool(skipped and skipped.intersection(checkov_ids))


def _unknown(path: tuple[Any, ...], unknown: set[tuple[Any, ...]]) -> bool:
    return any(path[:n] in unknown for n in range(3, len(path) + 1))


_SKIPPABLE = frozenset({"components", "resources", "objects", "services", "providers"})


def _finding(code: Code, hit: Hit, loaded: Loaded) -> Finding:
    if hit.on_value:
        entry = loaded.smap.get(loaded.file_path(hit.path))
        where = entry.value if entry is not None else loaded.locate(hit.path)
    else:
        where = loaded.locate(hit.path)
    return Finding(
        code.id,
        hit.message,
        hit.severity or code.severity,
        where,
        code.category.value,
        hit.path,
        file=loaded.file_of(hit.path),
        fix=hit.fix.to_json() if hit.fix else None,
        data=hit.data,
    )
