"""Security rules (SEC001-099): the OWASP Top 10 read at the level of an architecture.

Who can reach what from the internet, who must prove who they are, what travels or rests in
plaintext, which secrets sit in the file itself, and which containers can take over their host.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from archls import catalog
from archls.findings import Severity
from archls.model import STATEFUL_TYPES, Auth, Component, ComponentType, DataKind, GroupType, Protocol
from archls.rules._common import (
    CRITICAL_DATA,
    DATA_STORES,
    ENTRY_COMPUTE,
    OUTSIDE,
    PASS_THROUGH,
    carried,
    container_flag,
    facts,
    kinds_text,
    names,
    plaintext,
    said,
    sensitive,
    tls_fix,
)
from archls.rules._native import covered
from archls.rules._secrets import points_elsewhere
from archls.rules.registry import Control, Fix, Hit, RuleContext, rule

OWASP_A01 = "OWASP Top 10 2021 A01: Broken Access Control"
OWASP_A02 = "OWASP Top 10 2021 A02: Cryptographic Failures"
OWASP_A04 = "OWASP Top 10 2021 A04: Insecure Design"
OWASP_A05 = "OWASP Top 10 2021 A05: Security Misconfiguration"
OWASP_A07 = "OWASP Top 10 2021 A07: Identification and Authentication Failures"


# --- SEC001 -------------------------------------------------------------------------------------


@rule(
    "SEC001",
    "Data store reachable from the internet",
    severity=Severity.ERROR,
    what=(
        "A database, cache, search index, warehouse, file share or secrets store that is itself public "
        "(`public: true`), or that an internet-facing component (public, or a member of a public group) "
        "connects to directly. Public object storage that holds only `public` or `media` data (a static "
        "site or asset bucket) is not reported."
    ),
    why=(
        "A store one hop from the internet is one vulnerability away from a breach: a public database "
        "port is scanned within minutes of going live, and a compromised edge service that holds database "
        "credentials hands them over. Keeping stores in a private tier behind a service that validates "
        "every request is the first layer of defence in depth."
    ),
    example="""
components:
  api: {type: service, public: true}
  db: {type: database, public: true}   # reported: the database faces the internet
connections:
  - {from: api, to: db}                  # reported: an internet-facing service talks to the database
""",
    fix=(
        "Set `public: false` on the store. Put a private service between internet-facing components and "
        "stores, or make the edge component private behind a load balancer or API gateway."
    ),
    references=(OWASP_A01, OWASP_A05, "CIS AWS Foundations Benchmark 2.3.3: RDS instances are not publicly accessible"),
    controls=(
        Control(
            "pci-dss",
            "1.4.4",
            "System components that store cardholder data are not directly accessible from untrusted networks",
        ),
        Control("soc2", "CC6.6", "Logical access security measures against threats from outside the system boundary"),
        Control("hipaa", "164.312(a)(1)", "Access control"),
    ),
    checkov=("CKV_AWS_17",),
    fixable=True,
    severity_note="A store that is itself public is an error; an internet-facing component that connects straight to a private store is a warning, since the store is one step further away.",
    trivy=("AVD-AWS-0180",),
)
def store_exposed(ctx: RuleContext) -> Iterator[Hit]:
    model = ctx.model
    f = facts(ctx)
    for cid, c in model.components.items():
        if c.type not in STATEFUL_TYPES or not c.public:
            continue
        if c.type is ComponentType.OBJECT_STORAGE and set(c.data) <= {DataKind.PUBLIC, DataKind.MEDIA}:
            continue
        held = sensitive(f.stored.get(cid, set()))
        detail = f" and holds {kinds_text(held)} data" if held else ""
        yield Hit(
            ("components", cid, "public"),
            f"{c.type.value} '{cid}' is reachable from the internet{said(ctx, 'public: true')}{detail}; "
            "keep it in a private network",
            fix=Fix(
                f"Make '{cid}' private (public: false)",
                "set",
                ("components", cid),
                value=False,
                key="public",
                safe=False,
            ),
        )
    for index, conn in enumerate(model.connections):
        source = model.components.get(conn.source)
        target = model.components.get(conn.target)
        if source is None or target is None or conn.source not in f.public_side:
            continue
        if source.type in PASS_THROUGH or target.type not in DATA_STORES or target.public:
            continue
        yield Hit(
            ("connections", index),
            f"'{conn.source}' faces the internet and connects straight to {target.type.value} '{conn.target}': "
            f"put a private service between them, or make '{conn.source}' private behind a load balancer",
            severity=Severity.WARNING,
        )


# --- SEC002 / SEC003: the front door ------------------------------------------------------------


def _front(ctx: RuleContext) -> Iterator[tuple[str, list[str]]]:
    """Compute components the internet reaches, with the pass-through components in front of each."""
    model = ctx.model
    for cid, via in facts(ctx).exposed.items():
        c = model.components[cid]
        if c.type in ENTRY_COMPUTE:
            yield cid, via


def _via(via: list[str]) -> str:
    return f" (through {names(via)})" if via else ""


@rule(
    "SEC002",
    "Internet-facing entry point without authentication",
    severity=Severity.ERROR,
    what=(
        "A service, API gateway, function or worker the internet reaches (it is public, in a public group, "
        "or behind a public load balancer, WAF or CDN) that declares no `auth`, or `auth: none`, while it "
        "handles sensitive data or calls, directly or through others, a component that holds some. Callers "
        "that all use mutual TLS count as authenticated, and so does `auth` on a load balancer or CDN in front "
        "of it. Entry points with nothing sensitive behind them (a redirector, public pages) are not reported."
    ),
    why=(
        "An unauthenticated endpoint lets anyone on the internet call it. Broken access control is the most "
        "common serious web risk; at the architecture level it starts with an entry point that never asks "
        "who is calling."
    ),
    example="""
components:
  web: {type: client}
  api: {type: service, public: true}   # no auth
