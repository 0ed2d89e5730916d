"""Terraform rules for what the architecture model does not carry: the AWS settings checkov, KICS
and Trivy know under their own ids (public access blocks, versioning, IMDSv2, key rotation...).

They read ``ctx.native`` (the Terraform project: every resource with its attributes) and
report on ``("resources", address, attribute...)``: the attribute at fault, or the resource's
header line when the attribute is absent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from archls.findings import Severity
from archls.rules._native import covered
from archls.rules._secrets import is_secret_key, literal_secret, shaped_secret
from archls.rules.registry import Control, Fix, Hit, RuleContext, rule

TF = ["terraform"]
_DB_TYPES = ("aws_db_instance", "aws_rds_cluster", "aws_neptune_cluster", "aws_docdb_cluster")


def _native(ctx: RuleContext) -> Any:
    from archls.formats.terraform import TfNative

    return ctx.native if isinstance(ctx.native, TfNative) else None


def _known(value: Any) -> bool:
    return value is not None and not _unknown(value)


def _unknown(value: Any) -> bool:
    """Written, but known only at apply time (a reference, a function call): nothing to judge."""
    from archls.formats._hcl import Unknown

    return isinstance(value, Unknown)


def _true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _false(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.lower() == "false")


def _where(native: Any, resource: Any, *path: str | int) -> tuple[Any, ...]:
    """The attribute when it is written, else the resource (its header line)."""
    return native.path(resource, *path) if resource.has(*path) else native.path(resource)


def _bucket_of(native: Any, resource: Any) -> Any:
    """The bucket a separate S3 configuration resource (aws_s3_bucket_*) applies to."""
    from archls.formats._tfmap import attached_to

    return attached_to(resource, native.project, "bucket", "aws_s3_bucket")


def _attached(native: Any, bucket: Any, kind: str) -> list[Any]:
    return [r for r in native.of_type(kind) if _bucket_of(native, r) is bucket]


def _indent_block(kind: str, name: str, body: list[str]) -> str:
    lines = [f'resource "{kind}" "{name}" {{', *[f"  {line}" for line in body], "}"]
    return "\n".join(lines) + "\n"


# --- S3 ----------------------------------------------------------------------------------------


@rule(
    "SEC101",
    "S3 bucket without a public access block",
    severity=Severity.ERROR,
    what=(
        "An `aws_s3_bucket` with no `aws_s3_bucket_public_access_block` attached, or one that leaves any of "
        "`block_public_acls`, `block_public_policy`, `ignore_public_acls`, `restrict_public_buckets` off."
    ),
    why=(
        "Without the block, one ACL or bucket policy granting `AllUsers` makes every object public. Most S3 "
        "data leaks start with exactly that change, made for a quick test and never reverted."
    ),
    example='resource "aws_s3_bucket" "data" {\n  bucket = "acme-data"\n}   # nothing blocks public access',
    fix=(
        "Attach an `aws_s3_bucket_public_access_block` with all four settings `true` (the quick fix adds one), "
        "or enable Block Public Access for the whole account."
    ),
    references=("https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html",),
    controls=(Control("pci-dss", "1.4.1", "Network controls between trusted and untrusted networks"),),
    checkov=("CKV2_AWS_6", "CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56"),
    kics=(
        "1ec253ab-c220-4d63-b2de-5b40e0af9293",
        "d0cc8694-fcad-43ff-ac86-32331d7e867f",
        "1a4bc881-9f69-4d44-8c9a-d37d08f54c50",
        "4fa66806-0dd9-4f8d-9480-3174d39c7c91",
    ),
    trivy=("AVD-AWS-0094", "AVD-AWS-0086", "AVD-AWS-0087", "AVD-AWS-0091", "AVD-AWS-0093"),
    fixable=True,
    formats=TF,
)
def s3_public_access_block(ctx: RuleContext) -> Iterator[Hit]:
    native = _native(ctx)
    if native is None:
        return
    settings = ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    for bucket in native.of_type("aws_s3_bucket"):
        blocks = _attached(native, bucket, "aws_s3_bucket_public_access_block")
        if not blocks:
            body = [f"bucket = {bucket.type}.{bucket.name}.id", *(f"{s} = true" for s in settings)]
            width = max(len(line.split(" = ")[0]) for line in body)
            body = [f"{k.ljust(width)} = {v}" for k, v in (line.split(" = ", 1) for line in body)]
            yield Hit(
                native.path(bucket),
                f"S3 bucket '{bucket.name}' has no public access block; one ACL or policy change makes it public",
                fix=Fix(
                    f"Add aws_s3_bucket_public_access_block for {bucket.name}",
                    "add_block",
                    native.path(bucket),
                    value=_indent_block("aws_s3_bucket_public_access_block", bucket.name, body),
                ),
            )
            continue
        for block in blocks:
            for setting in settings:
                value = block.value(setting)
                if not _true(value) and not _unknown(value):
                    yield Hit(
                        _where(native, block, setting),
                        f"public access block of '{bucket.name}' leaves {setting} off",
                        fix=Fix(f"Set {setting} = true", "set", native.path(block), value=True, key=setting),
                    )


def _versioning(native: Any, bucket: Any) -> tuple[bool | None, tuple[Any, ...], Any]:
    """(enabled?, where to report, the resource holding the setting)."""
    for config in _attached(native, bucket, "aws_s3_bucket_versioning"):
        status = config.value("versioning_configuration", 0, "status")
        if not _known(status):
            return None, native.path(config), config
        return status == "Enabled", _where(native, config, "versioning_configuration", 0, "status"), config
    if bucket.has("versioning"):
        enabled = bucket.value("versioning", 0, "enabled")
        if not _known(enabled):
            return (None if enabled is not None else False), _where(native, bucket, "versioning", 0, "enabled"), bucket
        return _true(enabled), _where(native, bucket, "versioning", 0, "enabled"), bucket
    return False, native.path(bucket), bucket


def _uses_inline_style(bucket: Any) -> bool:
    return any(
        bucket.has(name)
        for name in ("versioning", "logging", "server_side_encryption_configuration", "lifecycle_rule", "acl")
    )


@rule(
    "REL101",
    "S3 bucket without versioning",
    severity=Severity.WARNING,
    what="An `aws_s3_bucket` whose versioning is not enabled (inline `versioning` or `aws_s3_bucket_versioning`).",
    why=(
        "Without versioning an overwrite or delete is final: a bad deploy, a buggy job or ransomware that "
        "rewrites objects leaves nothing to restore."
    ),
    example='resource "aws_s3_bucket" "financials" {\n  bucket = "acme-financials"\n}   # no versioning',
    fix="Enable versioning (the quick fix writes it in the style the file already uses).",
    references=("https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html",),
    controls=(Control("soc2", "A1.2", "Recovery of data"),),
    checkov=("CKV_AWS_21",),
    kics=("568a4d22-3517-44a6-a7ad-6a7eed88722c",),
    trivy=("AVD-AWS-0090",),
    fixable=True,
    formats=TF,
)
def s3_versioning(ctx: RuleContext) -> Iterator[Hit]:
    native = _native(ctx)
    if native is None:
        return
    for bucket in native.of_type("aws_s3_bucket"):
        enabled, where, holder = _versioning(native, bucket)
        if enabled is not False:
            continue
        if holder is not bucket:
            fix = Fix(
                "Enable versioning",
                "set",
                native.path(holder, "versioning_configuration", 0),
                value="Enabled",
                key="status",
            )
        elif bucket.has("versioning") or _uses_inline_style(bucket):
            fix = Fix("Enable versioning", "set", native.path(bucket, "versioning", 0), value=True, key="enabled")
        else:
            body = [
                f"bucket = {bucket.type}.{bucket.name}.id",
                "versioning_configuration {",
                '  status = "Enabled"',
                "}",
            ]
            fix = Fix(
                f"Add aws_s3_bucket_versioning for {bucket.name}",
                "add_block",
                native.path(bucket),
                value=_indent_block("aws_s3_bucket_versioning", bucket.name, body),
            )
        yield Hit(where, f"S3 bucket '{bucket.name}' keeps no previous versions of its objects", fix=fix)


@rule(
    "CMP101",
    "S3 bucket without access logging",
    severity=Severity.WARNING,
    what=(
        "An `aws_s3_bucket` with no server access logging (inline `logging` or `aws_s3_bucket_logging`). "
        "Buckets that receive other buckets' logs are not reported."
    ),
    why=(
        "Access logs are the record of who read or changed what; incident response and most frameworks "
        "(PCI DSS 10, SOC 2 CC7) need them, and they cannot be recreated after the fact."
    ),
    example='resource "aws_s3_bucket" "data" {\n  bucket = "acme-data"\n}   # no logging',
    fix="Add `logging { target_bucket = ..., target_prefix = ... }` or an `aws_s3_bucket_logging` resource.",
    references=("https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerLogs.html",),
    controls=(Control("pci-dss", "10.2.1", "Audit logs capture all individual user access to data"),),
    kics=("f861041c-8c9f-4156-acfc-5e6e524f5884",),
    formats=TF,
    related=(
        (
            "checkov",
            "CKV_AWS_18",
            "A bucket that receives other buckets' access logs is not asked to log access to itself (logging it into itself loops, and into another bucket only moves the question); checkov asks it of every bucket.",
        ),
        (
            "trivy",
            "AVD-AWS-0089",
            "A bucket that receives other buckets' access logs is not asked to log access to itself; Trivy asks it of every bucket.",
        ),
    ),
)
def s3_access_logging(ctx: RuleContext) -> Iterator[Hit]:
    native = _native(ctx)
    if native is None:
        return
    from archls.formats._tfmap import _ref_target

    targets = set()
    for bucket in native.of_type("aws_s3_bucket"):
        if bucket.has("logging"):
            target = _ref_target(bucket, native.project, "logging", 0, "target_bucket")
            if target is not None:
                targets.add(target.address)
    for config in native.of_type("aws_s3_bucket_logging"):
        target = _ref_target(config, native.project, "target_bucket")
        if target is not None:
            targets.add(target.address)
    for bucket in native.of_type("aws_s3_bucket"):
        if bucket.has("logging") or _attached(native, bucket, "aws_s3_bucket_logging"):
            continue
        if bucket.address in targets or bucket.value("acl") == "log-delivery-write":
            continue
        yield Hit(native.path(bucket), f"S3 bucket '{bucket.name}' does not log access to its objects")


@rule(
    "SEC103",
    "S3 bucket without explicit default encryption",
    severity=Severity.INFO,
    what=(
        "An `aws_s3_bucket` with no `server_side_encryption_configuration` and no "
        "`aws_s3_bucket_server_side_encryption_configuration`."
    ),
    why=(
        "Since January 2023 AWS encrypts every new object with S3-managed keys (SSE-S3), so the data is "
        "encrypted anyway; this is information, not a hole. Writing it down makes the choice visible, and "
        "choosing SSE-KMS adds key policies and CloudTrail records of every decryption."
    ),
    example='resource "aws_s3_bucket" "data" {\n  bucket = "acme-data"\n}   # SSE-S3 by default',
    fix="Declare the encryption you rely on, with a customer managed KMS key where access to the data must be audited.",
    references=("https://docs.aws.amazon.com/AmazonS3/latest/userguide/default-encryption-faq.html",),
    checkov=("CKV_AWS_145",),
    kics=("6726dcc0-5ff5-459d-b473-a780bef7665c",),
    formats=TF,
    related=(
        (
            "checkov",
            "CKV_AWS_19",
            "checkov passes every bucket, since S3 encrypts by default; SEC103 notes the buckets whose encryption uses no key of yours.",
        ),
        (
            "trivy",
            "AVD-AWS-0088",
            "Trivy's check asks for default encryption, which S3 applies to every bucket since January 2023; SEC103 notes buckets whose encryption uses no key of yours (Trivy's AVD-AWS-0132).",
        ),
    ),
    trivy=("AVD-AWS-0132",),
)
def s3_default_encryption(ctx: RuleContext) -> Iterator[Hit]:
    native = _native(ctx)
    if native is None:
        return
    for bucket in native.of_type("aws_s3_bucket"):
        if bucket.has("server_side_encryption_configuration") or _attached(
            native, bucket, "aws_s3_bucket_server_side_encryption_configuration"
        ):
            continue
        yield Hit(
            native.path(bucket),
            f"S3 bucket '{bucket.name}' relies on AWS's default SSE-S3 encryption; no key of yours protects it",
        )


# --- databases ---------------------------------------------------------------------------------

_ENGINE_NAMES = {
    "aws_db_instance": "RDS instance",
    "aws_rds_cluster": "Aurora/RDS cluster",
    "aws_neptune_cluster": "Neptune cluster",
    "aws_docdb_cluster": "DocumentDB cluster",
}


@rule(
    "SEC104",
    "Database storage not encrypted",
    severity=Severity.ERROR,
    what=(
        "An RDS instance, Aurora/RDS cluster, Neptune or DocumentDB cluster without `storage_encrypted = true` "
        "(the provider's default is false; Aurora Serverless v1 is always encrypted)."
    ),
    why=(
        "Unencrypted storage, snapshots and read replicas expose the data to anyone who gets a snapshot shared "
        "or copied; encryption cannot be switched on later without a snapshot-restore migration."
    ),
    example='resource "aws_db_instance" "orders" {\n  engine            = "postgres"\n  storage_encrypted = false\n}',
    fix="Set `storage_encrypted = true` (and `kms_key_id` for a customer managed key). On an existing database "
    "this replaces it: plan a snapshot, restore and cut-over.",
    references=("https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.html",),
    controls=(
        Control("pci-dss", "3.5.1", "Stored account data is rendered unreadable"),
        Control("hipaa", "164.312(a)(2)(iv)", "Encryption and decryption"),
    ),
    checkov=("CKV_AWS_16", "CKV_AWS_96", "CKV_AWS_44", "CKV_AWS_74"),
    kics=(
        "08bd0760-8752-44e1-9779-7bb369b2b4e4",
        "3199c26c-7871-4cb3-99c2-10a59244ce7f",
        "98d59056-f745-4ef5-8613-32bca8d40b7e",
    ),
    trivy=("AVD-AWS-0080", "AVD-AWS-0079"),
    fixable=True,
    formats=TF,
)
def database_encryption(ctx: RuleContext) -> Iterator[Hit]:
    native = _native(ctx)
    if native is None:
        return
    for db in native.of_type(*_DB_TYPES):
        if db.type == "aws_db_instance" and db.has("replicate_source_db"):
            continue  # a replica inherits its source's encryption
        value = db.value("storage_encrypted")
        if _true(value) or (value is None and db.value("engine_mode") == "serverless") or _unknown(value):
            continue
        yield Hit(
            _where(native, db, "storage_encrypted"),
            f"{_ENGINE_NAMES[db.type]} '{db.name}' stores its data unencrypted",
            fix=Fix(
                "Set storage_encrypted = true (replaces the database)",
                "set",
                native.path(db),
                value=True,
                key="storage_encrypted",
                safe=False,
            ),
        )


@rule(
    "SEC105",
    "Database reachable from the internet",
    severity=Severity.ERROR,
    what=(
        "An RDS instance, Aurora cluster instance or Redshift cluster with `publicly_accessible = true`. "
        "Where the model rule SEC001 (data store reachable from the internet) runs, it reports the databases "
        "and this rule only the cluster member instances, which are not components of their own."
    ),
    why=(
        "The database gets a public DNS name and address; only its security group stands between it and every "
        "password-spraying scanner on the internet. Databases belong in private subnets behind the application."
    ),
    example='resource "aws_db_instance" "default" {\n  publicly_accessible = true\n}',
    fix="Set `publicly_accessible = false` and reach the database from inside the VPC (or through a bastion/SSM).",
    references=("https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_VPC.WorkingWithRDSInstanceinaVPC.html",),
    controls=(Control("pci-dss", "1.4.4", "System components that store cardholder data are not directly accessible"),),
    checkov=("CKV_AWS_17",),
    kics=("35113e6f-2c6b-414d-beec-7a9482d3b2d1",),
    trivy=("AVD-AWS-0180",),
    fixable=True,
    formats=TF,
)
def database_public(ctx: RuleContext) -> Iterator[Hit]:
    native = _native(ctx)
    if native is None:
        return
    deferred = covered(ctx, "SEC001")
    for db in native.of_type("aws_db_instance", "aws_rds_cluster_instance", "aws_redshift_cluster"):
        if deferred and db.address in native.ids:
            continue
        if _true(db.value("publicly_accessible")):
            yield Hit(
                native.path(db, "publicly_accessible"),
                f"'{db.name}' is publicly accessible from the internet",
                fix=Fix(
                    "Set publicly_accessible = false", "set", native.path(db), value=False, key="publicly_accessible"
                ),
            )


@rule(
    "REL102",
    "Database backups kept too briefly",
    severity=Severity.WARNING,
    what=(
        "An RDS instance or an Aurora, Neptune or DocumentDB cluster whose `backup_retention_period` is 0 "
        "(backups off) or shorter than 7 days (threshold `rel.backup_retention_days`). Absent, the provider "
        "keeps 1 day. Where the model rule REL015 (stateful store without backups) runs, it reports the "
        "databases with backups off and this rule the ones that keep them too briefly."
    ),
    why=(
        "Point-in-time recovery only reaches as far back as the retention; corruption noticed after a long "
        "weekend is often older than one day. With 0 there are no automated backups at all."
    ),
    example='resource "aws_db_instance" "default" {\n  backup_retention_period = 0\n}',
    fix="Set `backup_retention_period` to at least 7 days (35 is the maximum).",
    references=("https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithAutomatedBackups.html",),
    controls=(
        Control("soc2", "A1.2", "Recovery of data"),
        Control("hipaa", "164.308(a)(7)(ii)(A)", "Data backup plan"),
    ),
    checkov=("CKV_AWS_361",),
    kics=("1dc73fb4-5b51-430c-8c5f-25dcf9090b02",),
    fixable=True,
    formats=TF,
    related=(
        (
            "checkov",
            "CKV_AWS_133",
            "checkov asks for any backups (REL015 matches it); REL102 reports a retention under the backup_retention_days threshold (7 by default).",
        ),
        (
            "trivy",
            "AVD-AWS-0077",
            "Trivy asks for more than one day of retention; REL102 for at least backup_retention_days (7 by default).",
        ),
    ),
)
def database_backups(ctx: RuleContext) -> Iterator[Hit]:
    native = _native(ctx)
    if native is None:
        return
    wanted = int(ctx.threshold("rel.backup_retention_days", 7))
    for db in native.of_type(*_DB_TYPES):
        if db.type == "aws_db_instance" and db.has("replicate_source_db"):
            continue
        raw = db.value("backup_retention_period")
        days = _days(raw) if raw is not None else 1
        if days is None or days >= wanted or (days == 0 and db.address in native.ids and covered(ctx, "REL015")):
            continue
        what = "has automated backups switched off" if days == 0 else f"keeps backups for {days} day(s) only"
        yield Hit(
            _where(native, db, "backup_retention_period"),
            f"{_ENGINE_NAMES[db.type]} '{db.name}' {what}; keep at least {wanted}",
            fix=Fix(
                f"Set backup_retention_period = {wanted}",
                "set",
                native.path(db),
                value=wanted,
                key="backup_retention_period",
            ),
        )


def _days(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


@rule(
    "REL103",
    "RDS instance in a single availability zone",
    severity=Severity.WARNING,
    what="An `aws_db_instance` without `multi_az = true` (read replicas and Aurora clusters are not reported).",
    why=(
        "A single-AZ instance is down for the whole of a zone outage, a host failure or maintenance that needs "
        "a restart; Multi-AZ fails over to a synchronous standby in one to two minutes."
    ),
    example='resource "aws_db_instance" "default" {\n  multi_az = false\n}',
    fix="Set `multi_az = true` (it doubles the instance cost; weigh it against the availability target).",
    references=("https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.MultiAZ.html",),
    checkov=("CKV_AWS_157",),
    fixable=True,
    formats=TF,
)
def database_multi_az(ctx: RuleContext) -> Iterator[Hit]:
    native = _native(ctx)
    if native is None:
        return
    for db in native.of_type("aws_db_instance"):
        if db.has("replicate_source_db"):
            continue
        value = db.value("multi_az")
        if _true(value) or _unknown(value):
            continue
        yield Hit(
            _where(native, db, "multi_az"),
            f"RDS instance '{db.name}' runs in one availability zone",
            fix=Fix(
                "Set multi_az = true (doubles cost)", "set", native.path(db), value=True, key="multi_az", safe=False
            ),
        )


@rule(
    "REL104",
    "Database without deletion protection",
    severity=Severity.WARNING,
    what="An RDS instance or an Aurora, Neptune or DocumentDB cluster without `deletion_protection = true`.",
    why=(
        "One `terraform destroy`, a renamed resource or a mistaken console click deletes the database and, "
        "with `skip_final_snapshot`, its data. Deletion protection makes that a two-step decision."
    ),
    example='resource "aws_rds_cluster" "app" {\n  cluster_identifier = "app"\n}',
    fix="Set `deletion_protection = true`.",
    references=("https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_DeleteInstance.html",),
    checkov=("CKV_AWS_293", "CKV_AWS_139", "CKV2_AWS_58"),
    trivy=("AVD-AWS-0177", "AVD-AWS-0343"),
    fixable=True,
    formats=TF,
)
def database_deletion_protection(ctx: RuleContext) -> Iterator[Hit]:
    native = _native(ctx)
    if native is None:
        return
    for db in native.of_type(*_DB_TYPES):
        value = db.value("deletion_protection")
        if _true(value) or _unknown(value):
            continue
        yield Hit(
            _where(native, db, "deletion_protection"),
            f"{_ENGINE_NAMES[db.type]} '{db.name}' can be deleted in one step",
            fix=Fix("Set deletion_protection = true", "set", native.path(db), value=True, key="deletion_protection"),
        )


# --- network and compute -------------------------------------------------------------------------

_ADMIN_PORTS = {22: "SSH", 3389: "RDP"}
_WORLD = {"0.0.0.0/0", "::/0"}


def _ports_of(low: Any, high: Any, protocol: Any) -> list[int]:
    proto = str(protocol).lower() if _known(protocol) else "tcp"
    if proto in {"-1", "all"}:
        return list(_ADMIN_PORTS)
    if proto not in {"tcp", "6"}:
        return []
    a, b = _days(low), _days(high)
    if a is None or b is None:
        return []
    if a == 0 and b in (0, 65535):
        return list(_ADMIN_PORTS)
    return [port for port in _ADMIN_PORTS if a <= port <= b]


@rule(
    "SEC106",
    "SSH or RDP open to the whole internet",
    severity=Severity.ERROR,
    what=(
        "A security group ingress (inline `ingress`, `aws_security_group_rule` or "
        "`aws_vpc_security_group_ingress_rule`) allowing 0.0.0.0/0 or ::/0 on port 22 or 3389."
    ),
    why=(
        "Admin ports open to the world are found by scanners within minutes and brute-forced around the clock; "
        "one weak or leaked key is a shell on the host."
    ),
    example='ingress {\n  from_port   = 22\n  to_port     = 22\n  protocol    = "tcp"\n  cidr_blocks = ["0.0.0.0/0"]\n}',
    fix="Allow only the office/VPN ranges, or drop the rule and use SSM Session Manager or a bastion.",
    references=("https://docs.aws.amazon.com/vpc/latest/userguide/vpc-security-groups.html",),
    controls=(Control("pci-dss", "1.3.1", "Inbound traffic to the CDE is restricted"),),
    checkov=("CKV_AWS_24", "CKV_AWS_25"),
    kics=(
        "65905cec-d691-4320-b320-2000436cb696",
        "151187cb-0efc-481c-babd-ad24e3c9bc22",
        "4728cd65-a20c-49da-8b31-9c08b423e4db",
    ),
    trivy=("AVD-AWS-0107",),
    formats=TF,
)
def admin_ports_open(ctx: RuleContext) -> Iterator[Hit]:
    native = _native(ctx)
    if native is None:
        return
    for group in native.of_type("aws_security_group"):
        for i in range(len(group.blocks("ingress"))):
            cidrs = _cidrs(group.value("ingress", i, "cidr_blocks")) | _cidrs(
                group.value("ingress", i, "ipv6_cidr_blocks")
            )
            ports = _ports_of(
                group.value("ingress", i, "from_port"),
                group.value("ingress", i, "to_port"),
                group.value("ingress", i, "protocol"),
            )
            if cidrs & _WORLD and ports:
                attr = "cidr_blocks" if group.has("ingress", i, "cidr_blocks") else "ipv6_cidr_blocks"
                yield Hit(
                    native.path(group, "ingress", i, attr),
                    f"security group '{group.name}' lets the whole internet reach {_names(ports)}",
                )
    for sg_rule in native.of_type("aws_security_group_rule"):
        if sg_rule.value("type") != "ingress":
            continue
        cidrs = _cidrs(sg_rule.value("cidr_blocks")) | _cidrs(sg_rule.value("ipv6_cidr_blocks"))
        ports = _ports_of(sg_rule.value("from_port"), sg_rule.value("to_port"), sg_rule.value("protocol"))
        if cidrs & _WORLD and ports:
            attr = "cidr_blocks" if sg_rule.has("cidr_blocks") else "ipv6_cidr_blocks"
            yield Hit(
                native.path(sg_rule, attr), f"rule '{sg_rule.name}' lets the whole internet reach {_names(ports)}"
            )
    for sg_rule in native.of_type("aws_vpc_security_group_ingress_rule"):
        cidrs = {str(sg_rule.value("cidr_ipv4")), str(sg_rule.value("cidr_ipv6"))}
        ports = _ports_of(sg_rule.value("from_port"), sg_rule.value("to_port"), sg_rule.value("ip_protocol"))
        if cidrs & _WORLD and ports:
            attr = "cidr_ipv4" if sg_rule.has("cidr_ipv4") else "cidr_ipv6"
            yield Hit(
                native.path(sg_rule, attr), f"rule '{sg_rule.name}' lets the whole internet reach {_names(ports)}"
            )


def _cidrs(value: Any) -> set[str]:
    if isinstance(value, list):
        return {str(v) for v in value if isinstance(v, str)}
    if isinstance(value, str):
        return {value}
    return set()


def _names(ports: list[int]) -> str:
    return " and ".join(f"{_ADMIN_PORTS[p]} (port {p})" for p in ports)


@rule(
    "SEC107",
    "Instance metadata service allows IMDSv1",
    severity=Severity.WARNING,
    what=('An `aws_instance` or `aws_launch_template` without `metadata_options { http_tokens = "required" }`.'),
    why=(
        "IMDSv1 answers any GET to 169.254.169.254, so one server-side request forgery in the application "
        "hands out the instance role's credentials (the Capital One breach). IMDSv2 needs a session token a "
        "forged request cannot get."
    ),
    example='resource "aws_instance" "web" {\n  ami           = "ami-123"\n  instance_type = "t3.micro"\n}',
    fix='Add `metadata_options { http_tokens = "required" }` (the quick fix does).',
    references=("https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html",),
    checkov=("CKV_AWS_79",),
    kics=("c306ac53-ee5b-41d3-86a9-0fd2722b4e67",),
    trivy=("AVD-AWS-0028",),
    fixable=True,
    formats=TF,
)
def imds_v2(ctx: RuleContext) -> Iterator[Hit]:
    native = _native(ctx)
    if native is None:
        return
    from archls.model import Component

    model_carries = "instance_metadata" in Component.model_fields and covered(ctx, "VULN008")
    kinds = ("aws_launch_template", "aws_launch_configuration")
    for instance in native.of_type(*(kinds if model_carries else ("aws_instance", *kinds))):
        tokens = instance.value("metadata_options", 0, "http_tokens")
        endpoint = instance.value("metadata_options", 0, "http_endpoint")
        if tokens == "required" or endpoint == "disabled" or _unknown(tokens):
            continue
        where = _where(native, instance, "metadata_options", 0, "http_tokens")
        if not instance.has("metadata_options", 0, "http_tokens") and instance.has("metadata_options"):
            where = native.path(instance, "metadata_options")
        yield Hit(
            where,
            f"'{instance.name}' still answers IMDSv1 requests; an SSRF can read its role credentials",
            fix=Fix(
                'Require IMDSv2 (http_tokens = "required")',
                "set",
                native.path(instance, "metadata_options", 0),
                value="required",
                key="http_tokens",
            ),
        )


@rule(
    "SEC108",
    "EBS volume not encrypted",
    severity=Severity.WARNING,
    what=(
        "An `aws_ebs_volume` without `encrypted = true`, or an `aws_instance` / launch configuration whose root "
        "or EBS block devices are not encrypted, unless `aws_ebs_encryption_by_default` is enabled in the module."
    ),
    why=(
        "Unencrypted volumes leave their data readable in every snapshot, and snapshots get shared and copied "
        "between accounts; encryption costs nothing measurable on current instance types."
    ),
    example='resource "aws_ebs_volume" "data" {\n  availability_zone = "us-west-2a"\n  size              = 40\n}',
    fix="Set `encrypted = true` (or enable EBS encryption by default for the account and region).",
    references=("https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption.html",),
    controls=(Control("pci-dss", "3.5.1", "Stored account data is rendered unreadable"),),
    checkov=("CKV_AWS_3", "CKV_AWS_8"),
    kics=("cc997676-481b-4e93-aa81-d19f8c5e9b12", "4de9de27-254e-424f-bd70-4c1e95790838"),
    trivy=("AVD-AWS-0026", "AVD-AWS-0131"),
    fixable=True,
    formats=TF,
)
def ebs_encryption(ctx: RuleContext) -> Iterator[Hit]:
    native = _native(ctx)
    if native is None:
        return
    if any(_true(r.value("enabled", default=True)) for r in native.of_type("aws_ebs_encryption_by_default")):
        return
    for volume in native.of_type("aws_ebs_volume"):
        value = volume.value("encrypted")
        if _true(value) or volume.has("snapshot_id") or _unknown(value):
            continue
        yield Hit(
            _where(native, volume, "encrypted"),
            f"EBS volume '{volume.name}' is not encrypted",
            fix=Fix(
                "Set encrypted = true (replaces the volume)",
                "set",
                native.path(volume),
                value=True,
                key="encrypted",
                safe=False,
            ),
        )
    for instance in native.of_type("aws_instance", "aws_launch_configuration"):
        devices = ("root_block_device", "ebs_block_device")
        found = False
        for device in devices:
            for i in range(len(instance.blocks(device))):
                found = found or device == "root_block_device"
                value = instance.value(device, i, "encrypted")
                if _true(value) or _unknown(value) or instance.has(device, i, "snapshot_id"):
                    continue  # a volume made from a snapshot is encrypted as the snapshot is
                yield Hit(
                    _where(native, instance, device, i, "encrypted")
                    if instance.has(device, i, "encrypted")
                    else native.path(instance, device, i),
                    f"'{instance.name}' has an unencrypted {device.replace('_', ' ')}",
                    fix=Fix(
                        "Encrypt the volume",
                        "set",
                        native.path(instance, device, i),
                        value=True,
                        key="encrypted",
                        safe=False,
                    ),
                )
        if not found:
            yield Hit(
                native.path(instance),
                f"'{instance.name}' boots from an unencrypted root volume",
                fix=Fix(
                    "Encrypt the root volume (replaces the instance)",
                    "set",
                    native.path(instance, "root_block_device", 0),
                    value=True,
                    key="encrypted",
                    safe=False,
                ),
            )


# --- identity, keys, secrets -------------------------------------------------------------------

#: Resources holding an identity policy, and the attribute that holds its JSON.
_POLICY_RESOURCES = {
    "aws_iam_policy": "policy",
    "aws_iam_role_policy": "policy",
    "aws_iam_user_policy": "policy",
    "aws_iam_group_policy": "policy",
    "aws_ssoadmin_permission_set_inline_policy": "inline_policy",
}


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


@rule(
    "SEC109",
    "IAM policy grants wildcard actions on every resource",
    severity=Severity.ERROR,
    what=(
        "An IAM policy statement (`aws_iam_*policy` JSON, an SSO permission set's inline policy or an "
        "`aws_iam_policy_document`) that allows `*` "
        '(full administrator, an error) or a whole service such as `s3:*` (a warning) on `Resource: "*"`.'
    ),
    why=(
        "Wildcards grant actions nobody reviewed, including the ones added to the service later; a leaked "
        "key or compromised instance with `*:*` owns the account, and `s3:*` on `*` reads every bucket."
    ),
    example='{"Effect": "Allow", "Action": ["s3:*", "ec2:*"], "Resource": "*"}',
    fix="List the actions the workload calls and the ARNs it touches (IAM Access Analyzer can generate them).",
    references=("https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege",),
    controls=(Control("pci-dss", "7.2.2", "Access is assigned based on job function, least privileges"),),
    checkov=("CKV_AWS_62", "CKV_AWS_63", "CKV_AWS_1", "CKV_AWS_289", "CKV_AWS_290"),
    kics=("2f37c4a3-58b9-4afe-8a87-d7f1d2286f84", "575a2155-6af1-4026-b1af-d5bc8fe2a904"),
    formats=TF,
    severity_note="Every action on every resource (`*`) is an error; every action of some services (`s3:*`) is a warning.",
    related=(
        (
            "checkov",
            "CKV_AWS_355",
            "checkov reports any action that could be scoped to resources granted on every resource (even "
            "ec2:Describe*); SEC109 reports only wildcard actions on every resource.",
        ),
        (
            "trivy",
            "AVD-AWS-0057",
            "Trivy's embedded check did not report any of the wildcard policies in archls's comparison cases (admin policies attached to roles included), so no agreement can be shown; SEC109 reports every policy that allows every action, or every action of a service, on every resource.",
        ),
    ),
)
def iam_wildcards(ctx: RuleContext) -> Iterator[Hit]:
    native = _native(ctx)
    if native is None:
        return
    for policy, where, statement in _allowed_statements(native, _POLICY_RESOURCES):
        if "Principal" in statement or "NotPrincipal" in statement:
            continue  # a resource policy: SEC115 judges those
        bad = _wildcard_actions(statement.get("Action"))
        if "*" in _as_list(statement.get("Resource")) and bad:
            yield _wildcard_hit(native, policy, (*where, "Action" if "Action" in statement else "Resource"), bad)
    for document in native.data_of_type("aws_iam_policy_document"):
        for i in range(len(document.blocks("statement"))):
            effect = document.value("statement", i, "effect", default="Allow")
            resources = _as_list(document.value("statement", i, "resources"))
            bad = _wildcard_actions(document.value("statement", i, "actions"))
            if effect != "Allow" or "*" not in resources or not bad:
                continue
            if document.blocks("statement", i, "principals") or document.blocks("statement", i, "not_principals"):
                continue  # a resource policy (for a bucket, a domain, a queue): SEC115 judges those
            yield _wildcard_hit(native, document, ("statement", i, "actions"), bad)


def _allowed_statements(native: Any, holders: dict[str, str]) -> Iterator[tuple[Any, tuple[Any, ...], dict[str, Any]]]:
    """Each Allow statement of the JSON policies the ``holders`` resources carry (type -> attribute),
    with the resource and the statement's path in it."""
    for policy in native.of_type(*holders):
        attribute = holders[policy.type]
        document = _json(policy.value(attribute))
        if not isinstance(document, dict):
            continue
        listed = isinstance(document.get("Statement"), list)
        for i, statement in enumerate(_as_list(document.get("Statement"))):
            if isinstance(statement, dict) and statement.get("Effect", "Allow") == "Allow":
                yield policy, ((attribute, "Statement", i) if listed else (attribute, "Statement")), statement


