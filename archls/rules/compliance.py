"""Compliance rules (CMP001-099): PCI DSS v4.0, HIPAA, SOC 2 and GDPR controls that can be read off
an architecture. Each rule applies only when ``requirements.compliance`` lists its framework, and
names the control it checks, so ``archls check --compliance`` can show which controls pass.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator

from archls.findings import Severity
from archls.model import Backups, ComponentType, DataKind, Framework
from archls.rules._common import OUTSIDE, PASS_THROUGH, PERSONAL_DATA, facts, frameworks, names, plaintext, tls_fix
from archls.rules.registry import Control, Fix, Hit, RuleContext, rule

PCI = "PCI DSS v4.0"
HIPAA = "HIPAA Security Rule (45 CFR Part 164 Subpart C)"
SOC2 = "AICPA Trust Services Criteria (SOC 2), 2017 with 2022 points of focus"
GDPR = "GDPR (Regulation (EU) 2016/679)"

#: Stores whose content is a system of record: what backups and retention are about.
RECORD_STORES = frozenset(
    {
        ComponentType.DATABASE,
        ComponentType.OBJECT_STORAGE,
        ComponentType.FILE_STORAGE,
        ComponentType.DATA_WAREHOUSE,
    }
)


def _holding(ctx: RuleContext, kind: DataKind) -> list[str]:
    """Components of the system (not clients or third parties) that process or store ``kind``; several
    rules ask, so it is worked out once per audit."""

    def find() -> list[str]:
        stored = facts(ctx).stored
        return [
            cid
            for cid, c in ctx.model.components.items()
            if c.type not in OUTSIDE and (kind in c.data or kind in stored.get(cid, ()))
        ]

    return ctx.cached(f"compliance.holding.{kind.value}", find)


def _stored_unencrypted(ctx: RuleContext, kind: DataKind, control: str, what: str) -> Iterator[Hit]:
    """Stores holding ``kind`` data without encryption at rest, reported against ``control``."""
    for cid, held in facts(ctx).stored.items():
        if kind in held and not ctx.model.components[cid].encryption_at_rest:
            yield Hit(
                ("components", cid, "encryption_at_rest"),
                f"{control}: '{cid}' stores {what} data without encryption at rest",
                fix=Fix(f"Encrypt '{cid}' at rest", "set", ("components", cid), value=True, key="encryption_at_rest"),
            )


def _sent_unencrypted(ctx: RuleContext, kind: DataKind, control: str, what: str) -> Iterator[Hit]:
    """Connections carrying ``kind`` data without TLS, reported against ``control``."""
    for index, conn, data in plaintext(ctx):
        if kind in data:
            yield Hit(
                ("connections", index, "protocol"),
                f"{control}: {conn.source} -> {conn.target} carries {what} data without TLS",
                fix=tls_fix(index, conn),
            )


def _unaudited(ctx: RuleContext, kind: DataKind, control: str, what: str, lacking: str) -> Iterator[Hit]:
    """Components that handle ``kind`` data without an audit log (load balancers and the like pass it on)."""
    model = ctx.model
    for cid in _holding(ctx, kind):
        c = model.components[cid]
        if c.audit_log or c.type in PASS_THROUGH:
            continue
        yield Hit(
            ("components", cid, "audit_log"),
            f"{control}: '{cid}' handles {what} data without {lacking}",
            fix=Fix(
                f"Audit access to '{cid}' (audit_log: true)", "set", ("components", cid), value=True, key="audit_log"
            ),
        )


# --- PCI DSS ------------------------------------------------------------------------------------


@rule(
    "CMP001",
    "PCI DSS: card data stored unencrypted",
    severity=Severity.ERROR,
    what="With `pci-dss` in `requirements.compliance`: a store holding card data (`data: [card]`, or card data written into it) without `encryption_at_rest: true`.",
    why="PCI DSS requirement 3.5.1 requires the primary account number to be unreadable wherever it is stored; disk or storage encryption with keys held apart is one accepted way for the storage layer.",
    example="""
requirements: {compliance: [pci-dss]}
components:
  payments-db: {type: database, data: [card]}   # no encryption_at_rest
