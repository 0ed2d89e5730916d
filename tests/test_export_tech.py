"""What the exports know of a technology: the catalog's identity, port and protocol, with the
exports' own facts (images, probes, client libraries) on top."""

from __future__ import annotations

import pytest
import yaml

from archls import catalog, export
from archls.export import tech
from archls.model import Architecture


@pytest.mark.parametrize(
    ("name", "family", "port"),
    [
        ("postgres", "postgresql", 5432),
        ("Postgres 15", "postgresql", 5432),  # a version suffix is ignored
        ("redis@7", "redis", 6379),
        ("elasticache-valkey", "valkey", 6379),  # a name only the catalog knows
        ("keyspaces", "cassandra", 9042),
        ("cockroachdb", "postgresql", 5432),  # a name only the exports know, with the catalog's port
        ("memorystore", "redis", 6379),
        ("minio", "s3", 9000),  # the exports run MinIO for any S3-speaking store
        ("mssql", "sqlserver", 1433),  # a technology the catalog lacks
        ("elixir", "elixir", 4000),
        ("prometheus", "prometheus", 9090),  # known to the catalog only: no image of the exports' own
    ],
)
def test_names_resolve_through_the_catalog(name: str, family: str, port: int):
    found = tech.lookup(name)
    assert found is not None and (found.family, found.port) == (family, port)


def test_the_exports_port_wins_where_their_container_differs():
    # Containers run as non-root, so proxies listen on 8080; scaffolded services too, in any language.
    assert catalog.load().technology("nginx").port == 80
    assert tech.lookup("nginx").port == 8080
    assert tech.lookup("fastapi").port == 8080 and tech.lookup("express").port == 8080


def test_unknown_names_are_none():
    assert tech.lookup("no-such-thing") is None and tech.lookup("") is None and tech.lookup(None) is None
    assert tech.for_image("registry.example.com/team/api:1.2") is None and tech.for_image("${IMAGE}") is None


def test_every_image_the_exports_run_is_the_catalogs_same_technology():
    for entry in tech._TABLE:
        if entry.image is None:
            continue
        found = tech.for_image(f"{entry.image}:{entry.tag}")
        if catalog.load().technology(entry.family) is not None or entry.stands_for:
            assert found is not None and found.family == entry.family, entry.image


def test_a_store_known_by_its_image_runs_as_that_technology():
    model = Architecture.model_validate(
        {
            "archls": 1,
            "name": "shop",
            "components": {
                "api": {"type": "service", "technology": "python"},
                "db": {"type": "database", "image": "postgres:15-alpine"},
            },
            "connections": [{"from": "api", "to": "db"}],
        }
    )
    compose = yaml.safe_load(export.render(model, "compose")["compose.yaml"])
    db = compose["services"]["db"]
    assert db["image"] == "postgres:15-alpine"
    assert "POSTGRES_PASSWORD" in db["environment"] and "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert compose["services"]["api"]["environment"]["DB_PORT"] == "5432"