def _wildcard_actions(actions: Any) -> list[str]:
    """Every action (``*``) or every action of a service (``s3:*``)."""
    return [a for a in _as_list(actions) if isinstance(a, str) and (a == "*" or a.endswith(":*"))]


def _wildcard_hit(native: Any, resource: Any, path: tuple[Any, ...], bad: list[str]) -> Hit:
    full = any(a in {"*", "*:*"} for a in bad)
    where = native.path(resource, *path)
    if full:
        return Hit(where, f"'{resource.name}' allows every action on every resource (full administrator)")
    return Hit(
        where,
        f"'{resource.name}' allows {', '.join(bad)} on every resource",
        severity=Severity.WARNING,
    )


def _json(value: Any) -> Any:
    """A policy document written as JSON. Trailing commas are tolerated, as the tools that read these
    documents (checkov, Terraform's own decoding of heredocs) tolerate them."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            pass
        try:
            return json.loads(_TRAILING_COMMA.sub(lambda m: m.group(1) or m.group(2), value))
        except ValueError:
            return None
    return None


#: A JSON string (kept as it is) or a comma before a closing bracket (dropped).
_TRAILING_COMMA = re.compile(r'("(?:\\.|[^"\\])*")|,\s*([\]}])')


#: Resources holding a resource policy, and the attribute that holds its JSON.
_RESOURCE_POLICIES = {
    "aws_s3_bucket_policy": "policy",
    "aws_sqs_queue_policy": "policy",
    "aws_sns_topic_policy": "policy",
    "aws_ecr_repository_policy": "policy",
    "aws_elasticsearch_domain_policy": "access_policies",
    "aws_opensearch_domain_policy": "access_policies",
    "aws_elasticsearch_domain": "access_policies",
    "aws_opensearch_domain": "access_policies",
}


def _anyone(principal: Any) -> bool:
    """Whether a policy's principal is everyone (``"*"``, ``{"AWS": "*"}``): a resource policy that
    grants wildcards to anyone is worse than an identity's, not exempt."""
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return any(_anyone(v) for v in principal.values())
    if isinstance(principal, list):
        return any(_anyone(v) for v in principal)
    return False


