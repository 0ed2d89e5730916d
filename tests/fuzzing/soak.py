"""Scripted editing for soak runs: many documents of every format open in one server, edited,
saved, closed, reopened and asked about, with configuration changes in between.

Used by the short soak in the suite (tests/e2e/test_soak.py) and the long one
(``bench/run.py soak --minutes 60``). The driver keeps its own copy of each document, so at the
end it can compare what the server shows with a fresh audit of the same text.
"""

from __future__ import annotations

import asyncio
import random
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp

from tests.shared import CORPUS

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
from generate import architecture, compose  # noqa: E402

# Values each format can take in place of another without a syntax error: most edits keep the
# document readable (as typing mostly does), so the end state is audited in full.
YAML_VALUES = ["3", "1", "0", "true", "false", "public", "internal", "https", "http", "postgres", "redis:7"]
YAML_VALUES += ["none", "'{{ x }}'", "'../x'", "nginx:latest", "99.9", "-1", "2000", "'<script>'", "api", "db"]
HCL_VALUES = ['"x"', "true", "false", "0", "3", '"0.0.0.0/0"', '"public-read"', '"AES256"', "null", '"../x"']
# Edits that may break the syntax (a half-typed line); the session undoes most of them later.
NEW_LINES = ["tls: false", "replicas: 1", "exposure: public", "auth: none", "privileged: true", "image: app"]
NEW_LINES += ["technology: postgresql", "restart: always", "encrypted = false", "publicly_accessible = true", "# note"]
SCALAR = re.compile(r"^(\s*(?:- )?[\w.-]+\s*[:=]\s)([^|>{\[&*<(!%\s].*?)$")
REQUESTS = ["hover", "completion", "documentSymbol", "codeAction", "foldingRange", "inlayHint", "codeLens"]
REQUESTS += ["definition", "references", "documentHighlight", "selectionRange"]
CATEGORIES = ["SEC", "PERF", "REL", "COST", "QUAL", "VULN", "LOAD"]
#: An LSP diagnostic's severity as ``archls check`` names it.
SEVERITY_NAMES = {1: "error", 2: "warning", 3: "info", 4: "hint"}
LEVELS = list(SEVERITY_NAMES.values())


def documents(count: int) -> dict[str, str]:
    """``count`` documents (relative path -> text) spread over every format, several per folder so
    module, manifest-set and compose-project audits are exercised."""
    pool: list[tuple[str, str]] = []
    for example in sorted((ROOT / "examples").glob("*.arch.yaml")):
        pool.append((f"arch/{example.name}", example.read_text(encoding="utf-8")))
    for n in range(3):
        pool.append((f"arch/generated-{n}.arch.yaml", architecture(15 + 10 * n, seed=n)))
        pool.append((f"compose-{n}/docker-compose.yml", compose(6 + 4 * n, seed=n)))
    if CORPUS is not None:
        for tf in sorted((CORPUS / "terragoat" / "aws").glob("*.tf")):
            if tf.stat().st_size < 12_000:
                pool.append((f"terraform/{tf.name}", tf.read_text(encoding="utf-8")))
        for manifest in sorted((CORPUS / "example-voting-app" / "k8s-specifications").glob("*.yaml")):
            pool.append((f"k8s/{manifest.name}", manifest.read_text(encoding="utf-8")))
        voting = CORPUS / "example-voting-app" / "docker-compose.yml"
        pool.append(("voting/docker-compose.yml", voting.read_text(encoding="utf-8")))
    else:
        pool.append(("terraform/main.tf", 'resource "aws_s3_bucket" "b" {\n  bucket = "x"\n  acl = "public-read"\n}\n'))
        pool.append(("k8s/pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: true\n"))
    # interleave the formats so a small count still covers each of them
    by_kind: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for path, text in pool:
        by_kind[path.split("/")[0].split("-")[0]].append((path, text))
    ordered: list[tuple[str, str]] = []
    while any(by_kind.values()):
        for kind in sorted(by_kind):
            if by_kind[kind]:
                ordered.append(by_kind[kind].pop(0))
    out = dict(ordered[:count])
    n = 0
    while len(out) < count:  # more documents than the pool: numbered copies in their own folders
        path, text = ordered[n % len(ordered)]
        folder, name = path.split("/", 1)
        out[f"{folder}-copy{n}/{name}"] = text
        n += 1
    return out


