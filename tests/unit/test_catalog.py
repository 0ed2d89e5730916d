"""The reference data: every figure has a source, look-ups resolve, overrides apply."""

from __future__ import annotations

import datetime

import pytest

from archls import catalog
from archls.catalog import parse_image, parse_instance
from archls.config import build
from archls.model import ComponentType

DATA = catalog.load()


def test_every_figure_names_a_source_that_exists() -> None:
    sources = DATA.sources
    tf = DATA.technologies_file
    for tid, tech in tf.technologies.items():
        if tech.throughput_rps is not None or tech.service_ms is not None:
            assert tech.source in sources, f"{tid}: load figures without a known source ({tech.source})"
        if tech.sla is not None:
            assert tech.availability_source in sources, f"{tid}: availability without a source"
    for name, figures in tf.types.items():
        if figures.throughput_rps is not None or figures.service_ms is not None:
            assert figures.source in sources, f"type {name}"
    for figure in [*tf.network.values(), *tf.availability.values(), *DATA.prices.assumptions.values()]:
        assert figure.source in sources
    for region in DATA.prices.regions.values():
        for group in region.instances.values():
            assert group.source in sources
        for block in region.units.values():
            assert block["source"] in sources
    for entry in DATA.images.deprecated:
        assert entry.source in sources
    assert DATA.recorded == datetime.date(2026, 11, 26)


def test_every_component_type_has_figures() -> None:
    assert set(DATA.technologies_file.types) == {t.value for t in ComponentType}


def test_names_aliases_and_images_are_unambiguous() -> None:
    seen: dict[str, str] = {}
    for tid, tech in DATA.technologies.items():
        for name in (tid, *tech.aliases):
            key = name.lower()
            assert seen.setdefault(key, tid) == tid, f"{name} names both {seen[key]} and {tid}"
        for t in tech.types:
            ComponentType(t)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("postgres", "postgresql"),
        ("PostgreSQL", "postgresql"),
        ("pg", "postgresql"),
        ("nodejs", "node"),
        ("Node.js", "node"),
        ("golang", "go"),
        ("aws-alb", "alb"),
        ("Amazon SQS", "sqs"),
        ("aurora-postgresql", "postgresql"),
        ("react-native", None),
    ],
)
def test_technologies_are_found_by_alias(name: str, expected: str | None) -> None:
    tech = DATA.technology(name)
    assert (tech.id if tech else None) == expected


@pytest.mark.parametrize(
    ("image", "tech", "version"),
    [
        ("postgres:11.2-alpine", "postgresql", "11.2"),
        ("docker.io/library/node:20", "node", "20"),
        ("bitnami/postgresql:16.3.0", "postgresql", "16.3.0"),
        ("public.ecr.aws/docker/library/redis:7.2", "redis", "7.2"),
        ("confluentinc/cp-kafka:7.6.0", "kafka", None),  # Confluent's numbering is not Kafka's
        ("mcr.microsoft.com/dotnet/aspnet:8.0", "dotnet", "8.0"),
        ("mirror.example.com/library/mysql:5.7", "mysql", "5.7"),
        ("registry.example.com/rides/trips:2.14.0", None, None),
        ("${IMAGE}", None, None),
        # a private image named like a product runs the team's code, not the product
        ("pay/vault:1.4.0", None, None),
        ("ghcr.io/acme/kafka:1.0.0", None, None),
        ("hashicorp/vault:1.15.2", "vault", "1.15.2"),
        ("bitnami/redis:7.2", "redis", "7.2"),
    ],
)
def test_technologies_are_recognised_from_images(image: str, tech: str | None, version: str | None) -> None:
    found = DATA.technology_for_image(image)
    assert (found[0].id if found else None) == tech
    assert (found[1] if found else None) == version


@pytest.mark.parametrize(
    ("reference", "registry", "path", "tag", "digest"),
    [
        ("redis", None, "redis", None, None),
        ("library/redis:7", None, "redis", "7", None),
        ("ghcr.io/acme/api:1.2.3", "ghcr.io", "acme/api", "1.2.3", None),
        ("localhost:5000/app", "localhost:5000", "app", None, None),
        ("quay.io/a/b@sha256:" + "0" * 64, "quay.io", "a/b", None, "sha256:" + "0" * 64),
    ],
)
def test_image_references_split_into_parts(reference, registry, path, tag, digest) -> None:  # type: ignore[no-untyped-def]
    ref = parse_image(reference)
    assert ref is not None
    assert (ref.registry, ref.path, ref.tag, ref.digest) == (registry, path, tag, digest)


