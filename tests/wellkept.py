"""The well-kept corpus and its reviewed findings, shared by the precision test and its benchmark.

The corpus is public projects kept by their maintainers: the shared corpus's awesome-compose
(Docker's compose samples), example-voting-app and online-boutique (Google's manifests and
Terraform), and, where ``ARCHLS_WELLKEPT`` names a folder holding them, copies of official Terraform
module examples and Kubernetes samples that the project does not redistribute (see
``tests/fixtures/wellkept/README.md``). ``REVIEW.tsv`` lists every finding archls reports on them
with a person's verdict.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.shared import CORPUS, ROOT

REVIEW = ROOT / "tests" / "fixtures" / "wellkept" / "REVIEW.tsv"
#: Copies of the official examples listed in tests/fixtures/wellkept/README.md, when a folder holds them.
WELLKEPT = Path(os.environ["ARCHLS_WELLKEPT"]) if os.environ.get("ARCHLS_WELLKEPT") else None
CORPUS_PROJECTS = ("awesome-compose", "example-voting-app", "online-boutique")
VERDICTS = frozenset({"true", "debatable", "false"})

Key = tuple[str, int, str]  # (path with its wellkept/ or corpus/ prefix, 1-based line, rule)


@dataclass(frozen=True)
class Verdict:
    verdict: str
    note: str


def roots() -> dict[str, Path]:
    out: dict[str, Path] = {}
    if WELLKEPT is not None:
        out["wellkept/"] = WELLKEPT
    if CORPUS is not None:
        out["corpus/"] = CORPUS
    return out


def reviewed() -> dict[Key, Verdict]:
    """The verdicts of the findings on the parts of the corpus present here."""
    present = tuple(roots())
    out: dict[Key, Verdict] = {}
    for line in REVIEW.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        path, number, rule, verdict, *note = line.split("\t")
        if verdict not in VERDICTS:
            raise ValueError(f"REVIEW.tsv: unknown verdict {verdict!r} in {line!r}")
        if path.startswith(present):
            out[(path, int(number), rule)] = Verdict(verdict, note[0] if note else "")
    return out


def reported() -> dict[Key, str]:
    """Every finding of ``archls check`` on the corpus, once per (file, line, rule), with its message."""
    paths = [str(WELLKEPT)] if WELLKEPT is not None else []
    if CORPUS is not None:
        paths += [str(CORPUS / name) for name in CORPUS_PROJECTS]
    done = subprocess.run(
        [sys.executable, "-m", "archls", "check", *paths, "--format", "json", "--fail-on", "never"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if done.returncode != 0:
        raise RuntimeError(f"archls check failed: {done.stderr}")
    data = json.loads(done.stdout)
    items = data if isinstance(data, list) else data["findings"]
    prefixes = {str(path.resolve()) + "/": label for label, path in roots().items()}
    out: dict[Key, str] = {}
    for item in items:
        file = str(
            Path(item["file"]).resolve() if Path(item["file"]).is_absolute() else (ROOT / item["file"]).resolve()
        )
        label = next((lab + file[len(pre) :] for pre, lab in prefixes.items() if file.startswith(pre)), file)
        out.setdefault((label, item["line"], item["rule"]), item["message"])
    return out
