"""Bundle the archls server into the extension for one platform target.

``OUT`` (the extension's ``server`` folder) gets:

- ``app/``: archls itself, built into a wheel from the repository;
- ``lib/``: the dependencies that are one pure-Python wheel for every supported CPython;
- ``cp311/``, ``cp312/``, ``cp313/``: per CPython version, the dependencies with compiled parts
  (pydantic-core, PyYAML, MarkupSafe, regex...) and any pure one whose release differs by version;
- ``launch.py``: what the extension runs with the user's interpreter (``python -I -S launch.py serve``);
  it picks the folder for the running CPython without any probe process;
- ``manifest.json``: the target, its platform and machine, the folder per CPython version, and what a
  private environment installs for an interpreter the package has no folder for.

The dependencies are wheels from the package registry for the target's platform tags
(``pip download --only-binary=:all: --platform ... --python-version ... --implementation cp``), kept in
a cache outside the repository keyed by the dependency list, so a second build downloads nothing.
The ``universal`` target holds ``app/`` and ``lib/`` only: it runs from a private environment holding
the compiled parts, or with ``archls.path``.

Usage: python bundle_server.py PROJECT_ROOT OUT --target TARGET [--cache DIR] [--compile] [--offline]
       python bundle_server.py PROJECT_ROOT --fetch-only --target TARGET   (fill the cache only)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import py_compile
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

#: The CPython versions every platform package carries compiled parts for.
PYTHONS = ("3.11", "3.12", "3.13")


@dataclass(frozen=True)
class Target:
    platform: str  # sys.platform
    machine: str  # platform.machine(), normalised as launch.py does
    tags: tuple[str, ...]  # pip --platform values


TARGETS: dict[str, Target] = {
    # VS Code itself needs glibc 2.28 and macOS 10.15+, so wheels up to those baselines run wherever it does.
    # pip widens a macOS tag to the older releases and universal2 by itself, not a manylinux one.
    "linux-x64": Target("linux", "x86_64", ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64")),
    "linux-arm64": Target(
        "linux", "aarch64", ("manylinux_2_28_aarch64", "manylinux_2_17_aarch64", "manylinux2014_aarch64")
    ),
    "darwin-x64": Target("darwin", "x86_64", ("macosx_10_15_x86_64",)),
    "darwin-arm64": Target("darwin", "aarch64", ("macosx_11_0_arm64",)),
    "win32-x64": Target("win32", "x86_64", ("win_amd64",)),
}
#: Where the universal package takes its pure-Python parts from (every target resolves them alike).
UNIVERSAL_FROM = "linux-x64"


def log(message: str) -> None:
    print(f"bundle: {message}", flush=True)


def wheel_tags(name: str) -> tuple[str, str, str]:
    """(python, abi, platform) tags of a wheel file name."""
    parts = name[: -len(".whl")].split("-")
    return parts[-3], parts[-2], parts[-1]


def pure(name: str) -> bool:
    return wheel_tags(name)[1:] == ("none", "any")


def project_name(wheel: str) -> str:
    return re.sub(r"[-_.]+", "-", wheel.split("-")[0]).lower()


def wheel_version(wheel: str) -> str:
    return wheel.split("-")[1]


def unpack(wheel: Path, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.infolist():
            if not (dest / member.filename).resolve().is_relative_to(dest.resolve()):
                raise SystemExit(f"{wheel.name}: {member.filename} would land outside the bundle")
        archive.extractall(dest)
    # Files under NAME.data/purelib or platlib belong beside the packages; scripts and headers are not needed.
    for data in dest.glob("*.data"):
        for scheme in ("purelib", "platlib"):
            folder = data / scheme
            if folder.is_dir():
                for item in folder.iterdir():
                    shutil.move(str(item), dest / item.name)
        shutil.rmtree(data)


def dependencies(root: Path) -> list[str]:
    return list(tomllib.loads((root / "pyproject.toml").read_text("utf-8"))["project"]["dependencies"])


def build_archls(root: Path, dest: Path) -> Path:
    """archls's own wheel, from a clean copy of the sources: setuptools' build/ folder keeps files
    deleted from the tree and would put them in the wheel."""
    source = dest / "source"
    source.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (root / name).is_file():
            shutil.copy2(root / name, source / name)
    shutil.copytree(root / "archls", source / "archls", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    wheels = dest / "wheels"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(wheels), str(source)],
        capture_output=True,
        text=True,
    )
    if built.returncode != 0:  # pip's warnings are noise unless it failed
        sys.stderr.write(built.stdout + built.stderr)
        raise SystemExit(f"bundle: pip wheel failed with exit code {built.returncode}")
    return next(wheels.glob("archls-*.whl"))


def download(
    requirements: list[str], target: str, python: str, cache: Path, pins: list[str], offline: bool
) -> list[Path]:
    """The dependency wheels for one target and CPython version, from the cache or the registry.
    ``pins`` hold pure-Python packages to the versions resolved for the oldest Python, so the newer
    ones share them; when a pin does not fit a newer Python, that Python resolves on its own."""
    key = hashlib.sha256(json.dumps([requirements, TARGETS[target].tags, pins]).encode()).hexdigest()[:16]
    folder = cache / key / f"{target}-cp{python.replace('.', '')}"
    stamp = folder / ".complete"
    if not stamp.is_file():
        if offline:
            raise SystemExit(
                f"bundle: no cached wheels for {target} CPython {python} in {cache} (run without --offline)"
            )
        log(f"downloading wheels for {target}, CPython {python}")
        if folder.exists():
            shutil.rmtree(folder)
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check"]
        command += ["--only-binary=:all:", "--implementation", "cp", "--python-version", python]
        command += ["--abi", f"cp{python.replace('.', '')}", "--abi", "abi3", "--abi", "none"]
        for tag in TARGETS[target].tags:
            command += ["--platform", tag]
        command += ["--dest", str(folder), *requirements]
        # The machine's pip configuration may add constraints meant for its own interpreter only.
        env = {**os.environ, "PIP_CONSTRAINT": ""}
        done = subprocess.run(command, capture_output=True, text=True, env=env)
        if done.returncode == 0 and pins:
            constraints = folder / ".pins.txt"
            constraints.write_text("\n".join(pins) + "\n", encoding="utf-8")
            for wheel in folder.glob("*.whl"):
                wheel.unlink()
            pinned = subprocess.run(
                [*command, "--constraint", str(constraints)], capture_output=True, text=True, env=env
            )
            if pinned.returncode != 0:  # a pin does not fit this Python: resolve freely again
                done = subprocess.run(command, capture_output=True, text=True, env=env)
        if done.returncode != 0:
            sys.stderr.write(done.stdout + done.stderr)
            raise SystemExit(f"bundle: pip download for {target} CPython {python} failed")
        stamp.write_text("\n".join(sorted(p.name for p in folder.glob("*.whl"))) + "\n", encoding="utf-8")
    return sorted(folder.glob("*.whl"))


def resolve(requirements: list[str], target: str, cache: Path, offline: bool) -> dict[str, list[Path]]:
    """Wheels per CPython version; the pure ones pinned to what the oldest version resolved."""
    oldest = download(requirements, target, PYTHONS[0], cache, [], offline)
    pins = [f"{project_name(w.name)}=={wheel_version(w.name)}" for w in oldest if pure(w.name)]
    return {PYTHONS[0]: oldest, **{p: download(requirements, target, p, cache, pins, offline) for p in PYTHONS[1:]}}


#: Imports what a server start and a first audit of any format import (archls from the bundle, its dependencies
#: from the building interpreter, so that any target's bundle can be measured) and prints the modules.
STARTUP = """
import sys
sys.path.insert(0, sys.argv[1])
from archls import cli, engine
from archls.server.app import create_server
create_server()
engine.analyse("name: x\\ncomponents:\\n  a: {type: service}\\n", "x.arch.yaml")
from archls import formats
formats.formats()  # every reader, not only the one a first audit of an architecture file needs
for name, module in list(sys.modules.items()):
    if (getattr(module, "__file__", None) or "").endswith(".py"):
        print(name, int(hasattr(module, "__path__")))