@rule(
    "SEC115",
    "Resource policy grants wildcard actions to anyone",
    severity=Severity.ERROR,
    what=(
        "A resource policy (an S3 bucket, SQS queue, SNS topic, ECR repository or search domain policy, or an "
        "`aws_iam_policy_document` with `principals`) whose statement allows `*` or a whole service such as "
        '`es:*` to every principal (`"*"` or `{"AWS": "*"}`) with no `Condition` narrowing who may call.'
    ),
    why=(
        "Anyone with an AWS account, or anyone at all for services reachable without signing, can then do "
        "everything the service allows on that resource: read and delete the data, change its policy. A "
        "public read of a website's objects is sometimes meant; every action never is."
    ),
    example=(
        'data "aws_iam_policy_document" "search" {\n  statement {\n    actions   = ["es:*"]\n    resources = ["*"]\n'
        '    principals {\n      type        = "AWS"\n      identifiers = ["*"]\n    }\n  }\n}'
    ),
    fix="Name the principals (roles, accounts) that need access and the actions they call, or add a "
    "`Condition` (source VPC, source IP, organisation) that limits who may call.",
    references=("https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html",),
    controls=(Control("pci-dss", "7.2.1", "An access control model covers all system components"),),
    formats=TF,
)
def public_resource_policy(ctx: RuleContext) -> Iterator[Hit]:
    native = _native(ctx)
    if native is None:
        return
    for policy, where, statement in _allowed_statements(native, _RESOURCE_POLICIES):
        if "Condition" in statement or not _anyone(statement.get("Principal")):
            continue
        bad = _wildcard_actions(statement.get("Action"))
        if bad:
            yield Hit(native.path(policy, *where, "Principal"), f"'{policy.name}' allows {', '.join(bad)} to anyone")
    for document in native.data_of_type("aws_iam_policy_document"):
        for i in range(len(document.blocks("statement"))):
            if document.value("statement", i, "effect", default="Allow") != "Allow":
                continue
            if document.blocks("statement", i, "condition"):
                continue
            principals = [
                document.value("statement", i, "principals", j, "identifiers")
                for j in range(len(document.blocks("statement", i, "principals")))
            ]
            bad = _wildcard_actions(document.value("statement", i, "actions"))
            if bad and _anyone(principals):
                yield Hit(
                    native.path(document, "statement", i, "actions"),
                    f"'{document.name}' allows {', '.join(bad)} to anyone",
                )