@pytest.mark.parametrize("reference", ["", "has space:1", "UPPER/Case", "a:b:c:d", "x@nodigest"])
def test_malformed_images_are_not_parsed(reference: str) -> None:
    assert parse_image(reference) is None


@pytest.mark.parametrize(
    ("name", "service", "family", "size"),
    [
        ("m7g.large", "ec2", "m7g", "large"),
        ("db.r6g.xlarge", "rds", "db.r6g", "xlarge"),
        ("cache.t4g.micro", "elasticache", "cache.t4g", "micro"),
        ("kafka.m7g.large", "msk", "kafka.m7g", "large"),
        ("m6g.large.search", "opensearch", "search.m6g", "large"),
    ],
)
def test_instance_classes_parse(name: str, service: str, family: str, size: str) -> None:
    inst = parse_instance(name)
    assert inst is not None and (inst.service, inst.family, inst.size) == (service, family, size)
    assert inst.with_family(inst.family).name == name


def test_every_family_in_every_region_has_a_price_for_common_sizes() -> None:
    families = {
        (service, family)
        for region in DATA.prices.regions.values()
        for service, group in region.instances.items()
        for family in group.large
    }
    for region in DATA.prices.regions:
        for service, family in families:
            name = catalog.Instance("", service, family, "large").with_family(family)
            quote = DATA.instance_hourly(region, name)
            assert quote is not None and quote.amount > 0, f"{region} {name.name}"


def test_sizes_scale_prices_linearly_and_regions_apply_factors() -> None:
    large = DATA.instance_hourly("us-east-1", "m7g.large")
    xlarge = DATA.instance_hourly("us-east-1", "m7g.4xlarge")
    assert large and xlarge and xlarge.amount == pytest.approx(8 * large.amount)
    eu = DATA.instance_hourly("eu-west-1", "db.r6g.large")
    assert eu and eu.amount == pytest.approx(0.225 * 1.10) and "x 1.1" in eu.note
    assert DATA.instance_hourly("us-west-2", "t3.micro") == DATA.instance_hourly("us-east-1", "t3.micro").__class__(
        0.0104, "ec2", "us-west-2", ""
    )
    assert DATA.instance_hourly("us-east-1", "z9.large") is None
    assert DATA.region_name("mars-north-1") == "us-east-1"


def test_burstable_instances_count_their_baseline() -> None:
    assert DATA.vcpus("t3.medium") == pytest.approx(0.4)
    assert DATA.vcpus("r6g.2xlarge") == 8


def test_end_of_life_cycles_are_ordered_and_dated() -> None:
    for key, product in DATA.eol_file.products.items():
        names = [c.cycle for c in product.cycles]
        assert len(names) == len(set(names)), key
        for cycle in product.cycles:
            if cycle.eol and cycle.released:
                assert cycle.eol > cycle.released, f"{key} {cycle.cycle}"
    for tech in DATA.technologies.values():
        product = DATA.product(tech.eol_product)
        assert product is None or product.cycles


@pytest.mark.parametrize(
    ("product", "version", "cycle", "eol"),
    [
        ("postgresql", "11", "11", "2023-11-09"),
        ("postgresql", "16.2", "16", "2028-11-09"),
        ("node", "16.20.2", "16", "2023-09-11"),
        ("python", "3.8", "3.8", "2024-10-07"),
        ("java", "1.8.0_292", "8", "2026-11-30"),
        ("mysql", "5.7.44", "5.7", "2023-10-31"),
        ("go", "v1.22.1", "1.22", "2025-02-11"),
        ("kubernetes", "1.29", "1.29", "2025-02-28"),
    ],
)
def test_versions_fall_into_their_cycles(product: str, version: str, cycle: str, eol: str) -> None:
    found = DATA.product(product).cycle_of(version)  # type: ignore[union-attr]
    assert found is not None and found.cycle == cycle and found.eol == datetime.date.fromisoformat(eol)