""",
    fix="Set `encryption_at_rest: true` (with keys in a KMS), or keep only tokens from the payment provider instead of card numbers.",
    references=(PCI,),
    controls=(Control("pci-dss", "3.5.1", "PAN is rendered unreadable anywhere it is stored"),),
    fixable=True,
    related=(
        (
            "checkov",
            "CKV_AWS_16",
            "CMP001 reports unencrypted storage only where card data is kept and pci-dss is in the frameworks; SEC104 matches checkov on every RDS instance.",
        ),
    ),
)
def pci_at_rest(ctx: RuleContext) -> Iterator[Hit]:
    if Framework.PCI_DSS in frameworks(ctx):
        yield from _stored_unencrypted(ctx, DataKind.CARD, "PCI DSS 3.5.1", "card")


@rule(
    "CMP002",
    "PCI DSS: card data sent unencrypted",
    severity=Severity.ERROR,
    what="With `pci-dss` listed: a connection carrying card data (its `data`, or the store's data) without TLS.",
    why="Requirement 4.2.1 requires strong cryptography for card numbers in transit; inside the cardholder data environment, plaintext links are where sniffed card numbers come from.",
    example="""
requirements: {compliance: [pci-dss]}
connections:
  - {from: checkout, to: payments, protocol: http, data: [card]}
""",
    fix="Use the protocol's TLS form (`https`) or set `tls: true` (`mtls: true` between services).",
    references=(PCI,),
    controls=(Control("pci-dss", "4.2.1", "Strong cryptography protects PAN during transmission"),),
    fixable=True,
)
def pci_in_transit(ctx: RuleContext) -> Iterator[Hit]:
    if Framework.PCI_DSS in frameworks(ctx):
        yield from _sent_unencrypted(ctx, DataKind.CARD, "PCI DSS 4.2.1", "card")


@rule(
    "CMP003",
    "PCI DSS: cardholder data environment not segmented",
    severity=Severity.WARNING,
    what=(
        "With `pci-dss` listed: components that handle card data share a group (a network zone) with "
        "components that do not, belong to no group, or the file has no groups at all. Components connected "
        "only to card-data components (an HSM, a key store) count as part of the card data environment."
    ),
    why=(
        "Everything that can talk freely to the cardholder data environment is in PCI scope. Segmenting the "
        "CDE into its own zone, with only the connections it needs, keeps the rest of the system out of the "
        "assessment and limits what a compromise elsewhere can reach (requirement 1.3)."
    ),
    example="""
requirements: {compliance: [pci-dss]}
groups:
  private:
    members: [orders, payments, payments-db]   # payments handles card data; orders does not
""",
    fix="Put the components that handle card data in their own group (e.g. a `cde` subnet) and keep everything else outside it.",
    references=(PCI, "PCI SSC Guidance for PCI DSS Scoping and Network Segmentation"),
    controls=(Control("pci-dss", "1.3.1", "Inbound traffic to the CDE is restricted to that which is necessary"),),
)
def pci_segmentation(ctx: RuleContext) -> Iterator[Hit]:
    if Framework.PCI_DSS not in frameworks(ctx):
        return
    model = ctx.model
    card = set(_holding(ctx, DataKind.CARD))
    if not card:
        return
    if not model.groups:
        first = next(cid for cid in model.components if cid in card)
        yield Hit(
            ("components", first),
            f"PCI DSS 1.3.1: {names(card)} handle card data but no groups separate them from the rest of the system",
        )
        return
    # Components that talk only to card-data components (an HSM, a key store) belong to the CDE too.
    neighbours: dict[str, set[str]] = {}
    for conn in model.connections:
        neighbours.setdefault(conn.source, set()).add(conn.target)
        neighbours.setdefault(conn.target, set()).add(conn.source)
    supporting = {cid for cid, around in neighbours.items() if cid not in card and around and around <= card}
    grouped: set[str] = set()
    for gid, group in model.groups.items():
        members = [m for m in group.members if m in model.components and model.components[m].type not in OUTSIDE]
        inside = [m for m in members if m in card]
        grouped.update(inside)
        others = [m for m in members if m not in card and m not in supporting]
        if inside and others:
            yield Hit(
                ("groups", gid),
                f"PCI DSS 1.3.1: group '{gid}' mixes card-data components {names(inside)} with {names(others)}; "
                "give the card data environment its own zone",
            )
    for cid in sorted(card - grouped):
        yield Hit(("components", cid), f"PCI DSS 1.3.1: '{cid}' handles card data but sits in no network zone (group)")


@rule(
    "CMP004",
    "PCI DSS: no audit log where card data is handled",
    severity=Severity.ERROR,
    what="With `pci-dss` listed: a component that processes or stores card data without `audit_log: true`.",
    why="Requirement 10.2.1 requires audit logs of every access to cardholder data; without them a breach cannot be traced or even detected.",
    example="""