@rule(
    "SEC110",
    "Secret written into Terraform",
    severity=Severity.ERROR,
    what=(
        "A credential in the configuration itself: provider `access_key` / `secret_key`, an AWS key or "
        "private key inside `user_data`, a literal value in a password/secret/token attribute, or the default "
        "of a variable whose name says it is a secret. Values from variables without defaults, data sources "
        "or secret managers are fine."
    ),
    why=(
        "Terraform files live in git: every clone, fork and CI log holds the secret for ever, and rotating it "
        "means finding every copy. Secrets also land in plan output and in state."
    ),
    example='provider "aws" {\n  access_key = "AKIAIOSFODNN7EXAMPLE"\n  secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"\n}',
    fix=(
        "Remove the value, rotate the credential, and read it at apply time: environment variables or a "
        "profile for providers, `aws_secretsmanager_secret_version` / SSM parameters for resources, "
        "`sensitive = true` variables without defaults."
    ),
    references=(
        "https://developer.hashicorp.com/terraform/language/values/variables#suppressing-values-in-cli-output",
    ),
    controls=(Control("pci-dss", "8.3.2", "Strong cryptography renders authentication factors unreadable"),),
    checkov=("CKV_AWS_41", "CKV_AWS_46"),
    kics=(
        "d7b9d850-3e06-4a75-852f-c46c2e92240b",
        "a88baa34-e2ad-44ea-ad6f-8cac87bc7c71",
    ),
    trivy=("aws-access-key-id", "aws-secret-access-key"),
    formats=TF,
    related=(
        (
            "checkov",
            "CKV_SECRET_6",
            "checkov's secret scanner judges values by their entropy; SEC110 by the attribute's name and the value's shape.",
        ),
        (
            "checkov",
            "CKV_SECRET_2",
            "checkov's secret scanner reports the line of each key; SEC110 reports the attribute that holds it (the user_data, a provider's access_key), and SEC007 keys in a function's environment.",
        ),
    ),
)
def terraform_secrets(ctx: RuleContext) -> Iterator[Hit]:
    native = _native(ctx)
    if native is None:
        return
    from archls.formats.terraform import provider_id

    for module in native.project.root.all_modules():
        for provider in module.providers:
            for key in ("access_key", "secret_key", "token", "password", "client_secret"):
                attribute = provider.attr(key)
                if attribute is None:
                    continue
                value = module.evaluate(attribute.expr)
                if isinstance(value, str) and value and _literal(attribute.expr):
                    yield Hit(
                        ("providers", provider_id(provider), key),
                        f"provider '{provider_id(provider)}' has its {key} written in the file",
                    )
        for name, block in module.variable_blocks.items():
            default = block.attr("default")
            if default is None or not is_secret_key(name) or not _literal(default.expr):
                continue
            value = module.evaluate(default.expr)
            if literal_secret(name, value):
                yield Hit(("variables", name, "default"), f"variable '{name}' has a secret as its default value")
    for resource in native.resources:
        if resource.mode != "resource":
            continue
        for attr in ("user_data", "user_data_base64"):
            attribute = resource.block.attr(attr)
            if attribute is None:
                continue
            text = resource.value(attr)
            if not isinstance(text, str):
                continue
            for index, line in enumerate(text.split("\n")):
                label = shaped_secret(line)
                if label is not None:
                    yield Hit(
                        native.path(resource, attr, index)
                        if attribute.expr.text.startswith("<<")
                        else native.path(resource, attr),
                        f"'{resource.name}' has an {label} in its {attr}",
                    )
                    break
        for key, attribute in resource.block.body.attributes.items():
            if key in {"user_data", "user_data_base64"} or not _literal(attribute.expr):
                continue
            value = resource.module.evaluate(attribute.expr)
            reason = literal_secret(key, value)
            if reason and (is_secret_key(key) or shaped_secret(str(value))):
                yield Hit(native.path(resource, key), f"'{resource.name}' has {reason} written in the file")


