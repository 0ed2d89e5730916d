"""Pulumi for Google Cloud, as a Python program: Cloud Run services with per-service identities
and invoker grants from the connections, Cloud SQL and Memorystore on private IP, Pub/Sub
topics with a subscription per consumer, Cloud Storage buckets, and secrets in Secret Manager.
"""

from __future__ import annotations

from archls.export.context import Comp, ExportContext
from archls.export.naming import dns_label
from archls.export.quoting import Safe
from archls.export.registry import target
from archls.export.templating import render

#: The Pulumi SDK and Google Cloud provider the program is written for and tested with (under
#: Pulumi's mocks), pinned exactly: the provider's resource shapes change between majors.
REQUIREMENTS = ("pulumi==3.211.0", "pulumi-gcp==9.6.0", "pulumi-random==4.18.4")


def gcp_kind(comp: Comp) -> str | None:
    family, kind = comp.family, comp.type
    if kind == "database" and family in {"postgresql", "mysql", "mariadb", "sqlserver"}:
        return "cloudsql"
    if kind == "database" and family in {"mongodb", "dynamodb"}:
        return "firestore"
    if kind == "cache":
        return "memorystore"
    if kind in {"queue", "stream"}:
        return "pubsub"
    if kind in {"object-storage", "file-storage"}:
        return "gcs"
    if kind == "secrets":
        return "secret"
    return None


def service_account(comp: Comp) -> Safe:
    """A service account id: 6 to 30 of ``[a-z0-9-]``, starting with a letter (a digest lengthens short ones)."""
    text = f"run-{comp.dns}"
    return Safe(dns_label(text, 30, force_suffix=len(text) < 6))


def sql_version(comp: Comp) -> Safe:
    major = (comp.version or "").split(".")[0]
    if comp.family == "postgresql":
        return Safe(f"POSTGRES_{major if major.isdigit() else '16'}")
    if comp.family == "sqlserver":
        return Safe("SQLSERVER_2022_STANDARD")
    return Safe("MYSQL_8_0")


def sql_tier(comp: Comp) -> Safe:
    cpus = 2 if comp.cpu <= 2 else 4
    memory = max(comp.memory_mb, 3840 * cpus // 2)
    return Safe(f"db-custom-{cpus}-{memory - memory % 256}")


@target(
    "pulumi-gcp",
    "Pulumi for Google Cloud (Python)",
    kind="infrastructure",
    description="Cloud Run services with least-privilege identities, Cloud SQL, Memorystore, Pub/Sub, Cloud "
    "Storage and Secret Manager on a private network",
)
def pulumi_gcp(ctx: ExportContext) -> dict[str, str]:
    stores = [(c, gcp_kind(c)) for c in ctx.stores]
    mapped = [(c, k) for c, k in stores if k]
    services = ctx.services
    names = {c.id: Safe(dns_label(f"{ctx.slug}-{c.dns}", 49)) for c in ctx.components}
    accounts = {c.id: service_account(c) for c in services}
    program = render(
        "pulumi-gcp/__main__.py.j2",
        ctx=ctx,
        services=services,
        stores=mapped,
        unmapped=[c for c, k in stores if not k],
        names=names,
        accounts=accounts,
        sql_version=sql_version,
        sql_tier=sql_tier,
        kinds={k for _, k in mapped},
    )
    return {
        "__main__.py": program,
        "Pulumi.yaml": render("pulumi-gcp/Pulumi.yaml.j2", ctx=ctx),
        "requirements.txt": "".join(f"{r}\n" for r in REQUIREMENTS),
    }
