"""Platform-as-a-service configurations: a Render blueprint, Railway service configs and Fly.io apps."""

from __future__ import annotations

from typing import Any

from archls.export.context import Comp, ExportContext
from archls.export.emit import json_doc, toml_doc, yaml_docs
from archls.export.naming import dns_label
from archls.export.quoting import md, md_code
from archls.export.registry import target

RELATIONAL = frozenset({"postgresql"})
KEY_VALUE = frozenset({"redis", "valkey"})


def _render_type(comp: Comp) -> str:
    if comp.type == "scheduler":
        return "cron"
    if comp.type == "worker" or not comp.speaks_http:
        return "worker" if not comp.callers else "pserv"
    return "web" if comp.public_entry else "pserv"


def _render_region(ctx: ExportContext) -> str:
    return "frankfurt" if ctx.gcp_region.startswith("europe") else "oregon"


def _render_service(ctx: ExportContext, comp: Comp, kinds: dict[str, str]) -> dict[str, Any]:
    kind = _render_type(comp)
    svc: dict[str, Any] = {"type": kind, "name": str(comp.dns)}
    if comp.builds_image:
        svc["runtime"] = "docker"
        svc["dockerfilePath"] = f"./services/{comp.dns}/Dockerfile"
        svc["dockerContext"] = f"./services/{comp.dns}"
    else:
        svc["runtime"] = "image"
        svc["image"] = {"url": comp.image}
    svc["plan"] = "standard" if comp.cpu >= 1 else "starter"
    svc["region"] = _render_region(ctx)
    if kind == "cron":
        svc["schedule"] = "*/15 * * * *"
    elif comp.autoscaled:
        svc["scaling"] = {
            "minInstances": comp.min_replicas,
            "maxInstances": comp.max_replicas,
            "targetCPUPercent": comp.target_cpu,
        }
    else:
        svc["numInstances"] = comp.replicas
    if kind == "web":
        svc["healthCheckPath"] = comp.health_path
    env: list[dict[str, Any]] = [{"key": "PORT", "value": str(comp.port)}]
    for peer in comp.callees + comp.consumes if comp.deployable else []:
        peer_kind = kinds.get(peer.id)
        if peer_kind == "database":
            env.append(
                {"key": f"{peer.env}_URL", "fromDatabase": {"name": str(peer.dns), "property": "connectionString"}}
            )
        elif peer_kind == "keyvalue":
            env.append(
                {
                    "key": f"{peer.env}_URL",
                    "fromService": {"type": "keyvalue", "name": str(peer.dns), "property": "connectionString"},
                }
            )
        elif peer_kind in {"pserv", "web"}:
            env.append(
                {
                    "key": f"{peer.env}_HOSTPORT",
                    "fromService": {"type": peer_kind, "name": str(peer.dns), "property": "hostport"},
                }
            )
    svc["envVars"] = env
    if not comp.deployable:
        svc["disk"] = {
            "name": "data",
            "mountPath": comp.data_path,
            "sizeGB": comp.storage_gb,
        }
        svc.pop("numInstances", None)
    return svc


@target(
    "render",
    "Render blueprint",
    kind="deploy",
    description="render.yaml: web and private services, Postgres databases and Key Value instances, wired by reference",
)
def render_blueprint(ctx: ExportContext) -> dict[str, str]:
    kinds: dict[str, str] = {}
    services: list[dict[str, Any]] = []
    databases: list[dict[str, Any]] = []
    for comp in ctx.components:
        if comp.type == "database" and comp.family in RELATIONAL:
            kinds[comp.id] = "database"
        elif comp.type == "cache" and comp.family in KEY_VALUE:
            kinds[comp.id] = "keyvalue"
        elif comp.deployable:
            kinds[comp.id] = _render_type(comp)
        elif comp.runs_container:
            kinds[comp.id] = "pserv"
    for comp in ctx.components:
        kind = kinds.get(comp.id)
        if kind == "database":
            db: dict[str, Any] = {
                "name": str(comp.dns),
                "databaseName": "app",
                "user": "app",
                "plan": "pro-4gb" if comp.multi_az else "basic-1gb",
                "region": _render_region(ctx),
                "ipAllowList": [],
            }
            if comp.version and comp.version.split(".")[0].isdigit():
                db["postgresMajorVersion"] = comp.version.split(".")[0]
            if comp.multi_az:
                db["highAvailability"] = {"enabled": True}
            databases.append(db)
        elif kind == "keyvalue":
            services.append(
                {
                    "type": "keyvalue",
                    "name": str(comp.dns),
                    "plan": "standard",
                    "region": _render_region(ctx),
                    "ipAllowList": [],
                    "maxmemoryPolicy": "allkeys-lru" if comp.type == "cache" else "noeviction",
                }
            )
        elif kind is not None:
            services.append(_render_service(ctx, comp, kinds))
    doc: dict[str, Any] = {"services": services}
    if databases:
        doc["databases"] = databases
    header = (
        f"Render blueprint for {ctx.name}, generated by archls. Apply with a Render Blueprint from this repository."
    )
    return {"render.yaml": yaml_docs([doc], header)}


def fly_region(ctx: ExportContext) -> str:
    return "ams" if ctx.gcp_region.startswith("europe") else "iad"