def _literal(expr: Any) -> bool:
    from archls.formats._hcl import Heredoc, Lit

    return isinstance(expr, Lit | Heredoc)


@rule(
    "SEC111",
    "KMS key without automatic rotation",
    severity=Severity.WARNING,
    what="A symmetric `aws_kms_key` without `enable_key_rotation = true`.",
    why=(
        "Rotation limits how much data one key version protects and is required by most frameworks "
        "(PCI DSS 3.7.4, CIS AWS 3.8); AWS keeps the old versions, so nothing breaks."
    ),
    example='resource "aws_kms_key" "logs" {\n  description = "log bucket key"\n}',
    fix="Set `enable_key_rotation = true`.",
    references=("https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html",),
    controls=(Control("pci-dss", "3.7.4", "Cryptographic key changes at the end of the cryptoperiod"),),
    checkov=("CKV_AWS_7",),
    kics=("22fbfeac-7b5a-421a-8a27-7a2178bb910b",),
    trivy=("AVD-AWS-0065",),
    fixable=True,
    formats=TF,
)
def kms_rotation(ctx: RuleContext) -> Iterator[Hit]:
    native = _native(ctx)
    if native is None:
        return
    for key in native.of_type("aws_kms_key"):
        spec = key.value("customer_master_key_spec", default="SYMMETRIC_DEFAULT")
        if spec != "SYMMETRIC_DEFAULT" or key.value("key_usage", default="ENCRYPT_DECRYPT") != "ENCRYPT_DECRYPT":
            continue
        value = key.value("enable_key_rotation")
        if _true(value) or _unknown(value):
            continue
        yield Hit(
            _where(native, key, "enable_key_rotation"),
            f"KMS key '{key.name}' is never rotated",
            fix=Fix("Set enable_key_rotation = true", "set", native.path(key), value=True, key="enable_key_rotation"),
        )


