"""The export machinery: names, quoting, the sandbox, determinism and the CLI."""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from jinja2.exceptions import SecurityError

from archls import export
from archls.cli import main
from archls.export import quoting
from archls.export.naming import Namer, dns_label, pascal, snake
from archls.export.templating import UnquotedValue, render_string
from tests.export_support import FIXTURES, ROOT

SHOP = FIXTURES / "shop.arch.yaml"
NASTY = ["../../etc/passwd", "a/b", "$(rm -rf /)", "`id`", "{{ 7*7 }}", "<b>x</b>", "x" * 300, "", "---", "9lives",
         "Zürich café", "end", "class", "\n", "🙂"]  # fmt: skip


@pytest.mark.parametrize("text", NASTY)
def test_names_fit_each_alphabet(text: str):
    dns = dns_label(text)
    assert re.fullmatch(r"[a-z]([-a-z0-9]*[a-z0-9])?", dns) and len(dns) <= 63
    ident = snake(text)
    assert re.fullmatch(r"[a-z][a-z0-9_]*", ident) and len(ident) <= 65
    assert ident.isidentifier()
    assert re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", pascal(text))


def test_namer_gives_colliding_ids_distinct_names_whatever_the_order():
    first = Namer(["Trips", "trips", "a/b", "a-b", "x" * 300, "x" * 299 + "y"])
    second = Namer(["x" * 299 + "y", "a-b", "trips", "x" * 300, "a/b", "Trips"])
    names = {i: first.name("dns", i) for i in first.ids}
    assert len(set(names.values())) == len(names)
    assert names == {i: second.name("dns", i) for i in second.ids}
    assert Namer(["payments"]).name("dns", "payments") == "payments"


def test_quoting_keeps_text_literal():
    assert quoting.hcl_str('${file("/etc/passwd")} %{ if x }') == '"$${file(\\"/etc/passwd\\")} %%{ if x }"'
    assert quoting.one_line("a\nb\r\n\tc\x00d") == "a b c d"
    assert quoting.comment("x */ y --> z") == "x * / y - -> z"
    assert "<" not in quoting.json_str("</script>")
    assert quoting.go_template_literal("{{ .Values }}") == '{{ "{{" }} .Values }}'
    assert quoting.compose_literal("$HOME") == "$$HOME"
    assert quoting.md("<b>|x|</b>") == "&lt;b&gt;\\|x\\|&lt;/b&gt;"


def test_text_templates_refuse_unquoted_values():
    with pytest.raises(UnquotedValue):
        render_string("name = {{ name }}", name="$(rm -rf /)")
    assert render_string("name = {{ name|hcl_str }}", name="x") == 'name = "x"'


