"""The offline backend: deterministic, no key, no network.

It drafts from the nearest reference the spec library holds when one is close enough, adapted to
the numbers of the description; otherwise it composes the parts the description's domains need
(:mod:`archls.assistant.patterns`) on a sound skeleton: an edge that terminates TLS behind a WAF,
an authenticating gateway, replicated services across three zones, encrypted and backed-up
stores, timeouts that shrink down each call chain, circuit breakers towards third parties, and
monitoring. Improvement rounds apply the audits' own fixes, so the offline result is what the
rules themselves would have written.
"""

from __future__ import annotations

import datetime
import math
from functools import cache
from typing import TYPE_CHECKING, Any

from archls.assistant.backend import Draft, Suggestion
from archls.assistant.brief import Brief
from archls.assistant.patterns import GENERIC, Domain, External, Service, Store, matching

if TYPE_CHECKING:
    from archls.engine import Analysis

#: Wire protocol by store technology.
_PROTOCOL = {
    "postgresql": "postgres",
    "mysql": "mysql",
    "cassandra": "cassandra",
    "dynamodb": "https",
    "redis": "redis",
    "kafka": "kafka",
    "sqs": "sqs",
    "s3": "s3",
    "opensearch": "elasticsearch",
    "redshift": "postgres",
}


@cache
def current_version(technology: str) -> str | None:
    """The supported release of a product with the longest support ahead, as the catalog records it."""
    from archls.catalog import load

    product = load().product(technology)
    if product is None:
        return None
    today = datetime.date.today()
    cycles = [c for c in product.supported(today) if c.released is None or c.released <= today]
    if not cycles:
        return None
    lts = [c for c in cycles if c.lts]
    pool = lts or cycles
    return max(pool, key=lambda c: (c.eol or datetime.date.max, c.released or datetime.date.min)).cycle


class OfflineBackend:
    """Drafts architectures from pattern knowledge and the spec library; always available."""

    name = "offline"

    def draft(self, brief: Brief) -> Draft:
        from archls.assistant.library import nearest

        match = nearest(brief.text)
        if match is not None:
            adapted = adapt(match.reference, brief, f"adapted from the library's '{match.name}' reference")
            problems = _defects(adapted, brief)
            if not problems:
                return adapted
            composed = compose(brief)
            composed.assumptions.append(
                f"the library's '{match.name}' reference was not used: with these requirements it has "
                + ", ".join(problems)
            )
            return composed
        return compose(brief)

    def repair(self, draft: Draft, brief: Brief, errors: list[str]) -> Draft:
        # What this backend writes loads by construction; a repair request means the reference it
        # adapted did not, so it starts again from the patterns alone.
        return compose(brief)

    def improve(self, draft: Draft, brief: Brief, analysis: Analysis) -> Draft | None:
        """Size the draft for its load: the capacity rules' own replica and timeout proposals, which
        are not applied to a user's file unasked (they pick a number) but are what a draft needs."""
        import copy

        from archls.rules.registry import Fix

        arch = copy.deepcopy(draft.architecture)
        changed = False
        for finding in analysis.findings:
            if finding.code not in SIZING or not finding.fix:
                continue
            fix = Fix.from_json(finding.fix)
            changed |= apply_fix(arch, fix)
        return Draft(arch, draft.assumptions, draft.backend) if changed else None

    def suggest(self, text: str, line: int) -> list[Suggestion]:
        from archls.assistant.suggest import offline_suggestions

        return offline_suggestions(text, line)

    def explain(self, context: dict[str, Any]) -> str | None:
        return None  # the pipeline's rule page with this file's values is the offline explanation

    def fix(self, context: dict[str, Any]) -> str | None:
        return None


#: Findings whose proposed fix sizes a draft: replicas for the load, timeouts for the callee's p99.
SIZING = frozenset({"LOAD001", "LOAD002", "LOAD008"})


