"""Docker Compose for local development: every service and data store of the architecture on one
machine, with healthchecks, resource limits, start order by health, and only the entry services
published (on 127.0.0.1).
"""

from __future__ import annotations

from typing import Any

from archls.export import exporters
from archls.export.context import Comp, ExportContext
from archls.export.emit import yaml_docs
from archls.export.quoting import compose_literal
from archls.export.registry import target


def _extras(comp: Comp) -> dict[str, Any]:
    """Extra settings some images need to run on their own."""
    family = comp.family
    if family == "s3":
        return {"command": ["server", "/data"]}
    if family == "kafka":
        host = comp.dns
        return {
            "environment": {
                "KAFKA_NODE_ID": "1",
                "KAFKA_PROCESS_ROLES": "broker,controller",
                "KAFKA_LISTENERS": "PLAINTEXT://:9092,CONTROLLER://:9093",
                "KAFKA_ADVERTISED_LISTENERS": f"PLAINTEXT://{host}:9092",
                "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
                "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                "KAFKA_CONTROLLER_QUORUM_VOTERS": f"1@{host}:9093",
                "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
                "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
                "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
            }
        }
    return {}


def password_var(comp: Comp) -> str:
    return f"{comp.env}_PASSWORD"


def store_environment(comp: Comp) -> dict[str, str]:
    env: dict[str, str] = {}
    if comp.tech is not None:
        for key, value in comp.tech.dev_env:
            env[key] = f"${{{password_var(comp)}:-change-me-locally}}" if "PASSWORD" in key else compose_literal(value)
    env.update(_extras(comp).get("environment", {}))
    return env


def service_environment(ctx: ExportContext, comp: Comp, running: set[str]) -> dict[str, str]:
    env = {"PORT": str(comp.port), "SERVICE_NAME": str(comp.dns)}
    if comp.grpc_port is not None:
        env["GRPC_PORT"] = str(comp.grpc_port)
    for peer in comp.callees + comp.consumes:
        if peer.id not in running:
            continue
        env[f"{peer.env}_HOST"] = str(peer.dns)
        env[f"{peer.env}_PORT"] = str(peer.port)
        if peer.grpc_port is not None:
            env[f"{peer.env}_GRPC_PORT"] = str(peer.grpc_port)
        if peer.deployable and peer.speaks_http:
            env[f"{peer.env}_URL"] = f"http://{peer.dns}:{peer.port}"
        if peer.needs_password:
            env[f"{peer.env}_PASSWORD"] = f"${{{password_var(peer)}:-change-me-locally}}"
    return dict(sorted(env.items()))


#: Probes of the services the repository builds: fixed programs that fetch the URL given as their argument.
NODE_PROBE = "fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1)).catch(() => process.exit(1))"
PYTHON_PROBE = "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=3)"


def healthcheck(comp: Comp, scaffolded: bool = False) -> dict[str, Any] | None:
    if comp.deployable and (comp.builds_image or (comp.team_code and scaffolded)) and comp.speaks_http:
        # The URL holds the model's health path, so it is an argument of its own (exec form, no
        # shell): no text of the model is ever part of a shell line or of the probe's program.
        url = compose_literal(f"http://127.0.0.1:{comp.port}{comp.health_path}")
        if comp.language == "node":
            test = ["CMD", "node", "-e", NODE_PROBE, url]
        else:
            test = ["CMD", "python", "-c", PYTHON_PROBE, url]
    elif comp.tech and comp.tech.health:
        test = [comp.tech.health[0], compose_literal(comp.tech.health[1])]
    else:
        return None
    return {
        "test": test,
        "interval": f"{comp.health_interval}s",
        "timeout": "5s",
        "retries": 5,
        "start_period": "20s" if comp.deployable else "30s",
    }