connections:
  - {from: web, to: api, protocol: https}
""",
    fix=(
        "Declare how callers authenticate, e.g. `auth: oidc` or `auth: jwt` for users and `auth: mtls` or "
        "`auth: iam` for machines. If the endpoint is deliberately anonymous and serves only public data, "
        "write `auth: none` and `data: [public]`."
    ),
    references=(OWASP_A07, OWASP_A01, "OWASP API Security Top 10 2023 API2: Broken Authentication"),
    controls=(
        Control("soc2", "CC6.1", "Logical access security software, infrastructure and architectures"),
        Control("pci-dss", "8.3.1", "All user access to system components is authenticated"),
        Control("hipaa", "164.312(d)", "Person or entity authentication"),
    ),
    related=(
        (
            "checkov",
            "CKV_AWS_59",
            "checkov reports every API Gateway method without authorization; SEC002 reports an internet-facing entry point without authentication only where sensitive data lies behind it.",
        ),
    ),
)
def unauthenticated_entry(ctx: RuleContext) -> Iterator[Hit]:
    model = ctx.model
    reaches = facts(ctx).reaches_sensitive
    sayable = ctx.can_say("auth")
    for cid, via in _front(ctx):
        c = model.components[cid]
        if c.auth is not None and c.auth is not Auth.NONE:
            continue
        if c.auth is None and not sayable:
            continue
        holder = reaches.get(cid)
        if holder is None:
            continue  # nothing behind it is worth protecting (a redirector, a public page)
        if c.auth is Auth.NONE and set(c.data) <= {DataKind.PUBLIC, DataKind.MEDIA}:
            continue
        if any(model.components[v].auth not in (None, Auth.NONE) for v in via):
            continue  # a load balancer or gateway in front authenticates (e.g. ALB with OIDC)
        incoming = ctx.graph.incoming(cid)
        if incoming and all(conn.mtls for _, conn in incoming):
            continue
        where = "handles sensitive data" if holder == cid else f"reaches sensitive data in '{holder}'"
        if c.auth is Auth.NONE:
            message = (
                f"'{cid}' is reachable from the internet{_via(via)} without authentication (auth: none) but {where}"
            )
        else:
            message = (
                f"'{cid}' is reachable from the internet{_via(via)} and {where}, but declares no auth; "
                "say how callers authenticate (e.g. auth: oidc)"
            )
        yield Hit(("components", cid, "auth"), message)


@rule(
    "SEC003",
    "Internet-facing entry point without rate limiting or WAF",
    severity=Severity.WARNING,
    what=(
        "A service, API gateway, function or worker the internet reaches where neither it nor a load "
        "balancer, CDN or WAF in front of it declares `rate_limit: true` or `waf: true` (a component of "
        "type `waf` in front counts)."
    ),
    why=(
        "Without a limit one client can exhaust the capacity every other user needs (credential stuffing, "
        "scraping, accidental retry loops), and without a WAF common injection payloads reach the code. "
        "Both are cheap at the edge and expensive to add during an incident."
    ),
    example="""
components:
  api: {type: service, public: true, auth: jwt}   # nothing limits or filters its traffic
""",
    fix="Set `rate_limit: true` where requests are limited (the gateway or load balancer), and `waf: true` where a WAF filters them.",
    references=(
        OWASP_A04,
        "OWASP API Security Top 10 2023 API4: Unrestricted Resource Consumption",
        "AWS Well-Architected Security Pillar SEC05: protect networks (AWS WAF rate-based rules)",
    ),
    controls=(
        Control("soc2", "CC6.6", "Logical access security measures against threats from outside the system boundary"),
        Control("pci-dss", "6.4.2", "An automated technical solution detects and prevents web-based attacks"),
    ),
    fixable=True,
    related=(
        (
            "checkov",
            "CKV2_AWS_28",
            "checkov asks whether a WAF is attached to the load balancer itself; archls reports the service the internet reaches through it when nothing in front limits or filters its traffic, which a rate limit on an API gateway also satisfies.",
        ),
    ),
)
def unthrottled_entry(ctx: RuleContext) -> Iterator[Hit]:
    model = ctx.model
    for cid, via in _front(ctx):
        c = model.components[cid]
        if c.rate_limit or c.waf:
            continue
        guards = [model.components[v] for v in via]
        if any(g.rate_limit or g.waf or g.type is ComponentType.WAF for g in guards):
            continue
        yield Hit(
            ("components", cid, "rate_limit"),
            f"nothing limits or filters internet traffic to '{cid}'{_via(via)}; add rate limiting or a WAF at the edge",
            fix=Fix(
                f"Rate limit requests to '{cid}' (rate_limit: true)",
                "set",
                ("components", cid),
                value=True,
                key="rate_limit",
            ),
        )


# --- SEC004-006: encryption in transit ----------------------------------------------------------


@rule(
    "SEC004",
    "Sensitive data over an unencrypted connection",
    severity=Severity.ERROR,
    what=(
        "A connection that carries personal, health, card, financial, credential or secret data (its own "
        "`data`, or the data of the store it reads or writes when it names none) without TLS: neither an "
        "encrypted protocol (https, wss, amqps, ...) nor `tls: true` or `mtls: true`."
    ),
    why=(
        "Anyone on the path (a compromised host in the same network, a misrouted mirror port, a cloud "
        "provider's wire) can read or alter plaintext traffic. Internal networks are not trusted networks: "
        "most breaches move laterally from a first foothold."
    ),
    example="""
components:
  api: {type: service}
  db: {type: database, data: [pii]}
connections:
  - {from: api, to: db, protocol: postgres}   # personal data in plaintext