requirements: {compliance: [pci-dss]}
components:
  payments: {type: service, data: [card]}   # no audit_log
""",
    fix="Write access to card data to an audit log (`audit_log: true`) kept apart from the component, and retain it for a year.",
    references=(PCI,),
    controls=(
        Control("pci-dss", "10.2.1", "Audit logs are enabled and active for all system components and cardholder data"),
    ),
    fixable=True,
)
def pci_audit_log(ctx: RuleContext) -> Iterator[Hit]:
    if Framework.PCI_DSS in frameworks(ctx):
        yield from _unaudited(ctx, DataKind.CARD, "PCI DSS 10.2.1", "card", "an audit log of access to it")


_SECONDARY_STORES = frozenset(
    {
        ComponentType.CACHE,
        ComponentType.SEARCH,
        ComponentType.LOGGING,
        ComponentType.MONITORING,
        ComponentType.DATA_WAREHOUSE,
        ComponentType.STREAM,
    }
)


@rule(
    "CMP005",
    "PCI DSS: card data copied into caches, logs or analytics",
    severity=Severity.WARNING,
    what="With `pci-dss` listed: card data held by a cache, search index, log or monitoring store, warehouse or event stream.",
    why=(
        "Requirement 3.2.1 keeps stored account data to a minimum. Every copy (a cache entry, a log line, an "
        "analytics table, a retained event) is another place that must be encrypted, access-controlled, "
        "audited and purged, and is where card numbers usually leak."
    ),
    example="""
requirements: {compliance: [pci-dss]}
components:
  sessions: {type: cache, data: [card]}
""",
    fix="Keep card numbers out of secondary stores: store the payment provider's token or the last four digits instead.",
    references=(PCI,),
    controls=(Control("pci-dss", "3.2.1", "Account data storage is kept to a minimum"),),
)
def pci_secondary_copies(ctx: RuleContext) -> Iterator[Hit]:
    if Framework.PCI_DSS not in frameworks(ctx):
        return
    model = ctx.model
    for cid in _holding(ctx, DataKind.CARD):
        c = model.components[cid]
        if c.type in _SECONDARY_STORES:
            yield Hit(
                ("components", cid, "data"),
                f"PCI DSS 3.2.1: {c.type.value} '{cid}' keeps a copy of card data; store a token instead",
            )


@rule(
    "CMP006",
    "PCI DSS: public web application without a WAF",
    severity=Severity.WARNING,
    what=(
        "With `pci-dss` listed: an internet-facing service or API gateway from which requests reach components "
        "that handle card data, with no WAF on it or in front of it (`waf: true`, or a component of type `waf`)."
    ),
    why=(
        "Requirement 6.4.2 (mandatory since 31 March 2025) asks for an automated technical solution that "
        "detects and prevents web-based attacks in front of public-facing web applications in scope."
    ),
    example="""
requirements: {compliance: [pci-dss]}
components:
  gateway: {type: api-gateway, public: true, auth: jwt}   # no WAF; reaches payments
  payments: {type: service, data: [card]}
connections:
  - {from: gateway, to: payments}
""",
    fix="Put a WAF in front of the entry point (`waf: true` on it or the load balancer, or a `waf` component).",
    references=(PCI,),
    controls=(Control("pci-dss", "6.4.2", "An automated technical solution detects and prevents web-based attacks"),),
    fixable=True,
    related=(
        (
            "checkov",
            "CKV2_AWS_28",
            "checkov asks whether a WAF is attached to every load balancer; CMP006 asks only where the application behind it leads to card data, and only with pci-dss in the frameworks.",
        ),
    ),
)
def pci_waf(ctx: RuleContext) -> Iterator[Hit]:
    if Framework.PCI_DSS not in frameworks(ctx):
        return
    model = ctx.model
    card = _holding(ctx, DataKind.CARD)
    if not card:
        return
    # Everything from which a request can reach card data: one walk backwards from the card holders.
    callers: dict[str, list[str]] = {}
    for conn in model.connections:
        callers.setdefault(conn.target, []).append(conn.source)
    reaches = set(card)
    queue = deque(card)
    while queue:
        for source in callers.get(queue.popleft(), ()):
            if source not in reaches and source in model.components:
                reaches.add(source)
                queue.append(source)
    for cid, via in facts(ctx).exposed.items():
        c = model.components[cid]
        if c.type not in {ComponentType.SERVICE, ComponentType.API_GATEWAY, ComponentType.FUNCTION}:
            continue
        if cid not in reaches or c.waf:
            continue
        if any(model.components[v].waf or model.components[v].type is ComponentType.WAF for v in via):
            continue
        yield Hit(
            ("components", cid, "waf"),
            f"PCI DSS 6.4.2: '{cid}' is public, leads to card data ({names(sorted(set(card)), 3)}) and has no WAF in front",
            fix=Fix(
                f"Filter traffic to '{cid}' with a WAF (waf: true)", "set", ("components", cid), value=True, key="waf"
            ),
        )


# --- HIPAA --------------------------------------------------------------------------------------


@rule(
    "CMP007",
    "HIPAA: health data stored unencrypted",
    severity=Severity.ERROR,
    what="With `hipaa` listed: a store holding protected health information (`data: [phi]`) without `encryption_at_rest: true`.",
    why="45 CFR 164.312(a)(2)(iv) makes encryption of ePHI an addressable safeguard; a lost or exposed unencrypted store is a reportable breach, an encrypted one usually is not.",
    example="""