def test_unknown_versions_are_not_placed() -> None:
    product = DATA.product("python")
    assert product is not None
    assert product.cycle_of("3") is None
    assert product.cycle_of("latest") is None


def test_configuration_overrides_figures_prices_and_dates() -> None:
    config = build(
        {
            "catalog": {
                "technologies": {"postgres": {"throughput_rps": 9000, "per_vcpu": False}},
                "types": {"service": {"service_ms": 20}},
                "prices": {"db.r6g.large": 0.3},
                "eol": {"postgresql": {"16": "2025-01-01", "99": None}},
            }
        }
    )
    data = catalog.for_config(config)
    assert data is catalog.for_config(config)  # cached per override set
    pg = data.technology("postgresql")
    assert pg is not None and pg.throughput_rps == 9000 and not pg.per_vcpu and pg.source == "config"
    assert data.type_figures("service").service_ms == 20
    assert data.instance_hourly("eu-west-1", "db.r6g.large") == catalog.Quote(0.3, "config", "eu-west-1")
    product = data.product("postgresql")
    assert product is not None
    assert product.cycle_of("16").eol == datetime.date(2025, 1, 1)  # type: ignore[union-attr]
    assert product.cycle_of("99").eol is None  # type: ignore[union-attr]
    assert catalog.load().technology("postgresql").throughput_rps == 1500  # type: ignore[union-attr]


def test_registries_and_deprecated_repositories() -> None:
    assert DATA.registry_trusted("123456789012.dkr.ecr.eu-west-1.amazonaws.com")
    assert DATA.registry_trusted("europe-docker.pkg.dev")
    assert not DATA.registry_trusted("evil.example")
    assert DATA.registry_trusted("registry.example.com", ["registry.example.com"])
    ref = parse_image("k8s.gcr.io/pause:3.9")
    assert ref is not None and DATA.deprecated_image(ref) is not None
    ok = parse_image("registry.k8s.io/pause:3.9")
    assert ok is not None and DATA.deprecated_image(ok) is None


@pytest.mark.parametrize(
    ("image", "tech"),
    [
        ("pay/vault:1.4.0", None),
        ("acme/kafka:1.0.0", None),
        ("registry.example.com/team/postgres:15", None),
        ("registry.example.com/library/postgres:15", "postgresql"),
        ("bitnami/postgresql:16", "postgresql"),
        ("quay.io/prometheus/prometheus:v2.54.0", "prometheus"),
    ],
)
def test_loaders_name_a_technology_only_for_the_product_itself(image: str, tech: str | None) -> None:
    from archls.formats._tech import from_image

    found, _ = from_image(image)
    assert (found.name if found else None) == tech


def test_the_yaml_data_kept_beside_the_bytecode_reads_back_the_same(tmp_path, monkeypatch) -> None:
    import pickle
    import sys

    import yaml

    from archls import cachefile

    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    module = tmp_path / "data" / "__init__.py"
    module.parent.mkdir()
    module.write_text("", encoding="utf-8")
    text = "a: [1, 2.5, true, null]\nwhen: 2026-12-05\nname: x\n"
    expected = yaml.safe_load(text)
    assert cachefile.yaml_data(str(module), "d.yaml", text) == expected
    kept = module.parent / "__pycache__" / "d.pickle"
    assert kept.is_file()
    assert cachefile.yaml_data(str(module), "d.yaml", text) == expected  # read back
    assert cachefile.yaml_data(str(module), "d.yaml", text + "more: 1\n") == {**expected, "more": 1}  # a new text
    # A damaged file, or one holding more than plain data, is read again from the YAML.
    header = kept.read_bytes()[: len(cachefile.YAML_HEADER) + 16]
    kept.write_bytes(header + b"\x80\x05garbage")
    assert cachefile.yaml_data(str(module), "d.yaml", text + "more: 1\n") == {**expected, "more": 1}
    kept.write_bytes(header + pickle.dumps(pathlib_object()))
    assert cachefile.yaml_data(str(module), "d.yaml", text + "more: 1\n") == {**expected, "more": 1}


def pathlib_object() -> object:
    from pathlib import PurePosixPath

    return PurePosixPath("/etc/passwd")