""",
    fix="Switch the protocol to its TLS form (`http` -> `https`) or set `tls: true` (`mtls: true` where both sides should prove who they are).",
    references=(OWASP_A02, "NIST SP 800-52 Rev. 2: TLS implementations"),
    controls=(
        Control("pci-dss", "4.2.1", "Strong cryptography protects PAN during transmission"),
        Control("hipaa", "164.312(e)(1)", "Transmission security"),
        Control("gdpr", "Art. 32(1)(a)", "Encryption of personal data"),
        Control("soc2", "CC6.7", "Transmission of information is protected"),
    ),
    fixable=True,
    severity_note="Card and health data, credentials and secrets are errors; other sensitive data (personal, financial) is a warning.",
    related=(
        (
            "checkov",
            "CKV_AWS_2",
            "checkov checks each listener's protocol; SEC004 reports a connection that carries sensitive data without TLS, and SEC114 the listener itself.",
        ),
        (
            "checkov",
            "CKV_AWS_30",
            "checkov checks ElastiCache replication groups for transit encryption; SEC004 reports a connection that carries sensitive data without TLS, whatever the store.",
        ),
    ),
)
def plaintext_sensitive(ctx: RuleContext) -> Iterator[Hit]:
    for index, conn, data in plaintext(ctx):
        kinds = sensitive(data)
        if not kinds:
            continue
        protocol = conn.protocol.value if conn.protocol else "an unencrypted protocol"
        yield Hit(
            ("connections", index, "protocol"),
            f"{conn.source} -> {conn.target} carries {kinds_text(kinds)} data over {protocol} without TLS",
            fix=tls_fix(index, conn),
            severity=Severity.ERROR if CRITICAL_DATA.intersection(kinds) else Severity.WARNING,
        )


_TLS_CAPABLE = frozenset(
    {
        ComponentType.API_GATEWAY,
        ComponentType.SERVICE,
        ComponentType.FUNCTION,
        ComponentType.LOAD_BALANCER,
        ComponentType.CDN,
        ComponentType.WAF,
        ComponentType.OBJECT_STORAGE,
        ComponentType.IDENTITY,
    }
)


@rule(
    "SEC005",
    "Internet-facing endpoint without TLS",
    severity=Severity.WARNING,
    what=(
        "A public component (or a member of a public group) that serves HTTP-like traffic with `tls: false`, "
        "or without `tls` when none of the connections into it is encrypted."
    ),
    why=(
        "Browsers flag plain HTTP, tokens and cookies cross the internet readable by anyone on the path, "
        "and a network attacker can inject content. TLS at every internet-facing endpoint is the baseline."
    ),
    example="""
components:
  lb: {type: load-balancer, public: true, tls: false}
""",
    fix="Terminate TLS at the component (`tls: true`) and use https/wss for the connections into it.",
    references=(OWASP_A02, "Mozilla Server Side TLS guidelines"),
    controls=(
        Control("pci-dss", "4.2.1", "Strong cryptography protects PAN during transmission"),
        Control("soc2", "CC6.7", "Transmission of information is protected"),
        Control("hipaa", "164.312(e)(1)", "Transmission security"),
    ),
    fixable=True,
    related=(
        (
            "checkov",
            "CKV_AWS_2",
            "SEC005 reports the internet-facing component (the load balancer); checkov and SEC114 report each listener.",
        ),
    ),
)
def public_without_tls(ctx: RuleContext) -> Iterator[Hit]:
    model = ctx.model
    for cid in sorted(facts(ctx).public_side):
        c = model.components[cid]
        if c.type not in _TLS_CAPABLE or c.tls or not _serves_web(ctx, cid, c):
            continue
        if ctx.format == "terraform" and c.type is ComponentType.LOAD_BALANCER and covered(ctx, "SEC114"):
            continue  # SEC114 reports each plain listener, where the fix is written
        if c.tls is None:
            incoming = ctx.graph.incoming(cid)
            if any(conn.encrypted for _, conn in incoming):
                continue
        state = said(ctx, "tls: false") if c.tls is False else ""
        yield Hit(
            ("components", cid, "tls"),
            f"'{cid}' faces the internet without TLS{state}; serve it over TLS",
            fix=Fix(f"Serve '{cid}' over TLS (tls: true)", "set", ("components", cid), value=True, key="tls"),
        )


#: Ports web servers and development servers conventionally listen on.
_WEB_PORTS = frozenset({80, 443, 3000, 4200, 5000, 5173, 8000, 8008, 8080, 8081, 8443, 8888, 9000, 9090})
_WEB_PROTOCOLS = frozenset({"http", "https", "grpc", "ws", "wss", "graphql"})


def _serves_web(ctx: RuleContext, cid: str, c: Component) -> bool:
    """Whether the component serves HTTP-like traffic, which TLS protects in a browser-visible way.
    A game server or a WireGuard endpoint (its own protocol, often UDP) is not asked for TLS."""
    incoming = [conn.protocol for _, conn in ctx.graph.incoming(cid) if conn.protocol is not None]
    if any(p.value in _WEB_PROTOCOLS for p in incoming):
        return True
    if c.type is not ComponentType.SERVICE:
        return True  # load balancers, gateways, CDNs and WAFs front web traffic
    tech = catalog.load().technology(c.technology) if c.technology else None
    if tech is not None and tech.protocol:
        return tech.protocol in _WEB_PROTOCOLS
    if c.ports:
        return any(port in _WEB_PORTS for port in c.ports)
    return not incoming


_PLAINTEXT_WEB = frozenset(
    {Protocol.HTTP, Protocol.WS, Protocol.GRPC, Protocol.GRAPHQL, Protocol.TCP, Protocol.MQTT, Protocol.FTP}
)


@rule(
    "SEC006",
    "Plaintext connection from outside",
    severity=Severity.WARNING,
    what=(
        "A connection from a client or an external system, or to an external system, over a plaintext "
        "protocol (http, ws, grpc, graphql, tcp, mqtt, ftp) without `tls: true`. Connections carrying "
        "sensitive data are reported by SEC004 instead."
    ),
    why=(
        "Traffic that crosses the internet passes networks nobody in the team controls. Even data that is "
        "not sensitive can be altered in flight (script injection, downgraded redirects) and session "
        "tokens ride along with it."
    ),
    example="""