def apply_fix(arch: dict[str, Any], fix: Any) -> bool:
    """Apply a ``set`` or ``replace`` fix intent to plain data; whether anything changed."""
    node: Any = arch
    path = list(fix.path)
    if fix.kind == "replace":
        path, last = path[:-1], path[-1]
    elif fix.kind == "set" and fix.key is not None:
        last = fix.key
    else:
        return False
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return False
    if not isinstance(node, dict | list) or (isinstance(node, list) and not isinstance(last, int)):
        return False
    if isinstance(node, dict) and node.get(last) == fix.value:
        return False
    node[last] = fix.value
    return True


def _defects(draft: Draft, brief: Brief) -> list[str]:
    """Error findings a draft keeps after sizing: a reference written for other requirements may
    not fit these (another region than the residency asked, fewer nines than asked)."""
    from archls import engine
    from archls.assistant.generate import VIRTUAL_PATH, _finalise, _text

    draft = _finalise(draft, brief)
    analysis = engine.analyse(_text(draft, brief), VIRTUAL_PATH)
    return sorted(
        {
            f.code
            for f in analysis.findings
            if f.severity == "error" and f.code not in SIZING and not f.code.startswith(("SPEC", "LOAD"))
        }
    )


def _zones(region: str) -> list[str]:
    return [f"{region}{letter}" for letter in "abc"]


def capacity(technology: str, component_type: str, cpu: float | None = None) -> float | None:
    """Requests per second one replica sustains, from the catalog's figures (None: elastic or unknown)."""
    from archls.catalog import load

    catalog = load()
    figures: Any = catalog.technology(technology) or catalog.type_figures(component_type)
    if figures.throughput_rps is None or figures.elastic:
        return None
    vcpu = cpu if cpu is not None else figures.default_vcpu
    return figures.throughput_rps * (vcpu if figures.per_vcpu else 1.0)


def replicas_for(rps: float, technology: str, component_type: str, cpu: float | None = None) -> int:
    """Replicas for ``rps`` at 60% utilisation, never fewer than one per zone."""
    per_replica = capacity(technology, component_type, cpu)
    if not per_replica:
        return 3
    return max(3, math.ceil(rps / (per_replica * 0.6)))


def compose(brief: Brief) -> Draft:
    """An architecture for the brief from the domains it matches."""
    domains = matching(brief.text)
    # Card data and health records bring the parts that hold them, whatever else the product is.
    names = {d.name for d in domains}
    from archls.assistant.patterns import DOMAINS

    by_name = {d.name: d for d in DOMAINS}
    if "card" in brief.data and "payments" not in names:
        domains.append(by_name["payments"])
    if "phi" in brief.data and "health" not in names:
        domains.append(by_name["health"])
    assumptions: list[str] = []
    if not domains:
        domains = [GENERIC]
        assumptions.append("no known kind of product was recognised: a generic API, database, cache and job queue")
    else:
        assumptions.append("built from the patterns for " + ", ".join(d.name for d in domains))
    return Draft(_Builder(brief, domains).build(), assumptions, "offline")