def test_templates_run_sandboxed():
    with pytest.raises(SecurityError):
        render_string("{{ ''.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(SecurityError):
        render_string("{{ items.append(1) }}", items=[])


def test_markup_templates_escape():
    out = render_string("<t>{{ v }}</t>", markup=True, v="</t><script>alert(1)</script>")
    assert "<script>" not in out and "&lt;script&gt;" in out


def test_at_least_25_targets_each_with_a_kind_and_description():
    targets = export.all_targets()
    assert len(targets) >= 25
    assert len({t.name for t in targets}) == len(targets)
    assert all(t.title and t.description and t.kind for t in targets)


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_the_same_input_gives_the_same_bytes(tmp_path: Path):
    for n in (1, 2):
        code = subprocess.run(
            [sys.executable, "-m", "archls", "export", "all", str(SHOP), "-o", str(tmp_path / f"run{n}")],
            capture_output=True, text=True, timeout=120, check=False,
            env={"PYTHONHASHSEED": str(n), "PATH": "/usr/bin:/bin"},
        )  # fmt: skip
        assert code.returncode == 0, code.stderr
    assert _digest(tmp_path / "run1") == _digest(tmp_path / "run2")


def test_cli_lists_targets(capsys):
    assert main(["export", "--list", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {"name", "title", "kind", "description"} <= set(listed[0])
    assert main(["export", "--list"]) == 0
    assert "terraform-aws" in capsys.readouterr().out


def test_cli_exports_one_target_into_the_folder(tmp_path: Path, capsys):
    assert main(["export", "kubernetes", str(SHOP), "-o", str(tmp_path / "k8s")]) == 0
    assert "wrote" in capsys.readouterr().out
    assert (tmp_path / "k8s" / "api.yaml").exists() and (tmp_path / "k8s" / "kustomization.yaml").exists()


def test_cli_default_output_is_beside_the_file(tmp_path: Path):
    source = tmp_path / "shop.arch.yaml"
    source.write_text(SHOP.read_text())
    assert main(["export", "compose", str(source)]) == 0
    assert (tmp_path / "shop-export" / "compose.yaml").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["export", "nope", str(SHOP), "-o", "x"], "no export target 'nope'"),
        (["export", "compose"], "usage"),
        (["export", "compose", "/nonexistent/a.arch.yaml", "-o", "x"], "cannot read"),
    ],
)
def test_cli_refuses_with_exit_2(argv: list[str], message: str, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_cli_refuses_a_file_with_loader_errors(tmp_path: Path, capsys):
    bad = tmp_path / "bad.arch.yaml"
    bad.write_text("name: x\ncomponents:\n  api: {type: servise}\n  db: {type: database\n")
    assert main(["export", "all", str(bad), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "cannot export a file with loading errors" in err and "line " in err
    assert not (tmp_path / "out").exists()


def test_security_groups_open_only_the_connections():
    files = export.render(export.load(SHOP)[0], "terraform-aws")
    rules = re.findall(r'description\s+= "([a-z0-9-]+) to ([a-z0-9-]+) on (\d+)"', files["security_groups.tf"])
    pairs = {(a, b, int(p)) for a, b, p in rules}
    assert ("orders", "db", 5432) in pairs and ("worker", "db", 5432) in pairs
    assert ("api", "cache", 6379) in pairs and ("api", "orders", 8080) in pairs
    assert ("worker", "bus", 9098) in pairs  # the consumer connects to MSK's IAM port
    assert ("api", "db", 5432) not in pairs  # api never talks to the database
    assert "0.0.0.0/0" not in files["security_groups.tf"].split('aws_security_group" "api"')[1].split("resource")[0]


def test_multi_az_follows_the_availability_target():
    model = export.load(SHOP)[0]
    high = export.render(model, "terraform-aws")["data_stores.tf"]
    assert "multi_az                              = true" in high
    low_model = model.model_copy(deep=True)
    low_model.requirements.availability = 99.0
    low = export.render(low_model, "terraform-aws")["data_stores.tf"]
    assert "multi_az                              = false" in low
    assert (
        "storage_encrypted                     = true" in low and "publicly_accessible                   = false" in low
    )


def test_network_policies_follow_the_connections():
    import yaml

    docs = list(yaml.safe_load_all(export.render(export.load(SHOP)[0], "kubernetes")["network-policies.yaml"]))
    by_name = {d["metadata"]["name"]: d for d in docs}
    assert by_name["default-deny"]["spec"]["podSelector"] == {}
    db_from = [f["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
               for rule in by_name["db"]["spec"]["ingress"] for f in rule["from"] if "podSelector" in f]  # fmt: skip
    assert sorted(db_from) == ["orders", "worker"]
    # Besides its callers, only Prometheus (namespace monitoring) may reach it, on the exporter's port.
    namespaces = [(f["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"], rule["ports"])
                  for rule in by_name["db"]["spec"]["ingress"] for f in rule["from"] if "namespaceSelector" in f]  # fmt: skip
    assert namespaces == [("monitoring", [{"protocol": "TCP", "port": 9187}])]


def test_examples_folder_is_exported(tmp_path: Path):
    for example in sorted((ROOT / "examples").glob("*.arch.yaml")):
        assert main(["export", "all", str(example), "-o", str(tmp_path / example.stem)]) == 0


def test_a_chain_longer_than_the_recursion_limit_is_laid_out():
    from archls.export.context import build
    from archls.model import Architecture

    n = sys.getrecursionlimit() + 200
    ids = [f"s{i:05d}" for i in range(n)]
    model = Architecture.model_validate(
        {
            "archls": 1,
            "name": "chain",
            "components": {i: {"type": "service"} for i in ids},
            "connections": [{"from": a, "to": b} for a, b in itertools.pairwise(ids)],
        }
    )
    from archls.preview import scene

    drawn = scene.of_model(build(model).model)
    assert [drawn.layout.layer[i] for i in ids] == list(range(n)) and len(drawn.layout.routes) == n - 1
    assert export.render(model, "svg")["architecture.svg"].startswith("<")


@pytest.mark.parametrize("command", ["export", "scaffold"])
def test_cli_refuses_a_file_that_is_not_utf8(tmp_path: Path, capsys, command: str):
    bad = tmp_path / "bad.arch.yaml"
    bad.write_bytes(SHOP.read_bytes().replace(b"name:", b"name: \xff", 1))
    argv = [command, "compose", str(bad)] if command == "export" else [command, str(bad)]
    assert main([*argv, "-o", str(tmp_path / "out")]) == 2
    assert "byte 0xff" in capsys.readouterr().err and not (tmp_path / "out").exists()


def test_the_cache_is_not_a_folder_others_can_write_to(tmp_path: Path, monkeypatch):
    from archls import __version__
    from archls.paths import cache_dir

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_dir("templates") == tmp_path / "archls" / f"templates-{__version__}"
    shared = tmp_path / "archls" / f"shared-{__version__}"
    shared.mkdir()
    shared.chmod(0o777)  # planted before archls ran: anyone could leave compiled templates there
    assert cache_dir("shared") is None


def test_cli_never_writes_over_the_file_it_exports(tmp_path: Path, capsys):
    source = tmp_path / "compose.yaml"
    text = "services:\n  api:\n    image: ghcr.io/acme/api:1.0\n    depends_on: [db]\n  db:\n    image: postgres:16\n"
    source.write_text(text)
    assert main(["export", "compose", str(source), "-o", str(tmp_path)]) == 2
    assert "the file being exported" in capsys.readouterr().err
    assert source.read_text() == text and sorted(p.name for p in tmp_path.iterdir()) == ["compose.yaml"]
    assert main(["export", "compose", str(source), "-o", str(tmp_path / "out")]) == 0


def test_prisma_models_never_take_a_name_prisma_reserves(tmp_path: Path):
    from archls.export.targets.prisma import RESERVED
    from archls.model import Architecture
    from tests.export_support import PRISMA, prisma_env, run

    names = ("strings", "big-ints", "date-times", "json", "prisma-clients")
    model = Architecture.model_validate(
        {
            "archls": 1,
            "name": "shop",
            "components": {f"{n}-db": {"type": "database", "technology": "postgresql", "data": ["pii"]} for n in names},
        }
    )
    schemas = {rel: text for rel, text in export.render(model, "prisma").items() if rel.endswith(".prisma")}
    models = {m for text in schemas.values() for m in re.findall(r"^model (\w+)", text, re.M)}
    assert {"StringRecord", "BigIntRecord", "DateTimeRecord", "JsonRecord", "PrismaClientRecord"} <= models
    assert not models & RESERVED
    if PRISMA.exists():
        for rel, text in schemas.items():
            path = tmp_path / rel
            path.parent.mkdir(parents=True)
            path.write_text(text)
            done = run([str(PRISMA), "validate", "--schema", str(path)], env=prisma_env(text))
            assert done.returncode == 0, f"{rel}: {done.stdout}{done.stderr}"


def test_gcp_service_accounts_are_6_to_30_characters():
    from archls.model import Architecture

    ids = ["a", "b1", "api", "x" * 300]
    model = Architecture.model_validate(
        {"archls": 1, "name": "shop", "components": {i: {"type": "service"} for i in ids}}
    )
    program = export.render(model, "pulumi-gcp")["__main__.py"]
    accounts = re.findall(r"account_id='([^']*)'", program)
    assert len(accounts) == len(ids) == len(set(accounts))
    assert all(re.fullmatch(r"[a-z][-a-z0-9]{4,28}[a-z0-9]", a) for a in accounts), accounts


def test_cli_export_asks_before_overwriting_edited_files(tmp_path: Path, capsys):
    out = tmp_path / "out"
    assert main(["export", "compose", str(SHOP), "-o", str(out)]) == 0
    assert main(["export", "compose", str(SHOP), "-o", str(out)]) == 0, "the same bytes again need no --force"
    edited = out / "compose.yaml"
    edited.write_text("# tuned by hand\n" + edited.read_text())
    capsys.readouterr()
    assert main(["export", "compose", str(SHOP), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "1 file in" in err and "compose.yaml" in err and "--force" in err and len(err.splitlines()) == 1
    assert edited.read_text().startswith("# tuned by hand")
    assert main(["export", "compose", str(SHOP), "-o", str(out), "--force"]) == 0
    assert not edited.read_text().startswith("# tuned by hand")