components:
  web: {type: client}
  api: {type: service, public: true, auth: jwt}
connections:
  - {from: web, to: api, protocol: http}   # use https
""",
    fix="Switch to the protocol's TLS form (`http` -> `https`, `ws` -> `wss`) or set `tls: true`.",
    references=(OWASP_A02,),
    controls=(Control("soc2", "CC6.7", "Transmission of information is protected"),),
    fixable=True,
)
def plaintext_from_outside(ctx: RuleContext) -> Iterator[Hit]:
    model = ctx.model
    for index, conn in enumerate(model.connections):
        if conn.encrypted or conn.protocol not in _PLAINTEXT_WEB:
            continue
        source = model.components.get(conn.source)
        target = model.components.get(conn.target)
        if source is None or target is None:
            continue
        if source.type not in OUTSIDE and target.type is not ComponentType.EXTERNAL:
            continue
        if sensitive(carried(ctx, conn)):
            continue  # SEC004 reports it
        yield Hit(
            ("connections", index, "protocol"),
            f"{conn.source} -> {conn.target} crosses the internet over plaintext {conn.protocol.value}",
            fix=tls_fix(index, conn),
        )


# --- SEC007: secrets in the file ----------------------------------------------------------------

_SECRET_NAME = re.compile(
    r"(pass(word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|private[_-]?key|access[_-]?key|"
    r"client[_-]?secret|credential|auth[_-]?key|signing[_-]?key|encryption[_-]?key|dsn|connection[_-]?string)",
    re.IGNORECASE,
)
_NOT_A_SECRET = re.compile(
    r"(_(ttl|timeout|expiry|expires|length|min|max|size|count|url|uri|file|path|name|id|header|endpoint|"
    r"region|type|mode|enabled|policy|rotation)$|^(no|skip|use|enable|disable)_)",
    re.IGNORECASE,
)
_REFERENCE = re.compile(
    r"^\s*(\$\{[^}]*\}|\$\([^)]*\)|\$[A-Z_][A-Z0-9_]*|\{\{.*\}\}|<[^>]*>|"
    r"(vault|secret|secrets|ssm|sm|awssm|gcpsm|azkv|op|doppler|env|file|ref|arn:aws:secretsmanager|arn:aws:ssm)[:/].*|"
    r"projects/[^/]+/secrets/.*|\*+|x{3,}|changeit-in-prod|redacted|placeholder)\s*$",
    re.IGNORECASE,
)
_SECRET_VALUE = [
    (re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"), "an AWS access key id"),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"), "a GitHub token"),
    (re.compile(r"\bgithub_pat_[A-Za-z0-9_]{40,}\b"), "a GitHub token"),
    (re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"), "a Slack token"),
    (re.compile(r"\b(sk|rk)_live_[A-Za-z0-9]{16,}"), "a Stripe live key"),
    (re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"), "a Google API key"),
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"), "a private key"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"), "a signed token (JWT)"),
    (re.compile(r"^[a-z][a-z0-9+.-]*://[^\s:/@]+:(?!\$\{)[^\s@/]{3,}@", re.IGNORECASE), "a URL with a password"),
]


def secret_in(name: str, value: str | None) -> str | None:
    """Why ``name=value`` looks like an inline secret, or None."""
    if value is None:
        return None
    text = str(value).strip()
    if not text or _REFERENCE.match(text) or points_elsewhere(text):
        return None
    for pattern, what in _SECRET_VALUE:
        if pattern.search(text):
            return f"its value looks like {what}"
    if _SECRET_NAME.search(name) and not _NOT_A_SECRET.search(name):
        if text.lower() in {"true", "false", "yes", "no", "on", "off", "none", "null"} or text.isdigit():
            return None
        if len(text) < 4:
            return None
        return "its name says it holds a secret"
    return None


@rule(
    "SEC007",
    "Secret written in the architecture",
    severity=Severity.ERROR,
    what=(
        "An `env` value that is a literal secret: the variable's name says password, secret, token or key "
        "(and it is not a reference such as `${DB_PASSWORD}`, `vault:...`, `arn:aws:secretsmanager:...`), or the "
        "value itself looks like a credential (an AWS key id, a GitHub, Slack or Stripe token, a private key, "
        "a JWT, a URL with a password)."
    ),
    why=(
        "Files in a repository are copied to every clone, CI log and backup, and live forever in history. "
        "A secret written there is a secret shared with everyone who ever reads the repository, and rotating "
        "it means finding every copy."
    ),
    example="""
components:
  api:
    type: service
    env:
      DB_PASSWORD: hunter2   # reported
      API_TOKEN: ${API_TOKEN}   # a reference: fine