def language(path: str) -> str:
    return "terraform" if path.endswith(".tf") else "yaml"


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    operations: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    #: (seconds since the start, operations done, server RSS in MB)
    memory: list[tuple[float, int, float]] = field(default_factory=list)

    def percentile(self, kind: str, q: float) -> float:
        values = sorted(self.latencies[kind])
        return values[min(int(q * len(values)), len(values) - 1)] if values else float("nan")


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Soak:
    """Drives one server through ``client`` over the documents written under ``root``."""

    def __init__(self, client: Any, root: Path, texts: dict[str, str], seed: int = 0, twins: float = 0.03) -> None:
        self.client = client
        self.root = root
        self.rng = random.Random(seed)
        self.texts = dict(texts)  # what the editor holds, open or not
        self.original = dict(texts)
        #: Share of edits that replace the whole text with a namesake's (a copy of the same file in another
        #: folder, as it is now) or with the document's first text: documents with equal texts share
        #: everything the readers and analyses remember by content.
        self.twins = twins
        self.namesakes: dict[str, list[str]] = defaultdict(list)
        for path in texts:
            self.namesakes[path.rsplit("/", 1)[-1]].append(path)
        self.open: dict[str, int] = {}  # path -> version
        self.stats = Stats()
        self.ignored: list[str] = []
        #: documents a breaking edit left unreadable -> their text before it
        self.broken: dict[str, str] = {}
        for path, text in texts.items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(text, encoding="utf-8")

    def uri(self, path: str) -> str:
        return (self.root / path).as_uri()

    def did_open(self, path: str) -> None:
        self.open[path] = 1
        item = lsp.TextDocumentItem(self.uri(path), language(path), 1, self.texts[path])
        self.client.text_document_did_open(lsp.DidOpenTextDocumentParams(item))

    def open_all(self) -> None:
        self.configure([])
        for path in self.texts:
            self.did_open(path)

    # --- operations -------------------------------------------------------------------------------

    def edit(self, path: str) -> None:
        """A value replaced (as typing does, mostly), or a line dropped, doubled or added, which may
        break the syntax for a while: a later edit of a broken document usually undoes it."""
        if path in self.broken and self.rng.random() < 0.5:
            self.replace_all(path, self.broken.pop(path))
            return
        if self.twins and self.rng.random() < self.twins:
            self.twin(path)
            return
        lines = self.texts[path].split("\n")
        candidates = [
            n for n, line in enumerate(lines) if SCALAR.match(line) and not line.rstrip().endswith(("{", "[", "("))
        ]
        breaking = not candidates or self.rng.random() < 0.15
        at = self.rng.randrange(len(lines)) if breaking else self.rng.choice(candidates)
        line = lines[at]
        if not breaking:
            values = HCL_VALUES if path.endswith(".tf") else YAML_VALUES
            new = SCALAR.match(line).group(1) + self.rng.choice(values)
            self.send(path, lsp.Range(lsp.Position(at, 0), lsp.Position(at, len(line))), new)
            lines[at] = new
            self.texts[path] = "\n".join(lines)
            return
        self.broken.setdefault(path, self.texts[path])
        operation = self.rng.choice(["drop", "double", "insert"])
        if operation == "drop" and len(lines) > 1:
            if at == len(lines) - 1:  # the last line: its line break goes instead
                self.send(path, lsp.Range(lsp.Position(at - 1, len(lines[at - 1])), lsp.Position(at, len(line))), "")
            else:
                self.send(path, lsp.Range(lsp.Position(at, 0), lsp.Position(at + 1, 0)), "")
            del lines[at]
        elif operation == "double":
            self.send(path, lsp.Range(lsp.Position(at, 0), lsp.Position(at, 0)), line + "\n")
            lines.insert(at, line)
        else:
            indent = len(line) - len(line.lstrip(" "))
            new = " " * indent + self.rng.choice(NEW_LINES)
            self.send(path, lsp.Range(lsp.Position(at, len(line)), lsp.Position(at, len(line))), "\n" + new)
            lines.insert(at + 1, new)
        self.texts[path] = "\n".join(lines)

    def twin(self, path: str) -> None:
        """The whole text replaced by a namesake's as it is now, or by the document's first text."""
        self.stats.operations["twin"] += 1  # counted among the edits too
        others = [p for p in self.namesakes[path.rsplit("/", 1)[-1]] if p != path]
        source = self.rng.choice(others) if others and self.rng.random() < 0.7 else None
        self.broken.pop(path, None)
        if source is None:
            self.replace_all(path, self.original[path])
            return
        if source in self.broken:  # a broken text: what it was before the break undoes it later
            self.broken[path] = self.broken[source]
        self.replace_all(path, self.texts[source])

    def send(self, path: str, where: lsp.Range, text: str) -> None:
        self.open[path] += 1
        self.client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                lsp.VersionedTextDocumentIdentifier(uri=self.uri(path), version=self.open[path]),
                [lsp.TextDocumentContentChangePartial(range=where, text=text)],
            )
        )

    def replace_all(self, path: str, text: str) -> None:
        """The whole text replaced (an undo of several edits, a formatter, a checkout)."""
        self.texts[path] = text
        self.open[path] += 1
        self.client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                lsp.VersionedTextDocumentIdentifier(uri=self.uri(path), version=self.open[path]),
                [lsp.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )

    def save(self, path: str) -> None:
        (self.root / path).write_text(self.texts[path], encoding="utf-8")
        self.client.text_document_did_save(lsp.DidSaveTextDocumentParams(lsp.TextDocumentIdentifier(self.uri(path))))

    def close(self, path: str) -> None:
        # an editor closing an unsaved buffer discards it: the file on disk is the text again
        self.texts[path] = (self.root / path).read_text(encoding="utf-8")
        self.broken.pop(path, None)
        del self.open[path]
        self.client.text_document_did_close(lsp.DidCloseTextDocumentParams(lsp.TextDocumentIdentifier(self.uri(path))))

    def configure(self, ignored: list[str], debounce_ms: int = 150, severity: dict[str, str] | None = None) -> None:
        """New settings: rules ignored, a category's severity changed, and the editor's usual debounce
        while typing (edits in a burst are audited once), none at the end."""
        self.ignored = ignored
        settings = {"debounceMs": debounce_ms, "ignore": ignored, "severity": severity or {}}
        self.client.set_configuration({"archls": settings})
        self.client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))

    async def request(self, path: str) -> None:
        kind = self.rng.choice(REQUESTS)
        lines = self.texts[path].split("\n")
        at = self.rng.randrange(len(lines))
        here = lsp.Position(at, self.rng.randint(0, len(lines[at])))
        doc = lsp.TextDocumentIdentifier(self.uri(path))
        whole = lsp.Range(lsp.Position(0, 0), lsp.Position(len(lines), 0))
        c = self.client
        calls: dict[str, Callable[[], Any]] = {
            "hover": lambda: c.text_document_hover_async(lsp.HoverParams(doc, here)),
            "completion": lambda: c.text_document_completion_async(lsp.CompletionParams(doc, here)),
            "documentSymbol": lambda: c.text_document_document_symbol_async(lsp.DocumentSymbolParams(doc)),
            "codeAction": lambda: c.text_document_code_action_async(
                lsp.CodeActionParams(doc, lsp.Range(here, here), lsp.CodeActionContext([]))
            ),
            "foldingRange": lambda: c.text_document_folding_range_async(lsp.FoldingRangeParams(doc)),
            "inlayHint": lambda: c.text_document_inlay_hint_async(lsp.InlayHintParams(doc, whole)),
            "codeLens": lambda: c.text_document_code_lens_async(lsp.CodeLensParams(doc)),
            "definition": lambda: c.text_document_definition_async(lsp.DefinitionParams(doc, here)),
            "references": lambda: c.text_document_references_async(
                lsp.ReferenceParams(context=lsp.ReferenceContext(True), text_document=doc, position=here)
            ),
            "documentHighlight": lambda: c.text_document_document_highlight_async(
                lsp.DocumentHighlightParams(doc, here)
            ),
            "selectionRange": lambda: c.text_document_selection_range_async(lsp.SelectionRangeParams(doc, [here])),
        }
        started = time.perf_counter()
        try:
            await asyncio.wait_for(calls[kind](), timeout=60)
        except Exception as exc:  # recorded, and the soak goes on: the report lists every error
            self.stats.errors.append(f"{kind} on {path}: {type(exc).__name__}: {str(exc)[:200]}")
        self.stats.latencies[kind].append(time.perf_counter() - started)

    async def step(self) -> None:
        """One operation drawn with the weights of an editing session."""
        roll = self.rng.random()
        closed = [p for p in self.texts if p not in self.open]
        if closed and (roll < 0.06 or not self.open):
            self.stats.operations["reopen"] += 1
            self.did_open(self.rng.choice(closed))
            return
        path = self.rng.choice(sorted(self.open))
        if roll < 0.58:
            self.stats.operations["edit"] += 1
            self.edit(path)
        elif roll < 0.88:
            self.stats.operations["request"] += 1
            await self.request(path)
        elif roll < 0.95:
            self.stats.operations["save"] += 1
            self.save(path)
        elif roll < 0.985:
            self.stats.operations["close"] += 1
            self.close(path)
        else:
            # every open document is audited again: rarer than anything else, as in an editor
            self.stats.operations["configure"] += 1
            levels = {self.rng.choice(CATEGORIES): self.rng.choice(LEVELS)} if self.rng.random() < 0.5 else {}
            self.configure(self.rng.sample(CATEGORIES, self.rng.randint(0, 2)), severity=levels)

    async def settle(self) -> None:
        """Back to the default settings, every open document saved, and every diagnostic published
        for the last version of each: the end state to compare with a fresh audit."""
        self.configure([], debounce_ms=0)
        for path in sorted(self.open):
            if path in self.broken:
                self.replace_all(path, self.broken.pop(path))
            self.save(path)

    def last_published(self) -> dict[str, lsp.PublishDiagnosticsParams]:
        out: dict[str, lsp.PublishDiagnosticsParams] = {}
        for params in self.client.published:
            out[params.uri] = params
        return out


