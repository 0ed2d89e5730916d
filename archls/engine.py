"""The one seam: (text, path, config) -> model, source map, findings.

The server, the CLI and every later feature call :func:`analyse` and nothing beneath it.
Results are cached by content, so the hover, code lens and code action requests that follow
an edit reuse the audit the diagnostics already paid for.

Formats that read a group of files as one (a Terraform module, a folder of manifests, a compose
file with its override) are audited once per group: every file of the group gets its findings
from that one audit, each suppressed by its own file's comments and configured by its own path,
and asking for another file of the group returns a view of the same audit while none of its
files changed.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import threading
import traceback
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from archls import recent, suppress, textdiff, tracking
from archls.config import Config
from archls.findings import FILE_START, UNREADABLE, Finding, Range, Severity, end_of, keep_inside
from archls.formats import FileReader, Format, LoadContext, Loaded, detect, unit_of
from archls.rules.registry import Code, Earlier, Hit, RuleContext, all_codes

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
    #: the shared results it asked for (``RuleContext.cached`` keys)
    uses: frozenset[str] = frozenset()
    #: what its own code read (not through the shared results); None when unknown
    own: frozenset[tracking.Read] | None = None
    #: each hit's fix as JSON, made once for as long as the hits are kept (thousands on a large file)
    fixes: list[dict[str, Any] | None] | None = None


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
    #: Every file the audit reports on (absolute paths): the file itself, and the other files of its
    #: group. ``findings`` holds theirs too, each naming its ``file``.
    files: tuple[str, ...] = ()
    #: The audit of the whole group, which views of its other files are made from.
    group: _Group | None = field(default=None, repr=False)

    def covers(self, path: str) -> bool:
        """Whether this audit reports on ``path`` (its own file or another of its group)."""
        return os.path.abspath(path) in self.files

    def for_file(self, path: str) -> Analysis | None:
        """The same audit as seen from ``path``, another file it covers; None when it does not cover it."""
        absolute = os.path.abspath(path)
        if absolute == os.path.abspath(self.path):
            return self
        if self.group is None or absolute not in self.files:
            return None
        return self.group.view(path)

    @property
    def model(self) -> Architecture | None:
        return self.loaded.model if self.loaded else None

    @cached_property
    def lines(self) -> list[str]:
        """The text split at line feeds, once for all the editor requests on it (read, never modify)."""
        return self.text.split("\n")

    def split_lines(self) -> list[str] | None:
        """:attr:`lines` when the audit split the text already, else None (nothing is split here)."""
        return self.__dict__.get("lines")

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


def group_of(path: str, text: str | None = None) -> tuple[str, str] | None:
    """(format, group) of a file archls reads: files of one group (a Terraform module, a folder of
    manifests, a compose file and its override) are audited together by one :func:`analyse` call;
    any other file is a group of its own. None when archls does not read the file."""
    fmt = detect(path, text)
    if fmt is None:
        return None
    return fmt.name, unit_of(fmt, path) or os.path.abspath(path)


def decode(data: bytes) -> tuple[str, Finding | None]:
    """Bytes -> text; invalid UTF-8 becomes a finding at the first bad byte (the rest is replaced)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = end_of(data[: exc.start].decode("utf-8", errors="replace"))
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
    (or of its group) under the same configuration keep their hits instead of running again.

    Safe to call from several threads: audits run one at a time (they share the caches and the
    record of what rules read), and a result already cached is handed out without waiting for an
    audit under way, so the server's loop answers from it while its audit thread works."""
    found = ready(text, path, config, read=read)
    if found is not None:
        return found
    with _audits:
        recent.tick()
        if incremental:
            return _audit(text, path, config, read, on_rule_error, incremental)
        with tracking.from_scratch():
            return _audit(text, path, config, read, on_rule_error, incremental)


#: Held while an audit runs (see :func:`analyse`).
_audits = threading.RLock()


def audits_held() -> threading.RLock:
    """The lock audits hold: code outside them that runs a format's loader (which shares the
    audits' caches) holds it too, so it never runs beside an audit on another thread."""
    return _audits