""",
    fix=(
        "Keep the value in a secrets manager (Vault, AWS Secrets Manager, Kubernetes Secrets) and reference it, "
        "e.g. `DB_PASSWORD: ${DB_PASSWORD}`. Rotate the exposed secret: it is in the history already."
    ),
    references=(
        OWASP_A07,
        "OWASP Top 10 2021 A02: Cryptographic Failures (hard-coded secrets)",
        "CWE-798: Use of Hard-coded Credentials",
    ),
    controls=(
        Control("pci-dss", "8.6.2", "Passwords for application and system accounts are not hard coded"),
        Control("soc2", "CC6.1", "Logical access security software, infrastructure and architectures"),
    ),
    fixable=True,
    related=(
        (
            "checkov",
            "CKV_SECRET_6",
            "checkov's secret scanner (detect-secrets) judges values by their entropy; archls by the variable's name and the value's shape, so `POSTGRES_PASSWORD: postgres` is reported by archls and not by checkov, and a random-looking string under an innocent name the other way round.",
        ),
        (
            "checkov",
            "CKV_K8S_35",
            "checkov asks that Secrets be mounted as files rather than read into environment variables; SEC007 reports secrets written as values in the file.",
        ),
    ),
    scope="component",
)
def inline_secret(ctx: RuleContext) -> Iterator[Hit]:
    for cid, c in ctx.components():
        for name, value in c.env.items():
            why = secret_in(name, value)
            if why is None:
                continue
            reference = "${" + re.sub(r"[^A-Za-z0-9_]", "_", name).upper() + "}"
            yield Hit(
                ("components", cid, "env", name),
                f"{name} in the environment of '{cid}' is a secret written in the file ({why}); "
                "reference a secrets store instead",
                fix=Fix(
                    f"Replace the value with the reference {reference}",
                    "replace",
                    ("components", cid, "env", name),
                    value=reference,
                    safe=False,
                ),
                on_value=True,
            )


# --- SEC008: admin ports ------------------------------------------------------------------------

ADMIN_PORTS = {
    21: "FTP",
    22: "SSH",
    23: "Telnet",
    135: "MS RPC",
    445: "SMB",
    1433: "SQL Server",
    1521: "Oracle",
    2375: "the Docker API (unencrypted)",
    2376: "the Docker API",
    2379: "etcd",
    3306: "MySQL",
    3389: "RDP",
    5432: "PostgreSQL",
    5601: "Kibana",
    5900: "VNC",
    5984: "CouchDB",
    6379: "Redis",
    6443: "the Kubernetes API",
    8500: "Consul",
    9042: "Cassandra",
    9200: "Elasticsearch",
    9300: "Elasticsearch transport",
    10250: "the kubelet API",
    11211: "Memcached",
    15672: "RabbitMQ management",
    27017: "MongoDB",
}


@rule(
    "SEC008",
    "Administration or database port open to the internet",
    severity=Severity.ERROR,
    what=(
        "A public component (or a member of a public group) listening on a remote-administration or "
        "data-store port (SSH 22, RDP 3389, Docker 2375, PostgreSQL 5432, Redis 6379, Elasticsearch 9200, "
        "MongoDB 27017 and the like), or a connection from a client or external system to such a port."
    ),
    why=(
        "These ports are scanned continuously; exposed Redis, Elasticsearch and MongoDB instances are "
        "found and wiped or ransomed within hours, and exposed SSH and RDP attract brute force around the "
        "clock. Administration belongs behind a VPN, a bastion or a session manager."
    ),
    example="""
components:
  api: {type: service, public: true, ports: [443, 22]}   # 22 reported
""",
    fix="Close the port to the internet; reach it through a VPN, bastion host or session manager (AWS SSM, IAP).",
    references=(
        OWASP_A05,
        "CIS AWS Foundations Benchmark 5.2: no security group allows ingress from 0.0.0.0/0 to remote administration ports",
    ),
    controls=(
        Control("pci-dss", "1.3.1", "Inbound traffic to the CDE is restricted to that which is necessary"),
        Control("soc2", "CC6.6", "Logical access security measures against threats from outside the system boundary"),
    ),
    checkov=("CKV_AWS_24", "CKV_AWS_25"),
    fixable=True,
)
def admin_port(ctx: RuleContext) -> Iterator[Hit]:
    model = ctx.model
    f = facts(ctx)
    for cid in sorted(f.public_side):
        c = model.components[cid]
        for i, port in enumerate(c.ports):
            product = port_product(c, port)
            if product is not None:
                yield Hit(
                    ("components", cid, "ports", i),
                    f"'{cid}' faces the internet and listens on port {port} ({product})",
                    fix=Fix(f"Close port {port} on '{cid}'", "remove", ("components", cid, "ports", i), safe=False),
                    on_value=True,
                )
    for index, conn in enumerate(model.connections):
        source = model.components.get(conn.source)
        if source is None or source.type not in OUTSIDE or conn.port not in ADMIN_PORTS:
            continue
        yield Hit(
            ("connections", index, "port"),
            f"{conn.source} reaches '{conn.target}' from outside on port {conn.port} ({ADMIN_PORTS[conn.port]})",
            on_value=True,
        )


def port_product(component: Component, port: int) -> str | None:
    """What an administration or data-store port exposes on ``component``; None when the port is not
    one, or when the component runs a known technology that is not the port's product (a web app
    that happens to listen on 5601 is not Kibana)."""
    product = ADMIN_PORTS.get(port)
    if product is None:
        return None
    if port in _ANY_PRODUCT_PORTS or not component.technology:
        return product
    tech = catalog.load().technology(component.technology)
    names = {_key(component.technology), *((_key(tech.name), tech.id) if tech is not None else ())}
    if any(name and (name in _key(product) or _key(product) in name) for name in names):
        return product
    if tech is None:
        return f"the usual port of {product}"
    return product if tech.port == port else None


#: Ports whose exposure is a risk whatever listens on them: remote shells and the engine APIs.
_ANY_PRODUCT_PORTS = frozenset({21, 22, 23, 135, 445, 2375, 2376, 3389, 5900, 6443, 10250})


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


# --- SEC009-012: containers and their host ------------------------------------------------------

_CIS_DOCKER = "CIS Docker Benchmark"
_PSS = "Kubernetes Pod Security Standards (baseline)"


@rule(
    "SEC009",
    "Privileged container",
    severity=Severity.ERROR,
    what="A component whose container runs privileged (`container.privileged: true`).",
    why=(
        "A privileged container has every capability of the host's root user and access to all devices: a "
        "process that escapes the application owns the node and every other container on it."
    ),
    example="""
components:
  agent:
    type: worker
    container: {privileged: true}
