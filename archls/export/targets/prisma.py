"""A Prisma schema per database, from what the database holds.

The database's name gives its main entity (``trips-db`` holds ``Trip``); the kinds of data it
stores or receives add models shaped for them: personal data gets a ``Customer`` with soft
deletion for erasure requests, card data a ``PaymentMethod`` that keeps the processor's token and
never the card number, credentials a ``Credential`` holding only a hash, and so on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from archls.export.context import Comp, ExportContext
from archls.export.naming import pascal
from archls.export.quoting import Safe, md, md_code
from archls.export.registry import target
from archls.export.templating import render

PROVIDERS = {"postgresql": "postgresql", "mysql": "mysql", "mariadb": "mysql", "sqlserver": "sqlserver",
             "mongodb": "mongodb", "cockroachdb": "cockroachdb"}  # fmt: skip
#: Names ``prisma validate`` refuses for a model: its scalar types and its client's class.
RESERVED = frozenset({"String", "Boolean", "Int", "BigInt", "Float", "Decimal", "DateTime", "Json", "Bytes",
                      "PrismaClient"})  # fmt: skip
SUFFIXES = ("-database", "_database", "-db", "_db", "-store", "_store", "-data", "database", "db")


@dataclass
class Field:
    name: str
    type: str
    attrs: str = ""
    note: str = ""


@dataclass
class Model:
    name: Safe
    doc: str
    fields: list[Field] = field(default_factory=list)
    indexes: list[str] = field(default_factory=list)


def entity_name(comp: Comp) -> str:
    base = comp.id.lower()
    for suffix in SUFFIXES:
        if base.endswith(suffix) and len(base) > len(suffix):
            base = base[: -len(suffix)]
            break
    base = base.strip("-_ ")
    if base.endswith("ies") and len(base) > 4:
        base = base[:-3] + "y"
    elif base.endswith("s") and not base.endswith("ss") and len(base) > 3:
        base = base[:-1]
    return pascal(base or comp.id, 40, fallback="Record")


class _Schema:
    def __init__(self, provider: str) -> None:
        self.provider = provider
        self.mongo = provider == "mongodb"
        self.json = "Json" if provider in {"postgresql", "mysql", "mongodb", "cockroachdb"} else "String"
        self.models: dict[str, Model] = {}

    def id_field(self) -> Field:
        if self.mongo:
            return Field("id", "String", '@id @default(auto()) @map("_id") @db.ObjectId')
        return Field("id", "String", "@id @default(uuid())")

    def ref_type(self) -> tuple[str, str]:
        return ("String", "@db.ObjectId") if self.mongo else ("String", "")

    def stamps(self) -> list[Field]:
        return [Field("createdAt", "DateTime", "@default(now())"), Field("updatedAt", "DateTime", "@updatedAt")]

    def add(self, model: Model) -> Model:
        name = model.name
        while name in self.models or name in RESERVED:
            name = Safe(name + "Record")
        model.name = name
        self.models[name] = model
        return model


def build_schema(comp: Comp) -> tuple[str, list[Model]]:
    provider = PROVIDERS.get(comp.family, "postgresql")
    s = _Schema(provider)
    kinds = set(comp.data)
    ref, ref_attr = s.ref_type()
    customer = None
    if kinds & {"pii", "phi", "card", "financial"}:
        customer = s.add(
            Model(
                Safe("Customer"),
                "A person the system knows. Personal data: erase on request by clearing the fields and setting deletedAt.",
                [
                    s.id_field(),
                    Field("email", "String", "@unique"),
                    Field("name", "String?"),
                    Field("phone", "String?"),
                    Field("deletedAt", "DateTime?"),
                    *s.stamps(),
                ],
            )
        )
    main = s.add(
        Model(
            Safe(entity_name(comp)),
            f"What {comp.id} is named for; add its own fields here.",
            [s.id_field(), Field("status", "String", '@default("new")'), *s.stamps()],
            ["status"],
        )
    )
    if customer is not None:
        main.fields.insert(1, Field("customerId", f"{ref}?", ref_attr))
        main.indexes.append("customerId")
        if not s.mongo:
            main.fields.append(
                Field("customer", "Customer?", "@relation(fields: [customerId], references: [id], onDelete: SetNull)")
            )
            customer.fields.append(Field(_plural(main.name), f"{main.name}[]"))
    if "card" in kinds:
        s.add(
            Model(
                Safe("PaymentMethod"),
                "A card as the processor's token. The card number never reaches this database (PCI DSS 3.2, 3.4).",
                [
                    s.id_field(),
                    Field("customerId", ref, ref_attr),
                    Field("processor", "String"),
                    Field("processorToken", "String", "@unique"),
                    Field("brand", "String"),
                    Field("last4", "String"),
                    Field("expMonth", "Int"),
                    Field("expYear", "Int"),
                    *s.stamps(),
                ],
                ["customerId"],
            )
        )
    if "financial" in kinds or "card" in kinds:
        s.add(
            Model(
                Safe("LedgerEntry"),
                "An append-only money movement in minor units; corrections are new entries.",
                [
                    s.id_field(),
                    Field("accountRef", "String"),
                    Field("amountMinor", "BigInt"),
                    Field("currency", "String"),
                    Field("reference", "String", "@unique"),
                    Field("createdAt", "DateTime", "@default(now())"),
                ],
                ["accountRef"],
            )
        )
    if "phi" in kinds:
        s.add(
            Model(
                Safe("HealthRecord"),
                "Protected health information; access is audited.",
                [
                    s.id_field(),
                    Field("customerId", ref, ref_attr),
                    Field("recordType", "String"),
                    Field("payload", s.json),
                    *s.stamps(),
                ],
                ["customerId"],
            )
        )
    if kinds & {"credentials", "secrets"}:
        s.add(
            Model(
                Safe("Credential"),
                "A login secret as a salted hash only (argon2id or bcrypt); never the secret itself.",
                [
                    s.id_field(),
                    Field("subject", "String", "@unique"),
                    Field("passwordHash", "String"),
                    Field("algorithm", "String"),
                    *s.stamps(),
                ],
            )
        )
    if "telemetry" in kinds:
        s.add(
            Model(
                Safe("Event"),
                "A telemetry event.",
                [s.id_field(), Field("name", "String"), Field("occurredAt", "DateTime"), Field("attributes", s.json)],
                ["name", "occurredAt"],
            )
        )
    if "media" in kinds:
        s.add(
            Model(
                Safe("Asset"),
                "A stored file; the bytes live in object storage under objectKey.",
                [
                    s.id_field(),
                    Field("objectKey", "String", "@unique"),
                    Field("contentType", "String"),
                    Field("sizeBytes", "BigInt"),
                    Field("checksum", "String"),
                    *s.stamps(),
                ],
            )
        )
    return provider, list(s.models.values())


def _plural(name: str) -> str:
    lower = name[:1].lower() + name[1:]
    if lower.endswith("y") and not lower.endswith(("ay", "ey", "oy", "uy")):
        return lower[:-1] + "ies"
    return lower + ("es" if lower.endswith(("s", "x", "ch", "sh")) else "s")


def databases(ctx: ExportContext) -> list[Comp]:
    return [c for c in ctx.components if c.type == "database" and c.family in PROVIDERS]


@target(
    "prisma",
    "Prisma schema",
    kind="data",
    description="A schema per database: its main entity plus models shaped by the data it holds (PII, cards, PHI, ...)",
)
def prisma(ctx: ExportContext) -> dict[str, str]:
    files = {}
    for comp in databases(ctx):
        provider, models = build_schema(comp)
        for model in models:
            for f in model.fields:
                f.name, f.type, f.attrs = Safe(f.name), Safe(f.type), Safe(f.attrs)
            model.indexes = [Safe(i) for i in model.indexes]
        files[f"{comp.dns}/schema.prisma"] = render(
            "prisma/schema.prisma.j2", ctx=ctx, c=comp, provider=Safe(provider), models=models,
            url_env=Safe(f"{comp.env}_URL"),
        )  # fmt: skip
    others = [c for c in ctx.components if c.type == "database" and c.family not in PROVIDERS]
    if others or not files:
        lines = ["# Prisma schemas", ""]
        lines += [f"- {md_code(c.dns)}: {md(c.technology or 'no technology')} has no Prisma provider" for c in others]
        if not files and not others:
            lines.append("The architecture has no database.")
        files["README.md"] = "\n".join(lines) + "\n"
    return files
