"""The spec library: every reference loads cleanly and meets its own criteria, no two references
share a component graph, each names the technologies its description implies, and the CLI and
exports work on them. One process audits all references (module-scoped)."""

from __future__ import annotations

import itertools
import json
import warnings
from pathlib import Path

import networkx as nx
import pytest

from archls import cli, engine, specs
from archls.findings import Severity

#: The library's promise; raise it as the library grows, never lower it.
AT_LEAST = 100
LOADER_ERRORS = {"ARCH001", "ARCH002", "ARCH003", "ARCH004", "ARCH005", "ARCH006", "ARCH007", "ARCH008", "ARCH009"}


@pytest.fixture(scope="module")
def audits() -> dict[str, engine.Analysis]:
    return {s.name: engine.analyse(s.reference_text, f"{s.name}.arch.yaml") for s in specs.all_specs()}


def test_the_library_is_large_and_described() -> None:
    library = specs.all_specs()
    assert len(library) >= AT_LEAST
    for spec in library:
        assert spec.title and spec.summary and spec.users and spec.scale and spec.hard_part, spec.name
        assert len(spec.nfrs) >= 3 and spec.tags and spec.technologies, spec.name


def test_every_reference_loads_and_meets_its_own_criteria(audits: dict[str, engine.Analysis]) -> None:
    problems = []
    for name, analysis in audits.items():
        model = analysis.model
        assert model is not None, name
        bad = [
            f"{f.code} {f.message}" for f in analysis.findings if f.code in LOADER_ERRORS or f.code.startswith("SPEC")
        ]
        if bad:
            problems.append(f"{name}: {bad}")
        kinds = {c.check for c in model.acceptance}
        if len(model.acceptance) < 5 or len(kinds) < 4:
            problems.append(f"{name}: only {len(model.acceptance)} criteria of {len(kinds)} kinds")
        if not model.flows or not model.requirements.availability or not model.requirements.budget_monthly:
            problems.append(f"{name}: flows, an availability target and a budget are part of every spec")
    assert not problems, "\n".join(problems)


def _labelled(model) -> nx.DiGraph:  # type: ignore[no-untyped-def]
    graph = nx.DiGraph()
    for cid, comp in model.components.items():
        graph.add_node(cid, label=f"{comp.type.value}:{str(comp.technology or '').lower()}")
    for conn in model.connections:
        graph.add_edge(conn.source, conn.target)
    return graph


def _edges(graph: nx.DiGraph) -> set[tuple[str, str]]:
    return {(graph.nodes[a]["label"], graph.nodes[b]["label"]) for a, b in graph.edges}


def test_no_two_references_share_a_component_graph() -> None:
    graphs = {s.name: _labelled(s.reference()) for s in specs.all_specs()}
    hashes: dict[str, str] = {}
    for name, graph in graphs.items():
        with warnings.catch_warnings():  # networkx 3.5 notes its directed hashes changed; ours compare to each other
            warnings.simplefilter("ignore", UserWarning)
            digest = nx.weisfeiler_lehman_graph_hash(graph, node_attr="label")
        assert digest not in hashes, f"{name} and {hashes.get(digest)} have the same component graph"
        hashes[digest] = name
    # Not clones with renamed ids either: most typed, technology-labelled calls differ.
    edges = {name: _edges(graph) for name, graph in graphs.items()}
    for (a, ea), (b, eb) in itertools.combinations(edges.items(), 2):
        overlap = len(ea & eb) / len(ea | eb)
        assert overlap < 0.6, f"{a} and {b} share {overlap:.0%} of their calls"


def test_each_reference_uses_the_technologies_its_description_implies() -> None:
    for spec in specs.all_specs():
        used = {str(c.technology or "").lower() for c in spec.reference().components.values()}
        text = f"{spec.summary} {spec.users} {spec.scale} {spec.hard_part}".lower()
        for tech in spec.technologies:
            assert tech.lower() in used, f"{spec.name}: the description implies {tech}, the reference lacks it"
            assert tech.lower() in text.replace(" ", "") or tech.lower() in text, (
                f"{spec.name}: {tech} is listed but the description never says why"
            )


