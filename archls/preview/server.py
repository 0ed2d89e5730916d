"""The loopback server behind a live preview in a browser.

It binds 127.0.0.1 only, on a port the system picks, and every request must carry the random token
that is in the page's address (a request without it, or for another host name, is refused: no other
process or web page can read the architecture or drive the editor through it). The page receives
each redraw as a server-sent event, asks for chaos results with POST /chaos, and "go to source" with
POST /reveal, which the owner turns into a ``window/showDocument`` (the language server) or a line on
the terminal (``archls preview``).
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from archls.preview.patch import Frame

if TYPE_CHECKING:
    from archls.engine import Analysis
    from archls.preview.layout import Layout
    from archls.preview.scene import Scene

log = logging.getLogger(__name__)

#: The largest request body accepted (chaos requests are a few names).
MAX_BODY = 64 * 1024
#: Seconds between keep-alive comments on an idle event stream.
KEEPALIVE = 15.0

#: Called with a component id; answers with a message for the page.
Reveal = Callable[[str], str]


#: Above how many components a changed graph is first sent as a sketch while it is laid out (laid out
#: from the drawing before, 200 components take about 0.04 s of CPU: less than a sketch and a second
#: redraw would).
SKETCH_ABOVE = 300


class PreviewServer:
    """One architecture's live page, served on 127.0.0.1 with a token."""

    def __init__(self, *, port: int = 0, on_reveal: Reveal | None = None, sketch: bool = True) -> None:
        self.token = secrets.token_urlsafe(24)
        self.on_reveal = on_reveal
        #: Whether a changed graph is first sent as a sketch of the drawing before (see :meth:`publish`).
        self.sketches = sketch
        self._lock = threading.Condition()
        self._publishing = threading.Lock()
        self._frame: Frame | None = None
        #: The event that takes a page from drawing ``_patch_base`` to ``_frame`` (None: send it whole).
        self._patch: bytes | None = None
        self._patch_base: int | None = None
        self._whole: bytes | None = None  # the whole drawing's event, made when a page first needs it
        self._error: str | None = None
        self._version = 0
        self._closed = False
        handler = type("Handler", (_Handler,), {"preview": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/?token={self.token}"

    @property
    def version(self) -> int:
        return self._version

    @property
    def _analysis(self) -> Analysis | None:
        frame = self._frame
        return frame.analysis if frame is not None else None

    def start(self) -> None:
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="archls-preview", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._lock:
            self._closed = True
            self._lock.notify_all()
        self.httpd.shutdown()
        self.httpd.server_close()

    def publish(self, analysis: Analysis) -> None:
        """Draw ``analysis`` and send it to every open page: what changed since the drawing a page
        has, or the whole drawing to a page that has another.

        When the graph changed, it is laid out from the drawing before (which moves little and
        costs a fraction of a fresh layout). Past ``SKETCH_ABOVE`` components the pages first get
        a sketch made from the drawing they have (:mod:`archls.preview.sketch`), then the layout,
        from a thread of its own, unless another edit came meanwhile."""
        from archls.preview import scene

        if analysis.model is None:
            problems = "; ".join(f"line {f.range.start_line + 1}: {f.message}" for f in analysis.findings[:2])
            self.publish_error(f"cannot draw {Path(analysis.path).name}: {problems or 'nothing to read'}")
            return
        with self._publishing:
            previous = self._frame
            before = previous.scene.layout if previous is not None else None
            sketch = self.sketches and len(analysis.model.components) > SKETCH_ABOVE
            drawn = scene.build(analysis, sketch_from=before if sketch else None, previous=before)
            self._send(analysis, drawn)
        if not drawn.settled:
            threading.Thread(
                target=self._settle, args=(analysis, before), name="archls-preview-layout", daemon=True
            ).start()

    def _settle(self, analysis: Analysis, before: Layout | None) -> None:
        from archls.preview import scene

        try:
            drawn = scene.build(analysis, previous=before)  # kept for the next edit of the same graph
        except Exception:  # the sketch stays; the next edit tries again
            log.exception("laying out the preview failed")
            return
        with self._publishing:
            frame = self._frame
            if self._closed or frame is None or frame.analysis is not analysis or self._error is not None:
                return  # another edit was drawn meanwhile, or could not be (its reason stays shown)
            self._send(analysis, drawn)

    def _send(self, analysis: Analysis, drawn: Scene) -> None:
        """Make ``drawn`` the current drawing (called holding ``_publishing``)."""
        from archls.preview import page, patch, svg

        drawing = svg.drawing(drawn, title=False)
        data = page.scene_data(analysis, drawn)
        with self._lock:
            version, previous = self._version + 1, self._frame
        frame = Frame(version, analysis, drawn, drawing, data)
        change = patch.diff(previous, frame) if previous is not None else None
        event = None
        if change is not None:
            event = _event({"version": version, "drawing": version, "base": previous.id, "patch": change}, version)
        with self._lock:
            self._version = version
            self._frame = frame
            self._patch, self._patch_base = event, (previous.id if previous is not None else None)
            self._whole = None
            self._error = None
            self._lock.notify_all()

    def publish_error(self, message: str) -> None:
        """Keep the last picture and tell the pages why it is not redrawn."""
        with self._lock:
            self._version += 1
            self._error = message
            self._lock.notify_all()

    # --- what the handler asks ----------------------------------------------------------------

    def page(self) -> str | None:
        from archls.preview import page

        frame = self._frame
        if frame is None:
            return None
        return page.render(
            frame.analysis, frame.scene, mode="http", token=self.token, drawing=(frame.id, frame.drawing)
        )

    def events(self, seen: int, have: int | None, timeout: float) -> tuple[int, int | None, list[bytes]]:
        """The events a page that saw ``seen`` and shows drawing ``have`` needs next (waiting up to
        ``timeout`` for something new): nothing, the patch from its drawing, or the whole drawing;
        then the reason the picture is not redrawn, if the last edit could not be drawn."""
        from archls.preview import page

        with self._lock:
            if self._version == seen and not self._closed:
                self._lock.wait(timeout)
            version, frame, error = self._version, self._frame, self._error
            if version == seen:
                return seen, have, []
            out = []
            if frame is not None and have != frame.id:
                if have is not None and self._patch is not None and self._patch_base == have:
                    out.append(self._patch)
                else:
                    if self._whole is None:
                        data = page.payload(frame.analysis, frame.scene, with_chaos=False, drawing=frame.drawing)
                        data.update(version=version, drawing=frame.id)
                        self._whole = _event(data, frame.id)
                    out.append(self._whole)
                have = frame.id
            if error is not None:
                out.append(_event({"version": version, "error": error}))
            return version, have, out

    @property
    def closed(self) -> bool:
        return self._closed

    def chaos(self, fail: list[str], zones: list[str]) -> dict[str, Any]:
        from archls.analysis import chaos

        with self._lock:
            analysis = self._analysis
        if analysis is None or analysis.model is None:
            raise chaos.ChaosError("nothing to fail yet")
        result = chaos.simulate(analysis.model, analysis.config, fail, zones, analysis.graph)
        return result.to_json()

    def rule(self, code: str) -> str | None:
        from archls.report import rule_text
        from archls.rules.registry import get

        found = get(code)
        return rule_text(found) if found is not None else None


class _Handler(BaseHTTPRequestHandler):
    preview: PreviewServer
    server_version = "archls-preview"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("preview %s: " + format, self.address_string(), *args)

    # --- checks -------------------------------------------------------------------------------

    def _allowed(self) -> bool:
        host = (self.headers.get("Host") or "").lower()
        port = self.preview.port
        if host not in {f"127.0.0.1:{port}", f"localhost:{port}"}:
            # A page on another origin reaching this port by a name it controls (DNS rebinding).
            self._send_json(HTTPStatus.FORBIDDEN, {"error": "wrong host"})
            return False
        query = parse_qs(urlsplit(self.path).query)
        given = (query.get("token") or [self.headers.get("X-Archls-Token") or ""])[0]
        if not hmac.compare_digest(given.encode(), self.preview.token.encode()):
            self._send_json(HTTPStatus.FORBIDDEN, {"error": "missing or wrong token"})
            return False
        return True

    def _headers(self, status: HTTPStatus, content_type: str, length: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        self.send_header("X-Frame-Options", "DENY")
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.end_headers()

    def _send_json(self, status: HTTPStatus, data: Any) -> None:
        body = json.dumps(data).encode()
        self._headers(status, "application/json", len(body))
        self.wfile.write(body)

    def _body(self) -> dict[str, Any] | None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self._send_json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": "request too large"})
            return None
        try:
            data = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            self._send_json(HTTPStatus.BAD_REQUEST, {"error": "the body is not JSON"})
            return None
        if not isinstance(data, dict):
            self._send_json(HTTPStatus.BAD_REQUEST, {"error": "the body must be a JSON object"})
            return None
        return data

    # --- routes -------------------------------------------------------------------------------

    def do_GET(self) -> None:
        if not self._allowed():
            return
        route = urlsplit(self.path).path
        if route == "/":
            html = self.preview.page()
            if html is None:
                self._send_json(HTTPStatus.SERVICE_UNAVAILABLE, {"error": "nothing drawn yet"})
                return
            body = html.encode()
            self._headers(HTTPStatus.OK, "text/html; charset=utf-8", len(body))
            self.wfile.write(body)
        elif route == "/events":
            self._events()
        elif route.startswith("/rules/"):
            text = self.preview.rule(route.removeprefix("/rules/"))
            if text is None:
                self._send_json(HTTPStatus.NOT_FOUND, {"error": "no such rule"})
                return
            body = text.encode()
            self._headers(HTTPStatus.OK, "text/plain; charset=utf-8", len(body))
            self.wfile.write(body)
        else:
            self._send_json(HTTPStatus.NOT_FOUND, {"error": "not found"})

    def do_POST(self) -> None:
        if not self._allowed():
            return
        route = urlsplit(self.path).path
        data = self._body()
        if data is None:
            return
        if route == "/chaos":
            from archls.analysis.chaos import ChaosError

            fail, zones = data.get("fail") or [], data.get("zones") or []
            if not (isinstance(fail, list) and isinstance(zones, list)) or not all(
                isinstance(n, str) for n in [*fail, *zones]
            ):
                self._send_json(HTTPStatus.BAD_REQUEST, {"error": "fail and zones are lists of names"})
                return
            try:
                self._send_json(HTTPStatus.OK, self.preview.chaos(fail, zones))
            except ChaosError as exc:
                self._send_json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
        elif route == "/reveal":
            cid = data.get("id")
            if not isinstance(cid, str) or self.preview.on_reveal is None:
                self._send_json(HTTPStatus.BAD_REQUEST, {"error": "give the id of a component"})
                return
            self._send_json(HTTPStatus.OK, {"message": self.preview.on_reveal(cid)})
        else:
            self._send_json(HTTPStatus.NOT_FOUND, {"error": "not found"})

    def _events(self) -> None:
        # A page says which drawing it shows: the one it was served with, or, reconnecting, the id of
        # the last event it received (EventSource sends it back by itself).
        query = parse_qs(urlsplit(self.path).query)
        given = self.headers.get("Last-Event-ID") or (query.get("drawing") or [""])[0]
        have = int(given) if given.isdigit() else None
        self._headers(HTTPStatus.OK, "text/event-stream; charset=utf-8")
        seen = 0
        try:
            while not self.preview.closed:
                seen, have, events = self.preview.events(seen, have, KEEPALIVE)
                self.wfile.write(b"".join(events) or b": keep-alive\n\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return


def _event(data: dict[str, Any], drawing: int | None = None) -> bytes:
    """A server-sent event; one that draws carries its drawing's number as the event's id."""
    head = f"id: {drawing}\n".encode() if drawing is not None else b""
    return head + b"event: update\ndata: " + json.dumps(data, separators=(",", ":")).encode() + b"\n\n"


# --- `archls preview FILE` ------------------------------------------------------------------------------


def _stamp(paths: list[str]) -> tuple[tuple[str, float, int], ...]:
    out = []
    for path in paths:
        try:
            stat = Path(path).stat()
            out.append((path, stat.st_mtime, stat.st_size))
        except OSError:
            out.append((path, 0.0, -1))
    return tuple(out)


def serve_file(path: Path, *, port: int = 0, open_browser: bool = True, out: IO[str], poll: float = 0.25) -> int:
    """Serve one file's page until interrupted, redrawing it whenever it (or a file it reads) is saved."""
    from archls.commands.loadtest import load_file

    def reveal(cid: str) -> str:
        with server._lock:
            analysis = server._analysis
        where = source_line(path, analysis, cid)
        print(f"go to source: {where} ({cid})", file=out, flush=True)
        return where

    analysis = load_file(str(path))
    server = PreviewServer(port=port, on_reveal=reveal)
    server.publish(analysis)
    server.start()
    print(f"archls preview of {path} at {server.url}", file=out, flush=True)
    print("redrawn on every save; Ctrl-C stops", file=out, flush=True)
    if open_browser:
        import webbrowser

        webbrowser.open(server.url)
    watched = [str(path), *analysis.inputs]
    stamp = _stamp(watched)
    try:
        while True:
            time.sleep(poll)
            now = _stamp(watched)
            if now == stamp:
                continue
            time.sleep(0.15)  # let the editor finish writing
            stamp = _stamp(watched)
            try:
                analysis = _reload(path)
            except Exception as exc:  # a file being rewritten, a format error: keep the last picture
                server.publish_error(str(exc))
                continue
            server.publish(analysis)
            watched = [str(path), *analysis.inputs]
            stamp = _stamp(watched)
            print(f"redrawn ({time.strftime('%H:%M:%S')})", file=out, flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def source_line(opened: Path, analysis: Analysis | None, cid: str) -> str:
    """Where "go to source" points on the terminal: ``path:line:column`` of the component in the file
    that defines it (a sibling of ``opened`` for a module or a set of manifests), named as the user
    named ``opened`` (relative when they gave a relative path)."""
    import os

    from archls.preview.scene import source_of

    found = source_of(analysis, cid) if analysis is not None else None
    if found is None:
        return str(opened)
    defined, key = found
    if os.path.abspath(defined) == os.path.abspath(opened):
        name = str(opened)
    elif opened.is_absolute():
        name = os.path.abspath(defined)
    else:
        name = os.path.relpath(os.path.abspath(defined))
    return f"{name}:{key.start_line + 1}:{key.start_col + 1}"


def _reload(path: Path) -> Analysis:
    from archls import config as configuration
    from archls import engine

    data = path.read_bytes()
    text, _ = engine.decode(data)
    return engine.analyse(text, str(path), configuration.for_path(path))