def ready(text: str, path: str, config: Config | None = None, *, read: FileReader | None = None) -> Analysis | None:
    """The cached audit of exactly this text (and of the other files it read, unchanged), or None.
    Never waits for an audit under way, and changes nothing."""
    base = config or Config()
    fmt = detect(path, text)
    unit = unit_of(fmt, path) if fmt is not None else None
    if fmt is not None and unit is not None:
        group = _groups.get((fmt.name, unit, base.model_dump_json()))
        absolute = os.path.abspath(path)
        reader = read or read_disk
        if (
            group is not None
            and absolute in group.files
            and group.digests.get(absolute) == _digest(text)
            and all(_digest(reader(other)) == known for other, known in group.digests.items() if other != absolute)
        ):
            return group.view(path)
        return None
    key = (path, _text_key(text), base.for_file(path).model_dump_json())
    cached = _cache.get(key)
    if cached is None or cached.text != text:
        return None
    if getattr(fmt, "reads_other_files", False) and not _inputs_unchanged(cached, read or read_disk):
        return None
    return cached


def _audit(
    text: str,
    path: str,
    config: Config | None,
    read: FileReader | None,
    on_rule_error: ErrorSink | None,
    incremental: bool,
) -> Analysis:
    base = config or Config()
    fmt = detect(path, text)
    unit = unit_of(fmt, path) if fmt is not None else None
    if fmt is not None and unit is not None:
        return _analyse_group(fmt, unit, text, path, base, read or read_disk, on_rule_error, incremental)
    config = base.for_file(path)
    key = (path, _text_key(text), config.model_dump_json())
    # Formats that read sibling files depend on more than this text: what they read is recorded,
    # and a cached result is reused only while all of it is unchanged.
    reads_others = bool(getattr(fmt, "reads_other_files", False))
    if reads_others and read is None:
        read = read_disk
    cached = _cache.get(key)
    if cached is not None and cached.text != text:
        cached = None  # another text under the same key: the key is a hash, the text decides
    if cached is not None and (not reads_others or (read is not None and _inputs_unchanged(cached, read))):
        _cache.move_to_end(key)
        return cached
    inputs: dict[str, str | None] = {}
    recording = _recording(read, inputs) if read is not None else None
    previous = _previous(path, key[2]) if incremental else None
    with collector_paused():
        result = _analyse(fmt, text, path, config, recording, on_rule_error, previous, incremental)
    result.inputs = inputs
    result.files = (os.path.abspath(path),)
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
    for key in reversed(list(_cache)):
        if key[0] == path:
            found = _cache[key]
            if found.runs:
                return found if key[2] == config_key else None
            # an audit that ran no rule (the text was not valid YAML while a key was being typed)
            # says nothing about them: the one before it is where this edit started
    return None


def forget() -> None:
    """Drop every cached audit (the next audit of each file starts from scratch)."""
    with _audits:
        _cache.clear()
        _groups.clear()


@dataclass
class _Group:
    """One audit of a group of files, and the views of it from each of its files."""

    format: str
    loaded: Loaded
    context: RuleContext | None
    #: every file's findings, each naming its file (absolute path)
    findings: list[Finding]
    texts: dict[str, str]
    #: absolute path -> digest of the text read, the first file's included
    digests: dict[str, str | None]
    configs: dict[str, Config]
    files: tuple[str, ...]
    #: each rule's hits and reads, for the next audit of the group (see :func:`analyse`)
    runs: dict[str, RuleRun] = field(default_factory=dict)
    #: Held weakly: each view holds its group, so strong references back would make a cycle, and the
    #: server keeps its cyclic collector for rare full passes (see archls.server); a group then
    #: lives exactly as long as the cache or a caller holds one of its views.
    views: weakref.WeakValueDictionary[str, Analysis] = field(default_factory=weakref.WeakValueDictionary)

    def view(self, path: str) -> Analysis:
        found = self.views.get(path)
        if found is not None:
            return found
        absolute = os.path.abspath(path)
        # a plain constructor call: dataclasses.replace costs several times more, on thousands of findings
        findings = [
            Finding(f.code, f.message, f.severity, f.range, f.category, f.path, None, f.fix, f.data)
            if f.file == absolute
            else f
            for f in self.findings
        ]
        findings.sort(key=Finding.sort_key)
        config = self.configs.get(absolute) or Config()
        analysis = Analysis(
            path,
            self.texts.get(absolute, ""),
            config,
            self.format,
            self.loaded.view(absolute),
            findings,
            self.context,
            inputs=dict(self.digests),
            runs=self.runs,
            files=self.files,
            group=self,
        )
        self.views[path] = analysis
        return analysis