""",
    fix="Remove `privileged`; add only the specific capabilities the process needs (`capabilities: [NET_BIND_SERVICE]`).",
    references=(OWASP_A05, f"{_CIS_DOCKER} 5.4: privileged containers are not used", _PSS),
    controls=(Control("soc2", "CC6.8", "Controls prevent or detect unauthorized or malicious software"),),
    checkov=("CKV_K8S_16",),
    kics=("dd29336b-fe57-445b-a26e-e6aa867ae609",),
    trivy=("AVD-KSV-0017",),
    fixable=True,
)
def privileged(ctx: RuleContext) -> Iterator[Hit]:
    for cid, path in container_flag(ctx, "privileged"):
        yield Hit(
            path,
            f"'{cid}' runs a privileged container: an escape from it controls the whole host",
            fix=_switch_off(cid, "privileged", f"Run '{cid}' unprivileged"),
        )


def _switch_off(cid: str, flag: str, title: str) -> Fix:
    """Set ``container.<flag>`` of ``cid`` to false."""
    return Fix(title, "set", ("components", cid, "container"), value=False, key=flag, safe=False)


_NAMESPACES = {
    "host_network": ("network", "sees and can bind every interface of the node, bypassing network policies"),
    "host_pid": ("process", "sees and can signal every process on the node"),
    "host_ipc": ("IPC", "shares the node's shared memory with every process on it"),
}


@rule(
    "SEC010",
    "Container shares a host namespace",
    severity=Severity.ERROR,
    what="A component whose container shares the host's network, process or IPC namespace (`host_network`, `host_pid`, `host_ipc`).",
    why=(
        "Each shared namespace removes one wall between the container and the node: with the host's network "
        "it bypasses network policy, with its processes it can read their memory and environment, with its "
        "IPC it can read shared memory. Combined with any other weakness it is a step to owning the node."
    ),
    example="""
components:
  proxy:
    type: service
    container: {host_network: true}
""",
    fix="Remove the `host_*` setting; publish ports instead of sharing the host network.",
    references=(
        OWASP_A05,
        f"{_CIS_DOCKER} 5.9, 5.15, 5.16: the host's network, process and IPC namespaces are not shared",
        _PSS,
    ),
    controls=(Control("soc2", "CC6.8", "Controls prevent or detect unauthorized or malicious software"),),
    checkov=("CKV_K8S_17", "CKV_K8S_18", "CKV_K8S_19"),
    kics=("302736f4-b16c-41b8-befe-c0baffa0bd9d", "cd290efd-6c82-4e9d-a698-be12ae31d536"),
    trivy=("AVD-KSV-0008", "AVD-KSV-0009", "AVD-KSV-0010"),
    fixable=True,
)
def host_namespace(ctx: RuleContext) -> Iterator[Hit]:
    for key, (name, effect) in _NAMESPACES.items():
        for cid, path in container_flag(ctx, key):
            yield Hit(
                path,
                f"'{cid}' shares the host's {name} namespace: it {effect}",
                fix=_switch_off(cid, key, f"Stop sharing the host's {name} namespace"),
            )


@rule(
    "SEC011",
    "Container engine socket mounted",
    severity=Severity.ERROR,
    what="A component whose container mounts the Docker or containerd socket (`container.docker_socket: true`).",
    why=(
        "Whoever can talk to the engine's socket can start a privileged container with the host's root "
        "filesystem mounted: mounting the socket is handing out root on the host."
    ),
    example="""
components:
  ci-runner:
    type: worker
    container: {docker_socket: true}
""",
    fix="Build images with a daemonless builder (BuildKit rootless, Kaniko, Buildah) or a remote builder; never mount the socket into application containers.",
    references=(OWASP_A05, f"{_CIS_DOCKER} 5.31: the Docker socket is not mounted inside any containers"),
    controls=(Control("soc2", "CC6.8", "Controls prevent or detect unauthorized or malicious software"),),
    checkov=("CKV_K8S_27",),
    trivy=("AVD-KSV-0006",),
    fixable=True,
)
def engine_socket(ctx: RuleContext) -> Iterator[Hit]:
    for cid, path in container_flag(ctx, "docker_socket"):
        yield Hit(
            path,
            f"'{cid}' mounts the container engine's socket, which amounts to root on the host",
            fix=_switch_off(cid, "docker_socket", "Do not mount the engine socket"),
        )


DANGEROUS_CAPABILITIES = {
    "ALL": "every capability, as good as privileged",
    "SYS_ADMIN": "mount filesystems, load BPF programs and more; close to root",
    "NET_ADMIN": "reconfigure interfaces, routes and firewall rules",
    "SYS_PTRACE": "read and modify other processes' memory",
    "SYS_MODULE": "load kernel modules",
    "SYS_RAWIO": "raw access to devices and I/O ports",
    "DAC_READ_SEARCH": "read any file regardless of permissions",
    "BPF": "load BPF programs into the kernel",
    "SYS_BOOT": "reboot the host",
}


@rule(
    "SEC012",
    "Dangerous Linux capability added",
    severity=Severity.WARNING,
    what="A container that adds a capability that amounts to control of the host: ALL, SYS_ADMIN, NET_ADMIN, SYS_PTRACE, SYS_MODULE, SYS_RAWIO, DAC_READ_SEARCH, BPF or SYS_BOOT.",
    why="Capabilities split root into pieces; these pieces are each enough to break out of the container or take over the node's network.",
    example="""
components:
  vpn:
    type: service
    container: {capabilities: [NET_ADMIN]}
