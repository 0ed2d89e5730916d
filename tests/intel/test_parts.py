"""The pure parts beneath the editor features: ids and renames, outlines, docs, technologies,
workspace scanning, and places in other formats."""

from __future__ import annotations

import types
from pathlib import Path

import pytest

from archls import engine
from archls.config import Config
from archls.engine import Analysis
from archls.findings import Edit, Range
from archls.formats import Loaded
from archls.intel import complete, docs, facts, native, outline, refs, technologies, workspace
from archls.model import Architecture, Component
from archls.sourcemap import SourceMap


def test_references_survive_an_invalid_component_and_keep_quotes():
    text = (
        "name: q\ncomponents:\n  'api':\n    type: servise\n  db: {type: database}\n"
        'connections:\n  - {from: "api", to: db}\nflows:\n  f: {path: [api, db]}\n'
    )
    a = engine.analyse(text, "/tmp/q.arch.yaml")
    idx = refs.index(a)
    api = idx.at(2, 4)
    assert api is not None and api.definition and api.range == Range(2, 3, 2, 6)
    assert [o.range for o in idx.of("component", "api")] == [
        Range(2, 3, 2, 6),
        Range(6, 12, 6, 15),
        Range(8, 13, 8, 16),
    ]
    assert refs.rename(a, api, "orders") == [
        Edit(Range(2, 3, 2, 6), "orders"),
        Edit(Range(6, 12, 6, 15), "orders"),
        Edit(Range(8, 13, 8, 16), "orders"),
    ]
    assert [e.new_text for e in refs.rename(a, api, "null")] == ["null", "null", '"null"']
    assert refs.rename(a, api, "api") == []
    with pytest.raises(refs.RenameError, match="already exists"):
        refs.rename(a, api, "db")
    with pytest.raises(refs.RenameError, match="not a valid component id"):
        refs.rename(a, api, "-x")


def test_an_unreadable_file_has_no_ids():
    a = engine.analyse("name: [unclosed\n", "/tmp/broken.arch.yaml")
    assert refs.index(a).occurrences == []
    assert outline.symbols(a) == []


EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.arch.yaml"))

ODD_IDS = (
    "name: q\ncomponents:\n  'api':\n    type: servise\n  db: {type: database}\n  \"web\": {type: client}\n"
    'connections:\n  - {from: "api", to: db}\n  - from: [api]\n    to: nowhere\n  - from: web\n    to: >-\n'
    "      api\n  - {}\nflows:\n  f: {path: [web,api, 'db']}\n  g:\n    path:\n      - web\n      - {x: y}\n"
    "  h: {path: db}\ngroups:\n  outer: {type: vpc, members: [api]}\n  inner:\n    type: subnet\n    parent: outer\n"
    "    members:\n      - db\n      - 'web'\n  lost: {type: vpc, parent: [outer]}\n"
)


@pytest.mark.parametrize(
    "text",
    [*(p.read_text(encoding="utf-8") for p in EXAMPLES), ODD_IDS, ODD_IDS.replace("db: {", "db: &db {")],
    ids=[*(p.name for p in EXAMPLES), "odd-ids", "odd-ids-read-whole"],
)
def test_the_id_at_a_position_is_the_one_the_index_holds(text: str):
    idx = refs.index(engine.analyse(text, "/tmp/indexed.arch.yaml"))
    a = engine.analyse(text, "/tmp/ids.arch.yaml")  # another analysis, never indexed: looked up by path
    assert idx.occurrences
    for line, written in enumerate(text.split("\n")):
        for col in range(len(written) + 1):
            expected = idx.at(line, col)
            assert refs.at(a, line, col) == expected, (line, col)
            if expected is not None:
                assert refs.definition(a, expected.kind, expected.name) == idx.definitions.get(
                    (expected.kind, expected.name)
                )
    assert facts.memoised(a, "refs") is None