_groups: OrderedDict[tuple[str, str, str], _Group] = OrderedDict()
_GROUPS_SIZE = 16


def _analyse_group(
    fmt: Format,
    unit: str,
    text: str,
    path: str,
    base: Config,
    read: FileReader,
    on_rule_error: ErrorSink | None,
    incremental: bool = True,
) -> Analysis:
    absolute = os.path.abspath(path)
    digest = _digest(text)
    key = (fmt.name, unit, base.model_dump_json())
    group = _groups.get(key)
    if (
        group is not None
        and absolute in group.files
        and group.digests.get(absolute) == digest
        and all(_digest(read(other)) == known for other, known in group.digests.items() if other != absolute)
    ):
        _groups.move_to_end(key)
        return group.view(path)
    config = base.for_file(path)
    texts: dict[str, str] = {absolute: text}
    digests: dict[str, str | None] = {absolute: digest}

    def recorded(other: str) -> str | None:
        found = read(other)
        digests[other] = _digest(found)
        if found is not None:
            texts[other] = found
        return found

    with collector_paused():
        early = _unloadable(fmt, text, path, config, recorded, incremental)
    if not isinstance(early, Loaded):
        early.files = (absolute,)
        return early
    loaded = early
    configs = {absolute: config}
    for other in loaded.files():
        if other not in configs:
            configs[other] = base.for_file(other)
    fatal = any(f.code in UNREADABLE for f in loaded.findings if f.file in (None, absolute))
    findings = list(loaded.findings)
    context = None
    runs: dict[str, RuleRun] = {}
    if loaded.model is not None and not fatal:
        every = list(configs.values())
        earlier = None
        since = None
        # the last audit of the group, read under the same settings, keeps the hits of the rules
        # that read nothing an edit changed
        previous = group if incremental and group is not None and group.runs else None
        if previous is not None and previous.context is not None and previous.context.config == config:
            since = _since(previous.context, loaded.model, previous.loaded.native, loaded.native)
            earlier = previous.runs, since.changed
        context = RuleContext(loaded.model, config, fmt.name, loaded.native, since)
        with collector_paused():
            findings.extend(
                run_rules(
                    context,
                    loaded,
                    on_rule_error,
                    earlier,
                    runs,
                    enabled=lambda code: any(c.enabled(code) for c in every),
                )
            )
        context.earlier = None  # the next audit starts from this one, not from the ones before it
    by_file: dict[str, list[Finding]] = {absolute: [], **{other: [] for other in configs}}
    for finding in findings:
        by_file.setdefault(finding.file or absolute, []).append(finding)
    shared: list[Finding] = []
    for file, mine in by_file.items():
        own = configs.get(file) or base.for_file(file)
        for finding in mine:
            finding.file = file
        file_text = texts.get(file)
        if file_text is not None:
            audited = context is not None and not any(f.code in UNREADABLE for f in mine)
            mine = suppress.apply(mine, file_text, loaded.view(file), own, rules_ran=audited, path=file)
            keep_inside(mine, file_text)
        kept: dict[str, bool] = {}  # per code: thousands of findings have a handful of codes
        for finding in mine:
            keep = kept.get(finding.code)
            if keep is None:
                keep = kept[finding.code] = own.enabled(finding.code) or finding.code in {"ARCH000", "ARCH001"}
            if keep:
                finding.file = file
                shared.append(_configured(finding, own))
    group = _Group(fmt.name, loaded, context, shared, texts, digests, configs, tuple(by_file), runs)
    _groups[key] = group
    if len(_groups) > _GROUPS_SIZE:
        _groups.popitem(last=False)
    return group.view(path)