""",
    fix="Drop the capability; if the feature truly needs it, isolate the component on dedicated nodes and document why.",
    references=(OWASP_A05, f"{_CIS_DOCKER} 5.3: Linux kernel capabilities are restricted within containers", _PSS),
    controls=(Control("soc2", "CC6.8", "Controls prevent or detect unauthorized or malicious software"),),
    checkov=("CKV_K8S_39",),
    trivy=("AVD-KSV-0005",),
    fixable=True,
    related=(
        (
            "checkov",
            "CKV_K8S_37",
            "checkov asks every container to drop all capabilities; SEC012 reports the dangerous ones added (SYS_ADMIN, NET_ADMIN, SYS_PTRACE, ...), and leaves the default set alone.",
        ),
        (
            "trivy",
            "AVD-KSV-0022",
            "Trivy reports any capability added beyond the default set (NET_BIND_SERVICE included); SEC012 only the dangerous ones.",
        ),
    ),
    scope="component",
)
def dangerous_capability(ctx: RuleContext) -> Iterator[Hit]:
    for cid, c in ctx.components():
        if c.container is None:
            continue
        for i, cap in enumerate(c.container.capabilities):
            name = str(cap).upper().removeprefix("CAP_")
            if name in DANGEROUS_CAPABILITIES:
                yield Hit(
                    ("components", cid, "container", "capabilities", i),
                    f"'{cid}' adds {name}: {DANGEROUS_CAPABILITIES[name]}",
                    fix=Fix(f"Drop {name}", "remove", ("components", cid, "container", "capabilities", i), safe=False),
                    on_value=True,
                )


# --- SEC013: zones ------------------------------------------------------------------------------


_SEGMENTS = frozenset({GroupType.SUBNET, GroupType.NETWORK})


@rule(
    "SEC013",
    "No trust boundary between public and private components",
    severity=Severity.WARNING,
    what=(
        "Internet-facing components and private data stores that no group keeps apart: the file has public "
        "components and private stores but no groups; a public component belongs to no group; a data store "
        "sits in a public group; or a private subnet or network directly holds both a public component and a data store."
    ),
    why=(
        "Zones (subnets, VPCs, trust boundaries) are where network controls are applied. Without them "
        "nothing in the design says that the internet-facing tier cannot reach every database, and nothing "
        "limits what a compromised edge component can reach."
    ),
    example="""
components:
  api: {type: service, public: true, auth: jwt}
  db: {type: database}
groups:
  app:                    # reported: one zone holds both the public service and the database
    type: subnet
    members: [api, db]
""",
    fix="Put public components in a public group (`public: true`, e.g. a public subnet) and stores in private groups.",
    references=(
        OWASP_A04,
        "NIST SP 800-207 Zero Trust Architecture",
        "AWS Well-Architected Security Pillar SEC05-BP01: create network layers",
    ),
    controls=(
        Control("pci-dss", "1.4.1", "Network security controls are implemented between trusted and untrusted networks"),
        Control("soc2", "CC6.6", "Logical access security measures against threats from outside the system boundary"),
    ),
    formats=("arch",),
)
def trust_boundary(ctx: RuleContext) -> Iterator[Hit]:
    model = ctx.model
    f = facts(ctx)
    public = [
        cid for cid in model.components if cid in f.public_side and model.components[cid].type not in PASS_THROUGH
    ]
    public = public or [cid for cid in model.components if cid in f.public_side]
    stores = sorted(cid for cid, c in model.components.items() if c.type in DATA_STORES and not c.public)
    if not public or not stores:
        return
    if not model.groups:
        yield Hit(
            ("components", public[0]),
            f"'{public[0]}' faces the internet and {names(stores)} hold data, but no groups separate public from "
            "private components; add a public group for the edge and private groups for the stores",
        )
        return
    direct: dict[str, list[str]] = {}
    for gid, group in model.groups.items():
        for member in group.members:
            direct.setdefault(member, []).append(gid)
    for cid in public:
        if model.components[cid].type in DATA_STORES:
            continue  # a public store belongs in a private zone, which SEC001 says; never advise a public one
        if model.components[cid].public and not direct.get(cid):
            yield Hit(
                ("components", cid), f"'{cid}' faces the internet but belongs to no group; put it in a public zone"
            )
    for gid, group in model.groups.items():
        members = [m for m in group.members if m in model.components]
        held = [m for m in members if model.components[m].type in DATA_STORES and not model.components[m].public]
        if not held:
            continue
        if group.public:
            for i, member in enumerate(group.members):
                if member in held:
                    yield Hit(
                        ("groups", gid, "members", i),
                        f"data store '{member}' sits in public group '{gid}'; move it to a private zone",
                        on_value=True,
                    )
            continue
        if group.type not in _SEGMENTS:
            continue  # a VPC, region or logical boundary holds public and private subnets by design
        exposed = [m for m in members if model.components[m].public and model.components[m].type not in DATA_STORES]
        if exposed:
            yield Hit(
                ("groups", gid),
                f"group '{gid}' holds both internet-facing {names(exposed)} and data store {names(held)}; "
                "split it into a public and a private zone",
            )


# --- SEC014-016 ---------------------------------------------------------------------------------


@rule(
    "SEC014",
    "Sensitive data stored without encryption at rest",
    severity=Severity.ERROR,
    what=(
        "A component that keeps data (database, cache, queue, stream, storage, search, warehouse, secrets, "
        "log or metric store) "
        "holding personal, health, card, financial, credential or secret data (its own `data`, or data "
        "that connections write into it) without `encryption_at_rest: true`."
    ),
    why=(
        "Disks, snapshots and backups leave the building: decommissioned drives, shared snapshots, a backup "
        "bucket made public by mistake. Encryption at rest (with keys in a KMS) makes every one of those a "
        "non-event. It is a checkbox at creation time and a migration later."
    ),
    example="""
components:
  users-db:
    type: database
    data: [pii]        # no encryption_at_rest
