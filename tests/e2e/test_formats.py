"""Compose, Terraform and Kubernetes files in the editor: diagnostics at the exact attribute, the other
files of a Terraform module read from open buffers first, and other YAML left alone."""

from __future__ import annotations

import asyncio

from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from tests.e2e.conftest import change, open_doc, wait_diagnostics, write

COMPOSE = """\
services:
  api:
    image: acme/api:1.4.2
    restart: unless-stopped
    environment:
      DATABASE_URL: postgres://app@db:5432/app
      API_TOKEN: "tok-8c1f0e2d9a7b"
    ports:
      - "8080:8080"
  db:
    image: postgres:16
    restart: unless-stopped
"""

BUCKET = """\
resource "aws_s3_bucket" "data" {
  bucket = "acme-data"
}

resource "aws_db_instance" "orders" {
  engine              = "postgres"
  storage_encrypted   = false
  publicly_accessible = true
}
"""

BLOCK = """\
resource "aws_s3_bucket_public_access_block" "data" {
  bucket                  = aws_s3_bucket.data.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}
"""

MANIFEST = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: reader
  namespace: default
rules:
- apiGroups: [""]
  resources: ["*"]
  verbs: ["get"]
"""


def where(params: lsp.PublishDiagnosticsParams, *codes: str) -> list[tuple[int, int]]:
    return sorted((d.range.start.line, d.range.start.character) for d in params.diagnostics if d.code in codes)


def lines(params: lsp.PublishDiagnosticsParams, *codes: str) -> list[int]:
    """Lines of the findings of any of ``codes``: a native rule, or the model rule that reports it where it runs."""
    return sorted({d.range.start.line for d in params.diagnostics if d.code in codes})


async def test_compose_findings_land_on_the_compose_key(client: LanguageClient) -> None:
    published = await open_doc(client, "docker-compose.yml", COMPOSE)
    assert where(published, "SEC301") == [(8, 8)]  # the "8080:8080" item
    assert lines(published, "SEC302", "SEC007") == [6]  # API_TOKEN
    assert where(published, "REL301") == []
    diagnostic = next(d for d in published.diagnostics if d.code == "SEC301")
    assert diagnostic.range.end == lsp.Position(8, 19)
    assert diagnostic.data["path"] == ["services", "api", "ports", 0]


async def test_terraform_findings_land_on_the_attribute(client: LanguageClient) -> None:
    write(client, "pab.tf", BLOCK)
    published = await open_doc(client, "main.tf", BUCKET, language="terraform")
    assert where(published, "SEC104") == [(6, 2)]  # storage_encrypted = false
    assert where(published, "SEC105", "SEC001") == [(7, 2)]  # publicly_accessible = true
    assert where(published, "SEC101") == []  # the block lives in pab.tf, read from disk
    encryption = next(d for d in published.diagnostics if d.code == "SEC104")
    assert encryption.range.end == lsp.Position(6, 19)


async def test_an_unsaved_buffer_of_another_module_file_counts(client: LanguageClient) -> None:
    write(client, "pab.tf", BLOCK)
    first = await open_doc(client, "main.tf", BUCKET, language="terraform")
    assert where(first, "SEC101") == []
    pab_uri = (client.workspace_root / "pab.tf").as_uri()
    since = len(client.published)
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(pab_uri, "terraform", 1, BLOCK)))
    await wait_diagnostics(client, pab_uri, version=1, since=since)
    since = len(client.published)
    change(client, pab_uri, 2, "# the block is being rewritten\n")  # not saved: disk still has it
    await wait_diagnostics(client, pab_uri, version=2, since=since)
    since = len(client.published)
    change(client, first.uri, 2, BUCKET + "\n")
    second = await wait_diagnostics(client, first.uri, version=2, since=since)
    assert where(second, "SEC101") == [(0, 0)]  # the bucket's header line


async def test_terraform_syntax_error_is_positioned(client: LanguageClient) -> None:
    published = await open_doc(
        client, "broken.tf", 'resource "aws_s3_bucket" "b" {\n  acl = \n}\n', language="terraform"
    )
    assert [(d.code, d.range.start.line) for d in published.diagnostics] == [("ARCH001", 1)]


async def test_kubernetes_manifest_by_content(client: LanguageClient) -> None:
    published = await open_doc(client, "deploy/rbac.yaml", MANIFEST)
    assert where(published, "SEC201") == [(7, 14)]  # the "*" in resources
    assert where(published, "SEC203") == [(4, 13)]  # namespace: default


async def test_closing_a_manifest_over_a_saved_text_archls_does_not_read_clears_its_findings(
    client: LanguageClient,
) -> None:
    published = await open_doc(client, "deploy/closing.yaml", MANIFEST)
    assert published.diagnostics
    (client.workspace_root / "deploy" / "closing.yaml").write_text("not: a manifest\n", encoding="utf-8")
    since = len(client.published)
    client.text_document_did_close(lsp.DidCloseTextDocumentParams(lsp.TextDocumentIdentifier(published.uri)))
    for _ in range(100):
        cleared = [p for p in client.published[since:] if p.uri == published.uri]
        if cleared:
            break
        await asyncio.sleep(0.05)
    assert cleared and not cleared[-1].diagnostics


async def test_other_yaml_gets_no_diagnostics(client: LanguageClient) -> None:
    workflow = "name: CI\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make test\n"
    config = "server:\n  port: 8080\n  password: hunter2\n"
    quiet = []
    for name, text in ((".github/workflows/ci.yml", workflow), ("config.yaml", config)):
        uri = write(client, name, text)
        quiet.append(uri)
        client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, "yaml", 1, text)))
    # a claimed file opened afterwards is answered; by then the others would have been too
    await open_doc(client, "compose.yaml", COMPOSE)
    await asyncio.sleep(0.2)
    assert not [p for p in client.published if p.uri in quiet]


async def _fix_round_trip(client: LanguageClient, name: str, text: str, code: str, language: str = "yaml") -> str:
    """Open, take the quick fix of the first ``code`` finding, apply it as an editor does, re-audit."""
    from tests.e2e.test_code_actions import apply_edit, code_actions

    published = await open_doc(client, name, text, language=language)
    finding = next(d for d in published.diagnostics if d.code == code)
    actions = await code_actions(client, published.uri, [finding])
    fix = next(a for a in actions if a.edit is not None and not a.title.startswith("Suppress"))
    new_text = apply_edit(text, fix.edit, published.uri, version=1)
    since = len(client.published)
    change(client, published.uri, 2, new_text)
    after = await wait_diagnostics(client, published.uri, version=2, since=since)
    assert not [d for d in after.diagnostics if d.code == code and d.range.start.line == finding.range.start.line]
    return new_text


async def test_quick_fix_in_a_compose_file(client: LanguageClient) -> None:
    text = COMPOSE.replace("    restart: unless-stopped\n    environment:", "    environment:", 1)
    new_text = await _fix_round_trip(client, "docker-compose.yml", text, "REL301")
    assert new_text.count("\n") == text.count("\n") + 1
    assert '      - "8080:8080"\n    restart: unless-stopped\n' in new_text


async def test_quick_fix_in_a_terraform_file(client: LanguageClient) -> None:
    text = 'resource "aws_kms_key" "logs" {\n  description             = "logs"\n  deletion_window_in_days = 7\n}\n'
    new_text = await _fix_round_trip(client, "kms.tf", text, "SEC111", language="terraform")
    assert new_text.splitlines()[1] == "  enable_key_rotation     = true"  # aligned as terraform fmt would


async def test_quick_fix_in_a_manifest(client: LanguageClient) -> None:
    text = (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: api\n  namespace: shop\nspec:\n  containers:\n"
        "  - name: api\n    image: acme/api:1.4.2\n    env:\n    - name: DB_PASSWORD\n      value: hunter2hunter2\n"
    )
    code = "SEC007"
    from archls.rules.registry import get

    if get(code) is None:
        code = "SEC204"
    new_text = await _fix_round_trip(client, "pod.yaml", text, code)
    assert "      valueFrom:\n        secretKeyRef:\n          name: api\n          key: db-password\n" in new_text
