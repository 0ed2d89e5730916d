"""A stand-in for Anthropic's Messages API on 127.0.0.1, for the server process (which builds its
own client from ANTHROPIC_BASE_URL). It answers like a model would, deterministically:

- a request with the write_architecture tool: the offline composition of the description;
- "Propose the next component": a cache block;
- "Explain this archls finding": a sentence naming the rule;
- "Fix this archls finding": the file with ``auth: oidc`` added under ``public: true``.
A description containing SLOW makes it wait, so a test can cancel the request meanwhile.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from archls.assistant.brief import parse
from archls.assistant.offline import compose

SUGGESTION = "  session-cache:\n    type: cache\n    technology: redis\n    encryption_at_rest: true\n"


def _message(content: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": "msg_standin",
        "type": "message",
        "role": "assistant",
        "model": "claude-standin",
        "content": content,
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 1, "output_tokens": 1},
    }


def answer(body: dict[str, Any]) -> dict[str, Any]:
    first = body["messages"][0]["content"]
    last = body["messages"][-1]["content"]
    if body.get("tools"):
        description = first.split("\n\n")[1] if "\n\n" in first else first
        if "SLOW" in description:
            time.sleep(2)
        arch = compose(parse(description)).architecture
        block = {"type": "tool_use", "id": "toolu_standin", "name": "write_architecture",
                 "input": {"architecture": arch, "assumptions": ["answered by the stand-in model"]}}  # fmt: skip
        return _message([block])
    if "Propose the next component" in last:
        return _message([{"type": "text", "text": SUGGESTION}])
    if "Explain this archls finding" in last:
        rule = re.search(r'"rule": "(\w+)"', last)
        return _message([{"type": "text", "text": f"The stand-in model explains {rule.group(1) if rule else '?'}."}])
    if "Fix this archls finding" in last:
        text = last.split("\n\nFile:\n", 1)[1]
        fixed = re.sub(r"^(\s+)public: true\n", r"\1public: true\n\1auth: oidc\n", text, count=1, flags=re.M)
        return _message([{"type": "text", "text": fixed}])
    return _message([{"type": "text", "text": ""}])


class StandIn:
    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.requests: list[tuple[dict[str, str], dict[str, Any]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                outer.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                if outer.delay:
                    time.sleep(outer.delay)  # a model's answer takes time
                data = json.dumps(answer(body)).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> StandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