print("archls.__main__ 0")  # what `launch.py serve` runs first (importing it here would run it)
"""


def precompile(out: Path) -> int:
    """Bytecode for the modules a start imports, for the building interpreter's version, checked by
    hash rather than by the sources' times (installing a .vsix does not keep them): the first start on
    that version then compiles nothing (about 5 s down to 2.5 s here). Other versions write their own
    bytecode on their first start; compiling all 4,600 modules would make the package much bigger and
    slower to pack."""
    found = subprocess.run(
        [sys.executable, "-c", STARTUP, str(out / "app")],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    if found.returncode != 0:
        sys.stderr.write(found.stderr)
        raise SystemExit(
            "bundle: the server does not start on this interpreter (run with one that has its dependencies)"
        )
    here = f"cp{sys.version_info.major}{sys.version_info.minor}"
    roots = [folder for folder in (out / "app", out / here, out / "lib") if folder.is_dir()]
    count = 0
    for line in found.stdout.splitlines():
        name, package = line.split()
        relative = (
            Path(*name.split(".")) / "__init__.py" if package == "1" else Path(*name.split(".")).with_suffix(".py")
        )
        for root in roots:
            if (root / relative).is_file():
                py_compile.compile(
                    str(root / relative), doraise=True, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
                )
                count += 1
    return count


def _fill(script: str, folders: list[Path], *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``script`` on this interpreter, isolated from its site-packages and writing no bytecode of
    its own, with ``args`` and then the bundle's ``folders`` (put first on its path) as its argv."""
    command = [sys.executable, "-I", "-B", "-c", script, *args, *(str(folder) for folder in folders)]
    return subprocess.run(command, capture_output=True, text=True)