def test_search_and_tags() -> None:
    assert specs.search("ride hailing")[0].name == "ride-hailing"
    assert specs.search("card payments ledger")[0].name == "payments"
    tagged = specs.search(tags=["payments"])
    assert tagged and all("payments" in s.tags for s in tagged)
    assert specs.tags()["interview-classic"] >= 5
    with pytest.raises(specs.SpecNotFound, match="did you mean url-shortener"):
        specs.get("url-shortner")


def test_cli_lists_shows_and_starts_from_a_spec(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["specs", "list"]) == 0
    out = capsys.readouterr().out
    assert f"{len(specs.names())} specs" in out and "ride-hailing" in out
    assert cli.main(["specs", "list", "--tag", "payments", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {"payments"} <= {s["name"] for s in listed} and all("payments" in s["tags"] for s in listed)
    assert cli.main(["specs", "list", "--tag", "nope"]) == 2
    assert "no spec has the tag 'nope'" in capsys.readouterr().err

    assert cli.main(["specs", "show", "ride-hailing"]) == 0
    shown = capsys.readouterr().out
    for part in ("The hard part:", "Non-functional requirements:", "Acceptance criteria", "Reference architecture:"):
        assert part in shown
    assert "survives the loss of any one zone" in shown and "flow request-ride:" in shown
    assert cli.main(["specs", "show", "rideshare"]) == 2

    target = tmp_path / "rides.arch.yaml"
    assert cli.main(["new", "--from-spec", "ride-hailing", "-o", str(target)]) == 0
    analysis = engine.analyse(target.read_text(encoding="utf-8"), str(target))
    assert len(analysis.model.acceptance) == len(specs.get("ride-hailing").criteria())
    assert not [f for f in analysis.findings if f.code.startswith("SPEC") or f.severity is Severity.ERROR]
    capsys.readouterr()
    assert cli.main(["new", "--from-spec", "ride-hailing", "-o", str(target)]) == 2
    assert "exists; pass --force" in capsys.readouterr().err
    assert cli.main(["new", "--from-spec", "ride-hailing", "-o", str(tmp_path / "rides.yaml")]) == 2


#: Exports of every reference take ~0.2 s each; a spread sample keeps the suite lean.
EXPORT_SAMPLE = specs.names()[:: max(1, len(specs.names()) // 4)]


def test_a_sample_of_references_exports_and_validates(tmp_path: Path) -> None:
    import yaml

    from archls import export
    from archls.graph import ArchGraph
    from tests.export_support import run, tool, write

    for name in EXPORT_SAMPLE:
        model = specs.get(name).reference()
        files = export.render(model, "all", ArchGraph(model))
        assert {k.split("/", 1)[0] for k in files} == {t.name for t in export.all_targets() if t.in_all}, name
        for rel, text in files.items():
            if rel.endswith((".yaml", ".yml")) and "templates/" not in rel:
                list(yaml.safe_load_all(text))  # every YAML file parses
    # The real validators on one of them: docker-compose and kubernetes-validate --strict.
    for name in EXPORT_SAMPLE[:1]:
        model = specs.get(name).reference()
        files = export.render(model, "all", ArchGraph(model))
        root = write(files, tmp_path / name)
        compose, validate = tool("docker-compose"), tool("kubernetes-validate")
        if compose:
            done = run([compose, "-f", str(root / "compose" / "compose.yaml"), "config", "-q"])
            assert done.returncode == 0, f"{name}: {done.stderr}"
        if validate:
            manifests = sorted(str(p) for p in (root / "kubernetes").glob("*.yaml") if p.name != "kustomization.yaml")
            done = run([validate, "--strict", "--quiet", *manifests])
            assert done.returncode == 0, f"{name}: {done.stdout}{done.stderr}"
