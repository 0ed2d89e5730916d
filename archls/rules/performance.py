"""Performance rules (PERF001-099): structure that costs latency under load.

Thresholds come from configuration (``thresholds:`` in ``.archls.yaml``); the names are given in
each rule's documentation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from archls.findings import Severity
from archls.model import Component, ComponentType, DataKind, Protocol
from archls.rules._common import OUTSIDE, PASS_THROUGH, blocking_order, facts, flow_rates, names, timed_calls
from archls.rules.registry import Fix, Hit, RuleContext, rule

TAIL = "Dean and Barroso, The Tail at Scale (CACM 2013)"
NYGARD = "Release It! (Nygard), 2nd ed.: timeouts, bulkheads and integration points"


def _fmt_rps(value: float) -> str:
    return f"{value:,.0f}"


# --- PERF001 ------------------------------------------------------------------------------------


@rule(
    "PERF001",
    "No cache in front of a busy data store",
    severity=Severity.WARNING,
    what=(
        "A database or search index visited by reading flows whose `rps` add up to at least `perf.cache_rps` "
        "(default 500) when none of the components calling it also call a cache. Flows whose id or description "
        "says they write (send, post, upload, create, update, pay, ...) are not counted: a cache does not help them."
    ),
    why=(
        "Reads dominate most request paths. A cache in memory answers in well under a millisecond at 100k "
        "operations per second per node, where a database query takes milliseconds and its connections are "
        "scarce; without one, the database sets the ceiling of the whole system."
    ),
    example="""
components:
  api: {type: service}
  catalog-db: {type: database}
flows:
  browse: {rps: 2000, path: [web, api, catalog-db]}
""",
    fix="Put a cache (Redis, Memcached) in front of the hot reads: the quick fix adds one and connects the store's callers to it.",
    references=("AWS Well-Architected Performance Efficiency Pillar PERF03: data management (caching)",),
    fixable=True,
)
def no_cache(ctx: RuleContext) -> Iterator[Hit]:
    model = ctx.model
    limit = ctx.threshold("perf.cache_rps", 500)
    for cid, rps in flow_rates(ctx).read_rps.items():
        c = model.components.get(cid)
        if c is None or c.type not in (ComponentType.DATABASE, ComponentType.SEARCH) or rps < limit:
            continue
        callers = sorted(ctx.graph.callers(cid) - {cid})
        if not callers:
            continue
        cached = any(
            model.components.get(t) is not None and model.components[t].type is ComponentType.CACHE
            for caller in callers
            for t in ctx.graph.callees(caller)
        )
        if cached:
            continue
        cache_id = _free_id(ctx, f"{cid}-cache")
        body = {"type": "cache", "technology": "redis", "replicas": 2}
        if c.encryption_at_rest:
            body["encryption_at_rest"] = True
        if c.zones:
            body["zones"] = list(c.zones)
        connections = [
            {"from": caller, "to": cache_id, "protocol": "redis", "tls": True, "timeout_ms": 50}
            for caller in callers
            if model.components.get(caller) is not None and model.components[caller].type not in OUTSIDE
        ]
        yield Hit(
            ("components", cid),
            f"{c.type.value} '{cid}' serves {_fmt_rps(rps)} rps of reads from flows and none of its callers ({names(callers)}) "
            "uses a cache; put one in front of the hot reads",
            fix=Fix(
                f"Add cache '{cache_id}' in front of '{cid}'",
                "add_component",
                ("components",),
                value=body,
                key=cache_id,
                safe=False,
                extra={"connections": connections},
            ),
        )


def _free_id(ctx: RuleContext, wanted: str) -> str:
    taken = set(ctx.model.components)
    candidate, n = wanted, 2
    while candidate in taken:
        candidate, n = f"{wanted}-{n}", n + 1
    return candidate


# --- PERF002 ------------------------------------------------------------------------------------


@rule(
    "PERF002",
    "Static or media content served without a CDN",
    severity=Severity.WARNING,
    what=(
        "A client that fetches media (`data: [media]` on the connection or the component it calls) or reads "
        "object storage directly, from anything other than a CDN."
    ),
    why=(
        "Images, video and static assets are most of the bytes a client downloads. Served from the origin "
        "they cross the ocean on every request and cost egress at origin prices; a CDN serves them from an "
        "edge near the user, typically cutting latency by tens to hundreds of milliseconds and origin load "
        "by the cache hit ratio."
    ),
    example="""
