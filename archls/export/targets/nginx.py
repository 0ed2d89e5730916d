"""An nginx reverse proxy for the entry services: TLS, HTTP to HTTPS redirect, security headers,
per-address rate limiting, websocket upgrades, gRPC where the service speaks it, and timeouts
taken from the connections' ``timeout_ms``.
"""

from __future__ import annotations

from archls.export.context import Comp, ExportContext
from archls.export.quoting import Safe
from archls.export.registry import target
from archls.export.templating import render


def _timeout_s(comp: Comp) -> int:
    timeouts = [c.c.timeout_ms for c in comp.incoming if c.c.timeout_ms]
    return max(int(max(timeouts) / 1000) + 1, 5) if timeouts else 60


def _grpc(comp: Comp) -> bool:
    protocols = {c.protocol for c in comp.incoming if c.protocol}
    return bool(protocols) and protocols <= {"grpc"}


@target(
    "nginx",
    "nginx reverse proxy",
    kind="deploy",
    description="nginx.conf for the entry services: TLS, redirects, security headers, rate limits, websockets, gRPC",
)
def nginx(ctx: ExportContext) -> dict[str, str]:
    entries = [
        {"c": c, "timeout": _timeout_s(c), "grpc": _grpc(c), "host": Safe(f"{c.dns}.{ctx.slug}.example.com")}
        for c in ctx.entry_services
        if c.speaks_http
    ]
    peak = ctx.requirements.peak_rps or 0
    rate = max(int(peak / 200), 10)
    return {"nginx.conf": render("nginx/nginx.conf.j2", ctx=ctx, entries=entries, rate=rate)}