# --- EKS and load balancers ----------------------------------------------------------------------


@rule(
    "SEC112",
    "EKS API endpoint open to the internet",
    severity=Severity.WARNING,
    what=(
        "An `aws_eks_cluster` whose `vpc_config` leaves `endpoint_public_access` at its default (true) or sets it, "
        "without narrowing `public_access_cidrs` below 0.0.0.0/0."
    ),
    why=(
        "The Kubernetes API server then answers the whole internet: every unauthenticated endpoint, every "
        "future CVE and every leaked kubeconfig is reachable from anywhere."
    ),
    example='resource "aws_eks_cluster" "main" {\n  vpc_config {\n    subnet_ids = [...]\n  }\n}',
    fix="Set `endpoint_public_access = false` (with `endpoint_private_access = true`), or list the CIDRs that "
    "need the API in `public_access_cidrs`.",
    references=("https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html",),
    checkov=("CKV_AWS_38",),
    kics=("42f4b905-3736-4213-bfe9-c0660518cda8", "61cf9883-1752-4768-b18c-0d57f2737709"),
    trivy=("AVD-AWS-0041",),
    fixable=True,
    formats=TF,
    related=(
        (
            "checkov",
            "CKV_AWS_39",
            "checkov asks for the public endpoint to be off altogether; SEC112 accepts a public endpoint that "
            "public_access_cidrs limits to known networks.",
        ),
        (
            "trivy",
            "AVD-AWS-0040",
            "Trivy asks for the public endpoint to be off altogether; SEC112 accepts a public endpoint that "
            "public_access_cidrs limits to known networks.",
        ),
    ),
)
def eks_public_endpoint(ctx: RuleContext) -> Iterator[Hit]:
    native = _native(ctx)
    if native is None:
        return
    for cluster in native.of_type("aws_eks_cluster"):
        public = cluster.value("vpc_config", 0, "endpoint_public_access")
        if _false(public) or _unknown(public):
            continue
        cidrs = _cidrs(cluster.value("vpc_config", 0, "public_access_cidrs"))
        if cidrs and not cidrs & _WORLD:
            continue
        if cluster.has("vpc_config", 0, "endpoint_public_access"):
            where = native.path(cluster, "vpc_config", 0, "endpoint_public_access")
        elif cluster.has("vpc_config"):
            where = native.path(cluster, "vpc_config")
        else:
            where = native.path(cluster)
        yield Hit(
            where,
            f"EKS cluster '{cluster.name}' serves its API to the whole internet",
            fix=Fix(
                "Set endpoint_public_access = false",
                "set",
                native.path(cluster, "vpc_config", 0),
                value=False,
                key="endpoint_public_access",
                safe=False,
            ),
        )