def test_key_documentation_and_types():
    assert docs.key_markdown(("components", "x", "backups")) == (
        "**`backups`**\n\nBackups of stored data.\n\n"
        "Takes `true` or `false` or a mapping (`enabled`, `retention_days`, `point_in_time`, `cross_region`)."
    )
    assert docs.key_markdown(("name",)).startswith("**`name`** (required)")
    assert "Default: `true`." in docs.key_markdown(("connections", 0, "required"))
    assert docs.key_markdown(("components", "x", "nope")) is None
    assert docs.key_detail(("connections", 0, "mode")) == "one of sync, async"
    assert docs.value_markdown(("connections", 0, "protocol"), "http") == (
        "Protocol `http`: plaintext; its TLS form is `https`; synchronous by default."
    )
    assert docs.value_markdown(("components", "x", "data", 0), "card").startswith("Data kind `card`: sensitive")
    assert docs.rule_markdown("NOPE999") is None


def test_section_keys_read_from_text_being_typed():
    text = (
        "name: x\ncomponents:\n  # a comment\n  api:\n    type: ser\n  'db':\n    type\n  cache: {}\nflows:\n  f: {}\n"
    )
    assert complete.section_keys(text, "components") == ["api", "db", "cache"]
    assert complete.section_keys(text, "groups") == []


def test_catalog_entries_of_several_shapes(monkeypatch: pytest.MonkeyPatch):
    fake = types.ModuleType("archls.catalog")
    fake.technologies = lambda: {  # type: ignore[attr-defined]
        "postgresql": {
            "title": "PostgreSQL",
            "types": ["database"],
            "versions": [{"cycle": "16", "eol": "2028-11-09"}, "15"],
            "source": "endoflife.date",
        },
        "redis": types.SimpleNamespace(type="cache", cycles={"7.2": "2026-02-28"}, title="Redis"),
    }
    monkeypatch.setitem(__import__("sys").modules, "archls.catalog", fake)
    technologies.technologies.cache_clear()
    try:
        found = technologies.technologies()
        assert [t.name for t in found] == ["postgresql", "redis"]
        assert found[0].versions == (technologies.Version("16", "2028-11-09"), technologies.Version("15"))
        assert found[1].types == ("cache",) and found[1].versions == (technologies.Version("7.2", "2026-02-28"),)
        assert complete.version_markdown("postgresql", "16") == "**PostgreSQL 16**\n\nEnd of life: 2028-11-09"
    finally:
        technologies.technologies.cache_clear()


def test_a_loaded_catalog_with_release_cycles(monkeypatch: pytest.MonkeyPatch):
    import datetime

    ns = types.SimpleNamespace
    cycles = [ns(cycle="17", eol=datetime.date(2029, 11, 8), lts=False), ns(cycle="16", eol=None, lts=True)]
    product = ns(cycles=cycles, source=ns(title="PostgreSQL versioning policy", url="https://www.postgresql.org/"))
    cat = ns(
        technologies={
            "postgresql": ns(
                name="PostgreSQL",
                types=["database"],
                eol_product="postgresql",
                managed=False,
                port=5432,
                protocol="postgres",
            )
        },
        product=lambda key: product if key == "postgresql" else None,
    )
    fake = types.ModuleType("archls.catalog")
    fake.load = lambda: cat  # type: ignore[attr-defined]
    monkeypatch.setitem(__import__("sys").modules, "archls.catalog", fake)
    technologies.technologies.cache_clear()
    try:
        (tech,) = technologies.technologies()
        assert tech == technologies.Technology(
            "postgresql",
            ("database",),
            "PostgreSQL",
            "Listens on port 5432 (postgres).",
            (technologies.Version("17", "2029-11-08"), technologies.Version("16", None, "LTS")),
            "PostgreSQL versioning policy <https://www.postgresql.org/>",
        )
    finally:
        technologies.technologies.cache_clear()


def test_builtin_technologies_rank_the_type_first():
    ranked = technologies.for_type("cache")
    assert ranked[0].name in {"memcached", "redis", "valkey"}
    assert technologies.find("PostgreSQL") is not None


