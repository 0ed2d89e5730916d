"""Third-party rule modules declared as ``archls.rules`` entry points are loaded; when no distribution
on the path declares one, finding that out does not import importlib.metadata (a cost of every start)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_LOAD = """
import json, sys
sys.path[:0] = sys.argv[1:]
from archls.rules import registry
registry.load_rules()
print(json.dumps({"plugin": "demo_archls_rules" in sys.modules, "metadata": "importlib.metadata" in sys.modules}))
"""


def _load(*paths: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", _LOAD, str(ROOT), *map(str, paths)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _distribution(folder: Path, entry_points: str) -> None:
    info = folder / "demo_rules-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: demo-rules\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(entry_points, encoding="utf-8")
    (folder / "demo_archls_rules.py").write_text("LOADED = True\n", encoding="utf-8")


def test_a_declared_rule_module_is_loaded(tmp_path: Path) -> None:
    _distribution(tmp_path, "[archls.rules]\ndemo = demo_archls_rules\n")
    assert _load(tmp_path)["plugin"] is True


def test_no_declaration_no_metadata_import(tmp_path: Path) -> None:
    # another group's entry points (a console script) are not rule modules
    _distribution(tmp_path, "[console_scripts]\ndemo = demo_archls_rules:main\n")
    loaded = _load(tmp_path)
    assert loaded["plugin"] is False
    assert loaded["metadata"] is False


def test_an_egg_on_the_path_is_left_to_importlib_metadata(tmp_path: Path) -> None:
    egg = tmp_path / "demo_rules-1.0-py3.11.egg"
    (egg / "EGG-INFO").mkdir(parents=True)
    (egg / "EGG-INFO" / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: demo-rules\nVersion: 1.0\n", "utf-8")
    (egg / "EGG-INFO" / "entry_points.txt").write_text("[archls.rules]\ndemo = demo_archls_rules\n", "utf-8")
    (egg / "demo_archls_rules.py").write_text("LOADED = True\n", encoding="utf-8")
    assert _load(egg)["plugin"] is True