""",
    fix="Set `encryption_at_rest: true` and enable it on the store (RDS `storage_encrypted`, S3 default encryption, ...).",
    references=(OWASP_A02, "CIS AWS Foundations Benchmark 2.3.1: encryption is enabled for RDS instances"),
    controls=(
        Control("pci-dss", "3.5.1", "PAN is rendered unreadable anywhere it is stored"),
        Control("hipaa", "164.312(a)(2)(iv)", "Encryption and decryption"),
        Control("gdpr", "Art. 32(1)(a)", "Encryption of personal data"),
        Control("soc2", "CC6.1", "Logical access security software, infrastructure and architectures"),
    ),
    checkov=("CKV_AWS_16", "CKV_AWS_3", "CKV_AWS_29"),
    trivy=("AVD-AWS-0080",),
    fixable=True,
    severity_note="Card and health data, credentials and secrets are errors; other sensitive data (personal, financial) is a warning.",
    related=(
        (
            "checkov",
            "CKV_AWS_19",
            "S3 encrypts every bucket by default since January 2023, so checkov's check passes everywhere; SEC103 says when no key of yours protects a bucket.",
        ),
    ),
)
def unencrypted_at_rest(ctx: RuleContext) -> Iterator[Hit]:
    model = ctx.model
    sayable = ctx.can_say("encryption_at_rest")
    for cid, held in facts(ctx).stored.items():
        c = model.components[cid]
        if c.encryption_at_rest or (c.encryption_at_rest is None and not sayable):
            continue
        kinds = sensitive(held)
        if not kinds:
            continue
        yield Hit(
            ("components", cid, "encryption_at_rest"),
            f"{c.type.value} '{cid}' stores {kinds_text(kinds)} data without encryption at rest",
            fix=Fix(f"Encrypt '{cid}' at rest", "set", ("components", cid), value=True, key="encryption_at_rest"),
            severity=Severity.ERROR if CRITICAL_DATA.intersection(kinds) else Severity.WARNING,
        )


_AUTH_STORES = frozenset(
    {
        ComponentType.DATABASE,
        ComponentType.CACHE,
        ComponentType.SEARCH,
        ComponentType.QUEUE,
        ComponentType.STREAM,
        ComponentType.DATA_WAREHOUSE,
        ComponentType.FILE_STORAGE,
        ComponentType.OBJECT_STORAGE,
    }
)


@rule(
    "SEC015",
    "Data store with authentication turned off",
    severity=Severity.WARNING,
    what="A database, cache, search index, queue, stream, warehouse or storage component declared with `auth: none`.",
    why=(
        "Network placement is one control; a store that accepts any connection turns every foothold in its "
        "network (a compromised pod, an SSRF bug) into full access to its data. Redis, Elasticsearch and "
        "MongoDB ship without authentication by default, which is how most of their public leaks happen."
    ),
    example="""
components:
  sessions:
    type: cache
    technology: redis
    auth: none
""",
    fix="Turn authentication on (`auth: password` with Redis ACLs, `auth: iam` for cloud stores, `auth: mtls`) and give each service its own credentials.",
    references=(OWASP_A07, "CWE-306: Missing Authentication for Critical Function"),
    controls=(
        Control("pci-dss", "8.3.1", "All user access to system components is authenticated"),
        Control("hipaa", "164.312(d)", "Person or entity authentication"),
        Control("soc2", "CC6.1", "Logical access security software, infrastructure and architectures"),
    ),
    scope="component",
)
def store_without_auth(ctx: RuleContext) -> Iterator[Hit]:
    for cid, c in ctx.components():
        if c.type in _AUTH_STORES and c.auth is Auth.NONE:
            yield Hit(
                ("components", cid, "auth"),
                f"{c.type.value} '{cid}' accepts connections without authentication (auth: none)",
                on_value=True,
            )


# Log shippers and collectors (Logstash, Fluentd, an OpenTelemetry collector) take data in; they are
# management interfaces only when their technology is one of the consoles below.
_MANAGEMENT_TYPES = frozenset({ComponentType.MONITORING, ComponentType.SECRETS})
_MANAGEMENT_TECH = re.compile(
    r"^(kibana|grafana|prometheus|alertmanager|jaeger|zipkin|jenkins|argo-?cd|argo|portainer|pgadmin|phpmyadmin|"
    r"adminer|kubernetes-dashboard|rancher|consul|vault|rabbitmq-management|flower|airflow|kafka-ui|redis-insight|"
    r"redisinsight|sonarqube|nexus|harbor)\b",
    re.IGNORECASE,
)
_SSO = frozenset({Auth.OIDC, Auth.SAML, Auth.MTLS})


@rule(
    "SEC016",
    "Management interface open to the internet",
    severity=Severity.WARNING,
    what=(
        "A monitoring, logging or secrets component, or an administration tool (Grafana, Kibana, Jenkins, "
        "Argo CD, pgAdmin, Vault, ...), that is public without single sign-on or mutual TLS in front of it."
    ),
    why=(
        "Management planes hold the keys to everything else: dashboards leak data and credentials, CI "
        "servers run code, secrets stores hand out secrets. Exposed consoles with default or shared "
        "passwords are among the most common initial access routes."
    ),
    example="""
components:
  grafana:
    type: monitoring
    technology: grafana
    public: true
""",
    fix="Make it private and reach it over a VPN or an identity-aware proxy, or put single sign-on in front of it (`auth: oidc`).",
    references=(OWASP_A05, OWASP_A01),
    controls=(
        Control("soc2", "CC6.6", "Logical access security measures against threats from outside the system boundary"),
        Control("pci-dss", "1.3.1", "Inbound traffic to the CDE is restricted to that which is necessary"),
    ),
    fixable=True,
    scope="component",
)
def management_exposed(ctx: RuleContext) -> Iterator[Hit]:
    for cid, c in ctx.components():
        if not c.public or c.auth in _SSO:
            continue
        tech = c.technology or ""
        if c.type in _MANAGEMENT_TYPES or _MANAGEMENT_TECH.match(tech):
            what = tech or c.type.value
            yield Hit(
                ("components", cid, "public"),
                f"'{cid}' ({what}) is a management interface open to the internet; keep it private or put single sign-on in front",
                fix=Fix(
                    f"Make '{cid}' private (public: false)",
                    "set",
                    ("components", cid),
                    value=False,
                    key="public",
                    safe=False,
                ),
            )