def latest(path: str) -> Analysis | None:
    """The most recent cached analysis of ``path``, whatever text it read. Editor features that
    must answer at once (completion) use it instead of auditing the text being typed."""
    # Snapshots (made in one step): an audit on another thread may add to the caches meanwhile.
    for key, found in reversed(list(_cache.items())):
        if key[0] == path:
            return found
    absolute = os.path.abspath(path)
    for group in reversed(list(_groups.values())):
        if absolute in group.files:
            return group.view(path)
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
    global _digested
    if text is None:
        return None
    last = _digested
    if last is not None and last[0] is text:
        return last[1]  # the audit asks again for the text its cache lookup just hashed
    # SHA-256: about twice as fast as BLAKE2b here, where the processor computes it (SHA extensions)
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    _digested = (text, digest)
    return digest


_digested: tuple[str, str] | None = None


def _text_key(text: str) -> str:
    """The cache's key for a text: its length and Python's hash of it (computed once per text object,
    several times faster than a digest); a cached audit is handed out only when its text is equal."""
    return f"{len(text)}:{hash(text) & 0xFFFFFFFFFFFFFFFF:x}"


def _lines_of(path: str, text: str) -> list[str] | None:
    """``text.split("\n")``, made from the lines of the last cached audit of ``path`` and the lines an
    edit changed; None for text with carriage returns (whose lines are counted otherwise)."""
    if "\r" in text:
        return None
    for key in reversed(_cache):
        if key[0] == path:
            last = _cache[key]
            lines = last.__dict__.get("lines")
            if lines is not None:
                return textdiff.lines_after(last.text, lines, text)
            break
    return text.split("\n")


def _recording(read: FileReader, inputs: dict[str, str | None]) -> FileReader:
    def recorded(path: str) -> str | None:
        text = read(path)
        inputs[path] = _digest(text)
        return text

    return recorded


def _inputs_unchanged(cached: Analysis, read: FileReader) -> bool:
    return all(_digest(read(path)) == digest for path, digest in cached.inputs.items())


def _unloadable(
    fmt: Format, text: str, path: str, config: Config, read: FileReader | None, reuse: bool = True
) -> Loaded | Analysis:
    """The file read into the model, or the analysis that says why it cannot be."""
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
        return fmt.load(text, path, LoadContext(read=read, max_bytes=config.max_file_bytes, reuse=reuse))
    except Exception as exc:  # a loader bug must not take the editor down with it
        log.exception("loader %s failed on %s", fmt.name, path)
        finding = Finding(
            "ARCH000", f"archls could not read this file ({type(exc).__name__}: {exc})", Severity.ERROR, FILE_START
        )
        return Analysis(path, text, config, fmt.name, None, [finding])


def _analyse(
    fmt: Format | None,
    text: str,
    path: str,
    config: Config,
    read: FileReader | None,
    on_rule_error: ErrorSink | None,
    previous: Analysis | None = None,
    reuse: bool = True,
) -> Analysis:
    if fmt is None:
        return Analysis(path, text, config, None, None)
    loaded = _unloadable(fmt, text, path, config, read, reuse)
    if not isinstance(loaded, Loaded):
        return loaded
    findings = list(loaded.findings)
    context = None
    runs: dict[str, RuleRun] = {}
    fatal = any(f.code in UNREADABLE for f in findings)
    if loaded.model is not None and not fatal:
        earlier = None
        since = None
        if previous is not None and previous.format == fmt.name and previous.rule_context is not None:
            before = previous.loaded.native if previous.loaded else None
            since = _since(previous.rule_context, loaded.model, before, loaded.native)
            earlier = previous.runs, since.changed
        context = RuleContext(loaded.model, config, fmt.name, loaded.native, since)
        findings.extend(run_rules(context, loaded, on_rule_error, earlier, runs))
        if loaded.model.acceptance:
            # Criteria about the audit itself (no errors, a grade) judge what the user would see;
            # they read findings, not the model, so they always run again.
            seen = suppress.apply(list(findings), text, loaded, config, rules_ran=False, path=path)
            context.findings = [_configured(f, config) for f in seen if config.enabled(f.code)]
            findings.extend(run_rules(context, loaded, on_rule_error, after_audit=True))
        context.earlier = None  # the next audit starts from this one, not from the ones before it
    findings = suppress.apply(findings, text, loaded, config, rules_ran=context is not None, path=path)
    findings = [_configured(f, config) for f in findings if config.enabled(f.code) or f.code in {"ARCH000", "ARCH001"}]
    lines = _lines_of(path, text)
    keep_inside(findings, text, lines)
    findings.sort(key=Finding.sort_key)
    analysis = Analysis(path, text, config, fmt.name, loaded, findings, context, runs=runs)
    if lines is not None:
        analysis.__dict__["lines"] = lines  # split once for the audit and the editor requests after it
    return analysis


