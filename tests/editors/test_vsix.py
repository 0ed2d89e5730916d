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
from typing import Any

import pytest

import archls
from archls.server import answers
from tests.editors import support

VSIX = support.ROOT / "editors" / "vscode" / "archls.vsix"
CAPABILITIES = support.ROOT / "editors" / "vscode" / "scripts" / "vscode-client-capabilities.json"
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
    # The entry spawns the server before it loads the client library (client.js): see extension.ts.
    main = vsix.read("extension/out/extension.js").decode()
    assert "vscode-languageclient" not in main
    for module in ("commands", "launch", "resolve", "selector", "settings", "startup"):
        assert f"extension/out/{module}.js" in names
    # The client library is bundled into client.js (scripts/vsix.sh), which shares the entry's own
    # modules instead of carrying copies; no node_modules ship.
    client = vsix.read("extension/out/client.js").decode()
    assert "var BaseLanguageClient = class" in client and 'require("vscode-languageclient' not in client
    for shared in ("clock", "startup", "launch", "resolve", "folders", "selector"):
        assert f'require("./{shared}")' in client, shared
    assert not [n for n in names if n.startswith("extension/node_modules/")]
    lock = json.loads((Path(__file__).parents[2] / "editors" / "vscode" / "package-lock.json").read_text("utf-8"))
    assert lock["packages"]["node_modules/vscode-languageclient"]["version"] == "11.0.0"
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
    # And the code attrs generates for lsprotocol's types (archls/server/protocol_types.py).
    assert "extension/server/app/archls/server/__pycache__/lsprotocol-types.cpython-311.marshal" in names
    # And the code dataclasses and typing compile for the engine (archls/codecache.py).
    assert "extension/server/app/archls/__pycache__/code.cpython-311.marshal" in names
    # And the server's answer to VS Code's initialize, for its bundled sources (archls/server/early.py):
    # the first start after installing answers at once and audits before loading the protocol library.
    kept = vsix.read("extension/server/app/archls/server/__pycache__/initialize.json")
    [key] = json.loads(kept.partition(b"\n")[2])
    assert json.loads(key)[1:] == answers.client_key(json.loads(CAPABILITIES.read_text()), False)
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
    # As the extension runs it: isolated (-I), so nothing of the user's environment shadows the bundle,
    # and without site-packages (-S): the bundle needs none.
    env = {"PATH": "/usr/bin:/bin", "HOME": str(server.parent)}
    command = [python, "-I", "-S", str(server / "launch.py"), *args]
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
    server = tmp_path / "server"
    server.mkdir()
    manifest = _json(vsix, "extension/server/manifest.json")
    (server / "manifest.json").write_text(json.dumps({**manifest, "pythons": {"3.99": "cp399"}}), encoding="utf-8")
    (server / "launch.py").write_bytes(vsix.read("extension/server/launch.py"))
    refused = _run(sys.executable, server, "serve")
    assert refused.returncode == 3 and refused.stdout == ""
    said = json.loads(refused.stderr)
    assert said["archls"] == "unsupported"
    assert f"no compiled parts for Python {sys.version_info.major}.{sys.version_info.minor}" in said["reason"]
    assert said["pythons"] == ["3.99"]


BUNDLER = support.ROOT / "editors" / "vscode" / "scripts" / "bundle_server.py"


@pytest.fixture(scope="module")
def bundler() -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location("bundle_server", BUNDLER)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bundle_server", module)  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


CACHE = Path.home() / ".cache" / "archls" / "wheels"


def _resolve(bundler: Any, target: str) -> dict[str, list[Path]]:
    try:
        return bundler.resolve(bundler.dependencies(support.ROOT), target, CACHE, True)
    except SystemExit as error:
        pytest.skip(f"{error}: `make vsix` fetches every target's wheels (`make test` does first)")


def test_foreign_target_folders_hold_its_binaries_per_python(bundler: Any, tmp_path: Path) -> None:
    """The Windows package's per-version folders, unpacked as the bundler does from the registry's
    wheels: each holds only win_amd64 binaries for its own CPython."""
    resolved = _resolve(bundler, "win32-x64")
    common = set.intersection(*({w.name for w in ws if bundler.pure(w.name)} for ws in resolved.values()))
    for python, wheels in resolved.items():
        tag = python.replace(".", "")
        folder = tmp_path / f"cp{tag}"
        for wheel in wheels:
            if wheel.name not in common:
                bundler.unpack(wheel, folder)
        binaries = sorted(p.name for p in folder.rglob("*.pyd"))
        assert {"_pydantic_core", "_yaml"} <= {b.split(".")[0] for b in binaries}, binaries
        assert all(f".cp{tag}-win_amd64.pyd" in b for b in binaries), binaries
        assert not list(folder.rglob("*.so"))


#: What a target's compiled wheels may be tagged with (pip widens macOS tags to older releases itself).
PLATFORM_TAGS = {
    "linux-x64": r"(many|musl)?linux[_0-9]*_x86_64",
    "linux-arm64": r"(many|musl)?linux[_0-9]*_aarch64",
    "darwin-x64": r"macosx_\d+_\d+_(x86_64|universal2|intel)",
    "darwin-arm64": r"macosx_\d+_\d+_(arm64|universal2)",
    "win32-x64": r"win_amd64",
}


def test_every_target_resolves_compiled_wheels_for_its_platform_and_each_python(bundler: Any) -> None:
    """Every platform package's wheels, as the bundler resolves them from the cache `make vsix` fills:
    for each CPython version a build of each compiled dependency for that platform and version."""
    assert set(bundler.TARGETS) == set(PLATFORM_TAGS)
    for target, pattern in PLATFORM_TAGS.items():
        resolved = _resolve(bundler, target)
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
