"""Bundle the archls server into the extension: ``server/lib`` (archls and its dependencies, unpacked
from wheels, run with ``PYTHONPATH``) and ``server/manifest.json`` (what the bundle runs on).

The wheels come from pip, which builds archls from the repository and takes its dependencies from
the local wheel cache; nothing is downloaded when the cache has them. pydantic-core and PyYAML
carry compiled parts, so the bundle runs on the Python version, platform and machine of the
interpreter that builds it (the manifest says which); the extension checks before using it.

Usage: python bundle_server.py PROJECT_ROOT OUT_DIR
"""

from __future__ import annotations

import json
import platform
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path


def wheel_tags(name: str) -> tuple[str, str, str]:
    """(python, abi, platform) tags of a wheel file name."""
    parts = name[: -len(".whl")].split("-")
    return parts[-3], parts[-2], parts[-1]


def unpack(wheel: Path, lib: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.infolist():
            target = lib / member.filename
            if not target.resolve().is_relative_to(lib.resolve()):
                raise SystemExit(f"{wheel.name}: {member.filename} would land outside the bundle")
        archive.extractall(lib)
    # Files under NAME.data/purelib or platlib belong beside the packages; scripts and headers are not needed.
    for data in lib.glob("*.data"):
        for scheme in ("purelib", "platlib"):
            folder = data / scheme
            if folder.is_dir():
                for item in folder.iterdir():
                    shutil.move(str(item), lib / item.name)
        shutil.rmtree(data)


#: Imports the server's start-up and prints the bundle's modules it loaded.
_LOADED = """
import sys
from archls.server.app import create_server
create_server()
lib = sys.argv[1]
for module in list(sys.modules.values()):
    path = getattr(module, "__file__", None) or ""
    if path.startswith(lib) and path.endswith(".py"):
        print(path)
"""


def compile_start_up(lib: Path) -> None:
    """Bytecode for the modules the server loads before its first answer, for the bundle's Python and
    checked by hash rather than by the sources' times (which an extension's unpacking does not keep).
    The first start after installing then compiles nothing (about 5 s down to 2.5 s here); the rest of
    the bundle compiles on use, which keeps the package small."""
    import py_compile

    env = {"PYTHONPATH": str(lib), "PYTHONNOUSERSITE": "1", "PYTHONDONTWRITEBYTECODE": "1", "PATH": "/usr/bin:/bin"}
    loaded = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(lib)!r}); " + "exec(" + repr(_LOADED) + ")", str(lib)],
        capture_output=True,
        text=True,
        env=env,
    )
    if loaded.returncode != 0:
        sys.stderr.write(loaded.stderr)
        raise SystemExit("bundle: the bundled server does not start")
    for source in loaded.stdout.split():
        py_compile.compile(source, doraise=True, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)


def clean_copy(root: Path, dest: Path) -> Path:
    """The project's sources without build leftovers: setuptools' build/ folder keeps files deleted from
    the tree and would put them in the wheel."""
    dest.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md", "LICENSE", "setup.cfg", "setup.py", "MANIFEST.in"):
        if (root / name).is_file():
            shutil.copy2(root / name, dest / name)
    shutil.copytree(root / "archls", dest / "archls", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest


def main(root: Path, out: Path) -> None:
    lib = out / "lib"
    if out.exists():
        shutil.rmtree(out)
    lib.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:
        wheels = Path(tmp) / "wheels"
        source = clean_copy(root, Path(tmp) / "source")
        built = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir", str(wheels), str(source)],
            capture_output=True,
            text=True,
        )
        if built.returncode != 0:  # pip's warnings are noise unless it failed
            sys.stderr.write(built.stdout + built.stderr)
            raise SystemExit(f"bundle: pip wheel failed with exit code {built.returncode}")
        found = sorted(wheels.glob("*.whl"))
        native = [w for w in found if wheel_tags(w.name)[2] != "any"]
        for wheel in found:
            unpack(wheel, lib)
        archls = next(w for w in found if w.name.startswith("archls-")).name.split("-")[1]
        if native:
            compile_start_up(lib)
        manifest = {
            "archls": archls,
            # Native wheels tie the bundle to this interpreter's version, implementation, OS and machine.
            "python": f"{sys.version_info.major}.{sys.version_info.minor}" if native else "any",
            "implementation": sys.implementation.name if native else "any",
            "platform": sys.platform if native else "any",
            "machine": platform.machine() if native else "any",
            "wheels": [w.name for w in found],
        }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(
        f"bundle: archls {archls} and {len(found) - 1} dependencies for "
        f"{manifest['implementation']} {manifest['python']} {manifest['platform']} {manifest['machine']}"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
