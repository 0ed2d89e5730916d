"""Vercel for the frontends: a ``vercel.json`` per browser app the team builds, rewriting
``/api/...`` to the public host of each API it calls, with security headers.

A frontend is a client or service whose technology is a web framework (React, Vue, Next.js...).
Its APIs are the services and gateways it calls, directly or through the edge (CDN, load
balancer, WAF), reached at ``<api>.<domain>`` as the Terraform load balancer routes them.
"""

from __future__ import annotations

from typing import Any

from archls.export.context import Comp, ExportContext
from archls.export.emit import json_doc
from archls.export.registry import target

#: Technologies that make a component a web frontend Vercel can host.
FRONTEND_TECHNOLOGIES = frozenset(
    {"react", "vue", "angular", "svelte", "sveltekit", "nextjs", "next", "nuxt", "remix", "astro", "gatsby",
     "solid", "solidjs", "preact", "vite", "ember", "qwik"}
)  # fmt: skip
SCHEMA = "https://openapi.vercel.sh/vercel.json"
HEADERS = [
    {"key": "Strict-Transport-Security", "value": "max-age=63072000; includeSubDomains; preload"},
    {"key": "X-Content-Type-Options", "value": "nosniff"},
    {"key": "X-Frame-Options", "value": "DENY"},
    {"key": "Referrer-Policy", "value": "strict-origin-when-cross-origin"},
    {"key": "Permissions-Policy", "value": "camera=(), microphone=(), geolocation=()"},
]


def is_frontend(comp: Comp) -> bool:
    key = comp.technology.lower().replace(".js", "js").replace(".", "").replace(" ", "")
    return comp.type in {"client", "service"} and key in FRONTEND_TECHNOLOGIES


def frontends(ctx: ExportContext) -> list[Comp]:
    return [c for c in ctx.components if is_frontend(c)]


def apis(comp: Comp) -> list[Comp]:
    """What the frontend calls: services and gateways, looking through the edge in between."""
    found: dict[str, Comp] = {}
    seen: set[str] = set()
    todo = list(comp.callees)
    while todo:
        callee = todo.pop(0)
        if callee.id in seen:
            continue
        seen.add(callee.id)
        if callee.is_edge:
            todo += callee.callees
        elif callee.deployable or callee.type == "api-gateway":
            found[callee.id] = callee
    return [found[k] for k in sorted(found)]


def vercel_json(ctx: ExportContext, comp: Comp) -> dict[str, Any]:
    called = apis(comp)
    domain = f"{ctx.slug}.example.com"
    if len(called) == 1:
        rewrites = [{"source": "/api/:path*", "destination": f"https://{called[0].dns}.{domain}/:path*"}]
    else:
        rewrites = [
            {"source": f"/api/{api.dns}/:path*", "destination": f"https://{api.dns}.{domain}/:path*"} for api in called
        ]
    # A single-page app: every other path serves the app, which routes in the browser.
    rewrites.append({"source": "/((?!api/).*)", "destination": "/index.html"})
    return {
        "$schema": SCHEMA,
        "cleanUrls": True,
        "trailingSlash": False,
        "rewrites": rewrites,
        "headers": [{"source": "/(.*)", "headers": HEADERS}],
    }


@target(
    "vercel",
    "Vercel",
    kind="deploy",
    description="A vercel.json per web frontend: /api rewrites to the APIs it calls, security headers",
)
def vercel(ctx: ExportContext) -> dict[str, str]:
    files = {f"{comp.dns}/vercel.json": json_doc(vercel_json(ctx, comp)) for comp in frontends(ctx)}
    if not files:
        files["README.md"] = (
            "# Vercel\n\nNo component of this architecture is a web frontend (a client or service whose "
            "technology is React, Vue, Next.js, Svelte, Angular...), so there is nothing to deploy on Vercel.\n"
        )
    return files
