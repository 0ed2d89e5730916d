"""Hostile names and text: nothing lands outside the output folder and nothing becomes code.

The architecture in ``fixtures/export/hostile.arch.yaml`` names components with ``../``, slashes,
shell, template syntax, markup, YAML document markers, newlines and 300 characters. Its exports
also go through every real validator in ``test_export_validate.py``; here we check the properties
no validator checks: containment, identifiers, and that injected text stays text.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import tokenize
import urllib.parse
from pathlib import Path

import hcl2
import pytest
import yaml

from archls import export
from archls.export.writer import UnsafePath, write_tree
from tests.export_support import FIXTURES, exported, run, tool

HOSTILE = FIXTURES / "hostile.arch.yaml"
DNS_1123 = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
HCL_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
#: What the payloads would produce or reveal if any of them ran.
EVALUATED = ("49MARK", "root:x:0:0")


@pytest.fixture(scope="module")
def files() -> dict[str, str]:
    return exported(HOSTILE)


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> tuple[Path, list[Path]]:
    base = tmp_path_factory.mktemp("hostile")
    out = base / "out"
    model, graph = export.load(HOSTILE)
    paths = export.export(model, "all", out, graph)
    return out, paths


def test_every_file_is_inside_the_output_folder(written):
    out, paths = written
    root = out.resolve()
    on_disk = []
    for folder, dirs, names in os.walk(out, followlinks=False):
        for name in dirs + names:
            path = Path(folder) / name
            assert not path.is_symlink(), path
            assert path.resolve().is_relative_to(root), path
            if path.is_file():
                on_disk.append(path)
    assert sorted(on_disk) == sorted(paths)
    assert sorted(p.name for p in out.parent.iterdir()) == ["out"]  # nothing beside it, no ../etc


def test_no_payload_ran_and_no_template_was_evaluated(files, written):
    out, _ = written
    for rel, text in files.items():
        for marker in EVALUATED:
            assert marker not in text, f"{rel} holds {marker!r}"
    assert not Path("PWNED").exists() and not (out / "PWNED").exists()


def test_kubernetes_names_are_dns_labels_and_text_stays_data(files):
    kinds = set()
    for rel, text in files.items():
        if not rel.startswith("kubernetes/") or rel.endswith("kustomization.yaml"):
            continue
        for doc in yaml.safe_load_all(text):
            kinds.add(doc["kind"])
            name = doc["metadata"]["name"]
            assert DNS_1123.fullmatch(name), name
            assert len(name) <= (253 if doc["kind"] == "ConfigMap" else 63), name
            description = doc["metadata"].get("annotations", {}).get("archls.dev/description")
            if description is not None and doc["metadata"]["name"] == "etc-evil":
                model, _ = export.load(HOSTILE)
                assert description == model.components["../../etc/evil"].description
    assert "Secret" not in kinds  # the description's "---\nkind: Secret" stayed inside its string


def test_terraform_identifiers_and_no_interpolation_of_user_text(files):
    for rel, text in files.items():
        if not rel.endswith(".tf"):
            continue
        doc = hcl2.loads(text)
        for block in doc.get("resource", []):
            for kind, named in block.items():
                for name in named:
                    assert HCL_IDENT.fullmatch(name), f"{rel}: {kind}.{name}"
        code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
        assert not re.search(r"(?<!\$)\$\{file\(", code), rel
        assert not re.search(r"(?<!%)%\{ if", code), rel


def test_aws_names_fit_their_services_limits(files):
    doc = hcl2.loads(files["terraform-aws/messaging.tf"])
    brokers = [body for block in doc.get("resource", []) for body in block.get("aws_mq_broker", {}).values()]
    assert brokers and all(re.fullmatch(r"[A-Za-z0-9_-]{1,50}", b["broker_name"]) for b in brokers)


def test_compose_keeps_dollar_signs_as_text(files, tmp_path: Path):
    compose = tmp_path / "compose.yaml"
    compose.write_text(files["compose/compose.yaml"])
    docker_compose = tool("docker-compose")
    if docker_compose is None:
        pytest.skip("docker-compose is not installed")
    done = run([docker_compose, "-f", str(compose), "config"])
    assert done.returncode == 0, done.stderr
    resolved = yaml.safe_load(done.stdout)
    model, _ = export.load(HOSTILE)
    evil = resolved["services"]["etc-evil"]
    # `config` prints $ as $$ again so its output stays loadable; the text itself was not interpolated.
    label = evil["labels"]["dev.archls.description"].replace("$$", "$")
    assert label == model.components["../../etc/evil"].description
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", name) for name in resolved["services"])


def test_ci_commands_and_expressions_hold_only_archls_names(files):
    workflow = yaml.safe_load(files["github-actions/.github/workflows/ci.yml"])
    expressions = set(re.findall(r"\$\{\{(.*?)\}\}", files["github-actions/.github/workflows/ci.yml"]))
    allowed = {" github.ref ", " vars.AWS_DEPLOY_ROLE_ARN ", " steps.ecr.outputs.registry || 'local' ",
               " github.sha ", " github.ref == 'refs/heads/main' && github.event_name == 'push' "}  # fmt: skip
    assert expressions <= allowed
    runs = [s.get("run", "") for job in workflow["jobs"].values() for s in job["steps"]]
    gitlab = yaml.safe_load(files["gitlab-ci/.gitlab-ci.yml"])
    runs += [line for job in gitlab.values() if isinstance(job, dict) for line in job.get("script", [])]
    for line in runs:
        assert "PWNED" not in line and "`" not in line and "$(" not in line, line
    for rel, text in files.items():
        if rel.endswith("Dockerfile"):
            assert "PWNED" not in text, rel


def _outside_strings_and_comments(source: str, needle: str) -> list[str]:
    found = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if needle in token.string and token.type not in (tokenize.STRING, tokenize.COMMENT):
            found.append(token.string)
    return found


def test_python_holds_user_text_only_in_strings_and_comments(files):
    for rel, text in files.items():
        if rel.endswith(".py"):
            assert not _outside_strings_and_comments(text, "PWNED"), rel
            compile(text, rel, "exec")


def test_javascript_holds_user_text_only_in_comments_and_json_strings(files):
    for rel, text in files.items():
        if not rel.endswith(".js"):
            continue
        for line in text.splitlines():
            if "PWNED" not in line and "script>" not in line:
                continue
            if line.lstrip().startswith("//"):
                continue
            for literal in re.findall(r'"(?:[^"\\]|\\.)*"', line):
                json.loads(literal)
            stripped = re.sub(r'"(?:[^"\\]|\\.)*"', '""', line)
            assert "PWNED" not in stripped and "script>" not in stripped, f"{rel}: {line}"


def test_markup_is_escaped(files):
    for rel, text in files.items():
        if rel.endswith((".svg", ".md")):
            # Markdown code spans show their text as written; anywhere else markup must be escaped.
            text = re.sub(r"`[^`\n]*`", "", text) if rel.endswith(".md") else text
            assert "<script" not in text.lower(), rel


def test_go_templates_carry_no_user_actions(files):
    alerts = yaml.safe_load(files["prometheus/alerts.yaml"])
    for group in alerts["groups"]:
        for rule in group["rules"]:
            for value in rule.get("annotations", {}).values():
                for action in re.findall(r"\{\{(.*?)\}\}", value):
                    assert action == ' "{{" ' or "$value" in action, action


def test_names_are_unique_after_sanitising(files):
    k8s = [rel for rel in files if rel.startswith("kubernetes/") and rel.count("/") == 1]
    assert len(k8s) == len(set(k8s))
    assert "kubernetes/trips-04f4dd.yaml" in files or any(
        re.fullmatch(r"kubernetes/trips-[0-9a-f]{6}\.yaml", r) for r in k8s
    )
    long = [rel for rel in k8s if rel.startswith("kubernetes/xxxx")]
    assert long and all(len(Path(rel).stem) <= 63 for rel in long)


# --- the writer on its own -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["../x", "/etc/x", "a/../../x", "a//b", "./x", "a\\b", "", "a/\x00b", "x" * 300])
def test_writer_refuses_paths_that_are_not_plain(tmp_path: Path, name: str):
    with pytest.raises(UnsafePath):
        write_tree(tmp_path / "out", {name: "x"})
    assert not (tmp_path / "x").exists()


def test_writer_does_not_follow_a_symlinked_folder(tmp_path: Path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "sub").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(UnsafePath):
        write_tree(out, {"sub/file.txt": "x"})
    assert list(elsewhere.iterdir()) == []


def test_writer_does_not_write_through_a_symlinked_file(tmp_path: Path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    out = tmp_path / "out"
    out.mkdir()
    (out / "file.txt").symlink_to(victim)
    with pytest.raises(UnsafePath):
        write_tree(out, {"file.txt": "overwritten"})
    assert victim.read_text() == "keep"


def test_writer_refuses_a_symlink_as_the_output_folder(tmp_path: Path):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real, target_is_directory=True)
    with pytest.raises(UnsafePath):
        write_tree(tmp_path / "link", {"a.txt": "x"})


def test_cli_export_of_the_hostile_file_stays_in_its_folder(tmp_path: Path):
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "archls", "export", "all", str(HOSTILE), "-o", str(out)],
        capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_health_paths_reach_the_compose_probes_only_as_arguments(files):
    model, _ = export.load(HOSTILE)
    services = yaml.safe_load(files["compose/compose.yaml"])["services"]
    for cid, name in (("../../etc/evil", "etc-evil"), ("a/b; rm -rf /", "a-b-rm-rf")):
        test = services[name]["healthcheck"]["test"]
        assert test[0] == "CMD" and "PWNED" not in " ".join(test[:-1])  # no shell, a fixed program
        path = model.components[cid].health_check.path
        # The path as a request line carries it: percent-encoded, the same text once decoded.
        url = test[-1].replace("$$", "$")
        assert url.startswith("http://127.0.0.1:8080/") and " " not in url and '"' not in url
        assert urllib.parse.unquote(url.removeprefix("http://127.0.0.1:8080")) == path
