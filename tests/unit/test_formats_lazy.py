"""Format detection imports the readers as late as it can and still picks the format the full list picks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.shared import CORPUS

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import json, sys
from pathlib import Path
from archls import formats

files = [Path(p) for p in json.loads(sys.argv[1])]
first = formats.detect(str(files[0]), files[0].read_text("utf-8"))
manifest = Path("tests/editors/workspace/k8s/deployment.yaml")
second = formats.detect(str(manifest), manifest.read_text("utf-8"))
terraform_for_yaml = "archls.formats.terraform" in sys.modules
texts = [(str(p), p.read_text("utf-8", errors="replace")[:65536]) for p in files]
lazy = [getattr(formats.detect(path, text), "name", None) for path, text in texts]
listed = formats.formats()
eager = [next((f.name for f in listed if f.claims(path, text)), None) for path, text in texts]
registered = {type(f).__module__.rpartition(".")[2]: p for p, f in formats._FORMATS}
print(json.dumps({"first": first.name, "second": second.name, "terraform_for_yaml": terraform_for_yaml,
                  "lazy": lazy, "eager": eager, "registered": registered}))
"""


def _samples() -> list[Path]:
    arch = sorted((ROOT / "examples").glob("*.arch.yaml"))[:3]
    others = sorted(p for p in (ROOT / "examples").rglob("*") if p.is_file() and p.suffix in {".yml", ".yaml", ".tf"})
    real = CORPUS.rglob("*") if CORPUS is not None else []
    corpus = sorted(p for p in real if p.is_file() and p.suffix in {".yml", ".yaml", ".tf", ".json"})
    return arch + others + corpus


def test_detect_imports_only_what_it_needs_and_agrees_with_the_full_list() -> None:
    files = _samples()
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps([str(p) for p in files])],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    found = json.loads(out.stdout)
    assert found["first"] == "arch"  # first, without the other readers (tests/unit/test_startup.py)
    assert found["second"] == "kubernetes" and not found["terraform_for_yaml"]  # a manifest: no HCL reader
    assert found["lazy"] == found["eager"]
    assert {"arch", "compose", "terraform", "kubernetes", None} >= set(found["eager"])
    assert len(set(found["eager"])) >= 4  # the samples cover the formats
    from archls.formats import LAZY

    assert {name: found["registered"][name] for name in LAZY} == LAZY