components:
  app: {type: client}
  media: {type: object-storage, data: [media]}
connections:
  - {from: app, to: media, protocol: https}
""",
    fix="Serve the content through a CDN (`type: cdn`) with the store or service as its origin, and point the client at the CDN.",
    references=(
        "web.dev: content delivery networks",
        "AWS Well-Architected Performance Efficiency Pillar PERF05: networking",
    ),
)
def no_cdn(ctx: RuleContext) -> Iterator[Hit]:
    model = ctx.model
    for index, conn in enumerate(model.connections):
        source = model.components.get(conn.source)
        target = model.components.get(conn.target)
        if source is None or target is None or source.type is not ComponentType.CLIENT:
            continue
        if target.type in (ComponentType.CDN, ComponentType.EXTERNAL) or conn.is_async:
            continue
        media = DataKind.MEDIA in conn.data or DataKind.MEDIA in target.data
        if not media and target.type is not ComponentType.OBJECT_STORAGE:
            continue
        what = "media" if media else "objects"
        yield Hit(
            ("connections", index),
            f"{conn.source} downloads {what} straight from '{conn.target}'; serve them through a CDN near the users",
        )


# --- PERF003 ------------------------------------------------------------------------------------


@rule(
    "PERF003",
    "Replicated service called directly by clients",
    severity=Severity.WARNING,
    what=(
        "A client or external system calling a service or function that runs more than one replica (or "
        "autoscales) with no load balancer, API gateway or CDN in between."
    ),
    why=(
        "Clients that pick an instance themselves (DNS round robin, a hard-coded address) spread load unevenly, "
        "keep sending to instances that died, and cannot drain one for a deploy. A load balancer health-checks "
        "the replicas and spreads requests across the healthy ones."
    ),
    example="""
components:
  app: {type: client}
  api: {type: service, replicas: 4}
connections:
  - {from: app, to: api}
""",
    fix="Put a load balancer or API gateway in front of the replicas and point clients at it.",
    references=("AWS Well-Architected Reliability Pillar REL10: use load balancing",),
)
def no_load_balancer(ctx: RuleContext) -> Iterator[Hit]:
    model = ctx.model
    for index, conn in enumerate(model.connections):
        source = model.components.get(conn.source)
        target = model.components.get(conn.target)
        if source is None or target is None or source.type not in OUTSIDE:
            continue
        if target.type is not ComponentType.SERVICE:
            continue
        scaled = target.replica_count > 1 or (target.autoscaling is not None and target.autoscaling.max > 1)
        if not scaled:
            continue
        count = f"{target.replica_count} replicas" if target.autoscaling is None else "an autoscaled set of replicas"
        yield Hit(
            ("connections", index),
            f"{conn.source} calls '{conn.target}' directly, but '{conn.target}' runs {count}; "
            "put a load balancer in front so requests spread over the healthy ones",
        )


# --- PERF004 ------------------------------------------------------------------------------------


@rule(
    "PERF004",
    "Synchronous call chain too deep",
    severity=Severity.WARNING,
    what=(
        "A chain of synchronous, required calls from an entry point (a client or an internet-facing component) "
        "with more than `perf.max_sync_depth` hops between the system's own components (default 5; load "
        "balancers, WAFs, CDNs and DNS pass requests on and do not count). The finding is on the first call "
        "past the limit."
    ),
    why=(
        "Every synchronous hop adds its network round trip, its queueing delay and its own chance of failing; "
        "the request waits for the sum and fails with the product. Deep chains are also where timeouts stop "
        "lining up and one slow service stalls every caller above it."
    ),
    example="""