def test_workspace_walk_skips_vendored_and_hidden_folders(tmp_path: Path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.arch.yaml").write_text("name: one\ncomponents:\n  api: {type: service}\n")
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "two.arch.yaml").write_text("name: two\n")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "three.arch.yaml").write_text("name: three\n")
    (tmp_path / "notes.yaml").write_text("a: 1\n")
    assert workspace.walk([str(tmp_path)]) == [str(tmp_path / "a" / "one.arch.yaml")]
    index = workspace.Index()
    found = index.symbols([str(tmp_path)], {})
    assert [(s.name, s.kind, s.container, s.range) for s in found] == [("api", "component", "one", Range(2, 2, 2, 5))]
    assert workspace.matches("bapi", "billing-api") and not workspace.matches("ipa", "api")


def _native_analysis() -> Analysis:
    """A compose-like file read into the model: services become components via aliases."""
    text = "services:\n  web:\n    image: nginx\n    depends_on: [api]\n  api:\n    image: app\n"
    smap = SourceMap()
    smap.add(("services", "web"), Range(1, 2, 1, 5), Range(2, 4, 3, 23))
    smap.add(("services", "api"), Range(4, 2, 4, 5), Range(5, 4, 5, 14))
    model = Architecture(name="c", components={"web": Component(type="service"), "api": Component(type="service")})
    loaded = Loaded(
        "compose",
        model,
        smap,
        aliases={("components", "web"): ("services", "web"), ("components", "api"): ("services", "api")},
    )
    return Analysis("/tmp/compose.yaml", text, Config(), "compose", loaded)


def test_native_places_and_references():
    a = _native_analysis()
    assert native.component_at(a, 2, 6) == ("web", Range(1, 2, 1, 5))
    assert native.component_at(a, 0, 1) is None
    assert native.reference_at(a, 3, 18) == ("api", Range(3, 17, 3, 20), Range(4, 2, 4, 5))
    assert native.reference_at(a, 1, 3) is None  # on the service itself


def test_hosts_inside_addresses_are_references():
    a = _native_analysis()
    text = a.text + "x:\n  URL: postgres://api:5432/app\n  ADDR: api.shop.svc.cluster.local\n"
    b = Analysis(a.path, text, a.config, a.format, a.loaded)
    line = text.split("\n").index("  URL: postgres://api:5432/app")
    assert native.reference_at(b, line, 20) == ("api", Range(line, 18, line, 21), Range(4, 2, 4, 5))
    assert native.reference_at(b, line + 1, 9) == ("api", Range(line + 1, 8, line + 1, 11), Range(4, 2, 4, 5))
    assert [(s.name, s.range, s.selection) for s in outline.symbols(a)] == [
        ("web", Range(1, 2, 3, 23), Range(1, 2, 1, 5)),
        ("api", Range(4, 2, 5, 14), Range(4, 2, 4, 5)),
    ]


def test_terraform_style_addresses_resolve_to_their_resource():
    text = 'resource "aws_db_instance" "main" {}\nx = aws_db_instance.main.endpoint\n'
    smap = SourceMap()
    smap.add(("resource", "aws_db_instance", "main"), Range(0, 0, 0, 8), Range(0, 34, 0, 36))
    model = Architecture(name="t", components={"main-db": Component(type="database")})
    # As the Terraform loader does: the origin names the resource address and where its block starts.
    model.components["main-db"]._origin = types.SimpleNamespace(
        file="/tmp/main.tf", range=Range(0, 0, 0, 8), kind="resource", detail="aws_db_instance.main"
    )
    loaded = Loaded(
        "terraform", model, smap, aliases={("components", "main-db"): ("resource", "aws_db_instance", "main")}
    )
    a = Analysis("/tmp/main.tf", text, Config(), "terraform", loaded)
    assert native.reference_at(a, 1, 10) == ("main-db", Range(1, 4, 1, 24), Range(0, 0, 0, 8))
    found = __import__("archls.intel.hover", fromlist=["native"]).native(a, 0, 3)
    assert found is not None and found.markdown.startswith("### main-db\n\n`database`")