requirements: {compliance: [hipaa]}
components:
  records-db: {type: database, data: [phi]}
""",
    fix="Set `encryption_at_rest: true` and enable it on the store with keys in a KMS.",
    references=(HIPAA, "HHS Guidance to Render Unsecured PHI Unusable, Unreadable, or Indecipherable"),
    controls=(Control("hipaa", "164.312(a)(2)(iv)", "Encryption and decryption"),),
    fixable=True,
)
def hipaa_at_rest(ctx: RuleContext) -> Iterator[Hit]:
    if Framework.HIPAA in frameworks(ctx):
        yield from _stored_unencrypted(ctx, DataKind.PHI, "HIPAA 164.312(a)(2)(iv)", "health")


@rule(
    "CMP008",
    "HIPAA: health data sent unencrypted",
    severity=Severity.ERROR,
    what="With `hipaa` listed: a connection carrying protected health information without TLS.",
    why="45 CFR 164.312(e)(1) requires guarding ePHI against unauthorised access in transit; (e)(2)(ii) names encryption as the means.",
    example="""
requirements: {compliance: [hipaa]}
connections:
  - {from: portal, to: records, protocol: http, data: [phi]}
""",
    fix="Use the protocol's TLS form or set `tls: true`.",
    references=(HIPAA,),
    controls=(
        Control("hipaa", "164.312(e)(1)", "Transmission security"),
        Control("hipaa", "164.312(e)(2)(ii)", "Encryption in transit"),
    ),
    fixable=True,
)
def hipaa_in_transit(ctx: RuleContext) -> Iterator[Hit]:
    if Framework.HIPAA in frameworks(ctx):
        yield from _sent_unencrypted(ctx, DataKind.PHI, "HIPAA 164.312(e)(1)", "health")


@rule(
    "CMP009",
    "HIPAA: no audit controls on health data",
    severity=Severity.ERROR,
    what="With `hipaa` listed: a component that processes or stores protected health information without `audit_log: true`.",
    why="45 CFR 164.312(b) requires mechanisms that record and examine activity in systems containing ePHI.",
    example="""
requirements: {compliance: [hipaa]}
components:
  records: {type: service, data: [phi]}
""",
    fix="Record access to health data in an audit log (`audit_log: true`) and review it.",
    references=(HIPAA,),
    controls=(Control("hipaa", "164.312(b)", "Audit controls"),),
    fixable=True,
)
def hipaa_audit(ctx: RuleContext) -> Iterator[Hit]:
    if Framework.HIPAA in frameworks(ctx):
        yield from _unaudited(ctx, DataKind.PHI, "HIPAA 164.312(b)", "health", "audit logging")


def _backup_fix(cid: str) -> Fix:
    return Fix(f"Back up '{cid}' (keep 7 days)", "set", ("components", cid), value={"retention_days": 7}, key="backups")


@rule(
    "CMP010",
    "HIPAA: health data without backups",
    severity=Severity.ERROR,
    what="With `hipaa` listed: a database, storage or warehouse holding protected health information without `backups`.",
    why="45 CFR 164.308(a)(7)(ii)(A) requires retrievable exact copies of ePHI; a store without backups cannot meet the contingency plan.",
    example="""
requirements: {compliance: [hipaa]}
components:
  records-db: {type: database, data: [phi]}