connections:   # a -> b -> c -> d -> e -> f -> g: six hops between services
  - {from: web, to: a}
  - {from: a, to: b}
  - {from: b, to: c}
  - {from: c, to: d}
  - {from: d, to: e}
  - {from: e, to: f}
  - {from: f, to: g}     # reported
""",
    fix="Shorten the chain: let a caller fetch what it needs in parallel, merge services that always call each other, or hand work over asynchronously.",
    references=(TAIL, "Microsoft Azure Architecture Center: chatty I/O antipattern"),
)
def deep_chain(ctx: RuleContext) -> Iterator[Hit]:
    model = ctx.model
    f = facts(ctx)
    limit = int(ctx.threshold("perf.max_sync_depth", 5))
    # Longest blocking path from any entry, callers before callees (members of cycles are left out;
    # QUAL001 reports them).
    entries = [
        cid
        for cid, c in model.components.items()
        if c.type is ComponentType.CLIENT or (cid in f.public_side and cid not in f.blocking_in)
    ]
    if not entries:
        return
    depth: dict[str, int] = dict.fromkeys(entries, 0)
    before: dict[str, tuple[str, int]] = {}
    components = model.components
    for cid in blocking_order(ctx):
        here = depth.get(cid)
        # Load balancers, WAFs, CDNs and DNS pass requests on; only calls between the system's own
        # components count as hops. Calls into clients and third parties start nothing.
        step = 0 if components[cid].type in PASS_THROUGH or components[cid].type in OUTSIDE else 1
        for index, conn in f.blocking_out.get(cid, ()):
            target = conn.target
            if components[target].type in PASS_THROUGH:
                step_here = 0
            else:
                step_here = step
            if here is not None and components[target].type not in OUTSIDE and here + step_here > depth.get(target, -1):
                depth[target] = here + step_here
                before[target] = (cid, index)
    for cid, out in f.blocking_out.items():
        if depth.get(cid) != limit or components[cid].type in PASS_THROUGH or components[cid].type in OUTSIDE:
            continue
        chain = [cid]
        while chain[-1] in before and len(chain) <= len(components):
            chain.append(before[chain[-1]][0])
        chain.reverse()
        for index, conn in out:
            if components[conn.target].type in PASS_THROUGH or components[conn.target].type in OUTSIDE:
                continue
            yield Hit(
                ("connections", index),
                f"{conn.source} -> {conn.target} is synchronous hop {limit + 1} in the chain "
                f"{' -> '.join([*chain, conn.target])} (limit {limit}); each hop adds latency and a way to fail",
            )


# --- PERF005 ------------------------------------------------------------------------------------


@rule(
    "PERF005",
    "Synchronous call without a timeout",
    severity=Severity.WARNING,
    what=(
        "A synchronous call from one of the system's own components (not a client, an external system, a "
        "load balancer or CDN) without `timeout_ms`."
    ),
    why=(
        "Without a timeout a caller waits as long as the callee takes, and a slow dependency ties up every "
        "thread, connection and request above it until the whole path stops. Default client timeouts are "
        "often infinite or minutes long."
    ),
    example="""
connections:
  - {from: orders, to: inventory, protocol: grpc}   # no timeout_ms
