"""The assistant in the editor; the work is in :mod:`archls.assistant`, this module translates.

- ``archls.generate`` (description, optional output file): an architecture from words, with
  ``$/progress``; cancelled by ``$/cancelRequest``. Without an output the text is returned for the
  client to open as a new document; with one, it is written only inside the workspace folders and
  never over an existing file unless ``overwrite`` is true.
- ``textDocument/inlineCompletion``: the next component or connection as ghost text. Debounced,
  and dropped when the document changed meanwhile or the request was cancelled; a model call runs
  in a worker thread with its own timeout, so ordinary completion never waits for it.
- ``archls.explain`` (uri, code, line): the finding explained in terms of this file.
- ``archls.fixWithAI`` (uri, code, line, version): asks the model for a fix, applies it to a copy,
  and edits the document only when the copy still loads, the finding is gone and no new
  error-severity finding appears.
- ``archls.aiStatus``: the active backend and why.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcInvalidParams, JsonRpcRequestCancelled
from pygls.uris import from_fs_path, to_fs_path

from archls.formats.archyaml import is_arch_file
from archls.server.app import ArchServer

if TYPE_CHECKING:
    from archls.assistant.backend import Choice, Settings
    from archls.engine import Analysis
    from archls.findings import Finding

#: Milliseconds the inline completion waits for typing to pause (``archls.ai.inlineDebounceMs``).
INLINE_DEBOUNCE_MS = 250
_choices: dict[tuple[Any, ...], Choice] = {}
_lock = threading.Lock()
#: The id of the request being handled, seen by the tasks it starts (a command runs in a task of
#: its own, which pygls's own $/cancelRequest handling does not reach).
_REQUEST: contextvars.ContextVar[Any] = contextvars.ContextVar("archls_request", default=None)
_running: dict[Any, asyncio.Task[Any]] = {}
#: Documents with a model call for ghost text under way.
_asking: set[str] = set()


def follow_cancellation(server: ArchServer) -> None:
    """Make $/cancelRequest cancel the task of a running command too, not only its request."""
    protocol = server.protocol
    handle_request = getattr(protocol, "_handle_request", None)
    handle_cancel = getattr(protocol, "_handle_cancel_notification", None)
    if handle_request is None or handle_cancel is None:
        return

    def request(msg_id: Any, method_name: str, params: Any) -> Any:
        token = _REQUEST.set(msg_id)
        try:
            return handle_request(msg_id, method_name, params)
        finally:
            _REQUEST.reset(token)

    def cancel(msg_id: Any) -> None:
        task = _running.pop(msg_id, None)
        handle_cancel(msg_id)
        if task is not None:
            # pygls answers the cancelled request itself; the task's own ending is only collected.
            task.add_done_callback(lambda t: t.cancelled() or t.exception())
            task.cancel()

    protocol._handle_request = request  # type: ignore[method-assign]
    protocol._handle_cancel_notification = cancel  # type: ignore[method-assign]


class _Cancellable:
    """While a command runs: its task, found by the request id when the client cancels."""

    def __enter__(self) -> _Cancellable:
        self.rid = _REQUEST.get()
        task = asyncio.current_task()
        if self.rid is not None and task is not None:
            _running[self.rid] = task
        return self

    def __exit__(self, *exc: object) -> None:
        if self.rid is not None:
            _running.pop(self.rid, None)


class CommandError(JsonRpcInvalidParams):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def ai_settings(ls: ArchServer, uri: str = "") -> Settings:
    from archls.assistant.backend import Settings

    section = ls.editor_settings(uri).get("ai")
    return Settings.from_env(section if isinstance(section, dict) else {})


def choice(ls: ArchServer, uri: str = "") -> Choice:
    """The backend for this document's settings; one client per distinct key, model and endpoint."""
    from archls.assistant.backend import choose

    settings = ai_settings(ls, uri)
    key = (settings.enabled, settings.api_key, settings.model, settings.base_url, settings.backend,
           settings.timeout_s, settings.max_retries)  # fmt: skip
    with _lock:
        found = _choices.get(key)
        if found is None:
            found = _choices[key] = choose(settings)
        return found


def _arguments(args: tuple[Any, ...], names: tuple[str, ...]) -> dict[str, Any]:
    if len(args) == 1 and isinstance(args[0], dict):
        return {n: args[0].get(n) for n in names}
    return {n: (args[i] if i < len(args) else None) for i, n in enumerate(names)}