""",
    fix="Turn on backups (`backups: {retention_days: 35, point_in_time: true}`) and test restores.",
    references=(HIPAA,),
    controls=(Control("hipaa", "164.308(a)(7)(ii)(A)", "Data backup plan"),),
    fixable=True,
)
def hipaa_backups(ctx: RuleContext) -> Iterator[Hit]:
    if Framework.HIPAA not in frameworks(ctx):
        return
    model = ctx.model
    for cid, held in facts(ctx).stored.items():
        c = model.components[cid]
        if c.type in RECORD_STORES and DataKind.PHI in held and not c.backups_enabled:
            yield Hit(
                ("components", cid, "backups"),
                f"HIPAA 164.308(a)(7)(ii)(A): '{cid}' holds health data without backups",
                fix=_backup_fix(cid),
            )


# --- SOC 2 --------------------------------------------------------------------------------------


@rule(
    "CMP011",
    "SOC 2: backups kept in one region only",
    severity=Severity.WARNING,
    what="With `soc2` listed: a database, storage or warehouse with backups that are not copied to another region (`backups.cross_region`).",
    why=(
        "Availability criterion A1.2 covers backup processes and recovery infrastructure; auditors look for "
        "backups that survive the loss of the primary site. Backups in the same region as the data share its fate."
    ),
    example="""
requirements: {compliance: [soc2]}
components:
  orders-db: {type: database, backups: {retention_days: 14}}
""",
    fix="Copy backups to a second region (`backups: {cross_region: true}`), e.g. with AWS Backup copy jobs.",
    references=(SOC2,),
    controls=(Control("soc2", "A1.2", "Environmental protections, software, data backup and recovery infrastructure"),),
    fixable=True,
    related=(
        (
            "checkov",
            "CKV_AWS_133",
            "checkov asks for any backups; CMP011 asks, with soc2 in the frameworks, that backups leave the region.",
        ),
    ),
)
def soc2_offsite_backups(ctx: RuleContext) -> Iterator[Hit]:
    if Framework.SOC2 not in frameworks(ctx):
        return
    for cid, c in ctx.model.components.items():
        if c.type not in RECORD_STORES or not c.backups_enabled:
            continue
        if isinstance(c.backups, Backups) and c.backups.cross_region:
            continue
        if isinstance(c.backups, Backups):
            fix = Fix(
                "Copy backups to another region", "set", ("components", cid, "backups"), value=True, key="cross_region"
            )
        else:
            fix = Fix(
                "Copy backups to another region",
                "replace",
                ("components", cid, "backups"),
                value={"cross_region": True},
            )
        yield Hit(
            ("components", cid, "backups"),
            f"SOC 2 A1.2: backups of '{cid}' stay in its own region; copy them to a second region",
            fix=fix,
        )


_OBSERVERS = frozenset({ComponentType.MONITORING, ComponentType.LOGGING})


@rule(
    "CMP012",
    "SOC 2: no monitoring or logging component",
    severity=Severity.WARNING,
    what="With `soc2` listed: the architecture has no component of type `monitoring` or `logging`.",
    why="Criterion CC7.2 asks that system components are monitored for anomalies indicating malicious acts, errors and failures; an architecture with nowhere to send metrics and logs cannot show that.",
    example="""
requirements: {compliance: [soc2]}
components:
  api: {type: service}
  db: {type: database}