@rule(
    "SEC113",
    "EKS secrets not encrypted with a KMS key",
    severity=Severity.WARNING,
    what="An `aws_eks_cluster` without an `encryption_config` whose `resources` include `secrets`.",
    why=(
        "Kubernetes Secrets sit base64-encoded in etcd; envelope encryption with a KMS key adds a layer that "
        "an etcd backup or snapshot alone cannot open, and puts every decryption in CloudTrail."
    ),
    example='resource "aws_eks_cluster" "main" {\n  name     = "main"\n  role_arn = aws_iam_role.eks.arn\n}',
    fix='Add `encryption_config { resources = ["secrets"]  provider { key_arn = aws_kms_key.eks.arn } }`.',
    references=("https://docs.aws.amazon.com/eks/latest/userguide/enable-kms.html",),
    checkov=("CKV_AWS_58",),
    kics=("63ebcb19-2739-4d3f-aa5c-e8bbb9b85281",),
    trivy=("AVD-AWS-0039",),
    formats=TF,
)
def eks_secrets_encryption(ctx: RuleContext) -> Iterator[Hit]:
    native = _native(ctx)
    if native is None:
        return
    for cluster in native.of_type("aws_eks_cluster"):
        covered = any(
            "secrets" in _as_list(cluster.value("encryption_config", i, "resources"))
            for i in range(len(cluster.blocks("encryption_config")))
        )
        if not covered:
            where = (
                native.path(cluster, "encryption_config") if cluster.has("encryption_config") else native.path(cluster)
            )
            yield Hit(where, f"EKS cluster '{cluster.name}' keeps Kubernetes Secrets without KMS envelope encryption")