def _open_analysis(ls: ArchServer, uri: Any) -> Analysis:
    if not isinstance(uri, str) or uri not in ls.workspace.text_documents:
        raise CommandError(f"archls: {uri!r} is not an open document")
    return ls.analyse(uri)


def _finding(analysis: Analysis, code: Any, line: Any) -> Finding:
    from archls.assistant.explain import finding_at

    finding = finding_at(analysis, str(code), line if isinstance(line, int) else None)
    if finding is None:
        raise CommandError(f"archls: no {code} finding in this file (it may be fixed already)")
    return finding


# --- generate ----------------------------------------------------------------------------------


def _output_path(ls: ArchServer, output: Any, overwrite: bool) -> Path | None:
    from archls.server.features.export import inside_workspace, workspace_roots

    if not output:
        return None
    if not isinstance(output, str):
        raise CommandError("archls: the output must be a path or a file: URI")
    given = to_fs_path(output) if output.startswith("file:") else output
    if not given:
        raise CommandError("archls: the output must be a path or a file: URI")
    path = Path(given)
    if not path.is_absolute():
        roots = workspace_roots(ls)
        if not roots:
            raise CommandError("archls: a relative output needs an open workspace folder")
        path = roots[0] / path
    if not inside_workspace(ls, path.parent):
        raise CommandError(f"archls: refusing to write {path}: it is outside the workspace folders")
    if path.exists() and not overwrite:
        raise CommandError(f"archls: {path} exists; pass overwrite: true to replace it")
    if path.is_dir() or not path.parent.is_dir():
        raise CommandError(f"archls: cannot write {path}: its folder does not exist")
    return path


async def generate_command(ls: ArchServer, *args: Any) -> dict[str, Any]:
    from archls.assistant.generate import Cancelled, generate
    from archls.server.features.export import _Progress

    params = _arguments(args, ("description", "output", "overwrite", "uri"))
    description = params["description"]
    if not isinstance(description, str) or not description.strip():
        raise CommandError("archls: describe the system to generate")
    if len(description) > 200_000:
        raise CommandError("archls: the description is too long (at most 200,000 characters)")
    output = _output_path(ls, params["output"], bool(params["overwrite"]))
    chosen = choice(ls, params["uri"] if isinstance(params["uri"], str) else "")
    progress = _Progress(ls, "archls: generating an architecture")
    await progress.begin(f"{chosen.backend.name} backend")
    loop = asyncio.get_running_loop()
    stop = threading.Event()

    def report(message: str, percent: int) -> None:
        loop.call_soon_threadsafe(progress.report, message, percent)

    try:
        with _Cancellable():
            result = await asyncio.to_thread(
                generate, description, backend=chosen.backend, progress=report, cancelled=stop.is_set
            )
    except (asyncio.CancelledError, Cancelled) as exc:
        stop.set()
        progress.end("cancelled")
        # As an error answer: the task pygls runs the command in must end, not vanish.
        raise JsonRpcRequestCancelled("archls: generation cancelled") from exc
    except Exception as exc:
        progress.end("failed")
        ls.log_exception("generate")
        raise CommandError(f"archls: generation failed: {type(exc).__name__}") from exc
    answer: dict[str, Any] = {
        "text": result.text,
        "backend": result.backend,
        "reason": chosen.reason,
        "grade": result.grade,
        "errors": len(result.errors),
        "notes": result.notes,
    }
    if output is not None:
        output.write_text(result.text, encoding="utf-8")
        answer["outputUri"] = from_fs_path(str(output))
    progress.end(f"grade {result.grade}")
    for note in result.notes:
        if "instead" in note:
            ls.window_show_message(lsp.ShowMessageParams(lsp.MessageType.Warning, f"archls: {note}"))
    return answer


# --- inline completion ---------------------------------------------------------------------------


def _inline_items(lines: list[str], line: int, col: int, texts: list[str]) -> list[lsp.InlineCompletionItem]:
    typed = lines[line][:col] if line < len(lines) else ""
    if lines[line][col:].strip() if line < len(lines) else False:
        return []  # text after the cursor: nothing is inserted in the middle of a line
    out = []
    for text in texts:
        body = text.rstrip("\n")
        if typed.strip() and not body.startswith(typed):
            continue
        # The range covers what was typed on the line (at least its indentation), so the block
        # replaces it with its own indentation.
        out.append(
            lsp.InlineCompletionItem(insert_text=body, range=lsp.Range(lsp.Position(line, 0), lsp.Position(line, col)))
        )
    return out