""",
    fix=(
        "Set `timeout_ms` to a little above the callee's p99 and below the caller's own timeout. The quick fix "
        "proposes `perf.default_timeout_ms` (1000), capped at half of the caller's shortest incoming timeout."
    ),
    references=(NYGARD, "Google SRE book, chapter 22: Addressing Cascading Failures"),
    fixable=True,
)
def no_timeout(ctx: RuleContext) -> Iterator[Hit]:
    if not ctx.can_say("timeout_ms"):
        return  # compose, Kubernetes and Terraform files have no key for a call's timeout
    model = ctx.model
    default = ctx.threshold("perf.default_timeout_ms", 1000)
    for index, conn in enumerate(model.connections):
        if conn.is_async or conn.timeout_ms is not None or conn.source == conn.target:
            continue
        source = model.components.get(conn.source)
        if source is None or conn.target not in model.components:
            continue
        if source.type in OUTSIDE or source.type in PASS_THROUGH:
            continue
        suggested = default
        outer = _shortest_timeouts(ctx).get(conn.source)
        if outer is not None:
            suggested = min(suggested, max(10.0, (outer / 2) // 10 * 10))
        yield Hit(
            ("connections", index, "timeout_ms"),
            f"{conn.source} waits for {conn.target} with no timeout; a slow '{conn.target}' stalls every request above it",
            fix=Fix(
                f"Time out after {suggested:g} ms",
                "set",
                ("connections", index),
                value=int(suggested) if float(suggested).is_integer() else suggested,
                key="timeout_ms",
            ),
        )


def _shortest_timeouts(ctx: RuleContext) -> dict[str, float]:
    """The shortest timeout of the synchronous calls into each component: what a call it makes must fit in.
    Worked out once, when the first call without a timeout is found."""

    def compute() -> dict[str, float]:
        shortest: dict[str, float] = {}
        for _, conn in timed_calls(ctx):
            if conn.timeout_ms:
                shortest[conn.target] = min(conn.timeout_ms, shortest.get(conn.target, conn.timeout_ms))
        return shortest

    return ctx.cached("perf.shortest_timeouts", compute)


# --- PERF006 ------------------------------------------------------------------------------------


def tail_share(calls: float, slow: float) -> float:
    """Share of requests that wait for at least one slow call when ``calls`` calls are made."""
    return 1 - (1 - slow) ** calls


@rule(
    "PERF006",
    "Fan-out that amplifies tail latency",
    severity=Severity.WARNING,
    what=(
        "A connection making more than `perf.max_calls` calls per request (default 10, the `calls` key), or "
        "a component making more than `perf.max_fanout` synchronous calls per request in total (default 8; each "
        "connection counts `calls` times its `share`)."
    ),
    why=(
        "A request that waits for N calls is as slow as the slowest. If 1% of calls are slow, 10 calls make "
        "10% of requests slow and 100 calls make 63% slow: fan-out turns a rare tail into the common case "
        "(1 - (1 - p)^N)."
    ),
    example="""
connections:
  - {from: feed, to: posts, calls: 50}   # 50 calls per request
