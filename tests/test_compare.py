"""`archls compare A B` as a user runs it: the same format or two different ones, text, JSON and HTML."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archls.cli import main

ROOT = Path(__file__).resolve().parents[1]
SHOP = ROOT / "examples" / "ecommerce.arch.yaml"
COMPOSE = ROOT / "tests" / "editors" / "workspace" / "docker-compose.yml"


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    text = SHOP.read_text("utf-8")
    text = text.replace(
        "  cart-cache:\n    type: cache\n    technology: redis\n",
        "  cart-cache:\n    type: cache\n    technology: redis\n    replicas: 2\n",
    )
    text = text.replace("  admin:\n", "  reviews:\n    type: service\n    technology: go\n  admin:\n", 1)
    text = text.replace("  - {from: cdn, to: images, protocol: s3}\n", "")
    text = text.replace(
        "  images:\n    type: object-storage\n    technology: s3\n    data: [public]\n    encryption_at_rest: true\n",
        "",
    )
    path = tmp_path_factory.mktemp("compare") / "shop-b.arch.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_text_marks_what_differs_and_which_side_is_better(changed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", str(SHOP), str(changed)]) == 0
    out = capsys.readouterr().out
    lines = {line[2:].split("  ")[0].strip(): line for line in out.splitlines() if line.startswith(("* ", "  "))}
    assert lines["single points of failure"].startswith("*") and lines["single points of failure"].endswith("B better")
    assert "cart-cache        none" in lines["single points of failure"]
    assert lines["cost per month"].endswith("A better")  # a second cache replica costs more
    assert not lines["p99 browse (budget 800 ms)"].startswith("*")
    assert "Components: 1 added, 1 removed, 1 changed" in out
    assert "  + reviews" in out and "  - images" in out and "  ~ cart-cache: replicas 1 -> 2" in out


def test_json_across_formats(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", str(SHOP), str(COMPOSE), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["a"]["format"] == "arch" and data["b"]["format"] == "compose"
    assert set(data["a"]) >= {"cost_monthly", "availability", "flows", "single_points_of_failure", "grade"}
    assert data["a"]["flows"]["browse"]["budget_ms"] == 800
    assert "shoppers" in data["components"]["removed"] and data["components"]["matched"]
    assert data["a"]["findings_by_severity"]["warning"] > 0


def test_html_writes_both_diagrams_with_changes_coloured(changed: Path, tmp_path: Path) -> None:
    out = tmp_path / "compare.html"
    assert main(["compare", str(SHOP), str(changed), "--format", "html", "-o", str(out)]) == 0
    html = out.read_text("utf-8")
    assert 'data-component-id="images" data-type="object-storage"' in html
    assert 'data-diff="removed"' in html and 'data-diff="added"' in html and 'data-diff="changed"' in html
    assert "<script" not in html


def test_refuses_to_write_over_a_compared_file(changed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", str(SHOP), str(changed), "-o", str(changed)]) == 2
    assert "refusing to write over" in capsys.readouterr().err


URL_SHORTENER = ROOT / "examples" / "url-shortener.arch.yaml"
WORKSPACE = ROOT / "tests" / "editors" / "workspace"


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Terraform folder archls's own export writes for the URL shortener."""
    folder = tmp_path_factory.mktemp("terraform")
    assert main(["export", "terraform-aws", str(URL_SHORTENER), "-o", str(folder)]) == 0
    return folder


def test_an_architecture_against_the_terraform_folder_that_implements_it(
    exported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["compare", str(URL_SHORTENER), str(exported), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["b"]["path"] == str(exported) and data["b"]["format"] == "terraform"
    matched = data["components"]["matched"]
    # the export writes ids the Terraform way (links_api): still the same components
    for cid in ("links-api", "id-generator", "click-collector", "analytics-worker", "links-cache", "links-db"):
        assert matched[cid] == cid.replace("-", "_")
        assert cid not in data["components"]["removed"]
    assert data["a"]["single_points_of_failure"] == ["id-generator"]
    assert data["b"]["single_points_of_failure"] == ["id_generator"]
    assert main(["compare", str(URL_SHORTENER), str(exported)]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if "single points of failure" in line)
    assert row.startswith("  ") and row.endswith("same components")  # not highlighted as a difference
    # nor is any file of the folder written over
    variables = exported / "variables.tf"
    before = variables.read_bytes()
    assert main(["compare", str(URL_SHORTENER), str(exported), "-o", str(variables)]) == 2
    assert "refusing to write over" in capsys.readouterr().err and variables.read_bytes() == before


def test_ids_written_the_way_of_each_format_are_one_id() -> None:
    from archls.compare import normalised

    written = [
        "links-api",
        "Links_API",
        "links.api",
        "aws_ecs_service.links_api",
        "module.app.aws_ecs_service.links_api",
    ]
    assert {normalised(cid) for cid in written} == {"linksapi"}
    assert normalised("aws_lb.main") != normalised("aws_lb.edge")


def test_single_points_of_failure_in_compose_and_kubernetes(capsys: pytest.CaptureFixture[str]) -> None:
    # one replica each, and each one's failure loses traffic at the entry points
    assert main(["compare", str(WORKSPACE / "docker-compose.yml"), str(WORKSPACE / "k8s"), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["a"]["single_points_of_failure"] == ["db", "web"]
    assert data["b"]["single_points_of_failure"] == ["web"]
    # profile-db serves no declared flow, but its one instance takes the profile service down with it
    from archls import compare
    from archls.commands.loadtest import load_file

    assert "profile-db" in compare.side(load_file(str(ROOT / "examples" / "ride-sharing.arch.yaml"))).single_points


def test_a_folder_that_is_not_one_architecture_says_what_to_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty").mkdir()
    assert main(["compare", str(URL_SHORTENER), str(tmp_path / "empty")]) == 2
    assert "holds no file archls reads" in capsys.readouterr().err
    two = tmp_path / "two"
    two.mkdir()
    for name in ("a.arch.yaml", "b.arch.yaml"):
        (two / name).write_text("name: x\ncomponents:\n  api: {type: service}\n", encoding="utf-8")
    assert main(["compare", str(URL_SHORTENER), str(two)]) == 2
    err = capsys.readouterr().err
    assert f"holds 2 separate architectures ({two / 'a.arch.yaml'}; {two / 'b.arch.yaml'}); name one of them" in err
