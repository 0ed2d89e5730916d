"""The Anthropic backend: Claude through the official ``anthropic`` SDK, with structured output by
tool use (the tool's input schema is the architecture's JSON Schema), the SDK's retries with
exponential backoff on 429, 529 and 5xx, a timeout per request, and a response cache keyed by the
request, so asking the same thing twice costs one call.

The SDK honours ``ANTHROPIC_BASE_URL``, so a company gateway or proxy can stand in front of the API.
The key is given to the SDK and nowhere else: errors are reported by status, never by echoing what
the SDK raised, and a log filter takes the key out of anything the SDK or httpx logs.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archls.assistant.backend import BackendUnavailable, Draft, Settings, Suggestion
from archls.assistant.privacy import guard_logs, redact_text

if TYPE_CHECKING:
    from archls.assistant.brief import Brief
    from archls.engine import Analysis

TOOL_NAME = "write_architecture"
MAX_TOKENS = 16000

SYSTEM = """You design software architectures as archls architecture files.
Given a description of a system, call the write_architecture tool once with:
- architecture: the system as data following the tool's schema (components by id, typed connections
  with protocols and timeouts, flows with rps and latency budgets, groups for trust boundaries);
- assumptions: short sentences for every choice the description does not state.
Rules the audits check: internet-facing entry points use TLS, authentication and a WAF or rate limit;
stores holding personal, card or health data are encrypted at rest, backed up and audit-logged;
sensitive data travels over TLS; services run replicas across three zones with health checks;
calls have timeouts that shrink down each chain, and calls to third parties have retries and circuit
breakers; include monitoring. Keep the stated requirements exactly as given. Ids are lowercase with
dashes. Never include secrets, credentials or example passwords."""


def tool_definition() -> dict[str, Any]:
    """The tool whose input is an architecture and its assumptions, for structured output."""
    from archls.schema import json_schema

    schema = json_schema()
    defs = schema.pop("$defs", {})
    for key in ("$schema", "$id", "title"):
        schema.pop(key, None)
    return {
        "name": TOOL_NAME,
        "description": "Write the architecture (archls format) and the assumptions behind it.",
        "input_schema": {
            "type": "object",
            "properties": {
                "architecture": schema,
                "assumptions": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["architecture", "assumptions"],
            "$defs": defs,
        },
    }


class _Cache:
    """Responses by request digest: in memory, and on disk under the user's cache folder."""

    def __init__(self) -> None:
        self._memory: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def folder() -> Path | None:
        if os.environ.get("ARCHLS_AI_CACHE", "1") == "0":
            return None
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        return Path(base) / "archls" / "assistant"

    def clear(self) -> None:
        with self._lock:
            self._memory.clear()

    def get(self, digest: str) -> Any | None:
        with self._lock:
            if digest in self._memory:
                self._memory.move_to_end(digest)
                return self._memory[digest]
        folder = self.folder()
        if folder is None:
            return None
        try:
            return json.loads((folder / f"{digest}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def put(self, digest: str, value: Any) -> None:
        with self._lock:
            self._memory[digest] = value
            while len(self._memory) > 64:
                self._memory.popitem(last=False)
        folder = self.folder()
        if folder is None:
            return
        try:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{digest}.json").write_text(json.dumps(value), encoding="utf-8")
        except OSError:
            pass  # a cache that cannot be written is only slower


CACHE = _Cache()


def _brief_lines(brief: Brief) -> str:
    stated = json.dumps(brief.requirements(), sort_keys=True)
    return f"Requirements read from the description (keep them exactly): {stated}"


def build_request(
    model: str, messages: list[dict[str, Any]], *, tool: bool = True, max_tokens: int = MAX_TOKENS
) -> dict[str, Any]:
    request: dict[str, Any] = {"model": model, "max_tokens": max_tokens, "system": SYSTEM}
    if tool:
        request["tools"] = [tool_definition()]
        request["tool_choice"] = {"type": "tool", "name": TOOL_NAME}
    request["messages"] = messages
    return request


def draft_request(model: str, brief: Brief) -> dict[str, Any]:
    """The exact request a draft sends (``archls generate --show-request`` prints it)."""
    prompt = (
        "Design the architecture for this description (secret-looking values were replaced by ${SECRET}):\n\n"
        f"{redact_text(brief.text)}\n\n{_brief_lines(brief)}"
    )
    return build_request(model, [{"role": "user", "content": prompt}])


class AnthropicBackend:
    name = "anthropic"

    def __init__(self, settings: Settings, *, http_client: Any = None) -> None:
        import anthropic

        self.settings = settings
        guard_logs(settings.api_key)
        kwargs: dict[str, Any] = {
            "api_key": settings.api_key,
            "timeout": settings.timeout_s,
            "max_retries": settings.max_retries,
        }
        if settings.base_url:
            kwargs["base_url"] = settings.base_url
        if http_client is not None:
            kwargs["http_client"] = http_client
        self.client = anthropic.Anthropic(**kwargs)

    # --- requests -----------------------------------------------------------------------------

    def draft_request(self, brief: Brief) -> dict[str, Any]:
        return draft_request(self.settings.model, brief)

    def _request(
        self, messages: list[dict[str, Any]], *, tool: bool = True, max_tokens: int = MAX_TOKENS
    ) -> dict[str, Any]:
        return build_request(self.settings.model, messages, tool=tool, max_tokens=max_tokens)

    def _send(self, request: dict[str, Any]) -> Any:
        import anthropic

        digest = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()
        cached = CACHE.get(digest)
        if cached is not None:
            return cached
        try:
            message = self.client.messages.create(**request)
        except anthropic.APITimeoutError as exc:
            raise BackendUnavailable(f"the Anthropic API did not answer within {self.settings.timeout_s:g} s") from exc
        except anthropic.APIConnectionError as exc:
            raise BackendUnavailable(f"could not reach the Anthropic API at {self.client.base_url}") from exc
        except anthropic.AuthenticationError as exc:
            raise BackendUnavailable("the Anthropic API refused the key (HTTP 401); check ANTHROPIC_API_KEY") from exc
        except anthropic.APIStatusError as exc:
            retried = (
                f" after {self.settings.max_retries} retries"
                if exc.status_code in {408, 409, 429} or exc.status_code >= 500
                else ""
            )
            what = {429: "rate limited", 529: "overloaded"}.get(exc.status_code, "failed")
            raise BackendUnavailable(f"the Anthropic API {what} (HTTP {exc.status_code}){retried}") from exc
        content = [block.model_dump() for block in message.content]
        CACHE.put(digest, content)
        return content

    def _tool_input(self, request: dict[str, Any]) -> dict[str, Any]:
        for block in self._send(request):
            if (
                block.get("type") == "tool_use"
                and block.get("name") == TOOL_NAME
                and isinstance(block.get("input"), dict)
            ):
                return block["input"]
        return {}

    def _draft_from(self, data: dict[str, Any]) -> Draft:
        arch = data.get("architecture")
        assumptions = [str(a) for a in data.get("assumptions") or [] if isinstance(a, str | int | float)]
        return Draft(arch if isinstance(arch, dict) else {}, assumptions, self.name)

    # --- the backend interface ----------------------------------------------------------------

    def draft(self, brief: Brief) -> Draft:
        return self._draft_from(self._tool_input(self.draft_request(brief)))

    def _follow_up(self, brief: Brief, draft: Draft, ask: str) -> Draft:
        first = self.draft_request(brief)["messages"][0]
        previous = json.dumps({"architecture": draft.architecture, "assumptions": draft.assumptions})
        messages = [
            first,
            {"role": "assistant", "content": f"Draft:\n{redact_text(previous)}"},
            {"role": "user", "content": ask},
        ]
        return self._draft_from(self._tool_input(self._request(messages)))

    def repair(self, draft: Draft, brief: Brief, errors: list[str]) -> Draft:
        ask = "archls could not load this draft:\n" + "\n".join(f"- {e}" for e in errors[:30])
        return self._follow_up(brief, draft, ask + "\nCall write_architecture again with every error fixed.")

    def improve(self, draft: Draft, brief: Brief, analysis: Analysis) -> Draft | None:
        from archls.findings import Severity

        findings = [
            f"line {f.range.start_line + 1}: {f.code} {f.message}"
            for f in analysis.findings
            if f.severity is Severity.ERROR
        ]
        ask = "The audits report these errors on the draft:\n" + "\n".join(f"- {f}" for f in findings[:30])
        return self._follow_up(
            brief, draft, ask + "\nCall write_architecture again with them fixed; change nothing else."
        )

    def _text(self, prompt: str, max_tokens: int = 1024) -> str:
        request = self._request([{"role": "user", "content": redact_text(prompt)}], tool=False, max_tokens=max_tokens)
        return "".join(b.get("text", "") for b in self._send(request) if b.get("type") == "text")

    def suggest(self, text: str, line: int) -> list[Suggestion]:
        lines = text.split("\n")
        prompt = (
            "This is an archls architecture file. The cursor is after line "
            f"{line + 1}. Propose the next component or connection as YAML to insert there, with the "
            "indentation of the surrounding block, and nothing else (no code fences, no prose).\n\n"
            + "\n".join(lines[: line + 1])
            + "\n<cursor>\n"
            + "\n".join(lines[line + 1 :])
        )
        # Leading spaces are the block's indentation: only blank lines and code fences are trimmed.
        lines = [ln for ln in self._text(prompt, max_tokens=512).split("\n") if not ln.startswith("```")]
        answer = "\n".join(lines).strip("\n")
        return [Suggestion(answer + "\n", "suggested by Claude")] if answer.strip() else []

    def explain(self, context: dict[str, Any]) -> str | None:
        prompt = (
            "Explain this archls finding to the architecture's author in at most 120 words: why it matters "
            "for this system and what to change.\n\n" + json.dumps(context, indent=1)
        )
        return self._text(prompt, max_tokens=400).strip() or None

    def fix(self, context: dict[str, Any]) -> str | None:
        prompt = (
            "Fix this archls finding in the architecture file below. Answer with the whole corrected file "
            "and nothing else (no code fences); change only what the fix needs.\n\n"
            + json.dumps({k: v for k, v in context.items() if k != "text"}, indent=1)
            + "\n\nFile:\n"
            + str(context.get("text", ""))
        )
        answer = self._text(prompt, max_tokens=MAX_TOKENS).strip("\n")
        if answer.startswith("```"):
            answer = answer.split("\n", 1)[-1].rsplit("```", 1)[0]
        return answer or None