""",
    fix="Batch the calls (one request for many ids), cache the results, hedge the slowest requests, or precompute the aggregate.",
    references=(TAIL,),
)
def fan_out(ctx: RuleContext) -> Iterator[Hit]:
    model = ctx.model
    f = facts(ctx)
    max_calls = ctx.threshold("perf.max_calls", 10)
    max_fanout = ctx.threshold("perf.max_fanout", 8)
    slow = ctx.threshold("perf.slow_call_ratio", 0.01)
    for index, conn in enumerate(model.connections):
        if conn.calls > max_calls and not conn.is_async:
            yield Hit(
                ("connections", index, "calls"),
                f"{conn.source} makes {conn.calls} calls to {conn.target} per request: with {slow:.0%} slow calls, "
                f"{tail_share(conn.calls, slow):.0%} of requests wait for a slow one; batch them",
                on_value=True,
            )
    for cid, out in f.blocking_out.items():
        # Expected calls per request: each edge makes `calls` calls on the `share` of requests that use it.
        expected = sum(conn.calls * conn.share for _, conn in out)
        targets = {conn.target for _, conn in out}
        if any(conn.calls > max_calls for _, conn in out):
            continue  # the connection that makes most of the calls is reported already
        if expected > max_fanout and len(targets) > 1:
            yield Hit(
                ("components", cid),
                f"'{cid}' makes about {expected:.0f} synchronous calls per request to {len(targets)} components: "
                f"with {slow:.0%} slow calls, {tail_share(expected, slow):.0%} of its requests wait for a slow one",
            )


# --- PERF007 ------------------------------------------------------------------------------------

_HEAVY_TECH = re.compile(
    r"^(sendgrid|ses|amazon-ses|aws-ses|mailgun|postmark|mandrill|sparkpost|mailchimp|smtp|twilio|vonage|"
    r"ffmpeg|imagemagick|libvips|thumbor|imgproxy|wkhtmltopdf|puppeteer|sagemaker|triton|torchserve|"
    r"tensorflow-serving|mediaconvert|elastic-transcoder)\b",
    re.IGNORECASE,
)
_HEAVY_WORDS = re.compile(
    r"\b(transcod\w*|thumbnail\w*|resiz\w*|video|encod(e|es|ing)|pdf|reports?|export\w*|"
    r"inference|training|ocr|e-?mails?|newsletter\w*|sms|batch\w*|image processing)\b",
    re.IGNORECASE,
)


def _heavy_component(c: Component) -> str | None:
    """Why a component does heavy work, from its type, technology, description or tags."""
    if c.type is ComponentType.WORKER:
        return "is a worker, built for background jobs"
    if c.technology and _HEAVY_TECH.match(c.technology):
        return f"runs {c.technology}"
    for text in (c.description, " ".join(c.tags)):
        word = _heavy_word(text) if text else None
        if word:
            return f"does heavy work ({word})"
    return None


@lru_cache(maxsize=8192)
def _heavy_word(text: str) -> str | None:
    # Descriptions repeat from one audit of a file to the next; matching each once pays off.
    found = _HEAVY_WORDS.search(text)
    return found.group(0).lower() if found else None


@rule(
    "PERF007",
    "Heavy work on the request path",
    severity=Severity.WARNING,
    what=(
        "A synchronous call, made while a user request waits, to a worker, an email or SMS sender, or a component "
        "whose technology, description or tags say it transcodes, resizes, makes thumbnails or PDFs, exports, "
        "generates reports, sends email or runs model inference. Load balancers forwarding requests are not counted."
    ),
    why=(
        "Such work takes seconds, fails often and varies wildly; done inline the user waits for it, request "
        "threads pile up, and a provider outage becomes your outage. Behind a queue it runs at its own pace, "
        "retries safely and the request returns at once."
    ),
    example="""
connections:
  - {from: signup, to: mailer, protocol: smtp}   # the user waits for the email to be sent
""",
    fix="Hand the job to a queue (`mode: async` through a `queue` component) and tell the user when it is done.",
    references=("Microsoft Azure Architecture Center: Queue-Based Load Leveling pattern", NYGARD),
    fixable=True,
)
def heavy_inline(ctx: RuleContext) -> Iterator[Hit]:
    model = ctx.model
    f = facts(ctx)
    heavy: dict[str, str | None] = {}
    for index, conn in enumerate(model.connections):
        if conn.is_async or conn.source not in f.on_request_path:
            continue
        if model.components[conn.source].type in PASS_THROUGH:
            continue  # a load balancer forwarding the request is not doing the work inline
        target = model.components.get(conn.target)
        if target is None:
            continue
        if conn.protocol in (Protocol.SMTP, Protocol.SMTPS):
            why: str | None = "sends email"
        elif conn.description and (word := _heavy_word(conn.description)):
            why = f"does heavy work ({word})"
        else:
            if conn.target not in heavy:
                heavy[conn.target] = _heavy_component(target)
            why = heavy[conn.target]
        if why is None:
            continue
        yield Hit(
            ("connections", index),
            f"{conn.source} waits while '{conn.target}' {why}; hand the job to a queue instead",
            fix=Fix(
                "Make this call asynchronous (mode: async)",
                "set",
                ("connections", index),
                value="async",
                key="mode",
                safe=False,
            ),
        )
