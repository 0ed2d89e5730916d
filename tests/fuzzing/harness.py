"""One fuzz input through the loader and the engine, and the invariant it must keep.

The invariant: the audit returns a model and findings, or errors positioned inside the document;
no exception escapes (and none is swallowed into ARCH000, the finding the engine makes of a
loader or rule that raised), and no input takes more than :data:`CPU_LIMIT` seconds of CPU time.
CPU time, not wall time, so a busy machine does not turn a slow input into a hang.
"""

from __future__ import annotations

import re
import signal
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from archls import config as configuration
from archls import engine
from archls.findings import Finding, keep_inside
from archls.formats import LoadContext, formats

#: CPU seconds one input may take before it counts as a hang.
CPU_LIMIT = 2.0

#: Where each format's inputs pretend to live: a folder that does not exist, so a loader that reads
#: sibling files (a Terraform module, a compose override, a manifest folder) finds none.
PATHS = {
    "arch": "/nonexistent/archls-fuzz/system.arch.yaml",
    "compose": "/nonexistent/archls-fuzz/docker-compose.yml",
    "terraform": "/nonexistent/archls-fuzz/main.tf",
    "kubernetes": "/nonexistent/archls-fuzz/k8s/deploy.yaml",
}
EXTENSIONS = {"arch": "arch.yaml", "compose": "yml", "terraform": "tf", "kubernetes": "yaml", "config": "yaml"}
FORMATS = ("arch", "compose", "terraform", "kubernetes", "config")

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class Hang(BaseException):
    """Raised by the CPU timer; a BaseException so the engine's own ``except Exception`` cannot
    swallow it."""


class Broken(AssertionError):
    """The invariant does not hold for an input."""


@dataclass
class Outcome:
    findings: int
    has_model: bool
    cpu: float
    wall: float


@contextmanager
def cpu_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`Hang` once this process has spent ``seconds`` of CPU time in the block."""

    def expired(signum: int, frame: object) -> None:
        raise Hang(f"over {seconds} s of CPU time")

    previous = signal.signal(signal.SIGPROF, expired)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def _nothing(path: str) -> str | None:
    return None


def as_text(data: str | bytes) -> tuple[str, Finding | None]:
    """What the CLI reads from a file: invalid UTF-8 becomes an ARCH009 finding."""
    return engine.decode(data) if isinstance(data, bytes) else (data, None)


def document_lines(text: str) -> list[str]:
    """The lines of ``text`` as an LSP client counts them (LF, CRLF and CR end a line)."""
    return _LINE_BREAK.split(text)


def check_findings(findings: list[Finding], text: str) -> None:
    lines = document_lines(text)
    for finding in findings:
        if finding.code == "ARCH000":
            raise Broken(f"a loader or rule raised: {finding.message}")
        if finding.file is not None:
            continue  # about another file of the group; none exists here
        r = finding.range
        start, end = (r.start_line, r.start_col), (r.end_line, r.end_col)
        if min(*start, *end) < 0 or start > end:
            raise Broken(f"{finding.code} has an invalid range {r}: {finding.message}")
        for line, col in (start, end):
            if line >= len(lines) or col > len(lines[line]):
                raise Broken(
                    f"{finding.code} at {r} lies outside the document ({len(lines)} lines"
                    f"{f', line {line} has {len(lines[line])} characters' if line < len(lines) else ''}): "
                    f"{finding.message}"
                )


def check(name: str, data: str | bytes, *, limit: float = CPU_LIMIT) -> Outcome:
    """Run one input of format ``name``; raise :class:`Broken` or :class:`Hang` when the invariant fails."""
    started, cpu = time.perf_counter(), time.process_time()
    try:
        with cpu_limit(limit):
            if name == "config":
                found, has_model = _check_config(data), True
            else:
                found, has_model = _check_format(name, data)
    except Hang:
        engine.forget()  # the audit stopped half-way: drop whatever it cached
        raise
    spent = time.process_time() - cpu
    if spent > limit:
        # the timer fired where Python ignores exceptions (a garbage-collector callback)
        raise Hang(f"{spent:.2f} s of CPU time, over {limit} s")
    return Outcome(found, has_model, spent, time.perf_counter() - started)


def _check_format(name: str, data: str | bytes) -> tuple[int, bool]:
    text, undecodable = as_text(data)
    path = PATHS[name]
    fmt = next(f for f in formats() if f.name == name)
    if engine.detect(path, text) is fmt:
        analysis = engine.analyse(text, path, read=_nothing, incremental=False)
        findings = list(analysis.findings)
        if analysis.model is not None:
            _ = analysis.graph
        has_model = analysis.model is not None
    else:
        # a damaged manifest the format no longer claims: its loader must still cope
        loaded = fmt.load(text, path, LoadContext(read=_nothing))
        findings, has_model = list(loaded.findings), loaded.model is not None
        keep_inside(findings, text)  # as the engine does with every loader's findings
    check_findings(findings, text)
    if undecodable is not None:
        check_findings([undecodable], text)
    return len(findings), has_model


_example = (Path(__file__).resolve().parents[2] / "examples" / "url-shortener.arch.yaml").read_text(encoding="utf-8")
_folder = tempfile.mkdtemp(prefix="archls-fuzz-config-")


def _check_config(data: str | bytes) -> int:
    """A project file read as the CLI and the server read it: a configuration or a ConfigError; then
    an audit under that configuration."""
    project_file = Path(_folder) / ".archls.yaml"
    project_file.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass"))
    try:
        project = configuration.read_project_file(project_file)
        config = configuration.build(project, None, source=str(project_file), root=_folder)
    except configuration.ConfigError:
        return 0
    path = str(Path(_folder) / "system.arch.yaml")
    analysis = engine.analyse(_example, path, config, read=_nothing, incremental=False)
    check_findings(analysis.findings, _example)
    return len(analysis.findings)