async def inline_completion(ls: ArchServer, params: lsp.InlineCompletionParams) -> lsp.InlineCompletionList | None:
    from archls.assistant.backend import BackendUnavailable
    from archls.assistant.suggest import suggestions_at
    from archls.server import views

    uri = params.text_document.uri
    if not is_arch_file(uri) or uri not in ls.workspace.text_documents:
        return None
    settings = ls.editor_settings(uri).get("ai")
    settings = settings if isinstance(settings, dict) else {}
    if settings.get("inlineCompletion") is False:
        return None
    doc = ls.document(uri)
    version = doc.version
    if params.position.line < len(doc.lines) and doc.lines[params.position.line].strip():
        return None  # ghost text is offered on a new line, not while a line is being written
    debounce = settings.get("inlineDebounceMs", INLINE_DEBOUNCE_MS)
    if isinstance(debounce, int | float) and debounce > 0:
        await asyncio.sleep(debounce / 1000)  # a keystroke meanwhile cancels this request
    doc = ls.document(uri)
    if doc.version != version:
        return None
    text = doc.source
    lines = text.split("\n")
    codec = ls.workspace.position_codec
    position = codec.position_from_client_units(lines, params.position)
    line, col = position.line, position.character
    if line >= len(lines):
        return None
    if lines[line].strip():
        return None  # ghost text is offered on a new line, not while a line is being written
    # From the last audit's model when there is one: parsing a large file on every keystroke would
    # cost more than it gives.
    recent = views.recent(ls, uri)
    found = await asyncio.to_thread(suggestions_at, lines, line, recent.model if recent is not None else None)
    texts = [s.text for s in found]
    chosen = choice(ls, uri)
    if chosen.backend.name != "offline" and uri not in _asking:
        # One model call per document at a time: a thread cannot be stopped, so a call the next
        # keystroke made useless is left to finish rather than joined by more.
        _asking.add(uri)
        rest = "\n".join(lines[:line] + lines[line + 1 :])  # the file without the line being started

        def ask() -> list[Any]:
            try:
                return chosen.backend.suggest(rest, max(0, line - 1))
            finally:
                _asking.discard(uri)  # when the call ends, even if its request was cancelled

        try:
            remote = await asyncio.to_thread(ask)
            texts = [s.text for s in remote] + texts
        except BackendUnavailable as exc:
            ls.window_log_message(lsp.LogMessageParams(lsp.MessageType.Warning, f"archls: inline completion: {exc}"))
    if ls.document(uri).version != version:
        return None
    items = _inline_items(lines, line, col, texts[:5])
    return lsp.InlineCompletionList(items=items) if items else None


# --- explain and fix with AI -------------------------------------------------------------------


async def explain_command(ls: ArchServer, *args: Any) -> dict[str, Any]:
    from archls.assistant import explain
    from archls.assistant.backend import BackendUnavailable
    from archls.server import views

    params = _arguments(args, ("uri", "code", "line"))
    analysis = _open_analysis(ls, params["uri"])
    finding = _finding(analysis, params["code"], params["line"])
    page = explain.offline(analysis, finding)
    chosen = choice(ls, params["uri"])
    source = "offline"
    markdown = page
    if chosen.backend.name != "offline":
        try:
            said = await asyncio.to_thread(chosen.backend.explain, explain.context(analysis, finding))
        except BackendUnavailable as exc:
            said = None
            markdown = f"_{exc}; the rule's page follows._\n\n{page}"
        if said:
            markdown = f"{said}\n\n---\n\n{page}"
            source = chosen.backend.name
    ls.window_show_message(lsp.ShowMessageParams(lsp.MessageType.Info, views.plain(markdown)))
    return {"markdown": markdown, "code": finding.code, "source": source}


def _error_keys(analysis: Analysis) -> set[tuple[str, tuple[Any, ...]]]:
    from archls.findings import Severity

    return {(f.code, tuple(f.path)) for f in analysis.findings if f.severity is Severity.ERROR}


def check_fix(before: Analysis, finding: Finding, text: str) -> str | None:
    """Why the proposed ``text`` is not offered (None: it is): it must load, lose the finding and
    add no error-severity finding."""
    from archls import engine
    from archls.findings import Severity

    after = engine.analyse(text, before.path, before.config)
    if after.model is None or any(f.code.startswith("ARCH") and f.severity is Severity.ERROR for f in after.findings):
        return "the proposed file does not load"
    if any(f.code == finding.code and tuple(f.path) == tuple(finding.path) for f in after.findings):
        return f"{finding.code} is still reported"
    new = _error_keys(after) - _error_keys(before)
    if new:
        return "it adds " + ", ".join(sorted({code for code, _ in new}))
    return None