def _since(previous: RuleContext, model: Architecture, native_before: Any, native: Any) -> Earlier:
    """What an edit changed since the audit ``previous`` (see :mod:`archls.tracking`)."""
    parts = tracking.Parts()
    changed = tracking.changes(previous.model, model, parts)
    changed |= tracking.native_changes(native_before, native, parts)
    return Earlier(previous, changed, parts)


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
    enabled: Callable[[str], bool] | None = None,
) -> list[Finding]:
    """Every enabled rule's findings. With ``earlier`` (the last audit's runs and what changed in
    the model since), a rule that read nothing that changed keeps its hits; ``runs`` receives this
    audit's runs for the next one. ``after_audit`` runs the rules that judge the other findings.
    ``enabled`` decides instead of the context's configuration when the audit covers files
    configured differently."""
    enabled = enabled or context.config.enabled
    out: list[Finding] = []
    if runs is None:
        runs = {}
    for code in all_codes():
        if code.check is None or not enabled(code.id) or code.after_audit != after_audit:
            continue
        if code.formats is not None and context.format not in code.formats:
            continue
        before = earlier[0].get(code.id) if earlier is not None else None
        try:
            if before is not None and before.reads is not None and not tracking.stale(before.reads, earlier[1]):
                hits = before.hits
                runs[code.id] = before
            else:
                focus = _focus(code, before, context) if before is not None and code.scope else None
                context.uses = set()
                context.focus = focus
                own: set[tracking.Read] = set()
                try:
                    with tracking.recording(own) as reads:
                        if focus is not None:
                            focus()  # what it needs is recorded as the rule's, even if the rule asks for none
                        hits = list(code.check(context))
                    uses = frozenset(context.uses)
                finally:
                    context.uses = context.focus = None
                merged = _merge(code, before, hits, focus(), context) if focus is not None and before else None
                if merged is not None and before is not None and before.reads is not None and before.own is not None:
                    runs[code.id] = RuleRun(merged, before.reads | reads, before.uses | uses, before.own | own)
                    hits = merged
                elif focus is not None:
                    # a hit outside the rule's scope: judge everything again
                    own = set()
                    context.uses = set()
                    try:
                        with tracking.recording(own) as reads:
                            hits = list(code.check(context))
                        uses = frozenset(context.uses)
                    finally:
                        context.uses = None
                    runs[code.id] = RuleRun(hits, frozenset(reads), uses, frozenset(own))
                else:
                    runs[code.id] = RuleRun(hits, frozenset(reads), uses, frozenset(own))
        except Exception as exc:
            context.uses = context.focus = None
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
        for hit, fix in zip(hits, _fixes_of(runs.get(code.id), before, hits), strict=True):
            if skips and code.checkov_ids and _skipped(code.checkov_ids, hit.path, skips):
                continue
            if loaded.unknown and _unknown(hit.path, loaded.unknown):
                continue
            out.append(_finding(code, hit, loaded, fix))
    return out


def _fixes_of(run: RuleRun | None, before: RuleRun | None, hits: list[Hit]) -> list[dict[str, Any] | None]:
    """Each hit's fix as JSON: kept with the run (and, for a scoped re-run, taken from the run before it
    for the hits it kept). The JSON is shared by the findings made from it, like ``Hit.data``."""
    if run is not None and run.fixes is not None and run.hits is hits:
        return run.fixes
    known: dict[int, dict[str, Any] | None] = {}
    if before is not None and before.fixes is not None and before.hits is not hits:
        known = {id(hit): fix for hit, fix in zip(before.hits, before.fixes, strict=True)}
    fixes = [known[id(hit)] if id(hit) in known else hit.fix.to_json() if hit.fix else None for hit in hits]
    if run is not None and run.hits is hits:
        run.fixes = fixes
    return fixes


