"""Compose rules for what the architecture model does not carry: restart policies, where published
ports listen, and secrets in the file. They read ``ctx.native`` (every service, those under a
profile included) and report on ``("services", name, key...)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from archls.findings import Severity
from archls.formats._yamlnative import as_text, get
from archls.rules._native import covered
from archls.rules._secrets import literal_secret
from archls.rules.registry import Fix, Hit, RuleContext, rule

COMPOSE = ["compose"]


def _native(ctx: RuleContext) -> Any:
    from archls.formats.compose import ComposeNative

    return ctx.native if isinstance(ctx.native, ComposeNative) else None


@rule(
    "REL301",
    "Service without a restart policy",
    severity=Severity.WARNING,
    what=(
        'A service with neither `restart` nor `deploy.restart_policy`. Services that say `restart: "no"` '
        "on purpose (one-off jobs) are not reported."
    ),
    why=(
        "The default is never to restart: a crash, an out-of-memory kill or a host reboot leaves the service "
        "down until someone notices and runs `docker compose up` again."
    ),
    example="services:\n  api:\n    image: acme/api:1.4",
    fix="Add `restart: unless-stopped` (or `on-failure:5` for jobs that should give up).",
    references=("https://docs.docker.com/reference/compose-file/services/#restart",),
    kics=("2fc99041-ddad-49d5-853f-e35e70a48391",),
    fixable=True,
    formats=COMPOSE,
    scope="service",
)
def restart_policy(ctx: RuleContext) -> Iterator[Hit]:
    if ctx.development:
        return  # a stack on a developer's machine is not run for production (docs/formats.md)
    native = _native(ctx)
    if native is None:
        return
    for name, service in ctx.services(native):
        data = service.data
        if "restart" in data or get(data, "deploy", "restart_policy") is not None:
            continue
        yield Hit(
            native.path(name),
            f"service '{name}' is not restarted when it crashes or the host reboots",
            fix=Fix("Add restart: unless-stopped", "set", native.path(name), value="unless-stopped", key="restart"),
        )


@rule(
    "SEC301",
    "Port published on every interface",
    severity=Severity.WARNING,
    what=(
        'A `ports` entry that publishes a container port without a host address (`"8080:80"`, or a long form '
        "without `host_ip`), so Docker listens on 0.0.0.0."
    ),
    why=(
        "Docker writes its own iptables rules ahead of ufw and firewalld, so the port is reachable from every "
        "network the host is on, firewall or not. Databases and admin UIs published this way are a classic leak."
    ),
    example='ports:\n  - "5432:5432"',
    fix='Bind to the interface that needs it, e.g. `"127.0.0.1:5432:5432"`, or drop the mapping and use the '
    "compose network.",
    references=("https://docs.docker.com/engine/network/packet-filtering-firewalls/",),
    kics=("451d79dc-0588-476a-ad03-3c7f0320abb3",),
    fixable=True,
    formats=COMPOSE,
    scope="service",
)
def open_ports(ctx: RuleContext) -> Iterator[Hit]:
    native = _native(ctx)
    if native is None:
        return
    from archls.formats.compose import parse_ports, publishes_openly
    from archls.rules.security import port_product

    for name, service in ctx.services(native):
        raw = service.data.get("ports")
        for port in parse_ports(raw):
            if not publishes_openly(port):
                continue
            item = raw[port.index]
            fix = None
            if isinstance(item, str | int) and not isinstance(item, bool):
                fix = Fix(
                    "Publish on 127.0.0.1 only",
                    "replace",
                    native.path(name, "ports", port.index),
                    value=f"127.0.0.1:{as_text(item)}",
                    safe=False,
                )
            long_form = isinstance(item, dict)
            component = ctx.model.components.get(name)
            product = port_product(component, port.target) if component and port.target else None
            what = f" ({product})" if product else ""
            yield Hit(
                native.path(name, "ports", port.index, *(("published",) if long_form else ())),
                f"service '{name}' publishes port {port.published}{what} on every interface of the host",
                fix=fix,
                on_value=not long_form,
            )


@rule(
    "SEC302",
    "Secret written into a compose file",
    severity=Severity.ERROR,
    what=(
        "An `environment` entry whose value is a literal secret (a password, token or key by its name, or a "
        "credential by its shape). `${VARIABLE}` references and `*_FILE` variables are fine. Where the model "
        "rule SEC007 (secret written in the architecture) runs, it reports the services in the model and "
        "this rule the services that only run under a profile."
    ),
    why=(
        "Compose files are committed and shared; every clone holds the secret, and `docker inspect` shows it "
        "to anyone with access to the engine."
    ),
    example="environment:\n  POSTGRES_PASSWORD: postgres",
    fix="Use compose `secrets:` (mounted as files, e.g. `POSTGRES_PASSWORD_FILE`) or `${VARIABLE}` from an "
    "untracked `.env` file.",
    references=("https://docs.docker.com/compose/how-tos/use-secrets/",),
    kics=("a88baa34-e2ad-44ea-ad6f-8cac87bc7c71",),
    formats=COMPOSE,
    scope="service",
)
def compose_secrets(ctx: RuleContext) -> Iterator[Hit]:
    native = _native(ctx)
    if native is None:
        return
    from archls.formats.compose import _env_dict, _env_paths

    deferred = covered(ctx, "SEC007")
    for name, service in ctx.services(native):
        if deferred and name in ctx.model.components:
            continue
        raw = service.data.get("environment")
        paths = _env_paths(raw)
        for key, value in _env_dict(raw).items():
            reason = literal_secret(key, value)
            if reason and key in paths:
                yield Hit(
                    native.path(name, "environment", *paths[key]),
                    f"service '{name}' has {reason} in its environment",
                )