#: Seconds without a publish after which the server counts as settled.
QUIET = 1.0


#: What the soak compares of a finding: (code, line, message, severity).
Seen = tuple[str, int, str, str]


def seen(items: list[Seen]) -> list[Seen]:
    return sorted(items)


async def final_diagnostics(soak: Soak, timeout: float = 60.0) -> dict[str, list[Seen]]:
    """(code, line, message, severity) of what the server shows for each open document, once it has published
    for the document's last version after the last settings change. A document archls no longer
    reads (a manifest whose ``kind:`` an edit changed) shows nothing."""
    from archls import engine

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    marker = len(soak.client.published)
    await soak.settle()
    read = {path for path in soak.open if engine.claims(str(soak.root / path), soak.texts[path])}
    while True:
        latest = {p.uri: p for p in soak.client.published[marker:]}
        waiting = [
            path
            for path, version in soak.open.items()
            if path in read and (latest.get(soak.uri(path)) is None or latest[soak.uri(path)].version != version)
        ]
        if not waiting:
            break
        if loop.time() > deadline:
            raise AssertionError(f"no diagnostics for the last versions of {waiting}")
        await asyncio.sleep(0.05)
    # The saves publish at once, with the settings the server holds; the settings change publishes
    # every document again once the client has answered workspace/configuration, and the saves
    # schedule the other files of their groups: wait until the server has been quiet a while.
    count, quiet_since = len(soak.client.published), loop.time()
    while loop.time() - quiet_since < QUIET:
        await asyncio.sleep(0.05)
        if len(soak.client.published) != count:
            count, quiet_since = len(soak.client.published), loop.time()
        if loop.time() > deadline:
            raise AssertionError("the server kept publishing diagnostics")
    latest = {p.uri: p for p in soak.client.published}
    out: dict[str, list[Seen]] = {}
    for path in soak.open:
        params = latest.get(soak.uri(path))
        shown = params.diagnostics if params is not None else []
        out[path] = seen(
            [(str(d.code), d.range.start.line, d.message, SEVERITY_NAMES.get(d.severity or 0, "")) for d in shown]
        )
    return out


def fresh_audit(root: Path, paths: list[str]) -> dict[str, list[Seen]]:
    """What ``archls check`` reports for each file, run on the saved files (nothing for a file it
    does not read)."""
    import json
    import subprocess

    from archls import engine

    read = [path for path in paths if engine.claims(str(root / path), (root / path).read_text(encoding="utf-8"))]
    done = subprocess.run(
        [sys.executable, "-m", "archls", "check", "--format", "json", "--fail-on", "never", *read],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode not in (0, 1):
        raise AssertionError(f"archls check failed: {done.stderr[-2000:]}")
    out: dict[str, list[Seen]] = {path: [] for path in paths}
    for item in json.loads(done.stdout):
        out.setdefault(item["file"], []).append((item["rule"], item["line"] - 1, item["message"], item["severity"]))
    return {path: seen(items) for path, items in out.items() if path in out}
