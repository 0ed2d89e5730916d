"""Terraform modules read into the model: components, connections with evidence, places of model
fields, sibling files and local modules, checkov skips and fixes in HCL."""

from __future__ import annotations

from pathlib import Path

import pytest

from archls import engine, fixes
from archls.config import Config
from archls.evidence import evidence_of
from archls.findings import Range
from archls.fixes import FixError
from archls.rules.registry import Fix
from tests.shared import CORPUS as _CORPUS

CORPUS = _CORPUS or Path("corpus-not-found")
TERRAGOAT = CORPUS / "terragoat" / "aws"
needs_corpus = pytest.mark.skipif(
    _CORPUS is None, reason="the shared corpus is not beside this checkout (ARCHLS_SHARED)"
)


def disk(path: str) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError:
        return None


def audit(path: Path, read=disk, config: Config | None = None) -> engine.Analysis:  # type: ignore[no-untyped-def]
    return engine.analyse(path.read_text(encoding="utf-8"), str(path), config or Config(), read=read)


@needs_corpus
def test_terragoat_reads_into_components_and_connections() -> None:
    analysis = audit(TERRAGOAT / "db-app.tf")
    model = analysis.model
    assert model is not None
    db = model.components["aws_db_instance.default"]
    assert (db.type.value, db.technology, db.version) == ("database", "mysql", "8.0")
    assert db.encryption_at_rest is False and db.public is True
    assert model.components["data"].technology == "s3"
    lb = model.components["weblb"]
    assert lb.public is True and lb.tls is False
    links = {(c.source, c.target): c for c in model.connections}
    to_db = links[("db_app", "aws_db_instance.default")]
    evidence = evidence_of(to_db)
    assert evidence[0].file.endswith("db-app.tf")
    assert "aws_db_instance.default.endpoint" in evidence[0].detail
    lb_link = links[("weblb", "web_host")]
    assert (lb_link.port, evidence_of(lb_link)[0].line) == (8000, 22)
    assert model.groups["web_subnet"].members == ["db_app", "web_host", "weblb"]


@needs_corpus
def test_model_fields_land_on_their_native_attribute() -> None:
    analysis = audit(TERRAGOAT / "db-app.tf")
    loaded = analysis.loaded
    assert loaded is not None
    where = loaded.locate(("components", "aws_db_instance.default", "encryption_at_rest"))
    assert where == Range(18, 2, 18, 19)  # storage_encrypted
    assert loaded.locate(("components", "aws_db_instance.default", "public")).start_line == 21
    # a setting that is absent lands on the resource's header line, never the whole block
    rds = audit(TERRAGOAT / "rds.tf").loaded
    assert rds is not None
    head = rds.locate(("components", "app1-rds-cluster", "encryption_at_rest"))
    assert head.start_line == head.end_line == 0


@needs_corpus
def test_findings_in_other_files_of_the_module_name_their_file() -> None:
    analysis = audit(TERRAGOAT / "consts.tf")
    files = {f.file for f in analysis.findings if f.code == "SEC104"}
    assert str(TERRAGOAT / "rds.tf") in files
    assert all(f.file is None for f in analysis.findings if f.code == "SEC110" and "variable" in f.message)


