"""Hover and definition in compose and Terraform files: the component a service or resource
became, its inferred connections, and jumps from a reference to what it names."""

from __future__ import annotations

import pytest
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from archls.formats import detect
from tests.e2e.conftest import open_doc
from tests.e2e.shop import doc_id, pos, rng

COMPOSE = """\
services:
  web:
    image: nginx:1.27
    depends_on: [api]
    ports: ["443:443"]
  api:
    image: registry.example.com/shop/api:1.4.0
    environment:
      DATABASE_URL: postgres://db:5432/shop
    depends_on:
      db:
        condition: service_healthy
  db:
    image: postgres:16
"""
COMPOSE_LINES = COMPOSE.split("\n")

TERRAFORM = """\
resource "aws_db_instance" "main" {
  engine         = "postgres"
  instance_class = "db.t4g.medium"
}

resource "aws_instance" "app" {
  ami           = "ami-123"
  instance_type = "t3.small"
  user_data     = "DATABASE_HOST=${aws_db_instance.main.address}"
}
"""
TF_LINES = TERRAFORM.split("\n")

KUBERNETES = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: registry.example.com/shop/web:1.2.0
          env:
            - name: API_ADDR
              value: "api:8080"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: registry.example.com/shop/api:2.0.1
---
apiVersion: v1
kind: Service
metadata:
  name: api
spec:
  selector: {app: api}
  ports: [{port: 8080}]
"""
K8S_LINES = KUBERNETES.split("\n")

needs_compose = pytest.mark.skipif(
    detect("/x/docker-compose.yml", COMPOSE) is None or detect("/x/docker-compose.yml", COMPOSE).name == "arch",
    reason="the compose format is not part of this build yet",
)
needs_kubernetes = pytest.mark.skipif(
    detect("/x/shop.yaml", KUBERNETES) is None, reason="the Kubernetes format is not part of this build yet"
)
needs_terraform = pytest.mark.skipif(
    detect("/x/main.tf", TERRAFORM) is None, reason="the Terraform format is not part of this build yet"
)


@needs_compose
async def test_compose_service_hover_shows_the_component_and_its_inferred_connections(client: LanguageClient):
    uri = (await open_doc(client, "docker-compose.yml", COMPOSE)).uri
    found = await client.text_document_hover_async(
        lsp.HoverParams(doc_id(uri), pos(client, "  api:", offset=3, lines=COMPOSE_LINES))
    )
    assert found.range == rng(client, "  api:", offset=2, length=3, lines=COMPOSE_LINES)
    text = found.contents.value
    assert text.startswith("### api\n\n`")
    assert "**Inferred connections**" in text
    assert "- api → db" in text
    assert "- web → api" in text
    assert "docker-compose.yml:" in text


@needs_compose
async def test_compose_depends_on_jumps_to_the_service(client: LanguageClient):
    uri = (await open_doc(client, "docker-compose.yml", COMPOSE)).uri
    found = await client.text_document_definition_async(
        lsp.DefinitionParams(doc_id(uri), pos(client, "depends_on: [api]", offset=14, lines=COMPOSE_LINES))
    )
    assert list(found) == [lsp.Location(uri, rng(client, "  api:", offset=2, length=3, lines=COMPOSE_LINES))]
    found = await client.text_document_definition_async(
        lsp.DefinitionParams(doc_id(uri), pos(client, "      db:", offset=7, lines=COMPOSE_LINES))
    )
    assert list(found) == [lsp.Location(uri, rng(client, "  db:", 1, offset=2, length=2, lines=COMPOSE_LINES))]
    found = await client.text_document_hover_async(
        lsp.HoverParams(doc_id(uri), pos(client, "depends_on: [api]", offset=14, lines=COMPOSE_LINES))
    )
    assert found.contents.value.startswith("### api\n\n")


@needs_compose
async def test_compose_outline_and_lenses(client: LanguageClient):
    uri = (await open_doc(client, "docker-compose.yml", COMPOSE)).uri
    symbols = await client.text_document_document_symbol_async(lsp.DocumentSymbolParams(doc_id(uri)))
    assert [(s.name, s.kind) for s in symbols] == [(n, lsp.SymbolKind.Class) for n in ("web", "api", "db")]
    assert symbols[1].selection_range == rng(client, "  api:", offset=2, length=3, lines=COMPOSE_LINES)
    lenses = await client.text_document_code_lens_async(lsp.CodeLensParams(doc_id(uri)))
    assert [list(lens.command.arguments)[1:] for lens in lenses] == [["component", n] for n in ("web", "api", "db")]


@needs_terraform
async def test_terraform_reference_jumps_to_its_resource(client: LanguageClient):
    uri = (await open_doc(client, "main.tf", TERRAFORM, language="terraform")).uri
    at = pos(client, "aws_db_instance.main.address", offset=17, lines=TF_LINES)
    found = await client.text_document_definition_async(lsp.DefinitionParams(doc_id(uri), at))
    assert len(found) == 1
    assert found[0].range.start.line == 0
    hover = await client.text_document_hover_async(lsp.HoverParams(doc_id(uri), at))
    assert hover.contents.value.startswith("### ")
    assert "`database`" in hover.contents.value.split("\n")[2]
    resource = await client.text_document_hover_async(lsp.HoverParams(doc_id(uri), lsp.Position(6, 4)))
    assert resource is not None and "aws_instance.app" in resource.contents.value


@needs_kubernetes
async def test_kubernetes_address_jumps_to_the_workload_behind_the_service(client: LanguageClient):
    uri = (await open_doc(client, "shop.yaml", KUBERNETES)).uri
    at = pos(client, '"api:8080"', offset=2, lines=K8S_LINES)
    found = await client.text_document_definition_async(lsp.DefinitionParams(doc_id(uri), at))
    assert len(found) == 1
    assert 17 <= found[0].range.start.line <= 28  # inside the api Deployment
    hover = await client.text_document_hover_async(lsp.HoverParams(doc_id(uri), at))
    assert hover.contents.value.startswith("### api\n\n")
    assert hover.range == rng(client, '"api:8080"', offset=1, length=3, lines=K8S_LINES)
    web = await client.text_document_hover_async(lsp.HoverParams(doc_id(uri), lsp.Position(11, 12)))
    assert web.contents.value.startswith("### web\n\n")
    assert "- web → api" in web.contents.value