@rule(
    "SEC114",
    "Load balancer listener without TLS",
    severity=Severity.WARNING,
    what=(
        "An `aws_lb_listener` / `aws_alb_listener` on HTTP that does not redirect to HTTPS, or an `aws_elb` "
        "listener with `lb_protocol` http or tcp, or https/ssl without `ssl_certificate_id`. Where the model rule SEC005 (internet-facing endpoint "
        "without TLS) runs, it reports the internet-facing load balancers and this rule the internal ones."
    ),
    why=(
        "Traffic between users and the load balancer crosses the internet in clear text: credentials, session "
        "cookies and personal data can be read and changed on the way."
    ),
    example='resource "aws_lb_listener" "web" {\n  port     = 80\n  protocol = "HTTP"\n  default_action { type = "forward" ... }\n}',
    fix="Listen on HTTPS with an ACM certificate, and turn the HTTP listener into a redirect to HTTPS.",
    references=("https://docs.aws.amazon.com/elasticloadbalancing/latest/application/create-https-listener.html",),
    controls=(Control("pci-dss", "4.2.1", "Strong cryptography protects cardholder data in transit"),),
    checkov=("CKV_AWS_2", "CKV_AWS_376"),
    kics=("de7f5e83-da88-4046-871f-ea18504b1d43",),
    trivy=("AVD-AWS-0054",),
    formats=TF,
    related=(
        (
            "checkov",
            "CKV_AWS_127",
            "checkov asks that a classic load balancer's certificates come from ACM; SEC114 asks that its listeners use TLS at all.",
        ),
        (
            "checkov",
            "CKV2_AWS_20",
            "checkov reports the load balancer whose HTTP listener does not redirect to HTTPS; SEC114 reports that listener.",
        ),
    ),
)
def listener_tls(ctx: RuleContext) -> Iterator[Hit]:
    native = _native(ctx)
    if native is None:
        return
    for listener in native.of_type("aws_lb_listener", "aws_alb_listener"):
        protocol = listener.value("protocol")
        if _known(protocol) and str(protocol).upper() != "HTTP":
            continue
        if protocol is None and listener.has("certificate_arn"):
            continue
        redirects = any(
            str(listener.value("default_action", i, "redirect", 0, "protocol", default="")).upper() == "HTTPS"
            for i in range(len(listener.blocks("default_action")))
        )
        if redirects:
            continue
        yield Hit(
            _where(native, listener, "protocol"),
            f"listener '{listener.name}' serves plain HTTP without redirecting to HTTPS",
        )
    for elb in native.of_type("aws_elb"):
        for i in range(len(elb.blocks("listener"))):
            protocol = str(elb.value("listener", i, "lb_protocol", default="")).lower()
            port = elb.value("listener", i, "lb_port", default="?")
            if protocol in {"http", "tcp"}:
                yield Hit(
                    native.path(elb, "listener", i, "lb_protocol"),
                    f"classic load balancer '{elb.name}' listens on {protocol} port {port} without TLS",
                )
            elif protocol in {"https", "ssl"}:
                certificate = elb.value("listener", i, "ssl_certificate_id")
                if certificate in (None, "") and not _unknown(certificate):
                    yield Hit(
                        native.path(elb, "listener", i, "lb_protocol"),
                        f"classic load balancer '{elb.name}' listens on {protocol} port {port} with no certificate, "
                        "so it cannot serve TLS",
                    )
