"""What the editor tests share: where things are, what the real server can do, and what it should show.

Several editor steps depend on features that grow over time (quick fixes, exports, compose files,
completion). Each step asks the server or the engine first and skips with the reason when the
capability is not there yet, so it turns on by itself once the feature lands.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archls import config as configuration
from archls import engine, fixes
from archls.findings import Severity
from archls.rules.registry import Fix

ROOT = Path(__file__).resolve().parents[2]
WORKSPACE = Path(__file__).resolve().parent / "workspace"
ARCH_FILE = "shop.arch.yaml"
#: Loads without errors: archls refuses to export a file it cannot fully read.
EXPORT_FILE = "export.arch.yaml"
COMPOSE_FILE = "docker-compose.yml"
SERVER = [sys.executable, "-m", "archls", "serve"]
ARTIFACTS = ROOT / "test-artifacts"


def _message(body: dict[str, Any]) -> bytes:
    data = json.dumps(body).encode()
    return f"Content-Length: {len(data)}\r\n\r\n".encode() + data


def _read(stream: Any) -> dict[str, Any]:
    length = 0
    while True:
        line = stream.readline()
        if not line:
            raise EOFError("the server closed its output")
        if line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    return json.loads(stream.read(length))


@functools.cache
def server_capabilities() -> dict[str, Any]:
    """The capabilities the real server announces in its initialize answer."""
    proc = subprocess.Popen(SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdin and proc.stdout
    try:
        params = {"processId": None, "rootUri": None, "capabilities": {}}
        proc.stdin.write(_message({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": params}))
        proc.stdin.flush()
        while True:
            answer = _read(proc.stdout)
            if answer.get("id") == 1:
                break
        proc.stdin.write(_message({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}))
        proc.stdin.write(_message({"jsonrpc": "2.0", "method": "exit"}))
        proc.stdin.flush()
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return answer["result"]["capabilities"]


def offers(capability: str) -> bool:
    """Whether the server announces a capability (an options object, even an empty one, counts)."""
    return server_capabilities().get(capability) not in (None, False)


def server_commands() -> list[str]:
    return list((server_capabilities().get("executeCommandProvider") or {}).get("commands") or [])


def missing_command(name: str) -> str | None:
    """A skip reason when the server has no workspace command ``name``."""
    if name in server_commands():
        return None
    return f"the server has no {name} command yet (it offers {server_commands() or 'none'})"


def squiggle_lines(text: str, path: str, settings: dict[str, Any] | None = None) -> list[int]:
    """1-based lines VS Code underlines (errors and warnings) for this file, as the engine audits it
    with these editor ``settings``."""
    analysis = engine.analyse(text, path, configuration.for_path(path, settings))
    lines: set[int] = set()
    for finding in analysis.findings:
        if finding.file not in (None, analysis.path):
            continue
        if Severity(finding.severity) in (Severity.ERROR, Severity.WARNING):
            end = finding.range.end_line
            if finding.range.end_col == 0 and end > finding.range.start_line:
                end -= 1
            lines.update(range(finding.range.start_line + 1, end + 2))
    return sorted(lines)


def finding_lines(text: str, path: str, code: str) -> list[int]:
    analysis = engine.analyse(text, path, configuration.for_path(path))
    return [f.range.start_line + 1 for f in analysis.findings if f.code == code]


@dataclass
class QuickFix:
    code: str
    line: int  # 1-based
    column: int  # 0-based
    title: str
    after: str  # the whole text once the fix is applied


def quick_fix(text: str, path: str) -> QuickFix | str:
    """The first finding with a fix the engine can write, or why there is none (a skip reason)."""
    if server_capabilities().get("codeActionProvider") in (None, False):
        return "the server offers no code actions yet"
    analysis = engine.analyse(text, path, configuration.for_path(path))
    reasons = []
    for finding in analysis.findings:
        if not finding.fix:
            continue
        fix = Fix.from_json(finding.fix)
        try:
            edits = fixes.edits_for(analysis, fix)
        except fixes.FixError as exc:
            reasons.append(f"{finding.code}: {exc}")
            continue
        if not edits:
            continue
        return QuickFix(
            finding.code, finding.range.start_line + 1, finding.range.start_col, fix.title, fixes.apply(text, edits)
        )
    return "no finding in the test file has a fix the engine can write yet" + (
        f" ({'; '.join(reasons)})" if reasons else ""
    )


def compose_supported() -> str | None:
    """A skip reason when the server does not read compose files yet."""
    text = (WORKSPACE / COMPOSE_FILE).read_text(encoding="utf-8")
    if not engine.claims(str(WORKSPACE / COMPOSE_FILE), text):
        return "the server does not read compose files yet"
    if not squiggle_lines(text, str(WORKSPACE / COMPOSE_FILE)):
        return "the server finds nothing to underline in the compose test file yet"
    return None


def copy_workspace(dest: Path) -> Path:
    shutil.copytree(WORKSPACE, dest, dirs_exist_ok=True)
    return dest


def which(name: str) -> str | None:
    return shutil.which(name)


def artifacts(name: str) -> Path:
    path = Path(os.environ.get("ARCHLS_ARTIFACTS", ARTIFACTS)) / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def documented(section: str, language: str) -> str:
    """The first ``language`` code block under the heading ``## section`` of docs/editors.md."""
    text = (ROOT / "docs" / "editors.md").read_text("utf-8")
    body = text.split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    found = re.search(rf"```{language}\n(.*?)```", body, re.S)
    assert found, f"docs/editors.md has no {language} block under {section}"
    return found.group(1)