async def fix_command(ls: ArchServer, *args: Any) -> dict[str, Any]:
    from archls import fixes
    from archls.assistant import explain
    from archls.assistant.backend import BackendUnavailable
    from archls.assistant.privacy import redact_text
    from archls.server.features.code_actions import workspace_edit

    params = _arguments(args, ("uri", "code", "line", "version"))
    uri = params["uri"]
    analysis = _open_analysis(ls, uri)
    doc = ls.document(uri)
    if params["version"] is not None and params["version"] != doc.version:
        raise CommandError("archls: the document changed; ask for the fix again")
    finding = _finding(analysis, params["code"], params["line"])
    chosen = choice(ls, uri)
    if chosen.backend.name == "offline":
        raise CommandError(f"archls: Fix with AI needs a model: {chosen.reason}")
    context = explain.context(analysis, finding)
    # The file goes out redacted; a proposal is judged against the redacted text, so a secret the
    # model never saw cannot be "fixed" away or written back in.
    context["text"] = redact_text(analysis.text)
    try:
        proposal = await asyncio.to_thread(chosen.backend.fix, context)
    except BackendUnavailable as exc:
        raise CommandError(f"archls: Fix with AI: {exc}") from exc
    if proposal and analysis.text.endswith("\n") and not proposal.endswith("\n"):
        proposal += "\n"
    if not proposal or proposal == analysis.text:
        reason: str | None = "the model proposed no change"
    elif context["text"] != analysis.text:
        reason = "the file holds secret-looking values, which were not sent; fix it by hand"
    else:
        reason = check_fix(analysis, finding, proposal)
    if reason is not None:
        ls.window_show_message(
            lsp.ShowMessageParams(lsp.MessageType.Warning, f"archls: Fix with AI not applied: {reason}")
        )
        return {"applied": False, "reason": reason}
    if ls.document(uri).version != doc.version:
        return {"applied": False, "reason": "the document changed while the fix was prepared"}
    edits = fixes.diff_edits(analysis.text, proposal)
    result = await ls.workspace_apply_edit_async(
        lsp.ApplyWorkspaceEditParams(edit=workspace_edit(ls, doc, edits), label=f"Fix {finding.code} with AI")
    )
    return {"applied": bool(result and result.applied), "edits": len(edits)}


def code_actions(
    ls: ArchServer, uri: str, analysis: Analysis, diagnostic: lsp.Diagnostic, finding: Finding | None
) -> list[lsp.CodeAction]:
    """ "Explain" on every finding; "Fix with AI" on findings without a mechanical fix, with a model."""
    code = diagnostic.code
    if not isinstance(code, str) or finding is None:
        return []
    line = finding.range.start_line
    out = [
        lsp.CodeAction(
            title=f"Explain {code}",
            kind=lsp.CodeActionKind.Empty,
            diagnostics=[diagnostic],
            command=lsp.Command(f"Explain {code}", "archls.explain", arguments=[uri, code, line]),
        )
    ]
    if not finding.fix and not code.startswith("ARCH") and choice(ls, uri).backend.name != "offline":
        version = ls.document(uri).version
        out.append(
            lsp.CodeAction(
                title=f"Fix with AI ({code})",
                kind=lsp.CodeActionKind.QuickFix,
                diagnostics=[diagnostic],
                command=lsp.Command(f"Fix {code} with AI", "archls.fixWithAI", arguments=[uri, code, line, version]),
            )
        )
    return out


def register(server: ArchServer) -> None:
    follow_cancellation(server)
    server.command("archls.generate")(generate_command)
    server.command("archls.explain")(explain_command)
    server.command("archls.fixWithAI")(fix_command)

    @server.command("archls.aiStatus")
    def ai_status(ls: ArchServer, *args: Any) -> dict[str, Any]:
        uri = args[0] if args and isinstance(args[0], str) else ""
        chosen = choice(ls, uri)
        settings = ai_settings(ls, uri)
        return {
            "backend": chosen.backend.name,
            "reason": chosen.reason,
            "model": settings.model if chosen.backend.name != "offline" else None,
        }

    server.feature(lsp.TEXT_DOCUMENT_INLINE_COMPLETION, lsp.InlineCompletionOptions())(inline_completion)