#: Fills archls's cache of the code attrs generates for lsprotocol's types (archls/server/protocol_types.py)
#: and of the catalog's YAML data (archls/cachefile.py) inside the bundle: only pure-Python parts are
#: imported (PyYAML without its C part where that is another platform's), so any target's bundle can be
#: filled.
PROTOCOL_CACHE = """
import sys
sys.path[:0] = sys.argv[1:]
from archls.server import protocol_types
from archls.batch import prefetch
sys.dont_write_bytecode = False  # the caches are written only where bytecode would be
protocol_types.load()
prefetch.catalog_data()
print(protocol_types.cache_path())
"""


def protocol_cache(out: Path) -> Path | None:
    """The first start then compiles none of the ~570 types' generated methods (about half of the
    server's largest import). Code objects are the same on every platform for one Python version."""
    if not (out / "app" / "archls" / "server" / "protocol_types.py").is_file():
        return None
    here = out / f"cp{sys.version_info.major}{sys.version_info.minor}"  # PyYAML's pure part, for the catalog
    folders = [out / "app", out / "lib", *([here] if here.is_dir() else [])]
    done = _fill(PROTOCOL_CACHE, folders)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit("bundle: lsprotocol's types do not import from the bundle")
    return Path(done.stdout.strip())


#: Fills archls's cache of the code dataclasses, typing and re compile (archls/codecache.py) inside the
#: bundle: the engine imported and, as the server's early start does, the files named in argv[1] (a
#: JSON list) and a small file of each other format audited (each imports its reader on first use),
#: then the server made.
#: Needs the compiled parts of the building Python, so only a bundle for this platform.
CODE_CACHE = """
import json, sys, tempfile
from pathlib import Path
files = json.loads(sys.argv[1])
sys.path[:0] = sys.argv[2:]
sys.dont_write_bytecode = False
from archls import codecache
SAMPLES = {
    "docker-compose.yml": "services:\\n  web:\\n    image: nginx:1.25\\n    ports: ['80:80']\\n",
    "deployment.yaml": "apiVersion: apps/v1\\nkind: Deployment\\nmetadata:\\n  name: web\\nspec:\\n  template:\\n"
    "    spec:\\n      containers:\\n        - name: web\\n          image: nginx\\n",
    "main.tf": 'resource "aws_s3_bucket" "logs" {\\n  bucket = "logs"\\n}\\n',
}
with codecache.kept(), tempfile.TemporaryDirectory() as folder:
    from archls import config, engine
    from archls.server import diagnostic_json, early
    for name, text in SAMPLES.items():
        Path(folder, name).write_text(text, encoding="utf-8")
    for path in [*files, *(str(Path(folder, name)) for name in SAMPLES)]:
        text = Path(path).read_text(encoding="utf-8")
        analysis = engine.analyse(text, path, config.for_path(path, {}), read=engine.read_disk)
        diagnostic_json.texts_of(analysis, early._Document(text, "utf-16"), {}, lambda what, trace: None)
    from archls.server import protocol_types
    protocol_types.load()
    from archls.server.app import create_server  # then the server itself, as every start makes it
    create_server()
print(codecache.cache_path())
"""


def code_cache(out: Path, examples: list[Path]) -> Path | None:
    """The first start then compiles none of the methods of the engine's dataclasses, the string
    annotations pydantic reads or the regular expressions it uses (about a third of its work until the
    first diagnostics)."""
    here = out / f"cp{sys.version_info.major}{sys.version_info.minor}"
    if not (out / "app" / "archls" / "codecache.py").is_file() or not here.is_dir():
        return None
    done = _fill(CODE_CACHE, [out / "app", here, out / "lib"], json.dumps([str(e) for e in examples]))
    if done.returncode != 0:
        # Expected for another platform's bundle, whose compiled parts do not load on this machine.
        log(f"no code cache: the bundle's engine does not import here: {done.stderr.strip().splitlines()[-1:]}")
        return None
    return Path(done.stdout.strip())


#: Keeps, inside the bundle, the answer to initialize given in argv[1] (archls/server/early.py), when
#: the bundle's server, pygls and lsprotocol are the sources the answer was made from (argv[1]'s stamp).
#: Pure Python only, like PROTOCOL_CACHE: any target's bundle can be filled.
INITIALIZE_CACHE = """
import json, sys
sys.path[:0] = sys.argv[2:]
from archls.server import answers
sys.dont_write_bytecode = False
given = json.loads(sys.argv[1])
if answers.stamp() != given["stamp"]:
    sys.exit("the bundle's server is not the one the answer came from")
answers.remember(given["capabilities"], False, given["answer"])
print(answers.cache_path())
"""
#: What VS Code's language client (vscode-languageclient, editors/vscode/package.json) declares of
#: what the server's answer to initialize depends on (archls/server/answers.py, client_key); the VS Code end-to-end test
#: checks that its first start is answered from the bundle's cache.
VSCODE_CAPABILITIES = Path(__file__).with_name("vscode-client-capabilities.json")


