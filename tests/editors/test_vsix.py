"""The packaged extension holds what a user needs: its manifest, the compiled client, the language
client library, and a server that runs from the .vsix alone."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
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
    for module in ("commands", "launch", "resolve", "selector", "settings"):
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
    assert (bundle["target"], bundle["platform"], bundle["machine"]) == ("linux-x64", "linux", "x86_64")
    assert bundle["pythons"] == {"3.11": "cp311", "3.12": "cp312", "3.13": "cp313"}
    assert _json(vsix, "extension/package.json").get("__metadata", {}).get("targetPlatform", "linux-x64") == "linux-x64"
    assert 'TargetPlatform="linux-x64"' in vsix.read("extension.vsixmanifest").decode()
    project = tomllib.loads((support.ROOT / "pyproject.toml").read_text("utf-8"))
    for python, wheels in bundle["wheels"].items():
        names = {re.split(r"-\d", w, maxsplit=1)[0].lower().replace("_", "-") for w in wheels}
        for requirement in project["project"]["dependencies"]:
            name = re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")
            assert name in names, f"{name} is not bundled for CPython {python}"
    names = set(vsix.namelist())
    assert {"extension/server/app/archls/__init__.py", "extension/server/launch.py"} <= names
    # Data files (catalog, templates) must reach the wheel through package-data, or the bundled server lacks them.
    package = support.ROOT / "archls"
    data = [
        p.relative_to(support.ROOT).as_posix()
        for p in package.rglob("*")
        if p.is_file() and p.suffix not in {".py", ".pyc"} and "__pycache__" not in p.parts
    ]
    missing = [d for d in data if f"extension/server/app/{d}" not in names]
    assert not missing, f"not in the bundled server (declare them as package-data in pyproject.toml): {missing}"
    # Bytecode ships for the building Python (3.11), so a first start on it compiles nothing.
    assert "extension/server/app/archls/server/__pycache__/app.cpython-311.pyc" in names
    assert "extension/server/lib/lsprotocol/__pycache__/types.cpython-311.pyc" in names
    # Each CPython version has its own compiled parts; the shared folder has none.
    for tag in ("311", "312", "313"):
        for pattern in (r"pydantic_core/_pydantic_core", r"yaml/_yaml"):
            found = [
                n
                for n in names
                if re.match(rf"extension/server/cp{tag}/{pattern}\.cpython-{tag}-x86_64-linux-gnu\.so$", n)
            ]
            assert found, (tag, pattern)
    assert not [n for n in names if n.startswith("extension/server/lib/") and n.endswith((".so", ".pyd"))]


def _run(python: str, server: Path, *args: str, cwd: str | None = None) -> subprocess.CompletedProcess[str]:
    # As the extension runs it: isolated (-I), so nothing of the user's environment shadows the bundle.
    env = {"PATH": "/usr/bin:/bin", "HOME": str(server.parent)}
    command = [python, "-I", str(server / "launch.py"), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, cwd=cwd)


@pytest.mark.skipif(not Path("/usr/bin/python3.11").exists(), reason="needs Debian's python3.11")
def test_bundled_server_runs_from_the_unpacked_vsix(vsix: zipfile.ZipFile, tmp_path: Path) -> None:
    vsix.extractall(tmp_path)
    server = tmp_path / "extension" / "server"
    version = _run("/usr/bin/python3.11", server, "--version")
    assert version.stdout.strip() == f"archls {archls.__version__}", version.stderr
    said = json.loads(version.stderr.splitlines()[0])
    assert (said["archls"], said["source"], said["folder"]) == ("starting", "bundle", "cp311")
    checked = _run(
        "/usr/bin/python3.11",
        server,
        "check",
        str(support.WORKSPACE / support.ARCH_FILE),
        "--format",
        "json",
        cwd=os.getcwd(),
    )
    found = {(f["rule"], f["line"]) for f in json.loads(checked.stdout)}
    assert {("ARCH004", 8), ("QUAL003", 14)} <= found, checked.stderr


def test_launcher_refuses_a_python_it_has_no_parts_for_before_importing(vsix: zipfile.ZipFile, tmp_path: Path) -> None:
    """The extension learns from one short process that it must try another interpreter."""
    vsix.extractall(tmp_path)
    server = tmp_path / "extension" / "server"
    manifest = json.loads((server / "manifest.json").read_text("utf-8"))
    (server / "manifest.json").write_text(json.dumps({**manifest, "pythons": {"3.99": "cp399"}}), encoding="utf-8")
    refused = _run(sys.executable, server, "serve")
    assert refused.returncode == 3 and refused.stdout == ""
    said = json.loads(refused.stderr)
    assert said["archls"] == "unsupported"
    assert f"no compiled parts for Python {sys.version_info.major}.{sys.version_info.minor}" in said["reason"]
    assert said["pythons"] == ["3.99"]


BUNDLER = support.ROOT / "editors" / "vscode" / "scripts" / "bundle_server.py"


def test_bundle_for_a_foreign_target_carries_its_wheels_per_python(tmp_path: Path) -> None:
    """The Windows package's server, built offline from the wheel cache `make vsix` fills: every
    compiled part is the registry's win_amd64 build for its own CPython, in that version's folder."""
    out = tmp_path / "server"
    built = subprocess.run(
        [sys.executable, str(BUNDLER), str(support.ROOT), str(out), "--target", "win32-x64", "--offline"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if "no cached wheels" in built.stderr:
        pytest.skip("no cached win32-x64 wheels: `make vsix` fetches them (`make test` does first)")
    assert built.returncode == 0, built.stderr
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert (manifest["target"], manifest["platform"], manifest["machine"]) == ("win32-x64", "win32", "x86_64")
    common = set(manifest["common"])
    assert all(w.endswith("-none-any.whl") for w in common)
    for python, folder in manifest["pythons"].items():
        tag = python.replace(".", "")
        compiled = [w for w in manifest["wheels"][python] if w not in common]
        assert {re.split(r"-\d", w, maxsplit=1)[0].lower() for w in compiled} >= {"pydantic_core", "pyyaml"}
        for wheel in compiled:
            _py, abi, plat = wheel[: -len(".whl")].split("-")[-3:]
            assert plat == "win_amd64" or plat == "any", wheel
            assert abi in (f"cp{tag}", "abi3", "none"), wheel
        binaries = sorted(p.name for p in (out / folder).rglob("*.pyd"))
        assert binaries and all(f".cp{tag}-win_amd64.pyd" in b for b in binaries), binaries
        assert not list((out / folder).rglob("*.so"))
    assert (out / "app" / "archls" / "__init__.py").is_file() and (out / "launch.py").is_file()
    assert not list((out / "lib").rglob("*.pyd")) and not list((out / "lib").rglob("*.so"))


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


#: What a target's compiled wheels may be tagged with (pip widens macOS tags to older releases itself).
PLATFORM_TAGS = {
    "linux-x64": r"(many|musl)?linux[_0-9]*_x86_64",
    "linux-arm64": r"(many|musl)?linux[_0-9]*_aarch64",
    "darwin-x64": r"macosx_\d+_\d+_(x86_64|universal2|intel)",
    "darwin-arm64": r"macosx_\d+_\d+_(arm64|universal2)",
    "win32-x64": r"win_amd64",
}


def test_every_target_resolves_compiled_wheels_for_its_platform_and_each_python() -> None:
    """Every platform package's wheels, as the bundler resolves them from the cache `make vsix` fills:
    for each CPython version a build of each compiled dependency for that platform and version."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bundle_server", BUNDLER)
    assert spec and spec.loader
    bundler = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bundle_server", bundler)  # its dataclasses look their module up there
    spec.loader.exec_module(bundler)
    assert set(bundler.TARGETS) == set(PLATFORM_TAGS)
    cache = Path.home() / ".cache" / "archls" / "wheels"
    requirements = bundler.dependencies(support.ROOT)
    for target, pattern in PLATFORM_TAGS.items():
        try:
            resolved = bundler.resolve(requirements, target, cache, True)
        except SystemExit as error:
            pytest.skip(f"{error}: `make vsix` fetches every target's wheels")
        assert set(resolved) == set(bundler.PYTHONS)
        compiled: dict[str, set[str]] = {}
        for python, wheels in resolved.items():
            tag = "cp" + python.replace(".", "")
            for wheel in (w.name for w in wheels if not bundler.pure(w.name)):
                _py, abi, plat = bundler.wheel_tags(wheel)
                assert abi in (tag, "abi3"), (target, python, wheel)
                assert all(re.fullmatch(pattern, p) for p in plat.split(".")), (target, wheel)
                compiled.setdefault(python, set()).add(bundler.project_name(wheel))
        # The same compiled dependencies for every version: none fell back to a source build.
        assert len({frozenset(c) for c in compiled.values()}) == 1, (target, compiled)
        assert {"pydantic-core", "pyyaml"} <= compiled["3.13"], (target, compiled)