@target(
    "fly",
    "Fly.io apps",
    kind="deploy",
    description="One fly.toml per service (HTTP service or private app, checks, VM size, machines) and the data stores to attach",
)
def fly(ctx: ExportContext) -> dict[str, str]:
    files: dict[str, str] = {}
    lines = [f"# Fly.io for {md(ctx.name)}", "", "One app per service; each folder holds its `fly.toml`.", ""]
    for comp in ctx.services:
        app = dns_label(f"{ctx.slug}-{comp.dns}", 63)
        doc: dict[str, Any] = {"app": app, "primary_region": fly_region(ctx)}
        doc["build"] = {"dockerfile": "Dockerfile"} if comp.builds_image else {"image": comp.image}
        env = {"PORT": str(comp.port), "SERVICE_NAME": str(comp.dns)}
        for peer in comp.callees:
            if peer.deployable:
                env[f"{peer.env}_URL"] = f"http://{dns_label(f'{ctx.slug}-{peer.dns}', 63)}.internal:{peer.port}"
        doc["env"] = dict(sorted(env.items()))
        doc["deploy"] = {"strategy": "rolling"}
        check = {
            "grace_period": "20s",
            "interval": f"{max(comp.health_interval, 5)}s",
            "method": "GET",
            "path": comp.health_path,
            "timeout": "5s",
        }
        if comp.public_entry and comp.speaks_http:
            doc["http_service"] = {
                "internal_port": comp.port,
                "force_https": True,
                "auto_stop_machines": "off",
                "auto_start_machines": True,
                "min_machines_running": comp.min_replicas,
                "checks": [check],
            }
        elif comp.speaks_http:
            doc["checks"] = {"health": {"type": "http", "port": comp.port, **check}}
        doc["vm"] = [
            {
                "cpu_kind": "performance" if comp.cpu >= 2 else "shared",
                "cpus": max(int(comp.cpu), 1),
                "memory": f"{max(comp.memory_mb, 256)}mb",
            }
        ]
        files[f"{comp.dns}/fly.toml"] = toml_doc(doc, f"{ctx.name}: {comp.id}, generated by archls")
        lines.append(
            f"- {md_code(comp.dns)}: `fly deploy --config {comp.dns}/fly.toml`, then "
            f"`fly scale count {comp.min_replicas} --config {comp.dns}/fly.toml`"
        )
    if ctx.stores:
        lines += ["", "## Data stores", ""]
        for comp in ctx.stores:
            how = {
                "postgresql": f"`fly postgres create --name {dns_label(f'{ctx.slug}-{comp.dns}', 63)}` and "
                "`fly postgres attach` to each service that uses it",
                "redis": "`fly redis create` (Upstash) and set the URL as a secret",
                "valkey": "`fly redis create` (Upstash) and set the URL as a secret",
            }.get(comp.family, "run it as its own app with a volume, or use a managed offering")
            users = ", ".join(md_code(u.dns) for u in comp.callers + comp.callees if u.deployable)
            lines.append(
                f"- {md_code(comp.dns)} ({md(comp.technology or comp.type)}): {how}"
                + (f"; used by {users}" if users else "")
            )
    files["README.md"] = "\n".join(lines) + "\n"
    return files


@target(
    "railway",
    "Railway services",
    kind="deploy",
    description="railway.json per service (Dockerfile build, healthcheck, replicas, restart policy) and the plugins to add",
)
def railway(ctx: ExportContext) -> dict[str, str]:
    files: dict[str, str] = {}
    lines = [
        f"# Railway for {md(ctx.name)}",
        "",
        "Create one Railway service per folder, with the folder as its root.",
        "",
    ]
    for comp in ctx.services:
        deploy: dict[str, Any] = {
            "numReplicas": comp.min_replicas,
            "restartPolicyType": "ON_FAILURE",
            "restartPolicyMaxRetries": 10,
        }
        if comp.speaks_http:
            deploy["healthcheckPath"] = comp.health_path
            deploy["healthcheckTimeout"] = 100
        if comp.type == "scheduler":
            deploy["cronSchedule"] = "*/15 * * * *"
            deploy["restartPolicyType"] = "NEVER"
        doc: dict[str, Any] = {"$schema": "https://railway.com/railway.schema.json"}
        if comp.builds_image:
            doc["build"] = {"builder": "DOCKERFILE", "dockerfilePath": "Dockerfile"}
        doc["deploy"] = deploy
        files[f"{comp.dns}/railway.json"] = json_doc(doc)
        refs = []
        for peer in comp.callees + comp.consumes:
            if peer.deployable:
                refs.append(f"`{peer.env}_URL=http://${{{{{peer.dns}.RAILWAY_PRIVATE_DOMAIN}}}}:{peer.port}`")
            elif peer.family == "postgresql":
                refs.append(f"`{peer.env}_URL=${{{{{peer.dns}.DATABASE_URL}}}}`")
            elif peer.family in KEY_VALUE:
                refs.append(f"`{peer.env}_URL=${{{{{peer.dns}.REDIS_URL}}}}`")
        source = "its Dockerfile" if comp.builds_image else f"the image {md_code(comp.image)}"
        line = f"- {md_code(comp.dns)}: built from {source}"
        lines.append(line + (("; variables " + ", ".join(refs)) if refs else ""))
    if ctx.stores:
        lines += ["", "## Databases and caches", "", "Add each as a Railway database service with this name:", ""]
        lines += [f"- {md_code(c.dns)}: {md(c.technology or c.type)}" for c in ctx.stores]
    files["README.md"] = "\n".join(lines) + "\n"
    return files