""",
    fix="Add the monitoring and log store the system uses (e.g. `metrics: {type: monitoring, technology: prometheus}`) and connect the components to it.",
    references=(SOC2,),
    controls=(Control("soc2", "CC7.2", "System components are monitored for anomalies"),),
)
def soc2_monitoring(ctx: RuleContext) -> Iterator[Hit]:
    compliance = ctx.model.requirements.compliance
    if Framework.SOC2 not in compliance:
        return
    if any(c.type in _OBSERVERS for c in ctx.model.components.values()):
        return
    yield Hit(
        ("requirements", "compliance", compliance.index(Framework.SOC2)),
        "SOC 2 CC7.2: no monitoring or logging component; add where metrics, logs and alerts go",
        on_value=True,
    )


# --- GDPR ---------------------------------------------------------------------------------------

_EU_REGIONS = re.compile(
    r"^(eu[-_]|europe[-_]|(west|north)europe|france|germany|sweden|italy|poland|spain|norway|switzerland|"
    r"austria|belgium|denmark|finland|ireland|netherlands)",
    re.IGNORECASE,
)
_US_REGIONS = re.compile(r"^(us[-_]|(east|west|central|northcentral|southcentral|westcentral)us)", re.IGNORECASE)


def within(place: str, residency: list[str]) -> bool:
    """Whether a region or zone name lies inside one of the residency areas (``eu``, ``us``, a region prefix)."""
    name = place.strip().lower()
    for area in residency:
        area = area.strip().lower()
        if area in ("eu", "eea", "europe"):
            if _EU_REGIONS.match(name):
                return True
        elif area in ("us", "usa"):
            if _US_REGIONS.match(name):
                return True
        elif name == area or name.startswith(area) or name.startswith(area + "-"):
            return True
    return False


@rule(
    "CMP013",
    "GDPR: personal data outside the required regions",
    severity=Severity.ERROR,
    what=(
        "With `gdpr` listed and `requirements.data_residency` set: a component that processes or stores "
        "personal data (`pii`, `phi`) with a region or zone outside those areas (`eu` matches eu-*, europe-*, "
        "westeurope and the like; other values match region names by prefix)."
    ),
    why=(
        "Article 44 allows transfers of personal data outside the EEA only under the safeguards of Chapter V; "
        "a replica or processor in another region is such a transfer, and data residency commitments in "
        "contracts usually forbid it outright."
    ),
    example="""
requirements: {compliance: [gdpr], data_residency: [eu]}
components:
  users-db: {type: database, data: [pii], regions: [eu-west-1, us-east-1]}   # us-east-1 reported
""",
    fix="Keep personal data in the listed regions (move the replica or pick an EU region), or document the transfer mechanism and widen `data_residency`.",
    references=(GDPR, "EDPB Recommendations 01/2020 on supplementary transfer measures"),
    controls=(Control("gdpr", "Art. 44", "General principle for transfers"),),
)
def gdpr_residency(ctx: RuleContext) -> Iterator[Hit]:
    model = ctx.model
    residency = list(model.requirements.data_residency)
    if Framework.GDPR not in frameworks(ctx) or not residency:
        return
    personal = set(_holding(ctx, DataKind.PII)) | set(_holding(ctx, DataKind.PHI))
    for conn in model.connections:
        target = model.components.get(conn.target)
        if target is not None and target.type is ComponentType.EXTERNAL and PERSONAL_DATA.intersection(conn.data):
            personal.add(conn.target)
    for cid, c in model.components.items():
        if cid not in personal:
            continue
        for key, places in (("regions", c.regions), ("zones", c.zones)):
            for i, place in enumerate(places):
                if not within(str(place), residency):
                    yield Hit(
                        ("components", cid, key, i),
                        f"GDPR Art. 44: '{cid}' handles personal data in {place}, outside {', '.join(residency)}",
                        on_value=True,
                    )
                    break


@rule(
    "CMP014",
    "GDPR: personal data kept without a retention limit",
    severity=Severity.WARNING,
    what="With `gdpr` listed: a database, storage or warehouse holding personal data (`pii`, `phi`) without `retention_days`.",
    why=(
        "Article 5(1)(e) allows personal data to be kept no longer than its purpose needs. A store with no "
        "retention period keeps everything forever, which is both a compliance gap and the largest possible "
        "breach surface."
    ),
    example="""
requirements: {compliance: [gdpr]}
components:
  users-db: {type: database, data: [pii]}   # how long are users kept?
""",
    fix="Decide how long the data is needed and write it down (`retention_days: 730`), then delete or anonymise older records.",
    references=(GDPR, "ICO guidance: principle (e) storage limitation"),
    controls=(Control("gdpr", "Art. 5(1)(e)", "Storage limitation"),),
    fixable=True,
)
def gdpr_retention(ctx: RuleContext) -> Iterator[Hit]:
    if Framework.GDPR not in frameworks(ctx):
        return
    model = ctx.model
    for cid, held in facts(ctx).stored.items():
        c = model.components[cid]
        if c.type not in RECORD_STORES or c.retention_days is not None:
            continue
        if PERSONAL_DATA & held:
            yield Hit(
                ("components", cid, "retention_days"),
                f"GDPR Art. 5(1)(e): '{cid}' keeps personal data with no retention limit; set retention_days",
                fix=Fix(
                    f"Keep data in '{cid}' for 2 years (retention_days: 730)",
                    "set",
                    ("components", cid),
                    value=730,
                    key="retention_days",
                    safe=False,
                ),
            )