class _Builder:
    def __init__(self, brief: Brief, domains: list[Domain]) -> None:
        self.brief = brief
        self.domains = domains
        self.region = brief.regions[0]
        self.zones = _zones(self.region)
        self.components: dict[str, dict[str, Any]] = {}
        self.connections: list[dict[str, Any]] = []
        self.sensitive = {"pii", "phi", "card", "financial", "credentials"}
        p99 = brief.p99_ms or 1000.0
        # The edge waits longest; each hop below waits less, so no caller gives up before its callee.
        # Calls to services are retried once, to third parties twice: every attempt fits in the caller's wait.
        self.t_edge = max(1000, min(10000, round(p99)))
        self.t_service = round(self.t_edge * 0.45)
        self.t_store = max(50, round(self.t_service * 0.3))
        self.t_external = max(100, round(self.t_service * 0.3))
        #: Stores the main flow reads at full rate, sized for it.
        self.hot: set[str] = set()
        primary = domains[0]
        for service in primary.services:
            if service.on_path:
                stores = {st.id: st for st in primary.stores}
                reads = [u for u in service.uses if u in stores and stores[u].type not in {"stream", "queue"}]
                cached = [u for u in reads if stores[u].type == "cache"]
                self.hot.update((cached or reads)[:1])
                break

    def _data(self, kinds: tuple[str, ...]) -> list[str]:
        out = list(kinds)
        if "card" in self.brief.data and "financial" in out:
            out = ["card" if k == "financial" else k for k in out]
        if "phi" in out and "phi" not in self.brief.data and "health" not in {d.name for d in self.domains}:
            out.remove("phi")
        return list(dict.fromkeys(out))

    def _compute(self, service: Service, rps: float) -> dict[str, Any]:
        comp: dict[str, Any] = {"type": service.type, "technology": service.technology}
        version = current_version(service.technology)
        if version:
            comp["version"] = version
        comp["description"] = service.description
        comp["replicas"] = replicas_for(rps, service.technology, service.type, 2) if service.on_path else 3
        comp["zones"] = list(self.zones)
        data = self._data(service.data)
        if data:
            comp["data"] = data
        comp["health_check"] = {"path": "/healthz"}
        comp["resources"] = {"cpu": 2, "memory_mb": 2048}
        if data and set(data) & {"card", "phi"}:
            comp["audit_log"] = True
        return comp

    def _store(self, store: Store, rps: float) -> dict[str, Any]:
        comp: dict[str, Any] = {"type": store.type, "technology": store.technology}
        version = current_version(store.technology)
        if version:
            comp["version"] = version
        comp["description"] = store.description
        managed = store.technology in {"s3", "sqs", "dynamodb", "redshift"}
        if not managed:
            comp["replicas"] = replicas_for(rps, store.technology, store.type) if store.id in self.hot else 3
            comp["zones"] = list(self.zones)
        data = self._data(store.data)
        if data:
            comp["data"] = data
        comp["encryption_at_rest"] = True
        if store.type in {"database", "object-storage", "search", "data-warehouse", "stream"}:
            comp["backups"] = {"retention_days": 35, "point_in_time": True, "cross_region": True}
        if set(data) & self.sensitive:
            comp["audit_log"] = True
            comp["retention_days"] = 2555 if set(data) & {"card", "phi", "financial"} else 730
        return comp

    def _connect(self, source: str, target: str, protocol: str, **extra: Any) -> None:
        for existing in self.connections:
            if existing["from"] == source and existing["to"] == target:
                return
        conn: dict[str, Any] = {"from": source, "to": target, "protocol": protocol}
        conn.update(extra)
        self.connections.append(conn)

    def build(self) -> dict[str, Any]:
        brief = self.brief
        rps = float(brief.peak_rps or 200)
        media = any(d.media for d in self.domains) or "media" in brief.data
        comps = self.components
        comps["users"] = {"type": "client", "description": "People using the product from the web and mobile apps."}
        if media:
            comps["cdn"] = {
                "type": "cdn",
                "technology": "cloudfront",
                "description": "Serves static assets and media close to users.",
                "public": True,
                "tls": True,
                "waf": True,
            }
        comps["edge"] = {
            "type": "load-balancer",
            "technology": "envoy",
            "version": current_version("envoy") or None,
            "description": "Terminates TLS behind a web application firewall and rate limits clients.",
            "public": True,
            "tls": True,
            "waf": True,
            "rate_limit": True,
            "replicas": 3,
            "zones": list(self.zones),
            "health_check": {"path": "/ready"},
        }
        if comps["edge"]["version"] is None:
            del comps["edge"]["version"]
        comps["api"] = {
            "type": "api-gateway",
            "technology": "kong",
            "description": "Authenticates callers, applies quotas and routes to the services.",
            "auth": "oidc",
            "tls": True,
            "rate_limit": True,
            "replicas": max(3, math.ceil(rps / 4000)),
            "zones": list(self.zones),
            "health_check": {"path": "/status"},
        }
        version = current_version("kong")
        if version:
            comps["api"]["version"] = version
        comps["identity"] = {
            "type": "identity",
            "technology": "keycloak",
            "description": "Sign-in and the tokens the gateway checks.",
            "replicas": 3,
            "zones": list(self.zones),
            "data": ["credentials"],
            "health_check": {"path": "/health"},
        }
        comps["identity-db"] = {
            "type": "database",
            "technology": "postgresql",
            "version": current_version("postgresql"),
            "description": "Accounts and credentials of the identity provider.",
            "replicas": 3,
            "zones": list(self.zones),
            "data": ["credentials", "pii"],
            "encryption_at_rest": True,
            "backups": {"retention_days": 35, "point_in_time": True, "cross_region": True},
            "audit_log": True,
            "retention_days": 730,
        }
        self._connect("users", "edge", "https")
        if media:
            self._connect("users", "cdn", "https")
        self._connect("edge", "api", "https", tls=True, timeout_ms=self.t_edge)
        self._connect(
            "api",
            "identity",
            "https",
            tls=True,
            timeout_ms=self.t_store,
            retries=1,
            circuit_breaker=True,
            share=0.05,
            data=["credentials"],
        )
        self._connect("identity", "identity-db", "postgres", tls=True, timeout_ms=self.t_store, data=["credentials"])

        flow_path: list[str] | None = None
        primary = self.domains[0]
        for domain in self.domains:
            stores = {s.id: s for s in domain.stores}
            externals = {e.id: e for e in domain.externals}
            for store in domain.stores:
                if store.id not in comps:
                    comps[store.id] = self._store(store, rps)
            for ext in domain.externals:
                if ext.id not in comps:
                    comps[ext.id] = self._external(ext)
            for service in domain.services:
                sid = service.id
                if sid not in comps:
                    comps[sid] = self._compute(service, rps)
                if service.on_path:
                    self._connect(
                        "api", sid, "grpc", tls=True, timeout_ms=self.t_service, retries=1, circuit_breaker=True
                    )
                if service.consumes and service.consumes in stores:
                    self._connect(
                        service.consumes,
                        sid,
                        _PROTOCOL.get(stores[service.consumes].technology, "tcp"),
                        tls=True,
                        mode="async",
                    )
                for use in service.uses:
                    store = stores.get(use)
                    if store is None:
                        continue
                    protocol = _PROTOCOL.get(store.technology, "tcp")
                    extra: dict[str, Any] = {"tls": True}
                    if store.type in {"stream", "queue"}:
                        extra["mode"] = "async"
                    else:
                        extra["timeout_ms"] = self.t_store
                    kinds = [k for k in self._data(store.data) if k in self.sensitive]
                    if kinds:
                        extra["data"] = kinds
                    self._connect(sid, use, protocol, **extra)
                for call in service.calls:
                    ext = externals[call]
                    extra = {"tls": True, "timeout_ms": self.t_external, "retries": 2, "circuit_breaker": True}
                    kinds = [k for k in self._data(ext.data) if k in self.sensitive]
                    if kinds:
                        extra["data"] = kinds
                    if service.type == "worker":
                        extra["timeout_ms"] = 10000
                    self._connect(sid, call, "https", **extra)
                if domain is primary and service.on_path and flow_path is None:
                    hot = [u for u in service.uses if u in self.hot]
                    flow_path = ["users", "edge", "api", sid, *hot[:1]]
            # Producers hand work to consumers through the stream, which must be written to by someone.
            for store in domain.stores:
                if store.type in {"stream", "queue"} and not any(c["to"] == store.id for c in self.connections):
                    producer = next((s.id for s in domain.services if s.on_path), None)
                    if producer:
                        self._connect(
                            producer, store.id, _PROTOCOL.get(store.technology, "tcp"), tls=True, mode="async"
                        )
            if domain.media and "media" in comps and not any(c["from"] == "cdn" for c in self.connections):
                self._connect("cdn", "media", "https", tls=True, timeout_ms=self.t_edge)
        comps["monitoring"] = {
            "type": "monitoring",
            "technology": "prometheus",
            "version": current_version("prometheus"),
            "description": "Metrics, alerts and the audit trail of every component.",
        }
        if comps["monitoring"]["version"] is None:
            del comps["monitoring"]["version"]
        self._connect("api", "monitoring", "https", tls=True, mode="async")

        arch: dict[str, Any] = {"archls": 1, "name": _name(brief), "description": _description(brief)}
        requirements = brief.requirements()
        if requirements:
            arch["requirements"] = requirements
        public = [c for c in ("edge", "cdn") if c in comps]
        private = [c for c, v in comps.items() if c not in public and v["type"] not in {"client", "external"}]
        groups: dict[str, Any] = {
            "public-edge": {"type": "subnet", "public": True, "members": public},
            "private": {"type": "subnet", "members": private},
        }
        card = [c for c, v in comps.items() if "card" in v.get("data", [])]
        if card:
            groups["cde"] = {
                "type": "trust-boundary",
                "description": "Cardholder data environment: the only place card data exists.",
                "members": card,
            }
            groups["private"]["members"] = [m for m in private if m not in card]
        arch["groups"] = groups
        arch["components"] = comps
        arch["connections"] = self.connections
        if flow_path:
            flow: dict[str, Any] = {"description": primary.flow_description, "rps": _round(rps), "path": flow_path}
            if brief.p99_ms:
                flow["latency_budget_ms"] = _round(brief.p99_ms)
            arch["flows"] = {primary.flow: flow}
        return arch

    def _external(self, ext: External) -> dict[str, Any]:
        comp: dict[str, Any] = {"type": "external"}
        if ext.technology:
            comp["technology"] = ext.technology
        comp["description"] = ext.description
        data = self._data(ext.data)
        if data:
            comp["data"] = data
        return comp