#: What a scoped rule may see change and still be run on the changed parts alone (see ``Code.scope``).
_LOCAL = {
    "component": frozenset({"component"}),
    "connection": frozenset({"component", "connection"}),
    "service": frozenset({"component", "native"}),
}
#: What a service-scoped rule sees of the format's own reading changing: its services, nothing else.
_SERVICES_READ = ("native", tracking.ALL)
_EVERY = frozenset({tracking.EVERYTHING})


def _focus(code: Code, before: RuleRun, context: RuleContext) -> Callable[[], set[Any]] | None:
    """For a scoped rule whose inputs an edit changed: the parts of the model to judge again, or None
    when the edit is not local to some components (or connections) for it."""
    earlier = context.earlier
    local = _LOCAL.get(code.scope or "")
    if earlier is None or local is None or before.reads is None or before.own is None:
        return None
    changed = earlier.changed
    # what the rule read itself: only the settings of the components (or connections) it judges
    for read in before.own.intersection(changed):
        if read[0] not in local:
            return None
        if read[0] == "native" and (read != _SERVICES_READ or earlier.parts.services is None):
            return None
    # the shared results it used: unchanged (taken over from the audit before), except the analyses,
    # whose figures it reads per component and which say whose figures changed
    for key in before.uses:
        if key == "analysis":
            continue
        span = context.spans.get(key, _EVERY)
        if tracking.EVERYTHING in span or not span.isdisjoint(changed):
            return None
    found: list[set[Any]] = []

    def focus() -> set[Any]:
        if found:
            return found[0]
        components = set(earlier.parts.components)
        if _FIGURES_READ in before.reads:
            figures = context.analysed().changed
            components |= set(context.model.components) if figures is None else figures
        if code.scope == "service":
            # in a compose file a component is named after its service
            found.append(components | (earlier.parts.services or set()))
        elif code.scope == "connection":
            graph = context.graph
            indices = set(earlier.parts.connections)
            for cid in components:
                indices.update(i for i, _ in graph.outgoing(cid))
                indices.update(i for i, _ in graph.incoming(cid))
            found.append(indices)
        else:
            found.append(components)
        return found[0]

    return focus


_FIGURES_READ = ("analysis", "figures")


def _merge(code: Code, before: RuleRun, hits: list[Hit], focused: set[Any], context: RuleContext) -> list[Hit] | None:
    """A scoped rule's hits: its earlier ones about the parts not judged again, and the new ones, in
    the model's order; None when a hit is not about one part of its scope."""
    kind = {"component": "components", "connection": "connections", "service": "services"}[code.scope or ""]
    for hit in hits:
        if len(hit.path) < 2 or hit.path[0] != kind:
            return None
    kept = []
    for hit in before.hits:
        if len(hit.path) < 2 or hit.path[0] != kind:
            return None
        if hit.path[1] not in focused:
            kept.append(hit)
    if not hits:
        return kept
    if kind == "connections":
        return sorted(kept + hits, key=lambda h: h.path[1])
    rank = context.positions() if kind == "components" else context.service_positions()
    return sorted(kept + hits, key=lambda h: rank.get(h.path[1], -1))


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


def _finding(code: Code, hit: Hit, loaded: Loaded, fix: dict[str, Any] | None) -> Finding:
    where, file = loaded.place(hit.path, hit.on_value)
    return Finding(
        code.id,
        hit.message,
        hit.severity or code.severity,
        where,
        _CATEGORIES.get(code.id) or _CATEGORIES.setdefault(code.id, code.category.value),
        hit.path,
        file=file,
        fix=fix,
        data=hit.data,
    )


#: Each code's category name (an enum's value costs a Python call, thousands of times an audit).
_CATEGORIES: dict[str, str] = {}