def initialize_cache(out: Path) -> Path | None:
    """The server's answer to VS Code's initialize, made here and kept in the bundle: the first start
    after installing answers it at once and audits the first document before it loads the protocol
    library (archls/server/early.py), as every later start does."""
    if not (out / "app" / "archls" / "server" / "early.py").is_file():
        return None
    from archls.server import answers

    capabilities = json.loads(VSCODE_CAPABILITIES.read_text(encoding="utf-8"))
    answer = answers.server_answer(capabilities)
    if answer is None:
        raise SystemExit("bundle: the server does not answer VS Code's initialize")
    given = json.dumps({"stamp": answers.stamp(), "capabilities": capabilities, "answer": answer})
    folders = [out / "app", out / "lib"]
    done = _fill(INITIALIZE_CACHE, folders, given)
    if done.returncode != 0:
        log(f"no answer to initialize kept: {done.stderr.strip().splitlines()[-1:]}")
        return None
    return Path(done.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("out", type=Path, nargs="?")
    parser.add_argument("--target", required=True, choices=[*TARGETS, "universal"])
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "archls" / "wheels")
    parser.add_argument("--compile", action="store_true", help="write bytecode for this interpreter's version")
    parser.add_argument("--offline", action="store_true", help="use cached wheels only")
    parser.add_argument("--fetch-only", action="store_true", help="fill the wheel cache, bundle nothing")
    args = parser.parse_args()
    root, target = args.root.resolve(), args.target

    requirements = dependencies(root)
    source = UNIVERSAL_FROM if target == "universal" else target
    resolved = resolve(requirements, source, args.cache, args.offline)
    if args.fetch_only:
        log(f"wheels for {target} cached in {args.cache}")
        return
    if args.out is None:
        parser.error("OUT is required unless --fetch-only")
    out = args.out.resolve()
    names = {python: {w.name for w in wheels} for python, wheels in resolved.items()}
    if target == "universal":
        # No compiled parts: every pure wheel of the oldest supported Python (they run on newer ones).
        common = {n for n in names[PYTHONS[0]] if pure(n)}
    else:
        common = {n for n in set.intersection(*names.values()) if pure(n)}

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:
        own = build_archls(root, Path(tmp))
        unpack(own, out / "app")
    for wheel in resolved[PYTHONS[0]]:
        if wheel.name in common:
            unpack(wheel, out / "lib")
    folders: dict[str, str] = {}
    if target != "universal":
        for python, wheels in resolved.items():
            folder = f"cp{python.replace('.', '')}"
            folders[python] = folder
            for wheel in wheels:
                if wheel.name not in common:
                    unpack(wheel, out / folder)
    shutil.copy2(Path(__file__).with_name("launch.py"), out / "launch.py")

    spec = TARGETS[source]
    manifest = {
        "archls": wheel_version(own.name),
        "target": target,
        "platform": "any" if target == "universal" else spec.platform,
        "machine": "any" if target == "universal" else spec.machine,
        # The folder holding each CPython version's compiled parts; none in the universal package.
        "pythons": folders,
        # What a private environment installs for an interpreter the package has no folder for: the
        # compiled parts matching the pure-Python parts in lib/ (first choice), or every dependency.
        "venv": sorted(f"{project_name(w)}=={wheel_version(w)}" for w in names[PYTHONS[0]] if w not in common),
        "requirements": requirements,
        "wheels": {python: sorted(names[python]) for python in PYTHONS} if target != "universal" else {},
        "common": sorted(common),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    if args.compile:
        log(f"bytecode for CPython {sys.version_info.major}.{sys.version_info.minor}: {precompile(out)} modules")
        cache = protocol_cache(out)
        if cache:
            log(f"attrs' code for lsprotocol's types: {cache.relative_to(out)}")
        code = code_cache(out, sorted((root / "examples").glob("*.arch.yaml")))
        if code:
            log(f"the code dataclasses, typing and re compile for the engine: {code.relative_to(out)}")
    kept = initialize_cache(out)
    if kept:
        log(f"the answer to VS Code's initialize: {kept.relative_to(out)}")
    native = sorted({project_name(n) for ws in names.values() for n in ws if not pure(n)})
    log(
        f"archls {manifest['archls']} for {target}: {len(common)} shared pure-Python dependencies"
        + (f"; per CPython {', '.join(folders)}: {', '.join(native)}" if folders else "")
    )


if __name__ == "__main__":
    main()