def compose_doc(ctx: ExportContext, build_root: str | None = None) -> dict[str, Any]:
    """The compose file; ``build_root`` (e.g. ``./services``) builds the team's images from source."""
    running = {c.id for c in ctx.components if c.runs_container}
    services: dict[str, Any] = {}
    volumes: dict[str, Any] = {}
    entry = {c.id for c in ctx.entry_services}
    host_port = 8080
    for comp in ctx.components:
        if comp.id not in running:
            continue
        svc: dict[str, Any] = {}
        if comp.team_code and build_root is not None:
            # In the scaffolded repository every service the team writes is built from its folder.
            svc["build"] = {"context": f"{build_root}/{comp.dns}"}
            svc["image"] = f"{ctx.slug}/{comp.dns}:dev"
        else:
            svc["image"] = compose_literal(comp.image)
        extras = _extras(comp)
        if "command" in extras:
            svc["command"] = extras["command"]
        svc["restart"] = "unless-stopped"
        if comp.deployable:
            svc["environment"] = service_environment(ctx, comp, running)
            if not comp.team_code:
                svc["environment"].update(store_environment(comp))
        else:
            env = store_environment(comp)
            if env:
                svc["environment"] = env
        if comp.id in entry:
            svc["ports"] = [f"127.0.0.1:{host_port}:{comp.port}"]
            host_port += 1
        else:
            svc["expose"] = [str(p) for p in comp.ports]
        depends: dict[str, Any] = {}
        for store in comp.uses:
            if store.id in running:
                condition = "service_healthy" if healthcheck(store, build_root is not None) else "service_started"
                depends[str(store.dns)] = {"condition": condition}
        if depends:
            svc["depends_on"] = dict(sorted(depends.items()))
        check = healthcheck(comp, build_root is not None)
        if check:
            svc["healthcheck"] = check
        cpus = comp.cpu if comp.deployable else max(comp.cpu, 0.5)
        svc["deploy"] = {
            "resources": {
                "limits": {"cpus": f"{cpus:g}", "memory": f"{comp.memory_mb}M"},
                "reservations": {"memory": f"{max(comp.memory_mb // 4, 32)}M"},
            }
        }
        svc["security_opt"] = ["no-new-privileges:true"]
        if comp.deployable and comp.builds_image:
            svc["read_only"] = True
            svc["tmpfs"] = ["/tmp"]
            svc["cap_drop"] = ["ALL"]
        if not comp.deployable:
            volume = f"{comp.dns}-data"
            svc["volumes"] = [f"{volume}:{comp.data_path}"]
            volumes[volume] = {}
        labels = {"dev.archls.component": compose_literal(comp.id), "dev.archls.type": comp.type}
        if comp.description:
            labels["dev.archls.description"] = compose_literal(comp.description)
        svc["labels"] = labels
        services[str(comp.dns)] = svc
        exporter = exporters.exporter_for(comp)
        if exporter is not None:
            services[f"{comp.dns}-exporter"] = _exporter_service(comp, exporter)
    # No top-level `name`: Debian's docker-compose 1.29 rejects it; the folder names the project.
    doc: dict[str, Any] = {"services": services}
    if volumes:
        doc["volumes"] = volumes
    return doc


def _exporter_service(comp: Comp, exporter: exporters.Exporter) -> dict[str, Any]:
    """The store's Prometheus exporter, in the store's network namespace: it reads the store on
    localhost and serves its metrics at <store>:<exporter port>, where Prometheus scrapes it."""
    svc: dict[str, Any] = {"image": exporter.image, "network_mode": f"service:{comp.dns}"}
    args = exporters.render_args(exporter, comp)
    if args:
        svc["command"] = args
    env = {k: (v if v is not None else f"${{{password_var(comp)}:-change-me-locally}}") for k, v in
           exporters.render_env(exporter, comp)}  # fmt: skip
    if env:
        svc["environment"] = env
    svc.update(
        {
            "restart": "unless-stopped",
            "depends_on": {str(comp.dns): {"condition": "service_started"}},
            "read_only": True,
            "cap_drop": ["ALL"],
            "security_opt": ["no-new-privileges:true"],
            "deploy": {"resources": {"limits": {"cpus": "0.1", "memory": "64M"}}},
        }
    )
    return svc


def header(ctx: ExportContext) -> str:
    lines = [
        f"Local development for {ctx.name}, generated by archls. Start with: docker compose up --build",
        "Passwords default to change-me-locally; set <STORE>_PASSWORD variables in a .env file to change them.",
    ]
    missing = [c for c in ctx.components if c.is_stateful and not c.runs_container]
    if missing:
        lines.append(
            "Managed services without a local image (point the services at a cloud account or an emulator): "
            + ", ".join(f"{c.dns} ({c.technology or c.type})" for c in missing)
        )
    return "\n".join(lines)


@target(
    "compose",
    "Docker Compose",
    kind="deploy",
    description="Local development with healthchecks, limits and depends_on conditions; entry services on 127.0.0.1",
)
def compose(ctx: ExportContext) -> dict[str, str]:
    return {"compose.yaml": yaml_docs([compose_doc(ctx)], header(ctx))}