def _round(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 1)


def _name(brief: Brief) -> str:
    first = brief.text.strip().split("\n")[0].lstrip("# ").strip()
    for stop in (":", ".", ";", " - ", "("):
        if stop in first[:80]:
            first = first.split(stop)[0]
    words = first.split()
    name = " ".join(words[:8]) or "Generated architecture"
    return name[0].upper() + name[1:]


def _description(brief: Brief) -> str:
    text = " ".join(brief.text.split())
    return text if len(text) <= 600 else text[:597].rstrip() + "..."


def adapt(reference: dict[str, Any], brief: Brief, origin: str) -> Draft:
    """A library reference with the description's requirements in place of the reference's own."""
    import copy

    arch = copy.deepcopy(reference)
    arch["name"] = _name(brief)
    arch["description"] = _description(brief)
    requirements = dict(arch.get("requirements") or {})
    requirements.update(brief.requirements())
    arch["requirements"] = requirements
    peak = brief.peak_rps
    old_peak = (reference.get("requirements") or {}).get("peak_rps")
    if peak and old_peak:
        scale = float(peak) / float(old_peak)
        for flow in (arch.get("flows") or {}).values():
            if isinstance(flow, dict) and isinstance(flow.get("rps"), int | float):
                flow["rps"] = _round(flow["rps"] * scale)
        if scale > 1:
            for comp in (arch.get("components") or {}).values():
                if (
                    isinstance(comp, dict)
                    and isinstance(comp.get("replicas"), int)
                    and comp.get("type")
                    in {
                        "service",
                        "api-gateway",
                        "worker",
                    }
                ):
                    comp["replicas"] = max(comp["replicas"], math.ceil(comp["replicas"] * scale))
    return Draft(arch, [origin], "offline")
