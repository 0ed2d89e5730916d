"""The packaged extension holds what a user needs: its manifest, the compiled client, the language
client library, and a server that runs from the .vsix alone."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tomllib
import zipfile
from pathlib import Path

import pytest

import archls
from tests.editors import support

VSIX = support.ROOT / "editors" / "vscode" / "archls.vsix"
SERVER_KEYS = {
    "debounceMs",
    "select",
    "ignore",
    "severity",
    "region",
    "thresholds",
    "inlayHints",
    "codeLens",
    "diagnosticMode",
}


@pytest.fixture(scope="module")
def vsix() -> zipfile.ZipFile:
    if not VSIX.is_file():
        pytest.skip("no editors/vscode/archls.vsix: `make vsix` builds it (`make test` does first)")
    with zipfile.ZipFile(VSIX) as archive:
        yield archive


def _json(vsix: zipfile.ZipFile, name: str) -> dict:
    return json.loads(vsix.read(name))


def test_manifest_declares_engine_activation_commands_and_settings(vsix: zipfile.ZipFile) -> None:
    manifest = _json(vsix, "extension/package.json")
    assert manifest["engines"]["vscode"] == "^1.91.0"
    assert manifest["main"] == "./out/extension.js"
    assert {"onLanguage:yaml", "onLanguage:terraform", "onLanguage:dockercompose"} <= set(manifest["activationEvents"])
    titles = {f"{c['category']}: {c['title']}" for c in manifest["contributes"]["commands"]}
    assert titles >= {
        "archls: Export...",
        "archls: Export all...",
        "archls: Scaffold repository...",
        "archls: Restart server",
        "archls: Show output",
    }
    settings = manifest["contributes"]["configuration"]["properties"]
    for key in [*SERVER_KEYS, "path", "python"]:
        assert settings[f"archls.{key}"]["scope"] == "resource", key
    assert settings["archls.diagnosticMode"]["default"] == "push"
    assert "<Identity" in vsix.read("extension.vsixmanifest").decode()


def test_compiled_client_and_its_library_are_inside(vsix: zipfile.ZipFile) -> None:
    names = set(vsix.namelist())
    main = vsix.read("extension/out/extension.js").decode()
    assert 'require("vscode-languageclient/node")' in main
    for module in ("commands", "resolve", "selector", "settings"):
        assert f"extension/out/{module}.js" in names
    library = _json(vsix, "extension/node_modules/vscode-languageclient/package.json")
    assert library["version"] == "11.0.0"
    # Sources, tests, the e2e driver and dev tools stay out of the package.
    assert not [n for n in names if n.startswith(("extension/src/", "extension/out/test/", "extension/e2e/"))]
    assert not [
        n for n in names if n.startswith(("extension/node_modules/typescript/", "extension/node_modules/@vscode/vsce/"))
    ]
    assert not [n for n in names if n.startswith("extension/node_modules/playwright-core/")]


def test_bundled_server_holds_archls_and_every_dependency(vsix: zipfile.ZipFile) -> None:
    bundle = _json(vsix, "extension/server/manifest.json")
    assert bundle["archls"] == archls.__version__
    assert (bundle["implementation"], bundle["python"], bundle["platform"]) == ("cpython", "3.11", "linux")
    wheels = {re.split(r"-\d", w, maxsplit=1)[0].lower().replace("_", "-") for w in bundle["wheels"]}
    project = tomllib.loads((support.ROOT / "pyproject.toml").read_text("utf-8"))
    for requirement in project["project"]["dependencies"]:
        name = re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")
        assert name in wheels, f"{name} is not bundled"
    names = set(vsix.namelist())
    assert "extension/server/lib/archls/__init__.py" in names
    # Data files (catalog, templates) must reach the wheel through package-data, or the bundled server lacks them.
    package = support.ROOT / "archls"
    data = [
        p.relative_to(support.ROOT).as_posix()
        for p in package.rglob("*")
        if p.is_file() and p.suffix not in {".py", ".pyc"} and "__pycache__" not in p.parts
    ]
    missing = [d for d in data if f"extension/server/lib/{d}" not in names]
    assert not missing, f"not in the bundled server (declare them as package-data in pyproject.toml): {missing}"
    # Bytecode ships for the bundle's Python, so the first start compiles nothing.
    assert "extension/server/lib/archls/server/__pycache__/app.cpython-311.pyc" in names
    assert "extension/server/lib/lsprotocol/__pycache__/types.cpython-311.pyc" in names
    assert [n for n in names if re.match(r"extension/server/lib/pydantic_core/_pydantic_core\..*\.so$", n)]
    assert [n for n in names if re.match(r"extension/server/lib/yaml/_yaml\..*\.so$", n)]


@pytest.mark.skipif(not Path("/usr/bin/python3.11").exists(), reason="needs Debian's python3.11")
def test_bundled_server_runs_from_the_unpacked_vsix(vsix: zipfile.ZipFile, tmp_path: Path) -> None:
    vsix.extractall(tmp_path)
    lib = tmp_path / "extension" / "server" / "lib"
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(lib), "PYTHONNOUSERSITE": "1", "HOME": str(tmp_path)}
    version = subprocess.run(
        ["/usr/bin/python3.11", "-m", "archls", "--version"], env=env, capture_output=True, text=True, timeout=60
    )
    assert version.stdout.strip() == f"archls {archls.__version__}", version.stderr
    checked = subprocess.run(
        [
            "/usr/bin/python3.11",
            "-m",
            "archls",
            "check",
            str(support.WORKSPACE / support.ARCH_FILE),
            "--format",
            "json",
        ],
        env={**env, "PWD": os.getcwd()},
        capture_output=True,
        text=True,
        timeout=60,
    )
    found = {(f["rule"], f["line"]) for f in json.loads(checked.stdout)}
    assert {("ARCH004", 8), ("QUAL003", 14)} <= found, checked.stderr


def test_marketplace_page_schema_walkthrough_and_when_clauses(vsix: zipfile.ZipFile) -> None:
    from archls import schema

    names = set(vsix.namelist())
    manifest = _json(vsix, "extension/package.json")
    assert f"extension/{manifest['icon']}" in names
    assert vsix.read(f"extension/{manifest['icon']}").startswith(b"\x89PNG")
    assert "Apache License" in vsix.read("extension/LICENSE.txt").decode()
    assert "extension/changelog.md" in names
    # yaml-language-server gets the schema for architecture files from the package itself.
    (validation,) = manifest["contributes"]["yamlValidation"]
    assert "*.arch.yaml" in validation["fileMatch"]
    shipped = vsix.read("extension/" + validation["url"].removeprefix("./")).decode()
    assert shipped == schema.render_schema()
    # The walkthrough: open an example, see a finding, apply a fix, export; each step's page is inside.
    (walkthrough,) = manifest["contributes"]["walkthroughs"]
    assert [s["id"] for s in walkthrough["steps"]] == ["open", "finding", "fix", "export"]
    for step in walkthrough["steps"]:
        assert f"extension/{step['media']['markdown']}" in names, step["id"]
    example = vsix.read("extension/examples/example.arch.yaml").decode()
    assert example.startswith(f"# yaml-language-server: $schema={schema.SCHEMA_ID}")
    # Every command is offered in the palette only where it applies.
    palette = {m["command"]: m["when"] for m in manifest["contributes"]["menus"]["commandPalette"]}
    for command in manifest["contributes"]["commands"]:
        if command["command"] != "archls.client.openExample":
            assert "archls.active" in palette[command["command"]], command["command"]