def test_editor_buffers_win_over_disk(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('variable "region" {\n  default = "eu-west-1"\n}\n')
    db = tmp_path / "db.tf"
    db.write_text('resource "aws_db_instance" "orders" {\n  storage_encrypted = false\n}\n')
    fixed = 'resource "aws_db_instance" "orders" {\n  storage_encrypted = true\n}\n'

    def buffers(path: str) -> str | None:
        return fixed if path == str(db) else disk(path)

    on_disk = audit(tmp_path / "main.tf")
    assert [f.code for f in on_disk.findings if f.code == "SEC104"] == ["SEC104"]
    in_editor = audit(tmp_path / "main.tf", read=buffers)
    assert not [f for f in in_editor.findings if f.code == "SEC104"]


def test_local_modules_are_followed_with_their_inputs(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'module "orders_db" {\n  source    = "./modules/db"\n  encrypted = false\n}\n', encoding="utf-8"
    )
    module = tmp_path / "modules" / "db"
    module.mkdir(parents=True)
    (module / "main.tf").write_text(
        'variable "encrypted" {\n  default = true\n}\n\n'
        'resource "aws_db_instance" "this" {\n  engine            = "postgres"\n'
        "  storage_encrypted = var.encrypted\n}\n",
        encoding="utf-8",
    )
    analysis = audit(tmp_path / "main.tf")
    assert analysis.model is not None
    component = analysis.model.components["module.orders_db.aws_db_instance.this"]
    assert component.encryption_at_rest is False
    found = [f for f in analysis.findings if f.code == "SEC104"]
    assert [(f.file, f.range.start_line) for f in found] == [(str(module / "main.tf"), 6)]


def test_checkov_skip_comments_are_honoured(tmp_path: Path) -> None:
    path = tmp_path / "main.tf"
    path.write_text(
        'resource "aws_db_instance" "orders" {\n'
        "  #checkov:skip=CKV_AWS_16:encrypted by the snapshot pipeline\n"
        "  storage_encrypted = false\n"
        "}\n"
    )
    codes = {f.code for f in audit(path).findings}
    assert "SEC104" not in codes
    assert "REL103" in codes  # other rules still report


def test_syntax_error_is_the_only_finding(tmp_path: Path) -> None:
    path = tmp_path / "main.tf"
    path.write_text('resource "aws_s3_bucket" "b" {\n  bucket = "x"\n  acl = \n}\n')
    analysis = audit(path)
    assert [(f.code, f.range.start_line) for f in analysis.findings] == [("ARCH001", 2)]


def test_unknown_resource_types_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "main.tf"
    path.write_text('resource "acme_widget" "w" {\n  size = 3\n}\n\nresource "aws_sqs_queue" "jobs" {}\n')
    analysis = audit(path)
    assert analysis.model is not None
    assert list(analysis.model.components) == ["jobs"]
    assert not [f for f in analysis.findings if f.code.startswith("ARCH")]


def _fix(analysis: engine.Analysis, *codes: str) -> Fix:
    """The fix of the first finding of any of ``codes`` (a native rule, or the model rule that reports it)."""
    finding = next(f for f in analysis.findings if f.code in codes and f.fix)
    return Fix.from_json(finding.fix or {})


def test_fixes_edit_the_hcl_in_place(tmp_path: Path) -> None:
    path = tmp_path / "main.tf"
    text = (
        'resource "aws_kms_key" "logs" {\n'
        "  # rotation is off\n"
        '  description             = "logs"\n'
        "  deletion_window_in_days = 7\n"
        "}\n"
    )
    path.write_text(text)
    analysis = audit(path)
    new = fixes.apply(text, fixes.edits_for(analysis, _fix(analysis, "SEC111")))
    assert new == (
        'resource "aws_kms_key" "logs" {\n'
        "  enable_key_rotation = true\n"
        "  # rotation is off\n"
        '  description             = "logs"\n'
        "  deletion_window_in_days = 7\n"
        "}\n"
    )
    assert "SEC111" not in {f.code for f in engine.analyse(new, str(path), Config(), read=disk).findings}


def test_a_nested_block_is_added_after_the_attributes(tmp_path: Path) -> None:
    path = tmp_path / "main.tf"
    text = 'resource "aws_instance" "web" {\n  ami           = "ami-1"\n  instance_type = "t3.micro"\n}\n'
    path.write_text(text)
    analysis = audit(path)
    new = fixes.apply(text, fixes.edits_for(analysis, _fix(analysis, "SEC107", "VULN008")))
    assert new == (
        'resource "aws_instance" "web" {\n  ami           = "ami-1"\n  instance_type = "t3.micro"\n\n'
        '  metadata_options {\n    http_tokens = "required"\n  }\n}\n'
    )


def test_model_fixes_map_to_the_native_attribute(tmp_path: Path) -> None:
    path = tmp_path / "main.tf"
    text = 'resource "aws_db_instance" "orders" {\n  engine            = "postgres"\n  storage_encrypted = false\n}\n'
    path.write_text(text)
    analysis = audit(path)
    fix = Fix("Encrypt", "set", ("components", "orders"), value=True, key="encryption_at_rest")
    assert fixes.apply(text, fixes.edits_for(analysis, fix)).splitlines()[2] == "  storage_encrypted = true"
    with pytest.raises(FixError):
        fixes.edits_for(analysis, Fix("Cache it", "set", ("components", "orders"), value=3, key="latency_ms"))


def test_a_fix_for_another_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "db.tf").write_text('resource "aws_db_instance" "orders" {\n  storage_encrypted = false\n}\n')
    main = tmp_path / "main.tf"
    main.write_text('variable "x" {\n  default = 1\n}\n')
    analysis = audit(main)
    with pytest.raises(FixError, match=r"db\.tf"):
        fixes.edits_for(
            analysis,
            Fix("Encrypt", "set", ("resources", "aws_db_instance.orders"), value=True, key="storage_encrypted"),
        )


def test_a_digit_that_is_no_number_keeps_the_resource(tmp_path: Path) -> None:
    # "²" passed str.isdigit, then int() raised and the resource silently left the model
    (tmp_path / "main.tf").write_text(
        'resource "aws_elasticache_cluster" "cache" {\n  engine          = "redis"\n  num_cache_nodes = "²"\n}\n'
    )
    model = audit(tmp_path / "main.tf").model
    assert model is not None and model.components["cache"].technology == "redis"
